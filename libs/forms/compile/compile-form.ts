/**
 * `compileForm`: turns a validated definition into a reusable validator. The costly work (condition
 * parsing, template parsing, regex compilation, dependency ordering, option sets) happens once here;
 * `validate` then runs in one pass over the fields in dependency order.
 */
import { DomainError, type FieldError } from '#core';
import { parseCondition, type CompiledCondition, type ConditionScope } from '../condition/condition.js';
import {
  ADMINISTRATION_PREFILL_ATTRIBUTES,
  DISPLAY_TYPES,
  type ExternalDataSource,
  type FieldDefinition,
  type FormDefinition,
  type LeafFieldDefinition,
  type PageDefinition,
  type PrefillAttribute,
} from '../definition/definition.schema.js';
import { validateWithAnalysis } from '../definition/validate-definition.js';
import { isIsoDate } from '../formats/formats.js';
import { compileSafeRegex } from '../formats/safe-regex.js';
import { FormErrorCodes as C } from '../forms.codes.js';
import { parseTemplate, type CompiledTemplate } from '../template/template.js';
import {
  isBlank,
  keyPath,
  validateLeaf,
  type CompiledLeaf,
  type FormProfile,
  type InternalContext,
  type ValidationContext,
} from './field-validators.js';

export type FormData = Record<string, unknown>;
export type ValidationResult = { ok: true; data: FormData } | { ok: false; errors: FieldError[] };

export interface SummaryEntry {
  id: string;
  label: string;
  /** Human-readable value (French formatting: dates DD/MM/YYYY, decimal comma, Oui/Non, option labels). */
  value: string;
  /** For repeatable blocks: one list of entries per item. */
  items?: SummaryEntry[][];
}

export interface PrefillResult {
  /** Initial values by field id, taken from the profile. */
  values: FormData;
  /** Ids of fields that are read-only because their profile attribute is certified. */
  locked: string[];
}

/** Options every summary/listing formatter may use to show labels instead of raw codes. */
export type DisplayContext = Pick<ValidationContext, 'resolveOptions' | 'communes' | 'profile'>;

export interface CompiledForm {
  readonly definition: FormDefinition;
  /** Validates and cleans a whole submission. Never throws on any `data`. */
  validate(data: unknown, context: ValidationContext): ValidationResult;
  /** Validates one page (drafts saved page by page); `data` may hold the other pages' values too. */
  validatePage(pageId: string, data: unknown, context: ValidationContext): ValidationResult;
  /** Ids of the pages visible for these data, in order. */
  visiblePages(data: unknown, context: ValidationContext): string[];
  /** Label/value pairs of fields with `inSummary` (default true) present in cleaned data. */
  summary(data: FormData, context?: DisplayContext): SummaryEntry[];
  /** The definition's `summaryTemplate` rendered over cleaned data ('' when none). */
  summaryLine(data: FormData, profile?: FormProfile): string;
  /** Label/value pairs of fields with `inListings`. */
  listingValues(data: FormData, context?: DisplayContext): SummaryEntry[];
  /** Paths of personal data to erase: `nom`, or `enfants[].prenom` inside a block. */
  personalFieldIds(): string[];
  /** A copy of cleaned data without the personal fields. */
  anonymise(data: FormData): FormData;
  /** Initial values from the profile and which of them are locked (certified). */
  prefill(profile: FormProfile): PrefillResult;
  /** Data sources the caller must resolve (fetch, cache) and pass through `resolveOptions`. */
  externalSources(): { key: string; source: ExternalDataSource }[];
}

interface TopField extends CompiledLeaf {
  def: FieldDefinition & LeafFieldDefinition; // blocks are typed through `block`
  pageId: string;
  block?: { def: Extract<FieldDefinition, { type: 'block' }>; fields: CompiledLeaf[]; order: CompiledLeaf[] };
}

interface CompiledPage {
  def: PageDefinition;
  condition?: CompiledCondition;
  fields: TopField[];
}

type Step = { page: CompiledPage } | { field: TopField };

const IDENTITY_ATTRIBUTES = ['given_name', 'family_name', 'birthdate', 'birthplace', 'gender'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);
const MAX_UNKNOWN_KEY_ERRORS = 50;

function compileCondition(source: string | undefined): CompiledCondition | undefined {
  if (source === undefined) return undefined;
  const parsed = parseCondition(source);
  if (!parsed.ok) throw new Error(`unreachable: condition validated before compilation (${parsed.error.message})`);
  return parsed.condition;
}

function compileTemplate(source: string): CompiledTemplate {
  const parsed = parseTemplate(source);
  if (!parsed.ok) throw new Error(`unreachable: template validated before compilation (${parsed.message})`);
  return parsed.template;
}

function compileLeaf(def: LeafFieldDefinition, key: string): CompiledLeaf {
  const leaf: CompiledLeaf = { key, def, condition: compileCondition(def.condition) };
  if (def.type === 'computed') leaf.template = compileTemplate(def.template);
  if (def.type === 'text' && def.format === 'regex' && def.pattern !== undefined) {
    const check = compileSafeRegex(def.pattern);
    if (check.ok) leaf.regex = check.regex;
  }
  if (def.type === 'choice' || def.type === 'multiple_choice') leaf.optionValues = new Set(def.options.map((o) => o.value));
  return leaf;
}

function isCertified(profile: FormProfile, attribute: string): boolean {
  // Data of the administration or of a mandate is only ever in the profile when the identity released it.
  if (ADMINISTRATION_PREFILL_ATTRIBUTES.has(attribute)) return own(profile, attribute) !== undefined;
  const list = Array.isArray(profile.certifiedAttributes) ? profile.certifiedAttributes : profile.certified === true ? IDENTITY_ATTRIBUTES : [];
  return list.includes(attribute);
}

/** Reads a profile attribute (own property only) and adapts it to the field's value shape. */
function profileValue(profile: FormProfile, attribute: PrefillAttribute): unknown {
  if (!isObject(profile)) return undefined;
  const v = own(profile, attribute);
  if (attribute === 'address') {
    if (!isObject(v)) return undefined;
    // Accept both the OIDC `address` claim and the form's own address shape.
    const pick = (...keys: string[]) => keys.map((k) => own(v, k)).find((x) => typeof x === 'string');
    const address = {
      street: pick('street', 'street_address'),
      postcode: pick('postcode', 'postal_code'),
      commune: pick('commune', 'locality'),
      inseeCode: pick('inseeCode', 'insee_code'),
    };
    return Object.fromEntries(Object.entries(address).filter(([, x]) => x !== undefined));
  }
  if (attribute === 'quotient_familial') return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  if (attribute === 'droits_sociaux.c2s' || attribute === 'droits_sociaux.rsa') return typeof v === 'boolean' ? v : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

class CompiledFormImpl implements CompiledForm {
  private readonly pages: CompiledPage[] = [];
  private readonly steps: Step[] = [];
  private readonly fields = new Map<string, TopField>();

  constructor(
    readonly definition: FormDefinition,
    order: string[],
    blockOrders: Map<string, string[]>,
  ) {
    for (const pageDef of definition.pages) {
      const page: CompiledPage = { def: pageDef, condition: compileCondition(pageDef.condition), fields: [] };
      for (const def of pageDef.fields) {
        let field: TopField;
        if (def.type === 'block') {
          const fields = def.fields.map((sub) => compileLeaf(sub, `${def.id}.${sub.id}`));
          const byId = new Map(fields.map((f) => [f.def.id, f]));
          const subOrder = (blockOrders.get(def.id) ?? []).map((id) => byId.get(id)!).filter(Boolean);
          field = {
            key: def.id,
            def: def as unknown as TopField['def'],
            condition: compileCondition(def.condition),
            pageId: pageDef.id,
            block: { def, fields, order: subOrder },
          };
        } else {
          field = { ...compileLeaf(def, def.id), pageId: pageDef.id } as TopField;
        }
        page.fields.push(field);
        this.fields.set(def.id, field);
      }
      this.pages.push(page);
    }
    const pagesById = new Map(this.pages.map((p) => [p.def.id, p]));
    for (const key of order) {
      if (key.startsWith('page:')) this.steps.push({ page: pagesById.get(key.slice(5))! });
      else this.steps.push({ field: this.fields.get(key.slice(6))! });
    }
  }

  // ------------------------------------------------------------------------------------------- run

  private run(data: unknown, context: ValidationContext) {
    if (!isIsoDate(context?.today)) throw new TypeError('ValidationContext.today must be a date written YYYY-MM-DD');
    const ctx: InternalContext = {
      ...context,
      communeCodes: context.communes ? communeCodesOf(context.communes) : undefined,
    };
    const errors: { fieldId: string | null; error: FieldError }[] = [];
    const pageVisible = new Map<string, boolean>();
    const cleaned: FormData = {};
    if (!isObject(data)) {
      errors.push({ fieldId: null, error: { path: 'data', code: C.INVALID_TYPE, message: 'Les données doivent être un objet.' } });
      return { errors, cleaned, pageVisible };
    }
    let unknown = 0;
    for (const key of Object.keys(data)) {
      const field = this.fields.get(key);
      if (!field || DISPLAY_TYPES.has(field.def.type)) {
        if (unknown++ < MAX_UNKNOWN_KEY_ERRORS) {
          errors.push({ fieldId: null, error: { path: keyPath('data', key), code: C.UNKNOWN_FIELD, message: 'Champ inconnu dans ce formulaire.' } });
        }
      }
    }
    const profile: FormProfile = isObject(context.profile) ? context.profile : {};
    const scope: ConditionScope = { field: cleaned, profile };
    for (const step of this.steps) {
      if ('page' in step) {
        pageVisible.set(step.page.def.id, step.page.condition ? step.page.condition.evaluate(scope) : true);
        continue;
      }
      const f = step.field;
      if (!pageVisible.get(f.pageId)) continue;
      if (f.condition && !f.condition.evaluate(scope)) continue;
      if (DISPLAY_TYPES.has(f.def.type)) continue;
      if (f.template) {
        const value = f.template.render(scope);
        if (value !== '') cleaned[f.key] = value;
        continue;
      }
      const locked = this.lockedValue(f, profile);
      if (locked !== undefined && this.tampered(f, locked, own(data, f.key), ctx)) {
        errors.push({ fieldId: f.key, error: { path: `data.${f.key}`, code: C.PREFILL_LOCKED, message: 'Cette valeur est transmise par l’administration et ne peut pas être modifiée.' } });
        continue;
      }
      const raw = locked ?? own(data, f.key);
      const result = f.block ? this.validateBlock(f, raw, ctx, cleaned, profile) : validateLeaf(f, raw, `data.${f.key}`, ctx);
      for (const error of result.errors) errors.push({ fieldId: f.key, error });
      if (result.value !== undefined && result.errors.length === 0) cleaned[f.key] = result.value;
    }
    return { errors, cleaned: this.inDefinitionOrder(cleaned), pageVisible };
  }

  /**
   * A value sent for a field locked by the administration's (or a mandate's) data that differs from it: refused,
   * not silently replaced (identity fields certified by FranceConnect keep their replacement).
   */
  private tampered(f: TopField, locked: unknown, sent: unknown, ctx: InternalContext): boolean {
    const prefill = 'prefill' in f.def ? f.def.prefill : undefined;
    if (!prefill || !ADMINISTRATION_PREFILL_ATTRIBUTES.has(prefill.attribute) || isBlank(sent)) return false;
    const mine = validateLeaf(f, sent, `data.${f.key}`, ctx);
    const theirs = validateLeaf(f, locked, `data.${f.key}`, ctx);
    return mine.errors.length > 0 || JSON.stringify(mine.value) !== JSON.stringify(theirs.value);
  }

  private lockedValue(f: TopField, profile: FormProfile): unknown {
    const prefill = 'prefill' in f.def ? f.def.prefill : undefined;
    if (!prefill?.lockedWhenCertified || !isCertified(profile, prefill.attribute)) return undefined;
    return profileValue(profile, prefill.attribute);
  }

  private validateBlock(f: TopField, raw: unknown, ctx: InternalContext, top: FormData, profile: FormProfile) {
    const block = f.block!;
    const def = block.def;
    const path = `data.${f.key}`;
    const fail = (code: string, message: string) => ({ value: undefined, errors: [{ path, code, message }] });
    if (isBlank(raw)) {
      if (def.required) return fail(C.REQUIRED, 'Ajoutez au moins un élément.');
      if ((def.minItems ?? 0) > 0) return fail(C.TOO_FEW_ITEMS, `Ajoutez au moins ${def.minItems} élément(s).`);
      return { value: undefined, errors: [] };
    }
    if (!Array.isArray(raw)) return fail(C.INVALID_TYPE, 'Liste d’éléments attendue.');
    const max = def.maxItems ?? 20;
    if (raw.length > max) return fail(C.TOO_MANY_ITEMS, `${max} élément(s) au plus.`);
    if (def.minItems !== undefined && raw.length < def.minItems) return fail(C.TOO_FEW_ITEMS, `Ajoutez au moins ${def.minItems} élément(s).`);
    const errors: FieldError[] = [];
    const items: FormData[] = [];
    const subIds = new Set(block.fields.filter((s) => !DISPLAY_TYPES.has(s.def.type)).map((s) => s.def.id));
    raw.forEach((item, i) => {
      const at = `${path}[${i}]`;
      if (!isObject(item)) return errors.push({ path: at, code: C.INVALID_TYPE, message: 'Élément invalide.' });
      let unknown = 0;
      for (const key of Object.keys(item)) {
        if (!subIds.has(key) && unknown++ < MAX_UNKNOWN_KEY_ERRORS) errors.push({ path: keyPath(at, key), code: C.UNKNOWN_FIELD, message: 'Champ inconnu dans ce bloc.' });
      }
      const cleanedItem: FormData = {};
      const scope: ConditionScope = { field: top, profile, item: cleanedItem };
      for (const sub of block.order) {
        if (sub.condition && !sub.condition.evaluate(scope)) continue;
        if (DISPLAY_TYPES.has(sub.def.type)) continue;
        if (sub.template) {
          const value = sub.template.render(scope);
          if (value !== '') cleanedItem[sub.def.id] = value;
          continue;
        }
        const result = validateLeaf(sub, own(item, sub.def.id), `${at}.${sub.def.id}`, ctx);
        errors.push(...result.errors);
        if (result.value !== undefined && result.errors.length === 0) cleanedItem[sub.def.id] = result.value;
      }
      const ordered: FormData = {};
      for (const sub of block.fields) if (Object.hasOwn(cleanedItem, sub.def.id)) ordered[sub.def.id] = cleanedItem[sub.def.id];
      items.push(ordered);
    });
    return { value: items, errors };
  }

  private inDefinitionOrder(cleaned: FormData): FormData {
    const out: FormData = {};
    for (const id of this.fields.keys()) if (Object.hasOwn(cleaned, id)) out[id] = cleaned[id];
    return out;
  }

  // ------------------------------------------------------------------------------------------- API

  validate(data: unknown, context: ValidationContext): ValidationResult {
    const { errors, cleaned } = this.run(data, context);
    return errors.length ? { ok: false, errors: errors.map((e) => e.error) } : { ok: true, data: cleaned };
  }

  validatePage(pageId: string, data: unknown, context: ValidationContext): ValidationResult {
    const page = this.pages.find((p) => p.def.id === pageId);
    if (!page) return { ok: false, errors: [{ path: 'pageId', code: C.UNKNOWN_PAGE, message: `Page « ${String(pageId).slice(0, 64)} » inconnue.` }] };
    const ids = new Set(page.fields.map((f) => f.key));
    const { errors, cleaned } = this.run(data, context);
    const pageErrors = errors.filter((e) => e.fieldId === null || ids.has(e.fieldId)).map((e) => e.error);
    if (pageErrors.length) return { ok: false, errors: pageErrors };
    const out: FormData = {};
    for (const id of ids) if (Object.hasOwn(cleaned, id)) out[id] = cleaned[id];
    return { ok: true, data: out };
  }

  visiblePages(data: unknown, context: ValidationContext): string[] {
    const { pageVisible } = this.run(isObject(data) ? data : {}, context);
    return this.pages.filter((p) => pageVisible.get(p.def.id)).map((p) => p.def.id);
  }

  summary(data: FormData, context: DisplayContext = {}): SummaryEntry[] {
    return this.entries(data, context, (def) => !('inSummary' in def) || def.inSummary !== false);
  }

  listingValues(data: FormData, context: DisplayContext = {}): SummaryEntry[] {
    return this.entries(data, context, (def) => 'inListings' in def && def.inListings === true).map(({ items, ...entry }) => ({
      ...entry,
      value: items ? `${items.length} élément(s)` : entry.value,
    }));
  }

  summaryLine(data: FormData, profile: FormProfile = {}): string {
    if (this.definition.summaryTemplate === undefined) return '';
    return compileTemplate(this.definition.summaryTemplate).render({ field: isObject(data) ? data : {}, profile });
  }

  private entries(data: FormData, context: DisplayContext, keep: (def: FieldDefinition) => boolean): SummaryEntry[] {
    if (!isObject(data)) return [];
    const out: SummaryEntry[] = [];
    for (const [id, f] of this.fields) {
      const def = f.block ? f.block.def : f.def;
      if (DISPLAY_TYPES.has(def.type) || !keep(def) || !Object.hasOwn(data, id)) continue;
      const value = data[id];
      if (f.block) {
        const items = (Array.isArray(value) ? value : []).map((item) =>
          f.block!.fields
            .filter((s) => !DISPLAY_TYPES.has(s.def.type) && !('inSummary' in s.def && s.def.inSummary === false))
            .filter((s) => isObject(item) && Object.hasOwn(item, s.def.id))
            .map((s) => ({ id: s.def.id, label: s.def.label, value: formatValue(s, (item as FormData)[s.def.id], context) })),
        );
        out.push({ id, label: def.label, value: `${items.length} élément(s)`, items });
      } else {
        out.push({ id, label: def.label, value: formatValue(f, value, context) });
      }
    }
    return out;
  }

  personalFieldIds(): string[] {
    const out: string[] = [];
    for (const [id, f] of this.fields) {
      if (f.block) {
        if (f.block.def.personalData) out.push(id);
        else for (const s of f.block.fields) if ('personalData' in s.def && s.def.personalData) out.push(`${id}[].${s.def.id}`);
      } else if ('personalData' in f.def && f.def.personalData) out.push(id);
    }
    return out;
  }

  anonymise(data: FormData): FormData {
    const out: FormData = {};
    if (!isObject(data)) return out;
    for (const [id, f] of this.fields) {
      if (!Object.hasOwn(data, id)) continue;
      if (f.block) {
        if (f.block.def.personalData) continue;
        const personal = new Set(f.block.fields.filter((s) => 'personalData' in s.def && s.def.personalData).map((s) => s.def.id));
        const items = Array.isArray(data[id]) ? (data[id] as unknown[]) : [];
        out[id] = items.map((item) => (isObject(item) ? Object.fromEntries(Object.entries(item).filter(([k]) => !personal.has(k))) : item));
      } else if (!('personalData' in f.def && f.def.personalData)) {
        out[id] = data[id];
      }
    }
    return out;
  }

  prefill(profile: FormProfile): PrefillResult {
    const values: FormData = {};
    const locked: string[] = [];
    if (!isObject(profile)) return { values, locked };
    for (const [id, f] of this.fields) {
      const prefill = !f.block && 'prefill' in f.def ? f.def.prefill : undefined;
      if (!prefill) continue;
      const value = profileValue(profile, prefill.attribute);
      if (value === undefined) continue;
      values[id] = value;
      if (prefill.lockedWhenCertified && isCertified(profile, prefill.attribute)) locked.push(id);
    }
    return { values, locked };
  }

  externalSources(): { key: string; source: ExternalDataSource }[] {
    const out: { key: string; source: ExternalDataSource }[] = [];
    const visit = (leaf: CompiledLeaf) => {
      if (leaf.def.type === 'data_source' && leaf.def.source.kind !== 'static') out.push({ key: leaf.key, source: leaf.def.source });
    };
    for (const f of this.fields.values()) {
      if (f.block) f.block.fields.forEach(visit);
      else visit(f);
    }
    return out;
  }
}

const frNumber = (n: number) => String(n).replace('.', ',');

function formatValue(f: CompiledLeaf, value: unknown, context: DisplayContext): string {
  const def = f.def;
  if (value === undefined || value === null) return '';
  switch (def.type) {
    case 'checkbox':
    case 'yes_no':
      return value === true ? 'Oui' : value === false ? 'Non' : '';
    case 'number':
      return typeof value === 'number' ? frNumber(value) : '';
    case 'date':
      return typeof value === 'string' && isIsoDate(value) ? `${value.slice(8, 10)}/${value.slice(5, 7)}/${value.slice(0, 4)}` : '';
    case 'choice':
      return def.options.find((o) => o.value === value)?.label ?? String(value);
    case 'multiple_choice':
      return Array.isArray(value) ? value.map((v) => def.options.find((o) => o.value === v)?.label ?? String(v)).join(', ') : '';
    case 'data_source': {
      const options = def.source.kind === 'static' ? def.source.options : context.resolveOptions?.(f.key, def.source);
      return options?.find((o) => o.value === value)?.label ?? String(value);
    }
    case 'commune':
      return context.communes?.find((c) => c.inseeCode === value)?.name ?? String(value);
    case 'address': {
      if (!isObject(value)) return '';
      const line = [value.street, value.complement].filter((s) => typeof s === 'string' && s).join(', ');
      return `${line}, ${String(value.postcode ?? '')} ${String(value.commune ?? '')}`.trim();
    }
    case 'map_point':
      return isObject(value) ? `${frNumber(Number(value.lat))} ; ${frNumber(Number(value.lon))}` : '';
    case 'file':
      return Array.isArray(value) ? value.map((d) => (isObject(d) ? String(d.name) : '')).join(', ') : '';
    default:
      return typeof value === 'string' ? value : typeof value === 'number' ? frNumber(value) : '';
  }
}

/**
 * Compiles a form definition once. Re-validates it first (a compiled form always rests on a valid
 * definition): an invalid one raises `DomainError` `FORM_DEFINITION_INVALID` listing every error.
 */
export function compileForm(definition: FormDefinition | unknown): CompiledForm {
  const result = validateWithAnalysis(definition);
  if (!result.ok) throw DomainError.invalid('FORM_DEFINITION_INVALID', 'La définition du formulaire est invalide.', result.errors);
  return new CompiledFormImpl(result.definition, result.analysis.order, result.analysis.blockOrders);
}

/** The INSEE codes of a communes list, made once per list (the engine hands the same cached list to every validation). */
const communeCodeSets = new WeakMap<object, ReadonlySet<string>>();
function communeCodesOf(communes: readonly { inseeCode: string }[]): ReadonlySet<string> {
  let codes = communeCodeSets.get(communes);
  if (!codes) {
    codes = new Set(communes.map((c) => c.inseeCode));
    communeCodeSets.set(communes, codes);
  }
  return codes;
}
