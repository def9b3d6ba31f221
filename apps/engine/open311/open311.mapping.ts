import type { FieldDefinition, FormDefinition } from '#forms';

/**
 * How GeoReport v2 maps onto the anomaly report téléservice (`signalement-anomalie`, the demo's mutualised
 * report): each option of the category field is a **service**; `lat`/`long` fill the map point, `description`,
 * `address_string` and the contact parameters fill their fields; every other top-level field the form asks (a
 * yes/no, a choice, a text, a number, a date) is a service **attribute** (`attribute[<field id>]`).
 */
export const OPEN311_MAPPING = {
  teleservice: 'signalement-anomalie',
  category: 'categorie',
  point: 'lieu',
  description: 'description',
  address: 'repere',
  contact: { email: 'email', first_name: 'prenom', last_name: 'nom', phone: 'telephone' } as Record<string, string>,
} as const;

export interface Open311Attribute {
  variable: true;
  code: string;
  datatype: 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
  required: boolean;
  datatype_description: string | null;
  order: number;
  description: string;
  values?: { key: string; name: string }[];
}

const MAPPED = new Set<string>([OPEN311_MAPPING.category, OPEN311_MAPPING.point, OPEN311_MAPPING.description, OPEN311_MAPPING.address, ...Object.values(OPEN311_MAPPING.contact)]);

export function topFields(form: FormDefinition): FieldDefinition[] {
  return form.pages.flatMap((page) => page.fields as FieldDefinition[]);
}

/** The category field's options: the services. */
export function categoriesOf(form: FormDefinition): { value: string; label: string }[] {
  const field = topFields(form).find((f) => f.id === OPEN311_MAPPING.category);
  return field && field.type === 'choice' ? field.options.map((o) => ({ value: o.value, label: o.label })) : [];
}

/** The form's other fields a GeoReport client can fill, as service attributes. */
export function attributesOf(form: FormDefinition): Open311Attribute[] {
  const out: Open311Attribute[] = [];
  for (const field of topFields(form)) {
    if (MAPPED.has(field.id)) continue;
    // Properties in the spec's order (the XML output follows it).
    const attribute = (datatype: Open311Attribute['datatype'], extra: { datatype_description?: string; values?: { key: string; name: string }[] } = {}): Open311Attribute => ({
      variable: true,
      code: field.id,
      datatype,
      required: 'required' in field && field.required === true,
      datatype_description: extra.datatype_description ?? null,
      order: out.length + 1,
      description: field.label,
      ...(extra.values ? { values: extra.values } : {}),
    });
    switch (field.type) {
      case 'text':
        out.push(attribute('string'));
        break;
      case 'long_text':
        out.push(attribute('text'));
        break;
      case 'number':
        out.push(attribute('number'));
        break;
      case 'date':
        out.push(attribute('datetime', { datatype_description: 'AAAA-MM-JJ' }));
        break;
      case 'yes_no':
      case 'checkbox':
        out.push(attribute('singlevaluelist', { values: [{ key: 'true', name: 'Oui' }, { key: 'false', name: 'Non' }] }));
        break;
      case 'choice':
        out.push(attribute('singlevaluelist', { values: field.options.map((o) => ({ key: o.value, name: o.label })) }));
        break;
      case 'multiple_choice':
        out.push(attribute('multivaluelist', { values: field.options.map((o) => ({ key: o.value, name: o.label })) }));
        break;
      default:
        break; // display fields, files, addresses, blocks…: not expressible in GeoReport v2
    }
  }
  return out;
}

/** Builds the form data of a GeoReport `POST requests` (validation is the form's, through SubmitDemand). */
export function dataOf(form: FormDefinition, params: Record<string, unknown>): Record<string, unknown> {
  const text = (key: string) => (typeof params[key] === 'string' && (params[key] as string).trim() !== '' ? (params[key] as string).trim() : undefined);
  const data: Record<string, unknown> = {};
  const set = (field: string, value: unknown) => {
    if (value !== undefined) data[field] = value;
  };
  set(OPEN311_MAPPING.category, text('service_code'));
  const lat = text('lat');
  const lon = text('long');
  if (lat !== undefined || lon !== undefined) data[OPEN311_MAPPING.point] = { lat: Number(lat), lon: Number(lon) };
  set(OPEN311_MAPPING.description, text('description'));
  set(OPEN311_MAPPING.address, text('address_string'));
  for (const [param, field] of Object.entries(OPEN311_MAPPING.contact)) set(field, text(param));
  const attributes = attributeParams(params);
  for (const attribute of attributesOf(form)) {
    const raw = attributes[attribute.code];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw.map(String) : [String(raw)];
    const field = topFields(form).find((f) => f.id === attribute.code)!;
    if (field.type === 'yes_no' || field.type === 'checkbox') data[field.id] = values[0] === 'true' ? true : values[0] === 'false' ? false : values[0];
    else if (field.type === 'number') data[field.id] = Number(values[0].replace(',', '.'));
    else if (field.type === 'multiple_choice') data[field.id] = values;
    else data[field.id] = values[0];
  }
  return data;
}

/** `attribute[code]=v` (form encoding, repeated for lists) or `{ attribute: { code: v } }` (JSON). */
function attributeParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof params.attribute === 'object' && params.attribute !== null && !Array.isArray(params.attribute)) Object.assign(out, params.attribute);
  for (const [key, value] of Object.entries(params)) {
    const match = /^attribute\[([A-Za-z0-9_-]{1,63})\](\[\])?$/.exec(key);
    if (match) out[match[1]] = value;
  }
  return out;
}
