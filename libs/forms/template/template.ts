/**
 * Interpolation templates for computed fields and the summary line: plain text with `{{ reference }}`
 * placeholders, where a reference is written as in conditions (`field.nom`, `item.prenom`,
 * `profile.family_name`, `field.adresse.postcode`). Deliberately a subset of Handlebars' mustache syntax
 * (no helpers, no blocks, no partials): nothing is executed, and every reference can be checked when the
 * definition is validated.
 */
import { CONDITION_SCOPES, resolveReference, type ConditionReference, type ConditionScope, type ConditionScopeName } from '../condition/condition.js';
import { FormErrorCodes } from '../forms.codes.js';

export const TEMPLATE_MAX_LENGTH = 2_000;
const MAX_PLACEHOLDERS = 100;
/** Rendered output is capped: a computed value never grows beyond this. */
export const TEMPLATE_MAX_OUTPUT = 10_000;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

type Part = { text: string } | { ref: ConditionReference };

export type ParseTemplateResult = { ok: true; template: CompiledTemplate } | { ok: false; code: string; message: string };

export class CompiledTemplate {
  constructor(
    readonly source: string,
    private readonly parts: readonly Part[],
  ) {}

  get references(): ConditionReference[] {
    return this.parts.flatMap((p) => ('ref' in p ? [p.ref] : []));
  }

  /** Total: missing values render as the empty string. */
  render(scope: ConditionScope): string {
    let out = '';
    for (const part of this.parts) {
      out += 'text' in part ? part.text : renderValue(resolveReference(scope, part.ref));
      if (out.length > TEMPLATE_MAX_OUTPUT) return out.slice(0, TEMPLATE_MAX_OUTPUT);
    }
    return out;
  }
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).replace('.', ',') : '';
  if (typeof value === 'boolean') return value ? 'Oui' : 'Non';
  if (Array.isArray(value)) {
    return value
      .filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      .map(renderValue)
      .join(', ');
  }
  return '';
}

export function parseTemplate(source: unknown): ParseTemplateResult {
  const fail = (message: string): ParseTemplateResult => ({ ok: false, code: FormErrorCodes.TEMPLATE_SYNTAX, message });
  if (typeof source !== 'string') return fail('Le modèle doit être une chaîne de caractères.');
  if (source.length > TEMPLATE_MAX_LENGTH) return fail(`Modèle trop long (${TEMPLATE_MAX_LENGTH} caractères au plus).`);
  const parts: Part[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      parts.push({ text: source.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: source.slice(i, open) });
    const close = source.indexOf('}}', open + 2);
    if (close < 0) return fail(`Accolades « {{ » non fermées (position ${open + 1}).`);
    const inner = source.slice(open + 2, close).trim();
    if (inner.length > 200 || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(inner)) {
      return fail(`Référence invalide « ${inner.slice(0, 80)} » : écrivez {{ field.<id> }}, {{ item.<id> }} ou {{ profile.<attribut> }}.`);
    }
    const [scope, ...path] = inner.split('.');
    if ([scope, ...path].some((s) => FORBIDDEN.has(s))) return fail(`Référence interdite « ${inner} ».`);
    if (!(CONDITION_SCOPES as readonly string[]).includes(scope)) {
      return fail(`Référence « ${inner} » inconnue : écrivez {{ field.<id> }}, {{ item.<id> }} ou {{ profile.<attribut> }}.`);
    }
    parts.push({ ref: { scope: scope as ConditionScopeName, path } });
    if (parts.length > MAX_PLACEHOLDERS * 2 + 1) return fail('Modèle trop complexe.');
    i = close + 2;
  }
  return { ok: true, template: new CompiledTemplate(source, parts) };
}
