import { z } from 'zod';
import { HEX_COLOUR_PATTERN } from './colour.js';
import { ISO_DURATION_PATTERN } from './duration.js';

/**
 * The workflow definition format, version 1: one zod schema is the source of the TypeScript types, of
 * the structural validation and of the published JSON Schema. Cross-references (targets, functions,
 * duplicate ids, cycles, templates) are checked by `validateWorkflowDefinition` on top of it.
 *
 * Every object is strict: an unknown property is an error (a typo such as `traget` must not be
 * silently ignored). Every optional field is plain `optional` (no defaults), so the input type and the
 * validated type are the same.
 */

/** Stable codes of the structural errors whose message we write ourselves (message → code). */
const CODE_BY_MESSAGE = new Map<string, string>();
function fmt(code: string, message: string): { error: string } {
  CODE_BY_MESSAGE.set(message, code);
  return { error: message };
}
/** The stable code registered for one of our messages, if any. */
export function codeForMessage(message: string): string | undefined {
  return CODE_BY_MESSAGE.get(message);
}

export const ID_PATTERN = '^[a-z][a-z0-9_-]{0,62}$';
const ID = new RegExp(ID_PATTERN);
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

const identifier = z
  .string()
  .regex(ID, fmt('INVALID_ID', 'Identifiant invalide : une lettre minuscule puis lettres minuscules, chiffres, « - » ou « _ » (63 caractères au plus).'));
const label = z.string().trim().min(1, fmt('REQUIRED', 'Ce libellé est obligatoire.')).max(200, fmt('TOO_LONG', 'Ce libellé dépasse 200 caractères.'));
/** A Handlebars template (syntax checked by `validateWorkflowDefinition`). */
const template = z.string().max(20_000, fmt('TOO_LONG', 'Ce modèle dépasse 20 000 caractères.'));
const requiredTemplate = template.refine((text) => text.trim().length > 0, fmt('REQUIRED', 'Ce modèle ne peut pas être vide.'));
/** An expression of the forms condition language, evaluated by the injected `ConditionEvaluator`. */
const condition = z
  .string()
  .trim()
  .min(1, fmt('REQUIRED', 'La condition ne peut pas être vide.'))
  .max(2_000, fmt('TOO_LONG', 'La condition dépasse 2 000 caractères.'));
const durationText = z
  .string()
  .regex(new RegExp(ISO_DURATION_PATTERN), fmt('INVALID_DURATION', 'Durée invalide : attendu une durée ISO-8601 (P30D, PT2H, P1M) ou un nombre de secondes.'));
/** A delay: ISO-8601 duration or a whole number of seconds. */
const delay = z.union(
  [durationText, z.number().int().min(0).max(10 * 366 * 86_400)],
  fmt('INVALID_DURATION', 'Durée invalide : attendu une durée ISO-8601 (P30D, PT2H, P1M) ou un nombre de secondes.'),
);
const functionList = z.array(identifier).max(20);
const channel = z.enum(['email', 'sms', 'portal'], fmt('INVALID_CHANNEL', 'Canal inconnu : email, sms ou portal.'));
const channels = z
  .array(channel)
  .min(1, fmt('REQUIRED', 'Au moins un canal est obligatoire.'))
  .refine((list) => new Set(list).size === list.length, fmt('DUPLICATE_CHANNEL', 'Un canal est cité deux fois.'));
const visibility = z.enum(['citizen', 'internal'], fmt('INVALID_VISIBILITY', 'Visibilité invalide : citizen ou internal.'));

const assignTarget = z.union(
  [z.strictObject({ function: identifier }), z.strictObject({ person: z.string().trim().min(1).max(200) })],
  fmt('INVALID_ASSIGNEE', 'Destinataire invalide : { "function": … } ou { "person": … }.'),
);

const trigger = z.union(
  [
    z.literal('immediate'),
    z.strictObject({ afterDelay: delay }),
    z.strictObject({ atDateField: z.string().min(1).max(100), offset: z.optional(durationText) }),
    z.strictObject({ apiTrigger: identifier }),
  ],
  fmt('INVALID_TRIGGER', 'Déclencheur invalide : "immediate", { "afterDelay" }, { "atDateField", "offset" } ou { "apiTrigger" }.'),
);

const common = { id: identifier, condition: z.optional(condition) };

export const buttonActionSchema = z.strictObject({
  ...common,
  kind: z.literal('button'),
  label,
  target: identifier,
  /** Functions whose agents may press it. */
  functions: functionList,
  /** The citizen who made the demand may press it too (e.g. "cancel my appointment"). */
  byCitizen: z.optional(z.boolean()),
  /** Confirmation question; the command must then carry `confirmed: true`. */
  confirm: z.optional(z.string().trim().min(1).max(500)),
  commentRequired: z.optional(z.boolean()),
  /** Who sees the comment typed with the button (internal by default). */
  commentVisibility: z.optional(visibility),
  bulkAllowed: z.optional(z.boolean()),
});

export const autoJumpActionSchema = z.strictObject({
  ...common,
  kind: z.literal('auto_jump'),
  trigger,
  target: identifier,
});

export const requestInfoActionSchema = z.strictObject({
  ...common,
  kind: z.literal('request_info'),
  label,
  functions: functionList.min(1, fmt('REQUIRED', 'Au moins une fonction est obligatoire.')),
  /** Message to the citizen (template; `action.comment` holds what the agent typed). */
  message: requiredTemplate,
  subject: z.optional(template),
  channels: z.optional(channels),
  commentRequired: z.optional(z.boolean()),
  /** Status the demand waits in while the citizen answers. */
  waitingStatus: identifier,
  /** Status the citizen's answer brings the demand to. */
  resumeStatus: identifier,
});

export const notifyCitizenActionSchema = z.strictObject({
  ...common,
  kind: z.literal('notify_citizen'),
  channels,
  subject: requiredTemplate,
  body: requiredTemplate,
});

export const notifyAgentsActionSchema = z.strictObject({
  ...common,
  kind: z.literal('notify_agents'),
  function: identifier,
  subject: requiredTemplate,
  body: requiredTemplate,
});

export const commentActionSchema = z.strictObject({
  ...common,
  kind: z.literal('comment'),
  visibility,
  text: requiredTemplate,
});

export const attachDocumentActionSchema = z.strictObject({
  ...common,
  kind: z.literal('attach_document'),
  /**
   * A document model of the engine (`recapitulatif`, `accuse-reception`, …), or `personnalise`: the document is
   * then written by the authors in `template` (versioned with the workflow).
   */
  documentTemplate: z.string().trim().min(1).max(200),
  filename: requiredTemplate,
  visibility,
  /** The authors' document (`documentTemplate: 'personnalise'`): Handlebars over the demand's variables. */
  template: z.optional(
    z.strictObject({
      /** The document's title (a template too). */
      title: requiredTemplate,
      /** The text: lines starting with `# ` / `## ` (or in `<h1>`/`<h2>`) are headings, `**line**` (or `<b>`) bold. */
      body: requiredTemplate,
    }),
  ),
});

export const setBackofficeFieldsActionSchema = z.strictObject({
  ...common,
  kind: z.literal('set_backoffice_fields'),
  fields: z
    .array(z.strictObject({ field: identifier, value: template }))
    .min(1, fmt('REQUIRED', 'Au moins un champ est obligatoire.'))
    .max(50),
});

export const assignActionSchema = z.strictObject({
  ...common,
  kind: z.literal('assign'),
  /** Fixed assignee, or the default when no rule matches. */
  to: assignTarget,
  /** First rule whose condition holds wins. */
  rules: z.optional(z.array(z.strictObject({ condition, to: assignTarget })).max(100)),
});

export const webserviceActionSchema = z.strictObject({
  ...common,
  kind: z.literal('webservice'),
  /** http(s) URL; may contain template expressions (`https://api.example.fr/x/{{demand.id}}`). */
  url: z
    .string()
    .max(2_000)
    .regex(/^https?:\/\/[^\s/?#]+/i, fmt('INVALID_URL', "L'URL doit être une adresse http:// ou https:// absolue.")),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], fmt('INVALID_METHOD', 'Méthode HTTP invalide.')),
  headers: z.optional(z.record(z.string().regex(HEADER_NAME, fmt('INVALID_HEADER', "Nom d'en-tête HTTP invalide.")), template)),
  body: z.optional(template),
  timeoutSeconds: z.optional(z.number().int().min(1).max(120)),
  retries: z.optional(z.number().int().min(0).max(10)),
  /** The engine stores the JSON response under `webservice.<storeResponseAs>` for later templates. */
  storeResponseAs: z.optional(identifier),
  onSuccess: z.optional(identifier),
  onFailure: z.optional(identifier),
});

export const createChildDemandActionSchema = z.strictObject({
  ...common,
  kind: z.literal('create_child_demand'),
  teleservice: z.string().regex(SLUG, fmt('INVALID_SLUG', 'Identifiant de téléservice invalide (minuscules, chiffres et tirets).')).max(100),
  /** Child field id → template of its value. */
  mapping: z.record(identifier, template),
});

export const anonymiseActionSchema = z.strictObject({ ...common, kind: z.literal('anonymise') });

export const deleteActionSchema = z.strictObject({ ...common, kind: z.literal('delete'), delay });

export const actionSchema = z.discriminatedUnion(
  'kind',
  [
    buttonActionSchema,
    autoJumpActionSchema,
    requestInfoActionSchema,
    notifyCitizenActionSchema,
    notifyAgentsActionSchema,
    commentActionSchema,
    attachDocumentActionSchema,
    setBackofficeFieldsActionSchema,
    assignActionSchema,
    webserviceActionSchema,
    createChildDemandActionSchema,
    anonymiseActionSchema,
    deleteActionSchema,
  ],
  fmt('UNKNOWN_ACTION_KIND', "Type d'action inconnu."),
);

export const statusSchema = z.strictObject({
  id: identifier,
  label,
  colour: z.string().regex(new RegExp(HEX_COLOUR_PATTERN), fmt('INVALID_COLOUR', 'Couleur invalide : attendu #RRGGBB (six chiffres hexadécimaux).')),
  visibility,
  final: z.boolean(),
  agentHelp: z.optional(z.string().max(5_000)),
  actions: z.array(actionSchema).max(100),
});

export const workflowDefinitionSchema = z.strictObject({
  schemaVersion: z.literal(1, fmt('UNSUPPORTED_SCHEMA_VERSION', 'Version de format non prise en charge : attendu 1.')),
  name: z.optional(label),
  initialStatus: identifier,
  statuses: z.array(statusSchema).min(1, fmt('REQUIRED', 'Au moins un statut est obligatoire.')).max(200),
  functions: z.array(z.strictObject({ id: identifier, label })).max(50),
  /** Agent-only data set by `set_backoffice_fields`. */
  backofficeFields: z.optional(z.array(z.strictObject({ id: identifier, label })).max(200)),
});

export type WorkflowDefinition = z.infer<typeof workflowDefinitionSchema>;
export type StatusDefinition = z.infer<typeof statusSchema>;
export type ActionDefinition = z.infer<typeof actionSchema>;
export type ActionKind = ActionDefinition['kind'];
export type ActionOf<K extends ActionKind> = Extract<ActionDefinition, { kind: K }>;
export type AutoJumpTrigger = z.infer<typeof trigger>;
export type AssignTarget = z.infer<typeof assignTarget>;
export type NotificationChannel = z.infer<typeof channel>;
export type Visibility = z.infer<typeof visibility>;

/** JSON Schema (draft 2020-12) of the workflow format, for the API documentation. */
export const WORKFLOW_DEFINITION_JSON_SCHEMA: Record<string, unknown> = {
  ...z.toJSONSchema(workflowDefinitionSchema, { target: 'draft-2020-12', unrepresentable: 'any' }),
  $id: 'https://parvis.fr/schemas/workflow-definition-1.json',
  title: 'Parvis — définition de workflow (schemaVersion 1)',
};
