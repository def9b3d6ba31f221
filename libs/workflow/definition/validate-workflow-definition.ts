import type { FieldError } from '#core';
import type { z } from 'zod';
import { CUSTOM_DOCUMENT } from '../templates/document-template.js';
import { checkTemplate } from '../templates/templates.js';
import { contrastRatio, MIN_BADGE_CONTRAST_ON_WHITE } from './colour.js';
import { codeForMessage, workflowDefinitionSchema, type WorkflowDefinition } from './workflow-definition.schema.js';

/** Hooks the engine passes to check what this lib cannot know by itself. */
export interface WorkflowValidationOptions {
  /** Checks a condition's syntax with the forms expression language: a French message, or `null` when valid. */
  checkCondition?: (expression: string) => string | null;
  /** Identifiers of the téléservice's form fields: `atDateField` must name one of them. */
  formFieldIds?: readonly string[];
}

export type WorkflowValidationResult =
  | { ok: true; definition: WorkflowDefinition; warnings: FieldError[] }
  | { ok: false; errors: FieldError[]; warnings: FieldError[] };

type Issue = z.core.$ZodIssue;
type Json = Record<string, unknown>;

/**
 * Validates a workflow definition and lists EVERY problem with its JSON pointer
 * (`/statuses/2/actions/0/target`), a stable code and a French message.
 *
 * Errors refuse the definition: structure (types, formats, unknown properties), duplicate ids, unknown
 * initial status / targets / functions / back-office fields, jumps out of a final status, cycles of
 * unconditional immediate jumps, invalid templates, conditions and URLs.
 * Warnings do not refuse it: unreachable statuses, dead ends, cycles of immediate jumps that carry a
 * condition (the runtime chain cap protects), badge colours with low contrast, internal waiting statuses.
 *
 * Cross-reference checks run even when the structure has errors, so that one pass reports everything.
 */
export function validateWorkflowDefinition(json: unknown, options: WorkflowValidationOptions = {}): WorkflowValidationResult {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const parsed = workflowDefinitionSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) mapIssues(parsed.error.issues, [], errors);
  const structural = new Set(errors.map((error) => error.path));
  const semantic: FieldError[] = [];
  if (isRecord(json)) checkReferences(json, options, semantic, warnings);
  for (const error of semantic) if (!structural.has(error.path)) errors.push(error);
  if (errors.length > 0 || !parsed.success) return { ok: false, errors: dedupe(errors), warnings: dedupe(warnings) };
  return { ok: true, definition: parsed.data, warnings: dedupe(warnings) };
}

// ---------------------------------------------------------------------------------------------------
// Structural issues (zod) → FieldError

export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function mapIssues(issues: readonly Issue[], prefix: readonly PropertyKey[], out: FieldError[]): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that came closest (fewest issues, then deepest), unless all branches failed
      // at the root: then the union's own message ("Durée invalide…") is the clearest.
      const best = [...issue.errors].sort((a, b) => a.length - b.length || maxDepth(b) - maxDepth(a))[0]!;
      // A branch that both misses a key and has an unknown one is the wrong shape altogether.
      const wrongShape =
        best.some((inner) => inner.code === 'invalid_type' && inner.input === undefined && inner.path.length === 1) &&
        best.some((inner) => inner.code === 'unrecognized_keys');
      if (!wrongShape && best.some((inner) => inner.path.length > 0)) {
        mapIssues(best, path, out);
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: jsonPointer([...path, key]), code: 'UNKNOWN_PROPERTY', message: `Propriété inconnue : « ${key} ».` });
      }
      continue;
    }
    out.push({ path: jsonPointer(path), ...describeIssue(issue) });
  }
}

function maxDepth(issues: readonly Issue[]): number {
  return Math.max(0, ...issues.map((issue) => issue.path.length));
}

function describeIssue(issue: Issue): { code: string; message: string } {
  if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) {
    return { code: 'REQUIRED', message: 'Ce champ est obligatoire.' };
  }
  const own = codeForMessage(issue.message);
  if (own) return { code: own, message: issue.message };
  switch (issue.code) {
    case 'invalid_type':
      return { code: 'INVALID_TYPE', message: `Type invalide : ${TYPE_NAMES[issue.expected] ?? issue.expected} attendu.` };
    case 'invalid_value':
      return { code: 'INVALID_VALUE', message: `Valeur invalide : attendu ${issue.values.map((value) => JSON.stringify(value)).join(' ou ')}.` };
    case 'too_small':
      return issue.origin === 'array'
        ? { code: 'TOO_FEW', message: `Au moins ${String(issue.minimum)} élément(s) attendu(s).` }
        : issue.origin === 'string'
          ? { code: 'REQUIRED', message: 'Ce champ ne peut pas être vide.' }
          : { code: 'TOO_SMALL', message: `La valeur doit être au moins ${String(issue.minimum)}.` };
    case 'too_big':
      return issue.origin === 'array'
        ? { code: 'TOO_MANY', message: `Au plus ${String(issue.maximum)} élément(s).` }
        : issue.origin === 'string'
          ? { code: 'TOO_LONG', message: `Au plus ${String(issue.maximum)} caractères.` }
          : { code: 'TOO_BIG', message: `La valeur doit être au plus ${String(issue.maximum)}.` };
    case 'invalid_format':
      return { code: 'INVALID_FORMAT', message: 'Format invalide.' };
    case 'invalid_key': {
      const inner = issue.issues[0];
      const code = inner ? codeForMessage(inner.message) : undefined;
      return code ? { code, message: inner!.message } : { code: 'INVALID_KEY', message: 'Clé invalide.' };
    }
    default:
      return { code: 'INVALID', message: 'Valeur invalide.' };
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'une chaîne de caractères',
  number: 'un nombre',
  int: 'un entier',
  boolean: 'un booléen (true ou false)',
  array: 'une liste',
  object: 'un objet',
  record: 'un objet',
};

// ---------------------------------------------------------------------------------------------------
// Cross-references, on the raw JSON (defensively: the structure may be partly wrong)

interface Edge {
  from: string;
  to: string;
  path: string;
  immediate: boolean;
  conditional: boolean;
}

function checkReferences(root: Json, options: WorkflowValidationOptions, errors: FieldError[], warnings: FieldError[]): void {
  const statuses = asArray(root.statuses).map(asRecord);
  const statusIndex = new Map<string, number>();
  statuses.forEach((status, i) => {
    const id = status?.id;
    if (typeof id !== 'string') return;
    if (statusIndex.has(id)) errors.push(duplicate(`/statuses/${i}/id`, 'statut', id));
    else statusIndex.set(id, i);
  });
  const functionIds = collectIds(asArray(root.functions), '/functions', 'fonction', errors);
  const backofficeIds = collectIds(asArray(root.backofficeFields), '/backofficeFields', 'champ de gestion', errors);

  const initial = root.initialStatus;
  if (typeof initial === 'string' && !statusIndex.has(initial)) {
    errors.push({ path: '/initialStatus', code: 'UNKNOWN_STATUS', message: `Le statut initial « ${initial} » n'existe pas.` });
  }

  const edges: Edge[] = [];
  const actionIds = new Set<string>();
  const statusRecord = (id: unknown) => (typeof id === 'string' && statusIndex.has(id) ? statuses[statusIndex.get(id)!] : undefined);

  statuses.forEach((status, i) => {
    if (!status) return;
    const statusId = typeof status.id === 'string' ? status.id : `#${i}`;
    const isFinal = status.final === true;
    if (typeof status.colour === 'string' && /^#[0-9A-Fa-f]{6}$/.test(status.colour)) {
      const ratio = contrastRatio(status.colour, '#FFFFFF');
      if (ratio < MIN_BADGE_CONTRAST_ON_WHITE) {
        warnings.push({
          path: `/statuses/${i}/colour`,
          code: 'COLOUR_LOW_CONTRAST',
          message: `Couleur peu contrastée sur fond blanc (${ratio.toFixed(2)}:1, 3:1 recommandé) : le badge sera difficile à distinguer.`,
        });
      }
    }
    const apiTriggers = new Set<string>();
    asArray(status.actions).forEach((raw, j) => {
      const action = asRecord(raw);
      if (!action) return;
      const at = `/statuses/${i}/actions/${j}`;
      if (typeof action.id === 'string') {
        if (actionIds.has(action.id)) errors.push(duplicate(`${at}/id`, 'action', action.id));
        actionIds.add(action.id);
      }
      const conditional = typeof action.condition === 'string';
      const jump = (field: string, kindOfEdge: 'immediate' | 'other' = 'other') => {
        const target = action[field];
        if (typeof target !== 'string') return;
        if (!statusIndex.has(target)) {
          errors.push({ path: `${at}/${field}`, code: 'UNKNOWN_STATUS', message: `Le statut « ${target} » n'existe pas.` });
          return;
        }
        edges.push({ from: statusId, to: target, path: `${at}/${field}`, immediate: kindOfEdge === 'immediate', conditional });
      };
      const fn = (value: unknown, path: string) => {
        if (typeof value === 'string' && !functionIds.has(value)) {
          errors.push({ path, code: 'UNKNOWN_FUNCTION', message: `La fonction « ${value} » n'est pas déclarée dans « functions ».` });
        }
      };
      const tpl = (field: string, value: unknown = action[field], path = `${at}/${field}`) => {
        if (typeof value !== 'string') return;
        const problem = checkTemplate(value);
        if (problem) errors.push({ path, ...problem });
      };
      const cond = (value: unknown, path: string) => {
        if (typeof value !== 'string' || !options.checkCondition) return;
        const problem = options.checkCondition(value);
        if (problem) errors.push({ path, code: 'INVALID_CONDITION', message: `Condition invalide : ${problem}` });
      };
      cond(action.condition, `${at}/condition`);
      const isJump = ['button', 'auto_jump', 'request_info'].includes(String(action.kind)) ||
        (action.kind === 'webservice' && (action.onSuccess !== undefined || action.onFailure !== undefined));
      if (isFinal && isJump) {
        errors.push({
          path: at,
          code: 'FINAL_STATUS_HAS_JUMPS',
          message: `Le statut final « ${statusId} » ne peut pas faire sortir la demande (action « ${String(action.kind)} »).`,
        });
      }

      switch (action.kind) {
        case 'button': {
          jump('target');
          const functions = asArray(action.functions);
          functions.forEach((value, k) => fn(value, `${at}/functions/${k}`));
          if (Array.isArray(action.functions) && functions.length === 0 && action.byCitizen !== true) {
            errors.push({ path: `${at}/functions`, code: 'NO_ACTOR', message: "Personne ne peut appuyer sur ce bouton : indiquez au moins une fonction ou « byCitizen »." });
          }
          break;
        }
        case 'auto_jump': {
          const trigger = action.trigger;
          jump('target', trigger === 'immediate' ? 'immediate' : 'other');
          const spec = asRecord(trigger);
          if (spec && typeof spec.atDateField === 'string' && options.formFieldIds && !options.formFieldIds.includes(spec.atDateField)) {
            errors.push({ path: `${at}/trigger/atDateField`, code: 'UNKNOWN_FORM_FIELD', message: `Le champ « ${spec.atDateField} » n'existe pas dans le formulaire.` });
          }
          if (spec && typeof spec.apiTrigger === 'string') {
            if (apiTriggers.has(spec.apiTrigger)) {
              errors.push({ path: `${at}/trigger/apiTrigger`, code: 'DUPLICATE_TRIGGER', message: `Le déclencheur « ${spec.apiTrigger} » est déjà utilisé dans ce statut.` });
            }
            apiTriggers.add(spec.apiTrigger);
          }
          break;
        }
        case 'request_info': {
          asArray(action.functions).forEach((value, k) => fn(value, `${at}/functions/${k}`));
          tpl('message');
          tpl('subject');
          const waiting = action.waitingStatus;
          const resume = action.resumeStatus;
          jump('waitingStatus');
          if (typeof resume === 'string' && !statusIndex.has(resume)) {
            errors.push({ path: `${at}/resumeStatus`, code: 'UNKNOWN_STATUS', message: `Le statut « ${resume} » n'existe pas.` });
          } else if (typeof resume === 'string' && typeof waiting === 'string' && statusIndex.has(waiting)) {
            edges.push({ from: waiting, to: resume, path: `${at}/resumeStatus`, immediate: false, conditional: false });
          }
          const waitingStatus = statusRecord(waiting);
          if (waitingStatus?.final === true) {
            errors.push({ path: `${at}/waitingStatus`, code: 'WAITING_STATUS_FINAL', message: "Le statut d'attente ne peut pas être final : la réponse de l'usager ne pourrait plus reprendre la demande." });
          } else if (waitingStatus?.visibility === 'internal') {
            warnings.push({ path: `${at}/waitingStatus`, code: 'WAITING_STATUS_INTERNAL', message: "Le statut d'attente est interne : l'usager ne verra pas qu'on attend sa réponse." });
          }
          if (typeof waiting === 'string' && waiting === resume) {
            errors.push({ path: `${at}/resumeStatus`, code: 'RESUME_EQUALS_WAITING', message: "Le statut de reprise doit différer du statut d'attente." });
          }
          break;
        }
        case 'notify_citizen':
          tpl('subject');
          tpl('body');
          break;
        case 'notify_agents':
          fn(action.function, `${at}/function`);
          tpl('subject');
          tpl('body');
          break;
        case 'comment':
          tpl('text');
          break;
        case 'attach_document': {
          tpl('filename');
          const template = asRecord(action.template);
          if (template) {
            tpl('title', template.title, `${at}/template/title`);
            tpl('body', template.body, `${at}/template/body`);
          }
          if (action.documentTemplate === CUSTOM_DOCUMENT && !template) {
            errors.push({ path: `${at}/template`, code: 'REQUIRED', message: 'Rédigez le modèle du document (titre et texte).' });
          }
          if (template && typeof action.documentTemplate === 'string' && action.documentTemplate !== CUSTOM_DOCUMENT) {
            errors.push({ path: `${at}/documentTemplate`, code: 'TEMPLATE_UNUSED', message: `Choisissez le modèle « ${CUSTOM_DOCUMENT} » pour utiliser le document rédigé.` });
          }
          break;
        }
        case 'set_backoffice_fields':
          asArray(action.fields).forEach((raw, k) => {
            const entry = asRecord(raw);
            if (!entry) return;
            if (typeof entry.field === 'string' && !backofficeIds.has(entry.field)) {
              errors.push({ path: `${at}/fields/${k}/field`, code: 'UNKNOWN_BACKOFFICE_FIELD', message: `Le champ de gestion « ${entry.field} » n'est pas déclaré dans « backofficeFields ».` });
            }
            tpl('value', entry.value, `${at}/fields/${k}/value`);
          });
          break;
        case 'assign': {
          fn(asRecord(action.to)?.function, `${at}/to/function`);
          asArray(action.rules).forEach((raw, k) => {
            const rule = asRecord(raw);
            if (!rule) return;
            fn(asRecord(rule.to)?.function, `${at}/rules/${k}/to/function`);
            cond(rule.condition, `${at}/rules/${k}/condition`);
          });
          break;
        }
        case 'webservice': {
          jump('onSuccess');
          jump('onFailure');
          if (typeof action.url === 'string') {
            tpl('url');
            if (/^https?:\/\/[^/?#]*\{\{/i.test(action.url)) {
              errors.push({ path: `${at}/url`, code: 'URL_HOST_TEMPLATED', message: "L'hôte de l'URL doit être écrit en toutes lettres : seuls le chemin et les paramètres peuvent venir d'un modèle." });
            } else if (!isHttpUrl(action.url)) {
              errors.push({ path: `${at}/url`, code: 'INVALID_URL', message: "L'URL doit être une adresse http:// ou https:// absolue." });
            }
          }
          const headers = asRecord(action.headers);
          if (headers) for (const [name, value] of Object.entries(headers)) tpl(name, value, `${at}/headers/${jsonPointer([name]).slice(1)}`);
          tpl('body');
          if ((action.method === 'GET' || action.method === 'DELETE') && action.body !== undefined) {
            errors.push({ path: `${at}/body`, code: 'BODY_NOT_ALLOWED', message: `Une requête ${action.method} n'a pas de corps.` });
          }
          break;
        }
        case 'create_child_demand': {
          const mapping = asRecord(action.mapping);
          if (mapping) for (const [field, value] of Object.entries(mapping)) tpl(field, value, `${at}/mapping/${jsonPointer([field]).slice(1)}`);
          break;
        }
        default:
          break;
      }
    });
  });

  // Reachability and dead ends (warnings).
  if (typeof initial === 'string' && statusIndex.has(initial)) {
    const reached = new Set([initial]);
    const queue = [initial];
    while (queue.length > 0) {
      const current = queue.shift()!;
      for (const edge of edges) {
        if (edge.from === current && !reached.has(edge.to)) {
          reached.add(edge.to);
          queue.push(edge.to);
        }
      }
    }
    for (const [id, i] of statusIndex) {
      if (!reached.has(id)) {
        warnings.push({ path: `/statuses/${i}`, code: 'STATUS_UNREACHABLE', message: `Le statut « ${id} » n'est atteint par aucun saut depuis le statut initial.` });
      }
    }
  }
  for (const [id, i] of statusIndex) {
    if (statuses[i]?.final === true) continue;
    if (!edges.some((edge) => edge.from === id && edge.to !== id)) {
      warnings.push({ path: `/statuses/${i}`, code: 'STATUS_DEAD_END', message: `Le statut « ${id} » n'est pas final et aucune action n'en fait sortir la demande.` });
    }
  }

  // Cycles of immediate jumps: unconditional ones would loop forever (error); conditional ones may
  // (warning, the runtime chain cap stops them).
  const immediate = edges.filter((edge) => edge.immediate);
  const looping = new Set<string>();
  const inOrder = (component: Set<string>) => [...component].sort((a, b) => statusIndex.get(a)! - statusIndex.get(b)!).join(' → ');
  for (const component of cyclicComponents(immediate.filter((edge) => !edge.conditional))) {
    component.forEach((id) => looping.add(id));
    const edge = immediate.find((candidate) => !candidate.conditional && component.has(candidate.from) && component.has(candidate.to))!;
    errors.push({
      path: edge.path,
      code: 'IMMEDIATE_JUMP_CYCLE',
      message: `Boucle de sauts automatiques immédiats (${inOrder(component)}) : la demande ne s'arrêterait jamais.`,
    });
  }
  for (const component of cyclicComponents(immediate)) {
    if ([...component].some((id) => looping.has(id))) continue;
    const edge = immediate.find((candidate) => component.has(candidate.from) && component.has(candidate.to))!;
    warnings.push({
      path: edge.path,
      code: 'IMMEDIATE_JUMP_CYCLE_CONDITIONAL',
      message: `Boucle possible de sauts automatiques immédiats (${inOrder(component)}), selon leurs conditions.`,
    });
  }
}

/** Strongly connected components that contain a cycle (Tarjan). */
function cyclicComponents(edges: readonly Edge[]): Set<string>[] {
  const next = new Map<string, string[]>();
  for (const edge of edges) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: Set<string>[] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component = new Set<string>();
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.add(member);
      } while (member !== node);
      if (component.size > 1 || (next.get(node) ?? []).includes(node)) result.push(component);
    }
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return result;
}

function collectIds(list: unknown[], base: string, what: string, errors: FieldError[]): Set<string> {
  const ids = new Set<string>();
  list.forEach((raw, i) => {
    const id = asRecord(raw)?.id;
    if (typeof id !== 'string') return;
    if (ids.has(id)) errors.push(duplicate(`${base}/${i}/id`, what, id));
    ids.add(id);
  });
  return ids;
}

function duplicate(path: string, what: string, id: string): FieldError {
  return { path, code: 'DUPLICATE_ID', message: `Identifiant de ${what} en double : « ${id} ».` };
}

/** Whether `url` is an absolute http(s) URL once its template expressions are replaced. */
export function isHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url.replace(/\{\{\{?[^}]*\}?\}\}/g, 'x'));
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname.length > 0;
  } catch {
    return false;
  }
}

function dedupe(list: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return list.filter((error) => {
    const key = `${error.path}\u0000${error.code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
function asRecord(value: unknown): Json | undefined {
  return isRecord(value) ? value : undefined;
}
function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
