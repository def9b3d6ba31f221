/**
 * Pure helpers of the web form pages, shared by the portal's form filling and the back office's submission on
 * behalf of a citizen (moved here from apps/portal/forms): display conditions evaluated over what the person
 * typed, the posted body turned into form data, error paths mapped to fields, and the view model of every field
 * type (rendered by each app's own Handlebars partial).
 */
import type { FieldError } from '#core';
import { parseCondition, type CompiledCondition } from '../condition/condition.js';
import type { FormProfile } from '../compile/field-validators.js';
import type { FieldDefinition, FormDefinition, LeafFieldDefinition, PageDefinition } from '../definition/definition.schema.js';

export type FormValues = Record<string, unknown>;
const DISPLAY = new Set(['title', 'subtitle', 'comment']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v).replace('.', ',') : '');

// ------------------------------------------------------------------------------------- conditions

const conditionCache = new WeakMap<FormDefinition, Map<string, CompiledCondition | null>>();

function conditionOf(definition: FormDefinition, source: string | undefined): CompiledCondition | null {
  if (!source) return null;
  let cache = conditionCache.get(definition);
  if (!cache) conditionCache.set(definition, (cache = new Map()));
  if (!cache.has(source)) {
    const parsed = parseCondition(source);
    cache.set(source, parsed.ok ? parsed.condition : null);
  }
  return cache.get(source) ?? null;
}

/** A raw (typed-in) value as the condition language compares it: booleans, numbers, lists. */
function typed(def: LeafFieldDefinition | FieldDefinition, raw: unknown): unknown {
  if (raw === undefined || raw === null) return undefined;
  switch (def.type) {
    case 'checkbox':
    case 'yes_no':
      return raw === true || raw === 'true' || raw === 'oui' ? true : raw === false || raw === 'false' || raw === 'non' ? false : undefined;
    case 'number': {
      if (typeof raw === 'number') return raw;
      const n = Number(String(raw).trim().replace(',', '.'));
      return String(raw).trim() !== '' && Number.isFinite(n) ? n : undefined;
    }
    case 'multiple_choice':
      return Array.isArray(raw) ? raw : [raw];
    default:
      return typeof raw === 'string' && raw.trim() === '' ? undefined : raw;
  }
}

export interface Visibility {
  /** Visible top-level fields (display ones included) by id. */
  fields: Set<string>;
  /** Visible sub-fields per block item: `enfants.1.pai`. */
  items: Set<string>;
}

/**
 * Which fields are visible for these values (stored answers of other pages + what was typed on this one),
 * by the definition's own conditions: fields hidden by a condition leave the scope, like the engine does.
 */
export function visibility(definition: FormDefinition, values: FormValues, profile: FormProfile = {}): Visibility {
  const fields = new Set<string>();
  const items = new Set<string>();
  const scope: FormValues = {};
  const all = definition.pages.flatMap((page) => page.fields.map((field) => ({ page, field })));
  for (const f of all) if (!DISPLAY.has(f.field.type)) scope[f.field.id] = typed(f.field, values[f.field.id]);
  // Two passes: a condition may read a field defined later (forward references are allowed without cycles).
  for (let pass = 0; pass < 2; pass++) {
    fields.clear();
    items.clear();
    for (const { page, field } of all) {
      const pageCondition = conditionOf(definition, page.condition);
      const shown = (!pageCondition || pageCondition.evaluate({ field: scope, profile })) && evaluate(definition, field.condition, { field: scope, profile });
      if (!shown) {
        if (!DISPLAY.has(field.type)) scope[field.id] = undefined;
        continue;
      }
      fields.add(field.id);
      if (field.type === 'block') {
        const list = Array.isArray(values[field.id]) ? (values[field.id] as unknown[]) : [];
        list.forEach((item, i) => {
          const itemScope: FormValues = {};
          for (const sub of field.fields) if (!DISPLAY.has(sub.type)) itemScope[sub.id] = typed(sub, isObject(item) ? item[sub.id] : undefined);
          for (const sub of field.fields) {
            if (evaluate(definition, sub.condition, { field: scope, profile, item: itemScope })) items.add(`${field.id}.${i}.${sub.id}`);
            else if (!DISPLAY.has(sub.type)) itemScope[sub.id] = undefined;
          }
        });
      }
    }
  }
  return { fields, items };
}

function evaluate(definition: FormDefinition, source: string | undefined, scope: { field: FormValues; profile: FormProfile; item?: FormValues }): boolean {
  if (!source) return true;
  const condition = conditionOf(definition, source);
  return condition ? condition.evaluate(scope as never) : false;
}

// ------------------------------------------------------------------------------------- body → data

export interface CommuneChoice {
  inseeCode: string;
  name: string;
}

/** What the page's body says, per field: form data for the validator (files are handled apart). */
export function readPage(page: PageDefinition, body: Record<string, unknown>, communes: readonly CommuneChoice[]): FormValues {
  const out: FormValues = {};
  const get = (name: string): unknown => (Object.hasOwn(body, name) ? body[name] : undefined);
  const one = (name: string): string | undefined => {
    const v = get(name);
    const s = Array.isArray(v) ? v[v.length - 1] : v;
    return typeof s === 'string' ? s.slice(0, 100_000) : undefined;
  };
  const readLeaf = (def: LeafFieldDefinition, name: string): unknown => {
    switch (def.type) {
      case 'title':
      case 'subtitle':
      case 'comment':
      case 'computed':
      case 'file':
        return undefined;
      case 'checkbox':
        return one(name) === 'true';
      case 'yes_no': {
        const v = one(name);
        return v === 'true' ? true : v === 'false' ? false : undefined;
      }
      case 'multiple_choice': {
        const v = get(name);
        const list = (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
        return list.length ? list.slice(0, 1_000) : undefined;
      }
      case 'address': {
        const part = (key: string) => one(`${name}.${key}`)?.trim() ?? '';
        const address: FormValues = { street: part('street'), complement: part('complement'), postcode: part('postcode'), inseeCode: part('inseeCode') };
        const commune = communes.find((c) => c.inseeCode === address.inseeCode);
        if (commune) address.commune = commune.name;
        else if (part('commune')) address.commune = part('commune');
        for (const key of ['lat', 'lon']) if (part(key)) address[key] = part(key);
        for (const key of Object.keys(address)) if (address[key] === '') delete address[key];
        return Object.keys(address).length ? address : undefined;
      }
      case 'map_point': {
        const lat = one(`${name}.lat`)?.trim();
        const lon = one(`${name}.lon`)?.trim();
        const place = one(`${name}.place`)?.trim();
        if (place) return { place };
        return lat || lon ? { lat: lat ?? '', lon: lon ?? '' } : undefined;
      }
      default: {
        const v = one(name);
        return v === undefined || v.trim() === '' ? undefined : v;
      }
    }
  };
  for (const field of page.fields) {
    const name = `f.${field.id}`;
    if (field.type === 'block') {
      const list = blockIndexes(body, field.id).map((i) => {
        const item: FormValues = {};
        for (const sub of field.fields) {
          const v = readLeaf(sub, `${name}.${i}.${sub.id}`);
          if (v !== undefined) item[sub.id] = v;
        }
        return item;
      });
      if (list.length) out[field.id] = list;
      continue;
    }
    const v = readLeaf(field, name);
    if (v !== undefined) out[field.id] = v;
  }
  return out;
}

/**
 * The item indexes a page's body names for a block (`f.enfants.<i>.…`), in order: the item at position p of
 * the block's list read from the body is the one named with the p-th index (names keep their index when the
 * JavaScript removes an item in place).
 */
export function blockIndexes(body: Record<string, unknown>, blockId: string): number[] {
  const indexes = new Set<number>();
  const prefix = `f.${blockId}.`;
  for (const key of Object.keys(body)) {
    if (!key.startsWith(prefix)) continue;
    const index = Number(key.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(index) && index >= 0 && index < 100) indexes.add(index);
  }
  return [...indexes].sort((a, b) => a - b);
}

type FileField = Extract<LeafFieldDefinition, { type: 'file' }>;

/** A file field of a page as an input names it: top level (`f.photo`) or in a block item (`f.enfants.1.certificat`). */
export interface FileInput {
  field: FileField;
  /** `photo`, or `enfants.1.certificat` (the item's index as the input is named). */
  key: string;
  /** The field's identity whatever the item: `photo`, or `enfants.certificat`. */
  identity: string;
  block?: { id: string; index: number; subId: string };
}

/** The file field an input name (`f.photo`, `f.enfants.1.certificat`) designates on a page, or null. */
export function fileInputOf(page: PageDefinition, name: string): FileInput | null {
  if (!name.startsWith('f.')) return null;
  const parts = name.slice(2).split('.');
  if (parts.length === 1) {
    const field = page.fields.find((f) => f.id === parts[0]);
    return field?.type === 'file' ? { field, key: field.id, identity: field.id } : null;
  }
  if (parts.length !== 3 || !/^\d{1,2}$/.test(parts[1])) return null;
  const block = page.fields.find((f) => f.id === parts[0]);
  const sub = block?.type === 'block' ? block.fields.find((f) => f.id === parts[2]) : undefined;
  if (!block || sub?.type !== 'file') return null;
  return { field: sub, key: parts.join('.'), identity: `${block.id}.${sub.id}`, block: { id: block.id, index: Number(parts[1]), subId: sub.id } };
}

/** Whether a page has a file field, at the top level or in a block (its form is then sent as multipart). */
export function pageHasFiles(page: PageDefinition): boolean {
  return page.fields.some((f) => f.type === 'file' || (f.type === 'block' && f.fields.some((sub) => sub.type === 'file')));
}

/** The blocks of a page that have file fields, with those fields. */
export function blocksWithFiles(page: PageDefinition): { id: string; files: FileField[] }[] {
  return page.fields.flatMap((f) => {
    if (f.type !== 'block') return [];
    const files = f.fields.filter((sub): sub is FileField => sub.type === 'file');
    return files.length ? [{ id: f.id, files }] : [];
  });
}

// ------------------------------------------------------------------------------------- errors

/** `data.enfants[1].prenom` → `enfants.1.prenom`; `data.photo[0]` → `photo.0`. */
export function errorKey(path: string): string {
  return path.replace(/^data\.?/, '').replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
}

export function errorsByKey(errors: readonly FieldError[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const error of errors) {
    const key = errorKey(error.path);
    if (!map.has(key)) map.set(key, error.message);
  }
  return map;
}

/** The page a field (or a sub-path of it) lives on. */
export function pageOfPath(definition: FormDefinition, path: string): string | null {
  const id = errorKey(path).split('.')[0];
  return definition.pages.find((p) => p.fields.some((f) => f.id === id))?.id ?? null;
}

// ------------------------------------------------------------------------------------- view models

export interface OptionView {
  value: string;
  label: string;
  checked: boolean;
  id: string;
}

export interface FieldView {
  kind: string;
  id: string;
  name: string;
  label: string;
  hint?: string;
  hintId?: string;
  required: boolean;
  error?: string;
  errorId?: string;
  describedBy?: string;
  value?: string;
  locked?: boolean;
  hidden?: boolean;
  [extra: string]: unknown;
}

export interface PageContext {
  definition: FormDefinition;
  values: FormValues;
  errors: Map<string, string>;
  visible: Visibility;
  locked: ReadonlySet<string>;
  communes: readonly CommuneChoice[];
  /** Communes a postcode could mean (address fields with an ambiguous postcode), by field key. */
  communeChoices: Map<string, CommuneChoice[]>;
  /** Options of a choice or data source field; `key` is `id`, or `block.sub` inside a block. */
  options: (field: FieldDefinition, key: string) => readonly { value: string; label: string }[] | undefined;
  tilesUrl: string;
  uploadMaxBytes: number;
}

const TEXT_INPUT: Record<string, { type: string; inputmode?: string; autocomplete?: string }> = {
  digits: { type: 'text', inputmode: 'numeric' },
  phone_fr: { type: 'tel', inputmode: 'tel', autocomplete: 'tel' },
  postcode_fr: { type: 'text', inputmode: 'numeric', autocomplete: 'postal-code' },
  siret: { type: 'text', inputmode: 'numeric' },
  siren: { type: 'text', inputmode: 'numeric' },
  iban: { type: 'text', autocomplete: 'off' },
  nir: { type: 'text', inputmode: 'numeric', autocomplete: 'off' },
};

/** How a locked field says where its value comes from, when not from FranceConnect. */
const LOCKED_NOTES: Record<string, string> = {
  quotient_familial: 'Information transmise par la CAF ou la MSA avec votre accord : elle ne peut pas être modifiée ici.',
  'droits_sociaux.c2s': 'Information transmise par l’Assurance maladie avec votre accord : elle ne peut pas être modifiée ici.',
  'droits_sociaux.rsa': 'Information transmise par la CAF ou la MSA avec votre accord : elle ne peut pas être modifiée ici.',
  'company.siret': 'Information de votre mandat : elle ne peut pas être modifiée ici.',
  'company.denomination': 'Information de votre mandat : elle ne peut pas être modifiée ici.',
};

const PREFILL_AUTOCOMPLETE: Record<string, string> = { given_name: 'given-name', family_name: 'family-name', email: 'email', phone: 'tel', birthdate: 'bday' };

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${String(Math.round((bytes / (1024 * 1024)) * 10) / 10).replace('.', ',')} Mo`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} Ko`;
  return `${bytes} octets`;
}

const MIME_LABELS: Record<string, string> = {
  'application/pdf': 'PDF',
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/webp': 'WebP',
  'image/*': 'images',
  'image/gif': 'GIF',
  'application/vnd.oasis.opendocument.text': 'ODT',
};

/** The view of one field (top level or in a block item); null when it is hidden or has nothing to show. */
export function fieldView(field: FieldDefinition | LeafFieldDefinition, ctx: PageContext, at: { key: string; value: unknown; item?: boolean }): FieldView | null {
  const key = at.key; // `nom`, or `enfants.1.prenom`
  const domId = `f-${key.replace(/\./g, '-')}`;
  const name = `f.${key}`;
  if (field.type === 'computed') return null;
  if (DISPLAY.has(field.type)) return { kind: field.type, id: domId, name, key, label: field.label, required: false };
  const def = field as Exclude<FieldDefinition, { type: 'title' | 'subtitle' | 'comment' | 'computed' }>;
  const own = [...ctx.errors].filter(([k]) => k === key || k.startsWith(`${key}.`));
  const error = own.length ? own.map(([, m]) => m).filter((m, i, all) => all.indexOf(m) === i).join(' ') : undefined;
  const hintId = def.hint ? `${domId}-hint` : undefined;
  const errorId = error ? `${domId}-error` : undefined;
  const view: FieldView = {
    kind: def.type,
    id: domId,
    name,
    key,
    label: def.label,
    hint: def.hint,
    hintId,
    required: def.required === true,
    error,
    errorId,
    describedBy: [hintId, errorId].filter(Boolean).join(' ') || undefined,
    locked: !at.item && ctx.locked.has(def.id),
  };
  // Data of the administration or of a mandate says where it comes from (identity fields: FranceConnect).
  const source = view.locked && def.prefill ? LOCKED_NOTES[def.prefill.attribute] : undefined;
  if (source) view.lockedNote = source;
  const value = at.value;
  switch (def.type) {
    case 'text': {
      const input = def.format ? TEXT_INPUT[def.format] : undefined;
      const prefill = def.prefill ? PREFILL_AUTOCOMPLETE[def.prefill.attribute] : undefined;
      return { ...view, kind: 'input', inputType: input?.type ?? 'text', inputmode: input?.inputmode, autocomplete: input?.autocomplete ?? prefill, value: str(value), maxLength: def.maxLength ?? 255 };
    }
    case 'email':
      return { ...view, kind: 'input', inputType: 'email', autocomplete: 'email', value: str(value), spellcheck: 'false' };
    case 'number':
      return { ...view, kind: 'input', inputType: 'text', inputmode: def.mode === 'integer' ? 'numeric' : 'decimal', value: str(value) };
    case 'date':
      return { ...view, kind: 'input', inputType: 'date', autocomplete: def.prefill?.attribute === 'birthdate' ? 'bday' : undefined, value: str(value), min: def.min, max: def.max };
    case 'long_text':
      return { ...view, kind: 'textarea', value: str(value), maxLength: def.maxLength ?? 10_000 };
    case 'checkbox':
      return { ...view, kind: 'checkbox', checked: value === true || value === 'true' };
    case 'yes_no': {
      const v = value === true || value === 'true' ? 'true' : value === false || value === 'false' ? 'false' : '';
      return { ...view, kind: 'radios', options: [{ value: 'true', label: 'Oui' }, { value: 'false', label: 'Non' }].map((o) => ({ ...o, id: `${domId}-${o.value}`, checked: o.value === v })), inputId: `${domId}-true`, lockedValue: view.locked ? v : undefined };
    }
    case 'choice':
    case 'data_source': {
      const parts = key.split('.');
      const options = ctx.options(def as FieldDefinition, at.item ? `${parts[0]}.${parts[2]}` : key);
      if (!options) return { ...view, kind: 'unavailable', message: 'Liste momentanément indisponible. Réessayez plus tard ou enregistrez votre démarche pour la reprendre.' };
      const v = str(value);
      const opts = options.map((o, i) => ({ ...o, id: `${domId}-${i}`, checked: o.value === v }));
      const display = def.display ?? (options.length <= 5 ? 'radio' : 'list');
      if (display === 'radio') return { ...view, kind: 'radios', options: opts, inputId: `${domId}-0` };
      if (display === 'autocomplete') return { ...view, kind: 'select', options: opts, autocompleteList: true };
      return { ...view, kind: 'select', options: opts };
    }
    case 'multiple_choice': {
      const chosen = new Set(Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : []);
      return { ...view, kind: 'checkboxes', options: def.options.map((o, i) => ({ ...o, id: `${domId}-${i}`, checked: chosen.has(o.value) })), inputId: `${domId}-0` };
    }
    case 'commune': {
      const v = str(value);
      // The territory's 58 communes: a list long enough for typing a few letters to help (combobox over the list).
      return { ...view, kind: 'select', autocompleteList: true, options: ctx.communes.map((c, i) => ({ value: c.inseeCode, label: c.name, id: `${domId}-${i}`, checked: c.inseeCode === v })) };
    }
    case 'address': {
      const a = isObject(value) ? value : {};
      const choices = ctx.communeChoices.get(key);
      const list = choices?.length ? choices : ctx.communes;
      const part = (p: string) => ({ id: `${domId}-${p}`, name: `${name}.${p}`, value: str(a[p]), error: ctx.errors.get(`${key}.${p}`) });
      const inseeCode = str(a.inseeCode);
      const outside = inseeCode !== '' && !ctx.communes.some((c) => c.inseeCode === inseeCode);
      return {
        ...view,
        kind: 'address',
        // The summary's link goes to the first part in error.
        inputId: `${domId}-${['street', 'postcode', 'inseeCode', 'commune'].find((p) => ctx.errors.has(`${key}.${p}`)) ?? 'street'}`,
        // A missing address as a whole marks its first input.
        street: { ...part('street'), error: ctx.errors.get(`${key}.street`) ?? ctx.errors.get(key) },
        complement: part('complement'),
        postcode: part('postcode'),
        communeName: part('commune'),
        inseeCode: { ...part('inseeCode'), ambiguous: Boolean(choices?.length) },
        lat: str(a.lat).replace(',', '.'),
        lon: str(a.lon).replace(',', '.'),
        communeOptions: [
          ...list.map((c) => ({ value: c.inseeCode, label: c.name, checked: c.inseeCode === inseeCode })),
          ...(outside ? [{ value: inseeCode, label: str(a.commune) || inseeCode, checked: true }] : []),
        ],
        requirePoint: def.requirePoint === true,
        withinCommunes: def.withinCommunes === true,
      };
    }
    case 'map_point': {
      const p = isObject(value) ? value : {};
      const lat = str(p.lat).replace(',', '.');
      const lon = str(p.lon).replace(',', '.');
      const b = def.bounds;
      return {
        ...view,
        kind: 'map',
        inputId: `${domId}-place`,
        lat,
        lon,
        place: str(p.place),
        hasPoint: lat !== '' && lon !== '',
        pointText: lat && lon ? `${lat.replace('.', ',')} ; ${lon.replace('.', ',')}` : '',
        bounds: b ? `${b.south},${b.west},${b.north},${b.east}` : '',
        tiles: ctx.tilesUrl,
      };
    }
    case 'file': {
      const files = Array.isArray(value) ? value.filter(isObject) : [];
      const max = def.maxFiles ?? 1;
      const size = def.maxSizeBytes ?? 10 * 1024 * 1024;
      const types = def.accept.map((t) => MIME_LABELS[t] ?? t).join(', ');
      return {
        ...view,
        kind: 'file',
        files: files.map((f, i) => ({ name: str(f.name), size: formatBytes(Number(f.size) || 0), index: i, action: `remove-file:${key}:${i}` })),
        accept: def.accept.join(','),
        multiple: max > 1,
        canAdd: files.length < max,
        rules: `Formats acceptés : ${types}. Taille maximale : ${formatBytes(Math.min(size, ctx.uploadMaxBytes))} par fichier.${max > 1 ? ` ${max} fichiers au plus.` : ''}`,
        rulesId: `${domId}-rules`,
        maxBytes: Math.min(size, ctx.uploadMaxBytes),
        // The input's key (`photo`, `enfants.1.certificat`): the JavaScript upload names its file and token after it.
        fieldId: key,
      };
    }
    case 'block': {
      const list = Array.isArray(value) ? value : [];
      const itemLabel = def.itemLabel ?? 'élément';
      const item = (entry: unknown, index: number | '__i__') => ({
        index,
        id: `${domId}-${index}`,
        legend: `${capitalise(itemLabel)} ${typeof index === 'number' ? index + 1 : ''}`.trim(),
        removeAction: `remove:${def.id}:${index}`,
        fields: def.fields
          .map((sub) => {
            const subKey = `${def.id}.${index}.${sub.id}`;
            const subView = fieldView(sub, ctx, { key: subKey, value: isObject(entry) ? entry[sub.id] : undefined, item: true });
            if (subView) subView.hidden = index === '__i__' ? Boolean(sub.condition) : !ctx.visible.items.has(subKey);
            return subView;
          })
          .filter(Boolean),
      });
      const max = def.maxItems ?? 20;
      return {
        ...view,
        kind: 'block',
        items: list.map((entry, i) => item(entry, i)),
        template: item({}, '__i__'),
        addAction: `add:${def.id}`,
        addLabel: `Ajouter un ${itemLabel.toLowerCase()}`,
        canAdd: list.length < max,
        maxItems: max,
        blockError: ctx.errors.get(key),
        inputId: list.length ? `${domId}-0` : `${domId}-add`,
      };
    }
    default:
      return view;
  }
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The views of a page's visible fields, and the error summary in the page's order. */
export function pageView(page: PageDefinition, ctx: PageContext) {
  const fields = page.fields
    .map((f) => {
      const view = fieldView(f, ctx, { key: f.id, value: ctx.values[f.id] });
      if (view) view.hidden = !ctx.visible.fields.has(f.id);
      return view;
    })
    .filter((f): f is FieldView => f !== null);
  const summary: { id: string; message: string }[] = [];
  const collect = (view: FieldView) => {
    if (view.hidden) return;
    if (view.kind === 'block') {
      if (view.blockError) summary.push({ id: String(view.inputId), message: `${view.label} : ${String(view.blockError)}` });
      for (const item of view.items as { legend: string; fields: FieldView[] }[]) {
        for (const sub of item.fields) if (sub.error && !sub.hidden) summary.push({ id: String(sub.inputId ?? sub.id), message: `${item.legend} — ${sub.label} : ${sub.error}` });
      }
      return;
    }
    if (view.error) summary.push({ id: String(view.inputId ?? view.id), message: `${view.label} : ${view.error}` });
  };
  fields.forEach(collect);
  return { fields, summary };
}

/** Ids of the visible, data-carrying fields of a page (for « new questions appeared » and the JSON endpoint). */
export function shownIds(page: PageDefinition, visible: Visibility): string[] {
  const out: string[] = [];
  for (const f of page.fields) {
    if (!visible.fields.has(f.id)) continue;
    out.push(f.id);
    if (f.type === 'block') for (const key of visible.items) if (key.startsWith(`${f.id}.`)) out.push(key);
  }
  return out;
}

/** The profile a form sees: the session's claims with the certification flag. */
export function formProfile(claims: Record<string, unknown> | undefined): FormProfile {
  if (!claims) return {};
  const profile: Record<string, unknown> = {};
  for (const key of ['given_name', 'family_name', 'email', 'phone', 'birthdate', 'gender']) if (typeof claims[key] === 'string') profile[key] = claims[key];
  if (isObject(claims.address)) profile.address = claims.address;
  profile.certified = claims.certified === true;
  return profile as FormProfile;
}

