/**
 * Server-side validation and normalisation of one value against one (non-block, non-computed) field.
 * Total: never throws, whatever the input; returns the cleaned value (or `undefined` for "no value") and
 * the errors found, each with the data path of the offending value.
 */
import type { FieldError } from '#core';
import type { CompiledCondition } from '../condition/condition.js';
import type { ChoiceOption, ExternalDataSource, FieldOf, LeafFieldDefinition } from '../definition/definition.schema.js';
import {
  isInseeCode,
  isIsoDate,
  normaliseEmail,
  normaliseIban,
  normaliseNir,
  normalisePhoneFr,
  normalisePostcodeFr,
  normaliseSiren,
  normaliseSiret,
} from '../formats/formats.js';
import { FormErrorCodes as C } from '../forms.codes.js';
import type { CompiledTemplate } from '../template/template.js';

export const DEFAULT_TEXT_MAX = 255;
export const DEFAULT_LONG_TEXT_MAX = 10_000;
export const DEFAULT_FILE_MAX_SIZE = 10 * 1024 * 1024;

/** Resolves the options of a `url` or `collectivities` data source (fetched and cached by the caller). */
export type OptionsResolver = (fieldKey: string, source: ExternalDataSource) => readonly ChoiceOption[] | undefined;

export interface CommuneRef {
  inseeCode: string;
  name: string;
}

/** What the caller supplies for validation: no clock, no I/O inside `#forms`. */
export interface ValidationContext {
  /** Today's date, `YYYY-MM-DD`, from the caller's clock (used by past/future dates). */
  today: string;
  profile?: FormProfile;
  /** Options of external data sources (`url`, `collectivities`), keyed by field key (`id` or `block.sub`). */
  resolveOptions?: OptionsResolver;
  /** Communes a `commune` field (or an address with `withinCommunes`) may take. */
  communes?: readonly CommuneRef[];
}

/** The user profile as the forms see it (OIDC claim names). */
export interface FormProfile {
  given_name?: string;
  family_name?: string;
  email?: string;
  phone?: string;
  birthdate?: string;
  birthplace?: string;
  gender?: string;
  address?: unknown;
  /** Identity certified (FranceConnect): by default given_name, family_name, birthdate, birthplace, gender. */
  certified?: boolean;
  /** Explicit list of certified attributes; overrides the default set implied by `certified`. */
  certifiedAttributes?: readonly string[];
  [attribute: string]: unknown;
}

/** A field ready to validate: its definition plus what was compiled once. */
export interface CompiledLeaf {
  key: string; // `id`, or `block.sub` inside a block
  def: LeafFieldDefinition;
  condition?: CompiledCondition;
  template?: CompiledTemplate;
  regex?: RegExp;
  optionValues?: ReadonlySet<string>;
}

export interface InternalContext extends ValidationContext {
  communeCodes?: ReadonlySet<string>;
}

export interface FieldResult {
  value?: unknown;
  errors: FieldError[];
}

const err = (path: string, code: string, message: string): FieldError => ({ path, code, message });
const fail = (path: string, code: string, message: string): FieldResult => ({ errors: [err(path, code, message)] });
const ok = (value: unknown): FieldResult => ({ value, errors: [] });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** No value given: undefined, null, blank string, empty list. */
export const isBlank = (v: unknown) =>
  v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);

/** A safe, bounded rendering of an object key for error paths. */
export function keyPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && key.length <= 64 ? `${base}.${key}` : `${base}[${JSON.stringify(key.slice(0, 64))}]`;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

function toText(raw: unknown, path: string, max: number, multiline: boolean): { text?: string; error?: FieldError } {
  let s: string;
  if (typeof raw === 'string') s = raw;
  else if (typeof raw === 'number' && Number.isFinite(raw)) s = String(raw);
  else return { error: err(path, C.INVALID_TYPE, 'Texte attendu.') };
  // Refuse oversized input before doing any work on it.
  if (s.length > max * 4 + 1_000) return { error: err(path, C.TOO_LONG, `Ce champ ne doit pas dépasser ${max} caractères.`) };
  s = multiline
    ? s.replace(/\r\n?/g, '\n').trim()
    : s
        .split(/[\r\n\t]/)
        .map((part) => part.trim())
        .filter((part) => part !== '')
        .join(' ');
  if (CONTROL.test(s)) return { error: err(path, C.INVALID_FORMAT, 'Caractères de contrôle non admis.') };
  if (s.length > max) return { error: err(path, C.TOO_LONG, `Ce champ ne doit pas dépasser ${max} caractères.`) };
  return { text: s };
}

function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string' || raw.length > 50) return undefined;
  const s = raw.replace(/[\s\u00A0\u202F]/g, '').replace(',', '.');
  return /^[-+]?\d+(\.\d+)?$/.test(s) ? Number(s) : undefined;
}

const FORMAT_MESSAGES: Record<string, string> = {
  digits: 'Seuls des chiffres sont admis.',
  phone_fr: 'Numéro de téléphone invalide (ex. 06 12 34 56 78 ou +33 6 12 34 56 78).',
  postcode_fr: 'Code postal invalide (5 chiffres, ex. 69001).',
  siret: 'Numéro SIRET invalide (14 chiffres, clé de contrôle).',
  siren: 'Numéro SIREN invalide (9 chiffres, clé de contrôle).',
  iban: 'IBAN invalide.',
  nir: 'Numéro de sécurité sociale invalide (15 caractères, clé de contrôle).',
};

function validateText(f: CompiledLeaf & { def: FieldOf<'text'> }, raw: unknown, path: string): FieldResult {
  const def = f.def;
  const { text, error } = toText(raw, path, def.maxLength ?? DEFAULT_TEXT_MAX, false);
  if (error) return { errors: [error] };
  const s = text!;
  if (def.minLength !== undefined && s.length < def.minLength) return fail(path, C.TOO_SHORT, `Ce champ doit compter au moins ${def.minLength} caractères.`);
  let value: string | null = s;
  switch (def.format) {
    case undefined:
      break;
    case 'digits':
      value = /^\d+$/.test(s) ? s : null;
      break;
    case 'phone_fr':
      value = normalisePhoneFr(s, def.phoneOutput ?? 'e164');
      break;
    case 'postcode_fr':
      value = normalisePostcodeFr(s);
      break;
    case 'siret':
      value = normaliseSiret(s);
      break;
    case 'siren':
      value = normaliseSiren(s);
      break;
    case 'iban':
      value = normaliseIban(s);
      break;
    case 'nir':
      value = normaliseNir(s);
      break;
    case 'regex':
      value = f.regex && f.regex.test(s) ? s : null;
      if (value === null) return fail(path, C.INVALID_FORMAT, def.patternMessage ?? 'Format invalide.');
      break;
  }
  return value === null ? fail(path, C.INVALID_FORMAT, FORMAT_MESSAGES[def.format!] ?? 'Format invalide.') : ok(value);
}

function validateNumber(def: FieldOf<'number'>, raw: unknown, path: string): FieldResult {
  const n = toNumber(raw);
  if (n === undefined) return fail(path, C.INVALID_TYPE, 'Nombre attendu.');
  if (def.mode === 'integer' && !Number.isInteger(n)) return fail(path, C.INVALID_FORMAT, 'Nombre entier attendu.');
  if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
    const message =
      def.min !== undefined && def.max !== undefined
        ? `La valeur doit être comprise entre ${def.min} et ${def.max}.`
        : def.min !== undefined
          ? `La valeur doit être au moins ${def.min}.`
          : `La valeur doit être au plus ${def.max}.`;
    return fail(path, C.OUT_OF_RANGE, message);
  }
  if (def.step !== undefined) {
    const q = (n - (def.min ?? 0)) / def.step;
    if (Math.abs(q - Math.round(q)) > 1e-9) return fail(path, C.INVALID_FORMAT, `La valeur doit être un multiple de ${def.step}.`);
  }
  return ok(n);
}

const frDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

function validateDate(def: FieldOf<'date'>, raw: unknown, path: string, ctx: InternalContext): FieldResult {
  const s = typeof raw === 'string' ? raw.trim() : raw;
  if (!isIsoDate(s)) return fail(path, C.INVALID_FORMAT, 'Date invalide (format AAAA-MM-JJ attendu).');
  if (def.min !== undefined && s < def.min) return fail(path, C.OUT_OF_RANGE, `La date doit être le ${frDate(def.min)} ou après.`);
  if (def.max !== undefined && s > def.max) return fail(path, C.OUT_OF_RANGE, `La date doit être le ${frDate(def.max)} ou avant.`);
  const allowToday = def.allowToday !== false;
  if (def.past && (allowToday ? s > ctx.today : s >= ctx.today)) {
    return fail(path, C.OUT_OF_RANGE, allowToday ? 'La date ne peut pas être dans le futur.' : 'La date doit être passée.');
  }
  if (def.future && (allowToday ? s < ctx.today : s <= ctx.today)) {
    return fail(path, C.OUT_OF_RANGE, allowToday ? 'La date ne peut pas être passée.' : 'La date doit être dans le futur.');
  }
  return ok(s);
}

const TRUE_WORDS = new Set(['true', 'on', 'yes', 'oui', '1']);
const FALSE_WORDS = new Set(['false', 'off', 'no', 'non', '0']);
function toBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && raw.length <= 10) {
    const s = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(s)) return true;
    if (FALSE_WORDS.has(s)) return false;
  }
  return undefined;
}

function optionValue(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw.length <= 200 ? raw.trim() : undefined;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

const optionSets = new WeakMap<readonly ChoiceOption[], ReadonlySet<string>>();
function optionSet(options: readonly ChoiceOption[]): ReadonlySet<string> {
  let set = optionSets.get(options);
  if (!set) {
    set = new Set(options.map((o) => o.value));
    optionSets.set(options, set);
  }
  return set;
}

function validateChoice(values: ReadonlySet<string>, raw: unknown, path: string): FieldResult {
  const v = optionValue(raw);
  if (v === undefined) return fail(path, C.INVALID_TYPE, 'Choix attendu.');
  return values.has(v) ? ok(v) : fail(path, C.NOT_AN_OPTION, 'Ce choix ne fait pas partie des options proposées.');
}

function validateMultiple(def: FieldOf<'multiple_choice'>, values: ReadonlySet<string>, raw: unknown, path: string): FieldResult {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length > def.options.length * 2 + 10) return fail(path, C.TOO_MANY_ITEMS, 'Trop de choix.');
  const errors: FieldError[] = [];
  const chosen: string[] = [];
  list.forEach((item, i) => {
    const v = optionValue(item);
    if (v === undefined || !values.has(v)) errors.push(err(`${path}[${i}]`, C.NOT_AN_OPTION, 'Ce choix ne fait pas partie des options proposées.'));
    else if (!chosen.includes(v)) chosen.push(v);
  });
  if (errors.length) return { errors };
  if (def.minSelections !== undefined && chosen.length < def.minSelections) {
    return fail(path, C.TOO_FEW_ITEMS, `Choisissez au moins ${def.minSelections} option(s).`);
  }
  if (def.maxSelections !== undefined && chosen.length > def.maxSelections) {
    return fail(path, C.TOO_MANY_ITEMS, `Choisissez au plus ${def.maxSelections} option(s).`);
  }
  return ok(chosen);
}

function validateDataSource(f: CompiledLeaf & { def: FieldOf<'data_source'> }, raw: unknown, path: string, ctx: InternalContext): FieldResult {
  const source = f.def.source;
  const options = source.kind === 'static' ? source.options : ctx.resolveOptions?.(f.key, source);
  if (!options) return fail(path, C.SOURCE_UNAVAILABLE, 'La liste de choix est momentanément indisponible ; réessayez plus tard.');
  return validateChoice(optionSet(options), raw, path);
}

const ADDRESS_KEYS = new Set(['street', 'complement', 'postcode', 'commune', 'inseeCode', 'lat', 'lon']);

function validatePoint(raw: Record<string, unknown>, path: string, errors: FieldError[]): { lat: number; lon: number } | undefined {
  const lat = toNumber(raw.lat);
  const lon = toNumber(raw.lon);
  if (lat === undefined || lat < -90 || lat > 90) errors.push(err(`${path}.lat`, C.OUT_OF_RANGE, 'Latitude invalide (entre -90 et 90).'));
  if (lon === undefined || lon < -180 || lon > 180) errors.push(err(`${path}.lon`, C.OUT_OF_RANGE, 'Longitude invalide (entre -180 et 180).'));
  return errors.length ? undefined : { lat: lat!, lon: lon! };
}

function validateAddress(def: FieldOf<'address'>, raw: unknown, path: string, ctx: InternalContext): FieldResult {
  if (!isObject(raw)) return fail(path, C.INVALID_TYPE, 'Adresse attendue (voie, code postal, commune).');
  const errors: FieldError[] = [];
  for (const key of Object.keys(raw)) {
    if (!ADDRESS_KEYS.has(key)) errors.push(err(keyPath(path, key), C.UNKNOWN_FIELD, 'Propriété inconnue.'));
  }
  const part = (key: string, max: number, required: boolean): string | undefined => {
    const v = raw[key];
    if (isBlank(v)) {
      if (required) errors.push(err(`${path}.${key}`, C.REQUIRED, 'Ce champ est obligatoire.'));
      return undefined;
    }
    const { text, error } = toText(v, `${path}.${key}`, max, false);
    if (error) errors.push(error);
    return text;
  };
  const street = part('street', 300, true);
  const complement = part('complement', 300, false);
  const postcodeText = part('postcode', 10, true);
  const commune = part('commune', 200, true);
  const inseeText = part('inseeCode', 5, true);
  const postcode = postcodeText === undefined ? undefined : normalisePostcodeFr(postcodeText);
  if (postcodeText !== undefined && postcode === null) errors.push(err(`${path}.postcode`, C.INVALID_FORMAT, FORMAT_MESSAGES.postcode_fr));
  const inseeCode = inseeText?.toUpperCase();
  if (inseeCode !== undefined && !isInseeCode(inseeCode)) errors.push(err(`${path}.inseeCode`, C.INVALID_FORMAT, 'Code INSEE invalide.'));
  else if (inseeCode !== undefined && def.withinCommunes) {
    if (!ctx.communeCodes) errors.push(err(`${path}.inseeCode`, C.SOURCE_UNAVAILABLE, 'La liste des communes est indisponible.'));
    else if (!ctx.communeCodes.has(inseeCode)) errors.push(err(`${path}.inseeCode`, C.NOT_AN_OPTION, "Cette commune n'est pas desservie par ce téléservice."));
  }
  let point: { lat: number; lon: number } | undefined;
  const hasPoint = !isBlank(raw.lat) || !isBlank(raw.lon);
  if (hasPoint) point = validatePoint(raw, path, errors);
  else if (def.requirePoint) errors.push(err(`${path}.lat`, C.REQUIRED, 'Placez l’adresse sur la carte.'));
  if (errors.length) return { errors };
  return ok({ street, ...(complement ? { complement } : {}), postcode, commune, inseeCode, ...(point ?? {}) });
}

function validateMapPoint(def: FieldOf<'map_point'>, raw: unknown, path: string): FieldResult {
  if (!isObject(raw)) return fail(path, C.INVALID_TYPE, 'Point attendu (latitude, longitude).');
  const errors: FieldError[] = [];
  for (const key of Object.keys(raw)) if (key !== 'lat' && key !== 'lon') errors.push(err(keyPath(path, key), C.UNKNOWN_FIELD, 'Propriété inconnue.'));
  const point = validatePoint(raw, path, errors);
  if (!point) return { errors };
  const b = def.bounds;
  if (b && (point.lat < b.south || point.lat > b.north || point.lon < b.west || point.lon > b.east)) {
    errors.push(err(path, C.OUT_OF_RANGE, 'Le point doit être situé dans la zone prévue.'));
  }
  return errors.length ? { errors } : ok(point);
}

function validateCommune(raw: unknown, path: string, ctx: InternalContext): FieldResult {
  if (!ctx.communeCodes) return fail(path, C.SOURCE_UNAVAILABLE, 'La liste des communes est indisponible.');
  const v = typeof raw === 'string' ? raw.trim().toUpperCase() : undefined;
  if (v === undefined || !isInseeCode(v)) return fail(path, C.INVALID_FORMAT, 'Code INSEE de commune attendu.');
  return ctx.communeCodes.has(v) ? ok(v) : fail(path, C.NOT_AN_OPTION, 'Cette commune ne fait pas partie des communes proposées.');
}

export interface FileDescriptor {
  name: string;
  size: number;
  /** Detected from the content by the caller, not taken from the name or the client. */
  mimeType: string;
  /** Opaque storage reference set by the caller, kept as is. */
  ref?: string;
}
const FILE_KEYS = new Set(['name', 'size', 'mimeType', 'ref']);

function mimeAccepted(accept: readonly string[], mime: string): boolean {
  const type = mime.toLowerCase().split(';')[0].trim();
  return accept.some((a) => a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))));
}

function validateFiles(def: FieldOf<'file'>, raw: unknown, path: string): FieldResult {
  const list = Array.isArray(raw) ? raw : [raw];
  const max = def.maxFiles ?? 1;
  if (list.length > max) return fail(path, C.TOO_MANY_FILES, max === 1 ? 'Un seul fichier est admis.' : `${max} fichiers au plus.`);
  if (def.minFiles !== undefined && list.length < def.minFiles) return fail(path, C.TOO_FEW_ITEMS, `Joignez au moins ${def.minFiles} fichier(s).`);
  const maxSize = def.maxSizeBytes ?? DEFAULT_FILE_MAX_SIZE;
  const errors: FieldError[] = [];
  const files: FileDescriptor[] = [];
  list.forEach((item, i) => {
    const at = Array.isArray(raw) ? `${path}[${i}]` : path;
    if (!isObject(item)) return errors.push(err(at, C.INVALID_TYPE, 'Description de fichier attendue.'));
    const before = errors.length;
    for (const key of Object.keys(item)) if (!FILE_KEYS.has(key)) errors.push(err(keyPath(at, key), C.UNKNOWN_FIELD, 'Propriété inconnue.'));
    const name = typeof item.name === 'string' ? item.name.split(/[/\\]/).pop()!.replace(/[\u0000-\u001F\u007F]/g, '').trim() : ''; // eslint-disable-line no-control-regex
    if (!name || name.length > 255) errors.push(err(`${at}.name`, C.INVALID_FORMAT, 'Nom de fichier invalide.'));
    const size = item.size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) errors.push(err(`${at}.size`, C.INVALID_TYPE, 'Taille de fichier invalide.'));
    else if (size > maxSize) errors.push(err(at, C.FILE_TOO_LARGE, `Fichier trop volumineux (${formatSize(maxSize)} au plus).`));
    const mime = item.mimeType;
    if (typeof mime !== 'string' || mime.length > 200) errors.push(err(`${at}.mimeType`, C.INVALID_TYPE, 'Type de fichier inconnu.'));
    else if (!mimeAccepted(def.accept, mime)) errors.push(err(at, C.FILE_TYPE_REFUSED, `Type de fichier refusé (admis : ${def.accept.join(', ')}).`));
    const ref = item.ref;
    if (ref !== undefined && (typeof ref !== 'string' || ref.length > 500)) errors.push(err(`${at}.ref`, C.INVALID_TYPE, 'Référence de fichier invalide.'));
    if (errors.length === before) files.push({ name, size: size as number, mimeType: (mime as string).toLowerCase(), ...(ref !== undefined ? { ref: ref as string } : {}) });
  });
  return errors.length ? { errors } : ok(files);
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} Mio`.replace('.', ',');
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} Kio`;
  return `${bytes} octets`;
}

/**
 * Validates a value of a visible leaf field. `required` is applied here; display and computed fields
 * never reach this function.
 */
export function validateLeaf(f: CompiledLeaf, raw: unknown, path: string, ctx: InternalContext): FieldResult {
  const def = f.def;
  if (isBlank(raw)) {
    if ('required' in def && def.required) {
      return fail(path, C.REQUIRED, def.type === 'file' ? 'Joignez un fichier.' : 'Ce champ est obligatoire.');
    }
    // A minimum count applies to a visible field even when nothing is given.
    if (def.type === 'file' && (def.minFiles ?? 0) > 0) return fail(path, C.TOO_FEW_ITEMS, `Joignez au moins ${def.minFiles} fichier(s).`);
    if (def.type === 'multiple_choice' && (def.minSelections ?? 0) > 0) return fail(path, C.TOO_FEW_ITEMS, `Choisissez au moins ${def.minSelections} option(s).`);
    return ok(undefined);
  }
  switch (def.type) {
    case 'text':
      return validateText(f as CompiledLeaf & { def: FieldOf<'text'> }, raw, path);
    case 'long_text': {
      const max = def.maxLength ?? DEFAULT_LONG_TEXT_MAX;
      const { text, error } = toText(raw, path, max, true);
      if (error) return { errors: [error] };
      if (def.minLength !== undefined && text!.length < def.minLength) return fail(path, C.TOO_SHORT, `Ce champ doit compter au moins ${def.minLength} caractères.`);
      return ok(text);
    }
    case 'email': {
      const { text, error } = toText(raw, path, 254, false);
      if (error) return { errors: [error] };
      const email = normaliseEmail(text!);
      return email ? ok(email) : fail(path, C.INVALID_FORMAT, 'Adresse électronique invalide.');
    }
    case 'number':
      return validateNumber(def, raw, path);
    case 'date':
      return validateDate(def, raw, path, ctx);
    case 'checkbox': {
      const b = toBoolean(raw);
      if (b === undefined) return fail(path, C.INVALID_TYPE, 'Case à cocher : vrai ou faux attendu.');
      if (!b && def.required) return fail(path, C.REQUIRED, 'Cette case doit être cochée.');
      return ok(b);
    }
    case 'yes_no': {
      const b = toBoolean(raw);
      return b === undefined ? fail(path, C.INVALID_TYPE, 'Réponse oui ou non attendue.') : ok(b);
    }
    case 'choice':
      return validateChoice(f.optionValues!, raw, path);
    case 'multiple_choice':
      return validateMultiple(def, f.optionValues!, raw, path);
    case 'data_source':
      return validateDataSource(f as CompiledLeaf & { def: FieldOf<'data_source'> }, raw, path, ctx);
    case 'address':
      return validateAddress(def, raw, path, ctx);
    case 'map_point':
      return validateMapPoint(def, raw, path);
    case 'commune':
      return validateCommune(raw, path, ctx);
    case 'file':
      return validateFiles(def, raw, path);
    default:
      return ok(undefined);
  }
}
