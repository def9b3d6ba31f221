import type { FieldError } from '#core';
import { DataSourceSchema, parseCondition, validateFormDefinition } from '#forms';
import { validateWorkflowDefinition } from '#workflow';
import type { DefinitionValidator, RoutingRule, TeleserviceKind, VersionContent } from '../teleservices/teleservice.types.js';

/** What the cross checks need to know of the téléservice a version belongs to. */
export interface DefinitionContext {
  kind: TeleserviceKind;
  routingRule?: RoutingRule | null;
}

/**
 * One declared data source of a version (`version.dataSources` is an array of them). A form field of type
 * `data_source` fetching a URL must use a URL declared here: the list is what the engine may fetch outside
 * the platform for this version, reviewed at publication and carried in bundles.
 */
export interface DeclaredDataSource {
  id: string;
  label: string;
  source: unknown;
}

interface FieldInfo {
  id: string;
  type: string;
  format?: string;
  required: boolean;
  path: string;
}

const DATA_SOURCE_ID = /^[a-z][a-z0-9_-]{0,62}$/;

/** Field types each routing method accepts (postcode: a text field must also have format `postcode_fr`). */
const ROUTING_FIELD_TYPES: Record<RoutingRule['by'], readonly string[]> = {
  map_point: ['map_point'],
  address: ['address'],
  postcode: ['text', 'address'],
  commune: ['commune'],
};

const ROUTING_LABELS: Record<RoutingRule['by'], string> = {
  map_point: 'un point sur la carte (champ « map_point »)',
  address: 'une adresse (champ « address »)',
  postcode: 'un code postal (champ texte au format « postcode_fr », ou adresse)',
  commune: 'une commune (champ « commune »)',
};

/**
 * Validates a version's definitions as a whole and lists EVERY error, each path prefixed by the part of the
 * version it belongs to: `/form/pages/0/fields/2/label` (libs/forms), `/workflow/statuses/1/actions/0/target`
 * (libs/workflow, checked against the form's field ids and the forms condition language),
 * `/dataSources/0/id`, and the cross checks: `/routingRule/field` (a mutualised téléservice's deciding field
 * exists, is required and has a compatible type), `/form/pages/…/source/url` (an external data source is
 * declared). Pure: no I/O.
 */
export class DefinitionValidationService {
  /** Every error of `content` (empty when it may be published). */
  validate(content: VersionContent, context?: DefinitionContext): FieldError[] {
    const errors: FieldError[] = [];
    const form = validateFormDefinition(content.form);
    if (!form.ok) errors.push(...prefixed('/form', form.errors));
    const fields = collectFields(content.form);
    const workflow = validateWorkflowDefinition(content.workflow, {
      checkCondition: (expression) => {
        const parsed = parseCondition(expression);
        return parsed.ok ? null : parsed.error.message;
      },
      formFieldIds: fields.filter((field) => !field.id.includes('.')).map((field) => field.id),
    });
    if (!workflow.ok) errors.push(...prefixed('/workflow', workflow.errors));
    const declared = checkDataSources(content.dataSources, errors);
    checkDataSourceReferences(content.form, declared, errors);
    if (context) checkRouting(context, fields, errors);
    return errors;
  }

  /** The `DefinitionValidator` port for one téléservice (what `TeleserviceRepository.publish` takes). */
  forTeleservice(context: DefinitionContext): DefinitionValidator {
    return { validate: (content) => this.validate(content, context) };
  }
}

function prefixed(prefix: string, errors: readonly FieldError[]): FieldError[] {
  return errors.map((error) => ({ ...error, path: `${prefix}${error.path.startsWith('/') || error.path === '' ? '' : '/'}${error.path}` }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Top-level fields (`id`) and block sub-fields (`block.sub`), read defensively from raw JSON. */
function collectFields(form: unknown): FieldInfo[] {
  const out: FieldInfo[] = [];
  if (!isRecord(form) || !Array.isArray(form.pages)) return out;
  form.pages.forEach((page: unknown, p) => {
    if (!isRecord(page) || !Array.isArray(page.fields)) return;
    page.fields.forEach((field: unknown, f) => {
      if (!isRecord(field) || typeof field.id !== 'string') return;
      const path = `/form/pages/${p}/fields/${f}`;
      out.push(info(field, field.id, path));
      if (field.type === 'block' && Array.isArray(field.fields)) {
        field.fields.forEach((sub: unknown, s) => {
          if (isRecord(sub) && typeof sub.id === 'string') out.push(info(sub, `${field.id as string}.${sub.id}`, `${path}/fields/${s}`));
        });
      }
    });
  });
  return out;
}

function info(field: Record<string, unknown>, id: string, path: string): FieldInfo {
  return {
    id,
    type: String(field.type),
    format: typeof field.format === 'string' ? field.format : undefined,
    required: field.required === true,
    path,
  };
}

function checkDataSources(dataSources: unknown, errors: FieldError[]): DeclaredDataSource[] {
  if (dataSources === undefined || dataSources === null) return [];
  if (!Array.isArray(dataSources)) {
    errors.push({ path: '/dataSources', code: 'INVALID_TYPE', message: 'Les sources de données forment une liste.' });
    return [];
  }
  const declared: DeclaredDataSource[] = [];
  const seen = new Set<string>();
  dataSources.forEach((entry: unknown, i) => {
    const path = `/dataSources/${i}`;
    if (!isRecord(entry)) {
      errors.push({ path, code: 'INVALID_TYPE', message: 'Une source de données est un objet { id, label, source }.' });
      return;
    }
    for (const key of Object.keys(entry)) {
      if (!['id', 'label', 'source'].includes(key)) errors.push({ path: `${path}/${key}`, code: 'UNKNOWN_PROPERTY', message: `Propriété inconnue « ${key} ».` });
    }
    if (typeof entry.id !== 'string' || !DATA_SOURCE_ID.test(entry.id)) {
      errors.push({ path: `${path}/id`, code: 'INVALID_ID', message: 'Identifiant de source invalide : une minuscule puis minuscules, chiffres, « - » ou « _ ».' });
    } else if (seen.has(entry.id)) {
      errors.push({ path: `${path}/id`, code: 'DUPLICATE_ID', message: `Identifiant de source en double : « ${entry.id} ».` });
    } else {
      seen.add(entry.id);
    }
    if (typeof entry.label !== 'string' || entry.label.trim() === '' || entry.label.length > 200) {
      errors.push({ path: `${path}/label`, code: 'REQUIRED', message: 'Libellé de la source requis (200 caractères au plus).' });
    }
    const source = DataSourceSchema.safeParse(entry.source);
    if (!source.success) {
      for (const issue of source.error.issues) {
        errors.push({ path: [`${path}/source`, ...issue.path.map(String)].join('/'), code: 'INVALID_VALUE', message: `Source de données invalide : ${issue.message}` });
      }
    }
    if (typeof entry.id === 'string' && typeof entry.label === 'string') declared.push({ id: entry.id, label: entry.label, source: entry.source });
  });
  return declared;
}

/** A `data_source` field fetching a URL must use one declared in `dataSources`. */
function checkDataSourceReferences(form: unknown, declared: readonly DeclaredDataSource[], errors: FieldError[]): void {
  if (!isRecord(form) || !Array.isArray(form.pages)) return;
  const urls = new Set(declared.flatMap((entry) => (isRecord(entry.source) && entry.source.kind === 'url' && typeof entry.source.url === 'string' ? [entry.source.url] : [])));
  const check = (field: unknown, path: string) => {
    if (!isRecord(field) || field.type !== 'data_source' || !isRecord(field.source) || field.source.kind !== 'url') return;
    if (typeof field.source.url === 'string' && !urls.has(field.source.url)) {
      errors.push({
        path: `${path}/source/url`,
        code: 'UNKNOWN_DATA_SOURCE',
        message: `La source « ${field.source.url.slice(0, 200)} » n'est pas déclarée dans les sources de données de la version.`,
      });
    }
  };
  form.pages.forEach((page: unknown, p) => {
    if (!isRecord(page) || !Array.isArray(page.fields)) return;
    page.fields.forEach((field: unknown, f) => {
      const path = `/form/pages/${p}/fields/${f}`;
      check(field, path);
      if (isRecord(field) && Array.isArray(field.fields)) field.fields.forEach((sub: unknown, s) => check(sub, `${path}/fields/${s}`));
    });
  });
}

function checkRouting(context: DefinitionContext, fields: readonly FieldInfo[], errors: FieldError[]): void {
  const rule = context.routingRule;
  if (context.kind !== 'mutualised') {
    if (rule) errors.push({ path: '/routingRule', code: 'ROUTING_RULE_NOT_ALLOWED', message: 'Seul un téléservice mutualisé a une règle de routage.' });
    return;
  }
  if (!rule || typeof rule.field !== 'string' || !(rule.by in ROUTING_FIELD_TYPES)) {
    errors.push({
      path: '/routingRule',
      code: 'ROUTING_RULE_REQUIRED',
      message: 'Un téléservice mutualisé précise le champ qui décide de la commune compétente et comment (point, adresse, code postal, commune).',
    });
    return;
  }
  const field = fields.find((candidate) => candidate.id === rule.field);
  if (!field) {
    const nested = fields.some((candidate) => candidate.id.endsWith(`.${rule.field}`));
    errors.push({
      path: '/routingRule/field',
      code: 'ROUTING_FIELD_UNKNOWN',
      message: nested
        ? `Le champ « ${rule.field} » est dans un bloc répétable : la commune compétente se décide sur un champ hors bloc.`
        : `Le champ « ${rule.field} » qui décide de la commune compétente n'existe pas dans le formulaire.`,
    });
    return;
  }
  const typeOk = ROUTING_FIELD_TYPES[rule.by].includes(field.type) && (rule.by !== 'postcode' || field.type !== 'text' || field.format === 'postcode_fr');
  if (!typeOk) {
    errors.push({
      path: '/routingRule/field',
      code: 'ROUTING_FIELD_INCOMPATIBLE',
      message: `Le routage par ${rule.by} attend ${ROUTING_LABELS[rule.by]} ; le champ « ${rule.field} » est de type « ${field.type}${field.format ? ` / ${field.format}` : ''} ».`,
    });
  }
  if (!field.required) {
    errors.push({
      path: '/routingRule/field',
      code: 'ROUTING_FIELD_OPTIONAL',
      message: `Le champ « ${rule.field} » décide de la commune compétente : il doit être obligatoire.`,
    });
  }
}
