import type { FieldError } from '#core';

/**
 * The builder's form-based editing, without JavaScript: every editable object (a form field, a workflow status,
 * an action) is described by a list of inputs. The same description renders the HTML form (values, hints, errors
 * next to the right input) and reads the posted form back into the definition's JSON. Pure: no I/O.
 */
export type InputKind = 'text' | 'multiline' | 'int' | 'number' | 'bool' | 'select' | 'options' | 'lines' | 'checkboxes' | 'mebibytes' | 'json' | 'visibility';

export interface InputSpec {
  /** Dotted path in the object (`label`, `prefill.attribute`, `source.url`). */
  path: string;
  label: string;
  kind: InputKind;
  hint?: string;
  choices?: readonly { value: string; label: string }[];
  /** Stored even when empty (`""`), so the definition's validation names the missing value. */
  keepEmpty?: boolean;
}

export interface RenderedInput {
  id: string;
  name: string;
  label: string;
  hint?: string;
  error?: string;
  value: string;
  checked: boolean;
  isText: boolean;
  isMultiline: boolean;
  isNumber: boolean;
  isBool: boolean;
  isSelect: boolean;
  isCheckboxes: boolean;
  rows: number;
  choices: { value: string; label: string; selected: boolean; id: string }[];
}

type Json = Record<string, unknown>;
export const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export function getPath(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (!isRecord(current)) return undefined;
    current = current[part];
  }
  return current;
}

function setPath(object: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let current = object;
  for (const part of parts.slice(0, -1)) {
    if (!isRecord(current[part])) current[part] = {};
    current = current[part] as Json;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete current[last];
  else current[last] = value;
}

/** The HTML id of an input (`f-prefill-attribute`). */
export function inputId(prefix: string, path: string): string {
  return `${prefix}-${path.replace(/\./g, '-')}`;
}

function display(spec: InputSpec, value: unknown): string {
  if (value === undefined || value === null) return '';
  switch (spec.kind) {
    case 'options':
      return Array.isArray(value) ? value.map((o) => (isRecord(o) ? (o.value === o.label ? String(o.label ?? '') : `${String(o.value ?? '')} | ${String(o.label ?? '')}`) : '')).join('\n') : '';
    case 'lines':
      return Array.isArray(value) ? value.map(String).join('\n') : String(value);
    case 'mebibytes':
      return typeof value === 'number' ? String(Math.round((value / 1024 / 1024) * 100) / 100) : String(value);
    case 'json':
      return JSON.stringify(value, null, 2);
    default:
      return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  }
}

/** The inputs of one object, with their current values and errors. */
export function renderInputs(prefix: string, specs: readonly InputSpec[], object: unknown, errors: Map<string, string>, posted?: Record<string, unknown>): RenderedInput[] {
  return specs.map((spec) => {
    const id = inputId(prefix, spec.path);
    const raw = getPath(object, spec.path);
    const fromPost = posted ? posted[spec.path] : undefined;
    const value = fromPost !== undefined && !Array.isArray(fromPost) ? String(fromPost) : display(spec, raw);
    const selected = new Set<string>(
      fromPost !== undefined ? (Array.isArray(fromPost) ? fromPost.map(String) : [String(fromPost)]) : spec.kind === 'checkboxes' && Array.isArray(raw) ? raw.map(String) : [value],
    );
    return {
      id,
      name: spec.path,
      label: spec.label,
      hint: spec.hint,
      error: errors.get(spec.path),
      value,
      checked: spec.kind === 'visibility' ? (fromPost !== undefined ? fromPost === 'oui' : raw === 'citizen') : fromPost !== undefined ? fromPost === 'oui' : raw === true,
      isText: spec.kind === 'text' || spec.kind === 'int' || spec.kind === 'number' || spec.kind === 'mebibytes',
      isNumber: spec.kind === 'int' || spec.kind === 'number' || spec.kind === 'mebibytes',
      isMultiline: spec.kind === 'multiline' || spec.kind === 'options' || spec.kind === 'lines' || spec.kind === 'json',
      isBool: spec.kind === 'bool' || spec.kind === 'visibility',
      isSelect: spec.kind === 'select',
      isCheckboxes: spec.kind === 'checkboxes',
      rows: spec.kind === 'json' ? 12 : spec.kind === 'multiline' || spec.kind === 'options' ? 6 : 3,
      choices: (spec.choices ?? []).map((choice, i) => ({ ...choice, selected: selected.has(choice.value), id: `${id}-${i}` })),
    };
  });
}

/** « valeur | libellé » per line (or just « libellé »: the value is derived from it). */
export function parseOptions(text: string): { value: string; label: string }[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const bar = line.indexOf('|');
      if (bar < 0) return { value: slugValue(line), label: line };
      const value = line.slice(0, bar).trim();
      const label = line.slice(bar + 1).trim();
      return { value: value || slugValue(label), label };
    });
}

function slugValue(label: string): string {
  return (
    label
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 60) || 'option'
  );
}

const text = (value: unknown): string => (Array.isArray(value) ? text(value[0]) : typeof value === 'string' ? value : '');

/**
 * Reads the posted inputs into `object` (modified in place). Values the definition cannot even hold (a number
 * that is not one, invalid JSON) are returned as errors by input path, and nothing should then be saved.
 */
export function applyInputs(specs: readonly InputSpec[], object: Json, body: Record<string, unknown>): Map<string, string> {
  const errors = new Map<string, string>();
  for (const spec of specs) {
    const raw = body[spec.path];
    const value = text(raw).trim();
    switch (spec.kind) {
      case 'text':
      case 'select':
      case 'multiline':
        setPath(object, spec.path, value === '' && !spec.keepEmpty ? undefined : spec.kind === 'multiline' ? text(raw).replace(/\r\n/g, '\n').trim() : value);
        break;
      case 'int':
      case 'number':
      case 'mebibytes': {
        if (value === '') {
          setPath(object, spec.path, undefined);
          break;
        }
        const number = Number(value.replace(',', '.'));
        if (!Number.isFinite(number) || (spec.kind === 'int' && !Number.isInteger(number))) {
          errors.set(spec.path, spec.kind === 'int' ? 'Saisissez un nombre entier.' : 'Saisissez un nombre.');
          break;
        }
        setPath(object, spec.path, spec.kind === 'mebibytes' ? Math.round(number * 1024 * 1024) : number);
        break;
      }
      case 'bool':
        setPath(object, spec.path, value === 'oui' ? true : spec.keepEmpty ? false : undefined);
        break;
      case 'visibility':
        setPath(object, spec.path, value === 'oui' ? 'citizen' : 'internal');
        break;
      case 'options':
        setPath(object, spec.path, parseOptions(text(raw)));
        break;
      case 'lines': {
        const lines = text(raw)
          .split(/[\r\n,]+/)
          .map((line) => line.trim())
          .filter(Boolean);
        setPath(object, spec.path, lines.length || spec.keepEmpty ? lines : undefined);
        break;
      }
      case 'checkboxes': {
        const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String).filter((v) => (spec.choices ?? []).some((c) => c.value === v));
        setPath(object, spec.path, list.length || spec.keepEmpty ? list : undefined);
        break;
      }
      case 'json': {
        if (value === '') {
          setPath(object, spec.path, undefined);
          break;
        }
        try {
          setPath(object, spec.path, JSON.parse(value));
        } catch {
          errors.set(spec.path, 'JSON illisible : vérifiez les guillemets, virgules et accolades.');
        }
        break;
      }
    }
  }
  return errors;
}

/**
 * Errors of one object (paths relative to it, `/prefill/attribute`) assigned to the input whose path is the
 * longest prefix; the others are returned apart (shown at the top of the form).
 */
export function assignErrors(specs: readonly InputSpec[], errors: readonly FieldError[]): { byInput: Map<string, string>; other: string[] } {
  const byInput = new Map<string, string>();
  const other: string[] = [];
  for (const error of errors) {
    const parts = error.path.split('/').filter(Boolean);
    let best: InputSpec | null = null;
    for (const spec of specs) {
      const specParts = spec.path.split('.');
      if (specParts.every((part, i) => parts[i] === part) && (!best || specParts.length > best.path.split('.').length)) best = spec;
    }
    if (best && !byInput.has(best.path)) byInput.set(best.path, error.message);
    else if (best) byInput.set(best.path, `${byInput.get(best.path)} ${error.message}`);
    else other.push(error.message);
  }
  return { byInput, other };
}
