import type { VersionContent } from '../teleservices/teleservice.types.js';

/** One property that changed, with its value before and after. */
export interface PropertyChange {
  property: string;
  before: unknown;
  after: unknown;
}

export interface FieldChange {
  /** `nom`, or `enfants.prenom` for a block's sub-field. */
  id: string;
  label: string;
  type: string;
  /** Id of the page holding the field (in the newer version when it exists there). */
  page: string;
}

export interface ChangedItem<T> {
  item: T;
  changes: PropertyChange[];
}

export interface StatusChange {
  id: string;
  label: string;
}

export interface ActionChange {
  status: string;
  id: string;
  kind: string;
  label?: string;
}

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  /** JSON pointer in the version: `/form/pages/0/fields/2/label`. Indexes are those of the newer version, old ones for `remove`. */
  path: string;
  value?: unknown;
  /** The value replaced or removed. */
  previous?: unknown;
}

/** What changed between two versions: structured for people (with labels) and as a JSON-patch-like list. */
export interface VersionDiff {
  identical: boolean;
  form: {
    pages: { added: StatusChange[]; removed: StatusChange[]; changed: ChangedItem<StatusChange>[] };
    fields: { added: FieldChange[]; removed: FieldChange[]; changed: ChangedItem<FieldChange>[] };
    changes: PropertyChange[];
  };
  workflow: {
    statuses: { added: StatusChange[]; removed: StatusChange[]; changed: ChangedItem<StatusChange>[] };
    actions: { added: ActionChange[]; removed: ActionChange[]; changed: ChangedItem<ActionChange>[] };
    functions: { added: StatusChange[]; removed: StatusChange[]; changed: ChangedItem<StatusChange>[] };
    changes: PropertyChange[];
  };
  dataSources: { added: string[]; removed: string[]; changed: string[] };
  /** One French sentence per change, in the order above. */
  summary: string[];
  patch: PatchOperation[];
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isRecord) : []);
const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);

/**
 * Compares two versions' definitions. Fields, pages, statuses, actions, functions and data sources are
 * matched by their stable ids (so a moved field is "changed: page", not removed + added). Pure.
 */
export function diffVersions(before: VersionContent, after: VersionContent): VersionDiff {
  const fieldsBefore = flattenFields(before.form);
  const fieldsAfter = flattenFields(after.form);
  const fields = compareById(fieldsBefore, fieldsAfter, (entry) => entry.change, (entry) => entry.raw, ['fields']);
  const pages = compareById(pagesOf(before.form), pagesOf(after.form), (entry) => entry.change, (entry) => entry.raw, ['fields']);
  const statusesBefore = statusesOf(before.workflow);
  const statusesAfter = statusesOf(after.workflow);
  const statuses = compareById(statusesBefore, statusesAfter, (entry) => entry.change, (entry) => entry.raw, ['actions']);
  const actions = compareById(actionsOf(before.workflow), actionsOf(after.workflow), (entry) => entry.change, (entry) => entry.raw, []);
  const functions = compareById(functionsOf(before.workflow), functionsOf(after.workflow), (entry) => entry.change, (entry) => entry.raw, []);
  const sources = compareById(sourcesOf(before.dataSources), sourcesOf(after.dataSources), (entry) => entry.change, (entry) => entry.raw, []);
  const formChanges = topLevelChanges(before.form, after.form, ['pages']);
  const workflowChanges = topLevelChanges(before.workflow, after.workflow, ['statuses', 'functions']);

  const patch: PatchOperation[] = [];
  jsonDiff({ form: before.form ?? null, workflow: before.workflow ?? null, dataSources: before.dataSources ?? null }, { form: after.form ?? null, workflow: after.workflow ?? null, dataSources: after.dataSources ?? null }, '', patch);

  const summary: string[] = [];
  const q = (text: string) => `« ${text} »`;
  for (const change of formChanges) summary.push(`Formulaire : ${describeProperty(change.property)} modifié.`);
  for (const page of pages.added) summary.push(`Page ajoutée : ${q(page.label)} (${page.id}).`);
  for (const page of pages.removed) summary.push(`Page supprimée : ${q(page.label)} (${page.id}).`);
  for (const { item, changes } of pages.changed) summary.push(`Page ${q(item.label)} : ${changes.map((c) => describeProperty(c.property)).join(', ')} modifié(s).`);
  for (const field of fields.added) summary.push(`Champ ajouté : ${q(field.label)} (${field.id}, ${field.type}) page ${field.page}.`);
  for (const field of fields.removed) summary.push(`Champ supprimé : ${q(field.label)} (${field.id}, ${field.type}).`);
  for (const { item, changes } of fields.changed) {
    const label = changes.find((c) => c.property === 'label');
    const others = changes.filter((c) => c.property !== 'label').map((c) => describeProperty(c.property));
    if (label) summary.push(`Champ ${item.id} : libellé ${q(str(label.before))} → ${q(str(label.after))}.`);
    if (others.length) summary.push(`Champ ${q(item.label)} (${item.id}) : ${others.join(', ')} modifié(s).`);
  }
  for (const change of workflowChanges) summary.push(`Workflow : ${describeProperty(change.property)} modifié.`);
  for (const status of statuses.added) summary.push(`Statut ajouté : ${q(status.label)} (${status.id}).`);
  for (const status of statuses.removed) summary.push(`Statut supprimé : ${q(status.label)} (${status.id}).`);
  for (const { item, changes } of statuses.changed) summary.push(`Statut ${q(item.label)} : ${changes.map((c) => describeProperty(c.property)).join(', ')} modifié(s).`);
  for (const action of actions.added) summary.push(`Action ajoutée au statut ${action.status} : ${action.label ? q(action.label) : action.kind} (${action.id}).`);
  for (const action of actions.removed) summary.push(`Action supprimée du statut ${action.status} : ${action.label ? q(action.label) : action.kind} (${action.id}).`);
  for (const { item, changes } of actions.changed) summary.push(`Action ${item.id} (${item.status}) : ${changes.map((c) => describeProperty(c.property)).join(', ')} modifié(s).`);
  for (const fn of functions.added) summary.push(`Fonction ajoutée : ${q(fn.label)} (${fn.id}).`);
  for (const fn of functions.removed) summary.push(`Fonction supprimée : ${q(fn.label)} (${fn.id}).`);
  for (const { item } of functions.changed) summary.push(`Fonction ${item.id} modifiée.`);
  for (const source of sources.added) summary.push(`Source de données ajoutée : ${source.id}.`);
  for (const source of sources.removed) summary.push(`Source de données supprimée : ${source.id}.`);
  for (const { item } of sources.changed) summary.push(`Source de données modifiée : ${item.id}.`);

  return {
    identical: patch.length === 0,
    form: { pages, fields, changes: formChanges },
    workflow: { statuses, actions, functions, changes: workflowChanges },
    dataSources: { added: sources.added.map((s) => s.id), removed: sources.removed.map((s) => s.id), changed: sources.changed.map((s) => s.item.id) },
    summary,
    patch,
  };
}

const PROPERTY_LABELS: Record<string, string> = {
  label: 'libellé',
  hint: 'aide',
  required: 'caractère obligatoire',
  condition: "condition d'affichage",
  options: 'options',
  type: 'type',
  page: 'page',
  title: 'titre',
  format: 'format',
  colour: 'couleur',
  visibility: 'visibilité',
  final: 'caractère final',
  target: 'cible',
  functions: 'fonctions',
  initialStatus: 'statut initial',
  summaryTemplate: 'modèle de résumé',
  position: 'position',
};
const describeProperty = (property: string) => PROPERTY_LABELS[property] ?? property;

interface Entry<T> {
  id: string;
  change: T;
  raw: Json;
}

function compareById<T>(before: Entry<T>[], after: Entry<T>[], view: (e: Entry<T>) => T, raw: (e: Entry<T>) => Json, ignored: string[]) {
  const old = new Map(before.map((entry) => [entry.id, entry]));
  const fresh = new Map(after.map((entry) => [entry.id, entry]));
  const added = after.filter((entry) => !old.has(entry.id)).map(view);
  const removed = before.filter((entry) => !fresh.has(entry.id)).map(view);
  const changed: ChangedItem<T>[] = [];
  for (const entry of after) {
    const previous = old.get(entry.id);
    if (!previous) continue;
    const changes = propertyChanges(raw(previous), raw(entry), ignored);
    if (changes.length) changed.push({ item: view(entry), changes });
  }
  return { added, removed, changed };
}

function propertyChanges(before: Json, after: Json, ignored: string[]): PropertyChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => !ignored.includes(key)).sort();
  return keys.filter((key) => !sameJson(before[key], after[key])).map((key) => ({ property: key, before: before[key], after: after[key] }));
}

function topLevelChanges(before: unknown, after: unknown, ignored: string[]): PropertyChange[] {
  return propertyChanges(isRecord(before) ? before : {}, isRecord(after) ? after : {}, ignored);
}

function flattenFields(form: unknown): Entry<FieldChange>[] {
  const out: Entry<FieldChange>[] = [];
  for (const page of list(isRecord(form) ? form.pages : undefined)) {
    const pageId = str(page.id);
    for (const field of list(page.fields)) {
      const id = str(field.id);
      if (!id) continue;
      out.push({ id, change: { id, label: str(field.label, id), type: str(field.type), page: pageId }, raw: { ...field, page: pageId } });
      for (const sub of list(field.fields)) {
        const subId = `${id}.${str(sub.id)}`;
        out.push({ id: subId, change: { id: subId, label: str(sub.label, subId), type: str(sub.type), page: pageId }, raw: { ...sub, page: pageId } });
      }
    }
  }
  return out;
}

function pagesOf(form: unknown): Entry<StatusChange>[] {
  return list(isRecord(form) ? form.pages : undefined).map((page, position) => ({
    id: str(page.id),
    change: { id: str(page.id), label: str(page.title, str(page.id)) },
    raw: { ...page, position },
  }));
}

function statusesOf(workflow: unknown): Entry<StatusChange>[] {
  return list(isRecord(workflow) ? workflow.statuses : undefined).map((status) => ({
    id: str(status.id),
    change: { id: str(status.id), label: str(status.label, str(status.id)) },
    raw: status,
  }));
}

function actionsOf(workflow: unknown): Entry<ActionChange>[] {
  return statusesOf(workflow).flatMap((status) =>
    list(status.raw.actions).map((action) => ({
      id: str(action.id),
      change: { status: status.id, id: str(action.id), kind: str(action.kind), ...(typeof action.label === 'string' ? { label: action.label } : {}) },
      raw: { ...action, status: status.id },
    })),
  );
}

function functionsOf(workflow: unknown): Entry<StatusChange>[] {
  return list(isRecord(workflow) ? workflow.functions : undefined).map((fn) => ({ id: str(fn.id), change: { id: str(fn.id), label: str(fn.label, str(fn.id)) }, raw: fn }));
}

function sourcesOf(dataSources: unknown): Entry<{ id: string }>[] {
  return list(dataSources).map((source) => ({ id: str(source.id), change: { id: str(source.id) }, raw: source }));
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!sameJson(a[key], b[key])) return false;
    return true;
  }
  return false;
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
const idOf = (value: unknown): string | undefined => (isRecord(value) && typeof value.id === 'string' ? value.id : undefined);

/**
 * JSON-patch-like operations from `before` to `after`. Arrays whose items all carry an `id` are matched by id
 * (removals at their old index, additions and changes at their new one); other arrays index by index.
 */
function jsonDiff(before: unknown, after: unknown, path: string, out: PatchOperation[]): void {
  if (sameJson(before, after)) return;
  if (isRecord(before) && isRecord(after)) {
    for (const key of Object.keys(before).sort()) {
      if (!(key in after) || after[key] === undefined) out.push({ op: 'remove', path: `${path}/${escapePointer(key)}`, previous: before[key] });
    }
    for (const key of Object.keys(after).sort()) {
      if (after[key] === undefined) continue;
      const child = `${path}/${escapePointer(key)}`;
      if (!(key in before) || before[key] === undefined) out.push({ op: 'add', path: child, value: after[key] });
      else jsonDiff(before[key], after[key], child, out);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const keyed = [...before, ...after].every((item) => idOf(item) !== undefined);
    if (keyed) {
      const newIds = new Set(after.map(idOf));
      const oldById = new Map(before.map((item, i) => [idOf(item)!, { item, i }]));
      before.forEach((item, i) => {
        if (!newIds.has(idOf(item))) out.push({ op: 'remove', path: `${path}/${i}`, previous: item });
      });
      after.forEach((item, i) => {
        const previous = oldById.get(idOf(item)!);
        if (!previous) out.push({ op: 'add', path: `${path}/${i}`, value: item });
        else jsonDiff(previous.item, item, `${path}/${i}`, out);
      });
      return;
    }
    const common = Math.min(before.length, after.length);
    for (let i = 0; i < common; i++) jsonDiff(before[i], after[i], `${path}/${i}`, out);
    for (let i = before.length - 1; i >= common; i--) out.push({ op: 'remove', path: `${path}/${i}`, previous: before[i] });
    for (let i = common; i < after.length; i++) out.push({ op: 'add', path: `${path}/${i}`, value: after[i] });
    return;
  }
  out.push({ op: 'replace', path: path || '/', value: after, previous: before });
}
