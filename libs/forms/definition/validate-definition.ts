/**
 * `validateFormDefinition`: structural validation (zod) and semantic validation (ids, references, cycles,
 * regexes, templates, prefill) in one pass that lists EVERY error with its JSON pointer path. The semantic
 * pass reads the raw JSON defensively, so it reports its errors even when the structure is wrong elsewhere.
 */
import { z } from 'zod';
import type { FieldError } from '#core';
import { parseCondition, type ConditionReference } from '../condition/condition.js';
import { FormErrorCodes } from '../forms.codes.js';
import { compileSafeRegex } from '../formats/safe-regex.js';
import { parseTemplate } from '../template/template.js';
import { FIELD_TYPES, FormDefinitionSchema, MAX_FIELDS, type FormDefinition, type PrefillAttribute } from './definition.schema.js';

export type ValidateDefinitionResult = { ok: true; definition: FormDefinition } | { ok: false; errors: FieldError[] };

type Path = readonly (string | number)[];
const pointer = (path: Path) => '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

const frenchLocale = z.locales.fr().localeError;

const ISSUE_CODES: Record<string, string> = {
  invalid_type: FormErrorCodes.INVALID_TYPE,
  too_big: FormErrorCodes.OUT_OF_RANGE,
  too_small: FormErrorCodes.OUT_OF_RANGE,
  invalid_format: FormErrorCodes.INVALID_FORMAT,
  invalid_value: FormErrorCodes.INVALID_VALUE,
  not_multiple_of: FormErrorCodes.INVALID_VALUE,
  invalid_union: FormErrorCodes.INVALID_VALUE,
};

function issueToErrors(issue: z.core.$ZodIssue): FieldError[] {
  const path = issue.path as Path;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: pointer([...path, key]),
      code: FormErrorCodes.UNKNOWN_PROPERTY,
      message: `Propriété inconnue « ${key} ».`,
    }));
  }
  if (issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator') {
    const rawInput = (issue as { input?: unknown }).input;
    const input = isObject(rawInput) ? rawInput.type : rawInput;
    const inBlock = path.includes('fields') && path.indexOf('fields') !== path.lastIndexOf('fields');
    const discriminator = (issue as { discriminator?: string }).discriminator;
    if (discriminator === 'type') {
      const shown = typeof input === 'string' ? `« ${input.slice(0, 50)} »` : 'absent';
      return [
        {
          path: pointer(path),
          code: FormErrorCodes.UNKNOWN_FIELD_TYPE,
          message:
            input === 'block' && inBlock
              ? 'Un bloc répétable ne peut pas contenir un autre bloc.'
              : `Type de champ inconnu ou absent (${shown}). Types admis : ${FIELD_TYPES.join(', ')}.`,
        },
      ];
    }
    return [{ path: pointer(path), code: FormErrorCodes.INVALID_VALUE, message: 'Type de source de données inconnu (static, url ou collectivities).' }];
  }
  if (issue.code === 'custom') {
    const code = (issue.params as { code?: string } | undefined)?.code ?? FormErrorCodes.INVALID_VALUE;
    return [{ path: pointer(path), code, message: issue.message }];
  }
  if (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined) {
    return [{ path: pointer(path), code: FormErrorCodes.MISSING, message: 'Propriété obligatoire manquante.' }];
  }
  if (issue.code === 'invalid_value' && path.length === 1 && path[0] === 'schemaVersion') {
    return [{ path: pointer(path), code: FormErrorCodes.UNSUPPORTED_SCHEMA_VERSION, message: 'Version de schéma non prise en charge (1 attendu).' }];
  }
  let code = (Object.hasOwn(ISSUE_CODES, issue.code) ? ISSUE_CODES[issue.code] : undefined) ?? FormErrorCodes.INVALID_VALUE;
  if ((issue.code === 'too_big' || issue.code === 'too_small') && (issue.origin === 'string' || issue.origin === 'array')) {
    code = issue.code === 'too_big' ? FormErrorCodes.TOO_LONG : FormErrorCodes.TOO_SHORT;
  }
  return [{ path: pointer(path), code, message: issue.message }];
}

// ---------------------------------------------------------------------------------------------
// Semantic analysis over raw JSON

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const DISPLAY = new Set(['title', 'subtitle', 'comment']);
/** Sub-properties a reference may read on a field's value. */
const SUB_PATHS = new Map<string, ReadonlySet<string>>(Object.entries({
  address: new Set(['street', 'complement', 'postcode', 'commune', 'inseeCode', 'lat', 'lon']),
  map_point: new Set(['lat', 'lon']),
}));
const PREFILL_TYPES = new Map<string, ReadonlySet<string>>(Object.entries({
  given_name: new Set(['text']),
  family_name: new Set(['text']),
  birthplace: new Set(['text']),
  gender: new Set(['text', 'choice']),
  email: new Set(['email', 'text']),
  phone: new Set(['text']),
  birthdate: new Set(['date']),
  address: new Set(['address']),
  quotient_familial: new Set(['number']),
  'droits_sociaux.c2s': new Set(['yes_no']),
  'droits_sociaux.rsa': new Set(['yes_no']),
  'company.siret': new Set(['text']),
  'company.denomination': new Set(['text']),
} satisfies Record<PrefillAttribute, ReadonlySet<string>>));

interface RawField {
  id: string | undefined;
  type: string | undefined;
  raw: Record<string, unknown>;
  path: Path;
}

/** A node of the dependency graph: a page (its condition) or a top-level field. */
export interface DependencyNode {
  key: string; // `page:<id>` or `field:<id>`
  deps: Set<string>;
  /** Where to report a cycle through this node. */
  path: Path;
}

export interface DefinitionAnalysis {
  errors: FieldError[];
  /** Top-level nodes in dependency order (valid only when there are no errors). */
  order: string[];
  /** For each block id: its sub-field ids in dependency order. */
  blockOrders: Map<string, string[]>;
}

function rawFields(list: unknown, basePath: Path): RawField[] {
  return asArray(list).flatMap((f, i) =>
    isObject(f) ? [{ id: str(f.id), type: str(f.type), raw: f, path: [...basePath, i] }] : [],
  );
}

/** Topological order of a graph; returns the strongly connected components that form cycles. */
function orderGraph(nodes: Map<string, DependencyNode>): { order: string[]; cycles: string[][] } {
  // Tarjan's algorithm (graph size bounded by MAX_FIELDS + MAX_PAGES, recursion is fine).
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const order: string[] = [];
  const cycles: string[][] = [];
  const visit = (key: string) => {
    idx.set(key, index);
    low.set(key, index);
    index++;
    stack.push(key);
    onStack.add(key);
    for (const dep of nodes.get(key)?.deps ?? []) {
      if (!nodes.has(dep)) continue;
      if (!idx.has(dep)) {
        visit(dep);
        low.set(key, Math.min(low.get(key)!, low.get(dep)!));
      } else if (onStack.has(dep)) {
        low.set(key, Math.min(low.get(key)!, idx.get(dep)!));
      }
    }
    if (low.get(key) === idx.get(key)) {
      const component: string[] = [];
      let k: string;
      do {
        k = stack.pop()!;
        onStack.delete(k);
        component.push(k);
      } while (k !== key);
      // Tarjan emits components in reverse topological order of the condensation: dependencies first.
      order.push(...component.reverse());
      if (component.length > 1 || nodes.get(key)!.deps.has(key)) cycles.push(component);
    }
  };
  for (const key of nodes.keys()) if (!idx.has(key)) visit(key);
  return { order, cycles };
}

const label = (key: string) => key.replace(/^page:/, 'page ').replace(/^field:/, '');

/** Semantic checks on raw JSON. Also computes the evaluation order used by `compileForm`. */
export function analyseDefinition(json: unknown): DefinitionAnalysis {
  const errors: FieldError[] = [];
  const err = (path: Path, code: string, message: string) => errors.push({ path: pointer(path), code, message });
  const blockOrders = new Map<string, string[]>();
  if (!isObject(json)) return { errors, order: [], blockOrders };

  const pages = asArray(json.pages).map((p, i) => ({ raw: isObject(p) ? p : {}, path: ['pages', i] as Path }));
  const topFields: RawField[] = [];
  const fieldsByPage = new Map<number, RawField[]>();
  pages.forEach((page, i) => {
    const fields = rawFields(page.raw.fields, [...page.path, 'fields']);
    fieldsByPage.set(i, fields);
    topFields.push(...fields);
  });

  // Identifiers.
  const pageIds = new Map<string, Path>();
  for (const page of pages) {
    const id = str(page.raw.id);
    if (id === undefined) continue;
    if (pageIds.has(id)) err([...page.path, 'id'], FormErrorCodes.DUPLICATE_ID, `Identifiant de page « ${id} » en double (déjà utilisé en ${pointer(pageIds.get(id)!)}).`);
    else pageIds.set(id, page.path);
  }
  const byId = new Map<string, RawField>();
  let count = 0;
  for (const f of topFields) {
    count++;
    if (f.id !== undefined) {
      const first = byId.get(f.id);
      if (first) err([...f.path, 'id'], FormErrorCodes.DUPLICATE_ID, `Identifiant de champ « ${f.id} » en double (déjà utilisé en ${pointer(first.path)}).`);
      else byId.set(f.id, f);
    }
    if (f.type === 'block') count += asArray(f.raw.fields).length;
  }
  if (count > MAX_FIELDS) err(['pages'], FormErrorCodes.OUT_OF_RANGE, `Trop de champs (${count}, ${MAX_FIELDS} au plus).`);

  // References.
  const checkRef = (ref: ConditionReference, at: Path, block: Map<string, RawField> | null): string | null => {
    const name = `${ref.scope}.${ref.path.join('.')}`;
    if (ref.scope === 'profile') return null;
    const table = ref.scope === 'item' ? block : byId;
    if (ref.scope === 'item' && !block) {
      err(at, FormErrorCodes.UNKNOWN_REFERENCE, `« ${name} » : « item. » ne s'emploie que dans un bloc répétable.`);
      return null;
    }
    const target = table!.get(ref.path[0]);
    if (!target) {
      err(at, FormErrorCodes.UNKNOWN_REFERENCE, `« ${name} » : champ « ${ref.path[0]} » inconnu${ref.scope === 'item' ? ' dans ce bloc' : ''}.`);
      return null;
    }
    if (target.type && DISPLAY.has(target.type)) {
      err(at, FormErrorCodes.UNKNOWN_REFERENCE, `« ${name} » : le champ « ${ref.path[0]} » est un affichage sans valeur.`);
      return null;
    }
    if (ref.path.length > 1) {
      const allowed = target.type ? SUB_PATHS.get(target.type) : undefined;
      if (!allowed || ref.path.length > 2 || !allowed.has(ref.path[1])) {
        err(at, FormErrorCodes.UNKNOWN_REFERENCE, `« ${name} » : propriété « ${ref.path.slice(1).join('.')} » inconnue pour un champ de type ${target.type ?? 'inconnu'}.`);
        return null;
      }
    }
    return `${ref.scope === 'item' ? 'item' : 'field'}:${ref.path[0]}`;
  };

  /** Parses a condition or template at `at`, checks its references, returns the dependency keys. */
  const dependenciesOf = (raw: Record<string, unknown>, key: 'condition' | 'template', at: Path, block: Map<string, RawField> | null): string[] => {
    const source = raw[key];
    if (source === undefined) return [];
    if (typeof source !== 'string') return []; // structural error reported by zod
    let refs: readonly ConditionReference[];
    if (key === 'condition') {
      const parsed = parseCondition(source);
      if (!parsed.ok) {
        err([...at, key], parsed.error.code, parsed.error.message);
        return [];
      }
      refs = parsed.condition.references;
    } else {
      const parsed = parseTemplate(source);
      if (!parsed.ok) {
        err([...at, key], parsed.code, parsed.message);
        return [];
      }
      refs = parsed.template.references;
    }
    return refs.flatMap((r) => checkRef(r, [...at, key], block) ?? []);
  };

  // Per-field checks that need the raw values (regex, prefill) and the dependency graph.
  const nodes = new Map<string, DependencyNode>();
  pages.forEach((page, pi) => {
    const pageId = str(page.raw.id);
    const pageKey = `page:${pageId ?? `#${pi}`}`;
    const pageDeps = dependenciesOf(page.raw, 'condition', page.path, null);
    if (!nodes.has(pageKey)) nodes.set(pageKey, { key: pageKey, deps: new Set(pageDeps), path: [...page.path, 'condition'] });
    for (const f of fieldsByPage.get(pi) ?? []) {
      const deps = new Set<string>([pageKey]);
      for (const d of dependenciesOf(f.raw, 'condition', f.path, null)) deps.add(d);
      if (f.type === 'computed') for (const d of dependenciesOf(f.raw, 'template', f.path, null)) deps.add(d);
      checkLeaf(f, err, false);
      if (f.type === 'block') {
        const subFields = rawFields(f.raw.fields, [...f.path, 'fields']);
        const subById = new Map<string, RawField>();
        for (const s of subFields) {
          if (s.id === undefined) continue;
          if (subById.has(s.id)) err([...s.path, 'id'], FormErrorCodes.DUPLICATE_ID, `Identifiant « ${s.id} » en double dans le bloc.`);
          else subById.set(s.id, s);
        }
        const subNodes = new Map<string, DependencyNode>();
        for (const s of subFields) {
          const subDeps = [...dependenciesOf(s.raw, 'condition', s.path, subById)];
          if (s.type === 'computed') subDeps.push(...dependenciesOf(s.raw, 'template', s.path, subById));
          checkLeaf(s, err, true);
          const itemDeps = new Set<string>();
          for (const d of subDeps) (d.startsWith('item:') ? itemDeps : deps).add(d);
          if (s.id !== undefined && !subNodes.has(`item:${s.id}`)) {
            subNodes.set(`item:${s.id}`, { key: `item:${s.id}`, deps: itemDeps, path: [...s.path, s.type === 'computed' && !s.raw.condition ? 'template' : 'condition'] });
          }
        }
        const { order, cycles } = orderGraph(subNodes);
        for (const cycle of cycles) reportCycle(cycle, subNodes, err);
        if (f.id !== undefined) blockOrders.set(f.id, order.map((k) => k.slice('item:'.length)));
      }
      const key = f.id !== undefined ? `field:${f.id}` : `field:#${f.path.join('/')}`;
      if (!nodes.has(key)) {
        nodes.set(key, { key, deps, path: [...f.path, f.type === 'computed' && !f.raw.condition ? 'template' : 'condition'] });
      }
    }
  });

  if (typeof json.summaryTemplate === 'string') {
    const parsed = parseTemplate(json.summaryTemplate);
    if (!parsed.ok) err(['summaryTemplate'], parsed.code, parsed.message);
    else for (const ref of parsed.template.references) checkRef(ref, ['summaryTemplate'], null);
  }
  const { order, cycles } = orderGraph(nodes);
  for (const cycle of cycles) reportCycle(cycle, nodes, err);
  return { errors, order, blockOrders };
}

function reportCycle(cycle: string[], nodes: Map<string, DependencyNode>, err: (path: Path, code: string, message: string) => void) {
  const names = cycle.map(label);
  for (const key of cycle) {
    err(nodes.get(key)!.path, FormErrorCodes.DEPENDENCY_CYCLE, `Dépendance circulaire entre conditions ou calculs : ${[...names, names[0]].join(' → ')}.`);
  }
}

/** Pairs of options where the first must not exceed the second (with the defaults the engine applies). */
const RANGES = new Map<string, [string, string, number?][]>(Object.entries({
  text: [['minLength', 'maxLength', 255]],
  long_text: [['minLength', 'maxLength', 10_000]],
  number: [['min', 'max']],
  date: [['min', 'max']],
  multiple_choice: [['minSelections', 'maxSelections']],
  file: [['minFiles', 'maxFiles', 1]],
  block: [['minItems', 'maxItems', 20]],
} as Record<string, [string, string, number?][]>));

function checkRanges(f: RawField, err: (path: Path, code: string, message: string) => void) {
  for (const [minKey, maxKey, maxDefault] of RANGES.get(f.type ?? '') ?? []) {
    const min = f.raw[minKey];
    const max = f.raw[maxKey] ?? maxDefault;
    const comparable = (typeof min === 'number' && typeof max === 'number') || (typeof min === 'string' && typeof max === 'string');
    if (comparable && (min as number) > (max as number)) {
      const at = f.raw[maxKey] === undefined ? minKey : maxKey;
      err([...f.path, at], FormErrorCodes.MIN_GREATER_THAN_MAX, `Le minimum (${minKey} = ${String(min)}) dépasse le maximum (${maxKey} = ${String(max)}).`);
    }
  }
  const r = f.raw;
  if (f.type === 'date' && r.past === true && r.future === true) {
    err([...f.path, 'future'], FormErrorCodes.INCOMPATIBLE_OPTIONS, 'Une date ne peut être à la fois passée et future.');
  }
  if (f.type === 'multiple_choice' && typeof r.minSelections === 'number' && Array.isArray(r.options) && r.options.length > 0 && r.minSelections > r.options.length) {
    err([...f.path, 'minSelections'], FormErrorCodes.OUT_OF_RANGE, 'Le minimum de sélections dépasse le nombre d’options.');
  }
  if (f.type === 'map_point' && isObject(r.bounds)) {
    const b = r.bounds;
    if (typeof b.south === 'number' && typeof b.north === 'number' && b.south > b.north) err([...f.path, 'bounds', 'north'], FormErrorCodes.MIN_GREATER_THAN_MAX, 'Le sud dépasse le nord.');
    if (typeof b.west === 'number' && typeof b.east === 'number' && b.west > b.east) err([...f.path, 'bounds', 'east'], FormErrorCodes.MIN_GREATER_THAN_MAX, 'L’ouest dépasse l’est.');
  }
  if (f.type === 'text') {
    if (r.format === 'regex' && r.pattern === undefined) err([...f.path, 'pattern'], FormErrorCodes.MISSING, 'Le format « regex » exige un motif (pattern).');
    if (r.format !== 'regex' && r.pattern !== undefined) err([...f.path, 'pattern'], FormErrorCodes.INCOMPATIBLE_OPTIONS, 'Un motif (pattern) exige le format « regex ».');
  }
}

function checkLeaf(f: RawField, err: (path: Path, code: string, message: string) => void, inBlock: boolean) {
  checkRanges(f, err);
  if (f.type === 'text' && f.raw.format === 'regex' && typeof f.raw.pattern === 'string') {
    const check = compileSafeRegex(f.raw.pattern);
    if (!check.ok) err([...f.path, 'pattern'], check.code, check.message);
  }
  const prefill = f.raw.prefill;
  if (isObject(prefill) && typeof prefill.attribute === 'string' && f.type) {
    if (inBlock) {
      err([...f.path, 'prefill'], FormErrorCodes.PREFILL_INCOMPATIBLE, 'Pas de préremplissage dans un bloc répétable.');
    } else {
      const allowed = PREFILL_TYPES.get(prefill.attribute);
      if (allowed && !allowed.has(f.type)) {
        err([...f.path, 'prefill', 'attribute'], FormErrorCodes.PREFILL_INCOMPATIBLE, `L'attribut « ${prefill.attribute} » ne peut pas préremplir un champ de type ${f.type}.`);
      }
    }
  }
}

/**
 * Validates a form definition (parsed JSON). Lists every error, structural and semantic, with its JSON
 * pointer path (`/pages/0/fields/3/options`), a stable code and a French message.
 */
export function validateFormDefinition(json: unknown): ValidateDefinitionResult {
  const { analysis: _analysis, ...result } = validateWithAnalysis(json);
  return result as ValidateDefinitionResult;
}

/** Internal: the validation result plus the dependency analysis `compileForm` reuses. */
export function validateWithAnalysis(json: unknown): ValidateDefinitionResult & { analysis: DefinitionAnalysis } {
  const structural = FormDefinitionSchema.safeParse(json, { error: frenchLocale, reportInput: true });
  const errors: FieldError[] = structural.success ? [] : structural.error.issues.flatMap(issueToErrors);
  const analysis = analyseDefinition(json);
  errors.push(...analysis.errors);
  if (errors.length > 0 || !structural.success) return { ok: false, errors: dedupe(errors), analysis };
  return { ok: true, definition: structural.data, analysis };
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}|${e.code}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
