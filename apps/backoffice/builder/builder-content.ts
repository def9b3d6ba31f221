import type { FieldError } from '#core';
import type { VersionContent } from '#teleservices';
import { assignErrors, inputId, isRecord, type InputSpec } from './builder-inputs.js';
import { actionSpecs, DATA_SOURCE_SPECS, fieldSpecs, FIELD_TYPE_LABELS, STATUS_SPECS, type WorkflowChoices } from './builder-specs.js';

/**
 * Reading and changing a draft's definitions by position (page p, field f, sub-field s, status s, action a),
 * and placing each validation error (`/form/pages/0/fields/2/id`) on the page, input and item it belongs to.
 */
type Json = Record<string, unknown>;

export const asList = (value: unknown): Json[] => (Array.isArray(value) ? (value as unknown[]).filter(isRecord) : []);

export function formOf(content: VersionContent): Json {
  if (!isRecord(content.form)) content.form = { schemaVersion: 1, pages: [] };
  const form = content.form as Json;
  if (!Array.isArray(form.pages)) form.pages = [];
  return form;
}

export function workflowOf(content: VersionContent): Json {
  if (!isRecord(content.workflow)) content.workflow = { schemaVersion: 1, initialStatus: '', statuses: [], functions: [] };
  const workflow = content.workflow as Json;
  if (!Array.isArray(workflow.statuses)) workflow.statuses = [];
  if (!Array.isArray(workflow.functions)) workflow.functions = [];
  return workflow;
}

export const pagesOf = (content: VersionContent): Json[] => formOf(content).pages as Json[];
export const statusesOf = (content: VersionContent): Json[] => workflowOf(content).statuses as Json[];

/** A field locator: `2-0` (page 2, field 0) or `2-0-1` (its sub-field 1). */
export interface FieldLocator {
  page: number;
  field: number;
  sub?: number;
}

export function parseLocator(text: string): FieldLocator | null {
  const match = /^(\d{1,3})-(\d{1,3})(?:-(\d{1,3}))?$/.exec(text);
  if (!match) return null;
  return { page: Number(match[1]), field: Number(match[2]), sub: match[3] === undefined ? undefined : Number(match[3]) };
}

export const locatorText = (loc: FieldLocator): string => `${loc.page}-${loc.field}${loc.sub === undefined ? '' : `-${loc.sub}`}`;

/** The list holding the field and its index there (null when the locator points nowhere). */
export function fieldSlot(content: VersionContent, loc: FieldLocator): { list: unknown[]; index: number } | null {
  const page = pagesOf(content)[loc.page];
  if (!isRecord(page) || !Array.isArray(page.fields)) return null;
  if (loc.sub === undefined) return loc.field < page.fields.length ? { list: page.fields, index: loc.field } : null;
  const block = page.fields[loc.field];
  if (!isRecord(block) || !Array.isArray(block.fields)) return null;
  return loc.sub < block.fields.length ? { list: block.fields, index: loc.sub } : null;
}

export function fieldAt(content: VersionContent, loc: FieldLocator): Json | null {
  const slot = fieldSlot(content, loc);
  const field = slot?.list[slot.index];
  return isRecord(field) ? field : null;
}

export const fieldPath = (loc: FieldLocator): string => `/form/pages/${loc.page}/fields/${loc.field}${loc.sub === undefined ? '' : `/fields/${loc.sub}`}`;

/** Moves item `index` of `list` up (-1) or down (+1); false when it cannot move. */
export function move(list: unknown[], index: number, direction: number): boolean {
  const to = index + direction;
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return false;
  const [item] = list.splice(index, 1);
  list.splice(to, 0, item);
  return true;
}

/** The first `prefix_n` not used by any of `ids`. */
export function freshId(prefix: string, ids: Iterable<unknown>): string {
  const taken = new Set([...ids].map(String));
  for (let n = 1; ; n++) if (!taken.has(`${prefix}_${n}`)) return `${prefix}_${n}`;
}

export function allFieldIds(content: VersionContent): string[] {
  return pagesOf(content).flatMap((page) => asList(page.fields).flatMap((f) => [f.id, ...asList(f.fields).map((s) => s.id)])).map(String);
}

/** Errors whose path is under `prefix`, made relative to it (`/id`). Only the item's own, not its children's. */
export function errorsUnder(errors: readonly FieldError[], prefix: string, excludeChildren?: string): FieldError[] {
  return errors
    .filter((e) => e.path === prefix || e.path.startsWith(`${prefix}/`))
    .map((e) => ({ ...e, path: e.path.slice(prefix.length) || '/' }))
    .filter((e) => !excludeChildren || !e.path.startsWith(`/${excludeChildren}/`));
}

export function workflowChoices(content: VersionContent): WorkflowChoices {
  const workflow = workflowOf(content);
  return {
    statuses: asList(workflow.statuses).map((s) => ({ value: String(s.id ?? ''), label: `${String(s.label ?? s.id ?? '')} (${String(s.id ?? '')})` })),
    functions: asList(workflow.functions).map((f) => ({ value: String(f.id ?? ''), label: String(f.label ?? f.id ?? '') })),
  };
}

export interface LocatedError {
  href: string;
  where: string;
  message: string;
}

const quote = (value: unknown) => `« ${String(value ?? '')} »`;

function anchorFor(prefix: string, specs: readonly InputSpec[], relative: FieldError): string {
  const matching = specs.filter((s) => assignErrors([s], [relative]).byInput.size > 0).sort((a, b) => b.path.length - a.path.length);
  return matching[0] ? inputId(prefix, matching[0].path) : `${prefix}-formulaire`;
}

/** Where each error of the draft is edited: the page of the builder, the input's anchor, and a French « where ». */
export function locateErrors(base: string, content: VersionContent, errors: readonly FieldError[]): LocatedError[] {
  return errors.map((error) => {
    const parts = error.path.split('/').filter(Boolean);
    const pages = pagesOf(content);
    if (parts[0] === 'form' && parts[1] === 'pages' && parts[2] !== undefined && /^\d+$/.test(parts[2])) {
      const p = Number(parts[2]);
      const page = pages[p];
      const pageName = `Page ${isRecord(page) ? quote(page.title) : p + 1}`;
      if (parts[3] === 'fields' && parts[4] !== undefined && /^\d+$/.test(parts[4])) {
        const f = Number(parts[4]);
        const sub = parts[5] === 'fields' && parts[6] !== undefined && /^\d+$/.test(parts[6]) ? Number(parts[6]) : undefined;
        const loc: FieldLocator = { page: p, field: f, sub };
        const field = fieldAt(content, loc);
        const rest = parts.slice(sub === undefined ? 5 : 7).join('/');
        const anchor = field ? anchorFor('f', fieldSpecs(String(field.type)), { ...error, path: `/${rest}` }) : 'champ';
        return {
          href: `${base}/champs/${locatorText(loc)}#${anchor}`,
          where: `${pageName}, champ ${field ? quote(field.label ?? field.id) : f + 1}`,
          message: error.message,
        };
      }
      return { href: `${base}/pages/${p}#p-${['id', 'title', 'condition'].includes(parts[3] ?? '') ? parts[3] : 'title'}`, where: pageName, message: error.message };
    }
    if (parts[0] === 'form') return { href: `${base}#formulaire`, where: 'Formulaire', message: error.message };
    if (parts[0] === 'workflow' && parts[1] === 'statuses' && parts[2] !== undefined && /^\d+$/.test(parts[2])) {
      const s = Number(parts[2]);
      const status = statusesOf(content)[s];
      const statusName = `Statut ${isRecord(status) ? quote(status.label ?? status.id) : s + 1}`;
      if (parts[3] === 'actions' && parts[4] !== undefined && /^\d+$/.test(parts[4])) {
        const a = Number(parts[4]);
        const action = isRecord(status) ? asList(status.actions)[a] : undefined;
        const anchor = action ? anchorFor('a', actionSpecs(String(action.kind), workflowChoices(content)), { ...error, path: `/${parts.slice(5).join('/')}` }) : 'action';
        return { href: `${base}/statuts/${s}/actions/${a}#${anchor}`, where: `${statusName}, action ${action ? quote(action.label ?? action.id) : a + 1}`, message: error.message };
      }
      return { href: `${base}/statuts/${s}#${anchorFor('s', STATUS_SPECS, { ...error, path: `/${parts.slice(3).join('/')}` })}`, where: statusName, message: error.message };
    }
    if (parts[0] === 'workflow') return { href: `${base}/workflow#w-${parts[1] === 'functions' ? 'functions' : parts[1] === 'initialStatus' ? 'initialStatus' : 'name'}`, where: 'Workflow', message: error.message };
    if (parts[0] === 'dataSources' && parts[1] !== undefined && /^\d+$/.test(parts[1])) {
      const anchor = anchorFor('d', DATA_SOURCE_SPECS, { ...error, path: `/${parts.slice(2).join('/')}` });
      return { href: `${base}/sources/${parts[1]}#${anchor}`, where: `Source de données ${Number(parts[1]) + 1}`, message: error.message };
    }
    return { href: `${base}/json#json-contenu`, where: parts[0] === 'dataSources' ? 'Sources de données' : 'Téléservice', message: error.message };
  });
}

export const fieldTypeLabel = (type: unknown): string => FIELD_TYPE_LABELS[String(type)] ?? String(type);
