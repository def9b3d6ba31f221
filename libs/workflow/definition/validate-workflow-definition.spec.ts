import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ANOMALY_REPORT_WORKFLOW } from '../examples/anomaly-report.workflow.js';
import { APPOINTMENT_WORKFLOW } from '../examples/appointment.workflow.js';
import { SIMPLE_REQUEST_WORKFLOW } from '../examples/simple-request.workflow.js';
import { validateWorkflowDefinition, type WorkflowValidationResult } from './validate-workflow-definition.js';
import { WORKFLOW_DEFINITION_JSON_SCHEMA } from './workflow-definition.schema.js';

type Json = Record<string, unknown>;

/** A small valid workflow: a → b (button), b final. */
function base(extraActions: Json[] = [], extraStatuses: Json[] = []): Json {
  return {
    schemaVersion: 1,
    initialStatus: 'a',
    functions: [{ id: 'receiver', label: 'Instructeur' }],
    backofficeFields: [{ id: 'prio', label: 'Priorité' }],
    statuses: [
      { id: 'a', label: 'A', colour: '#1F5FAD', visibility: 'citizen', final: false, actions: [{ id: 'go', kind: 'button', label: 'Aller', target: 'b', functions: ['receiver'] }, ...extraActions] },
      { id: 'b', label: 'B', colour: '#18753C', visibility: 'citizen', final: true, actions: [] },
      ...extraStatuses,
    ],
  };
}

function errorsOf(result: WorkflowValidationResult) {
  if (result.ok) throw new Error(`expected errors, got a valid definition (warnings: ${JSON.stringify(result.warnings)})`);
  return result.errors.map((error) => [error.path, error.code]);
}
function warningsOf(result: WorkflowValidationResult) {
  return result.warnings.map((warning) => [warning.path, warning.code]);
}
/** Validates `base()` with one extra action on status `a` and returns its errors as [path, code]. */
function actionErrors(action: Json) {
  return errorsOf(validateWorkflowDefinition(base([action])));
}

describe('validateWorkflowDefinition', () => {
  it('accepts a valid definition and returns it typed, without warnings', () => {
    const result = validateWorkflowDefinition(base());
    expect(result).toEqual({ ok: true, definition: base(), warnings: [] });
  });

  it('lists every error at once, structural and cross-reference, each with its JSON path and a French message', () => {
    const definition = {
      schemaVersion: 2,
      functions: [{ id: 'receiver', label: 'Instructeur' }, { id: 'receiver', label: 'Doublon' }],
      statuses: [
        {
          id: 'a', label: 'A', colour: 'red', visibility: 'public', final: false,
          actions: [
            { id: 'go', kind: 'button', label: 'Aller', target: 'nowhere', functions: ['boss'], traget: 'b' },
            { id: 'go', kind: 'auto_jump', trigger: { afterDelay: 'P3X' }, target: 'b' },
            { id: 'x', kind: 'teleport' },
            { id: 'ws', kind: 'webservice', url: 'ftp://files.example.org', method: 'GET' },
            { id: 'n', kind: 'notify_citizen', channels: ['email', 'pigeon'], subject: '{{#if}}', body: 'ok' },
          ],
        },
        { id: 'b', label: '', colour: '#18753C', visibility: 'citizen', final: true, actions: [{ id: 'back', kind: 'button', label: 'Retour', target: 'a', functions: ['receiver'] }] },
        { id: 'b', label: 'B bis', colour: '#18753C', visibility: 'citizen', final: true, actions: [] },
      ],
    };
    const result = validateWorkflowDefinition(definition);
    expect(errorsOf(result)).toEqual([
      ['/schemaVersion', 'UNSUPPORTED_SCHEMA_VERSION'],
      ['/initialStatus', 'REQUIRED'],
      ['/statuses/0/colour', 'INVALID_COLOUR'],
      ['/statuses/0/visibility', 'INVALID_VISIBILITY'],
      ['/statuses/0/actions/0/traget', 'UNKNOWN_PROPERTY'],
      ['/statuses/0/actions/1/trigger/afterDelay', 'INVALID_DURATION'],
      ['/statuses/0/actions/2/kind', 'UNKNOWN_ACTION_KIND'],
      ['/statuses/0/actions/3/url', 'INVALID_URL'],
      ['/statuses/0/actions/4/channels/1', 'INVALID_CHANNEL'],
      ['/statuses/1/label', 'REQUIRED'],
      ['/statuses/2/id', 'DUPLICATE_ID'],
      ['/functions/1/id', 'DUPLICATE_ID'],
      ['/statuses/0/actions/0/target', 'UNKNOWN_STATUS'],
      ['/statuses/0/actions/0/functions/0', 'UNKNOWN_FUNCTION'],
      ['/statuses/0/actions/1/id', 'DUPLICATE_ID'],
      ['/statuses/0/actions/4/subject', 'TEMPLATE_SYNTAX'],
      ['/statuses/1/actions/0', 'FINAL_STATUS_HAS_JUMPS'],
    ]);
    if (result.ok) return;
    for (const error of result.errors) expect(error.message).toMatch(/[a-zé]/);
    expect(result.errors.find((error) => error.code === 'UNKNOWN_STATUS')?.message).toBe("Le statut « nowhere » n'existe pas.");
    expect(result.errors.find((error) => error.code === 'REQUIRED')?.message).toBe('Ce champ est obligatoire.');
  });

  it('refuses what is not an object, and an unknown initial status', () => {
    expect(errorsOf(validateWorkflowDefinition(null))).toEqual([['', 'INVALID_TYPE']]);
    expect(errorsOf(validateWorkflowDefinition([]))).toEqual([['', 'INVALID_TYPE']]);
    expect(errorsOf(validateWorkflowDefinition({ ...base(), initialStatus: 'zz' }))).toEqual([['/initialStatus', 'UNKNOWN_STATUS']]);
    expect(errorsOf(validateWorkflowDefinition({ ...base(), statuses: [] }))).toEqual([['/statuses', 'REQUIRED'], ['/initialStatus', 'UNKNOWN_STATUS']]);
  });

  describe('each action kind validates its own options', () => {
    it('button: target, functions, somebody to press it, confirm text', () => {
      expect(actionErrors({ id: 'x', kind: 'button', label: 'X', target: 'b', functions: [] })).toEqual([['/statuses/0/actions/1/functions', 'NO_ACTOR']]);
      expect(actionErrors({ id: 'x', kind: 'button', label: 'X', target: 'b', functions: [], byCitizen: true, confirm: '' })).toEqual([['/statuses/0/actions/1/confirm', 'REQUIRED']]);
      expect(actionErrors({ id: 'x', kind: 'button', target: 'b', functions: ['receiver'], commentRequired: 'yes' })).toEqual([
        ['/statuses/0/actions/1/label', 'REQUIRED'],
        ['/statuses/0/actions/1/commentRequired', 'INVALID_TYPE'],
      ]);
    });

    it('auto_jump: every trigger form, durations, date fields known to the form, api trigger names unique', () => {
      const jump = (trigger: unknown) => ({ id: 'j', kind: 'auto_jump', trigger, target: 'b', condition: 'field.ok = true' });
      for (const trigger of ['immediate', { afterDelay: 'P30D' }, { afterDelay: 3600 }, { atDateField: 'date_rdv', offset: '-P1D' }, { atDateField: 'date_rdv' }, { apiTrigger: 'paid' }]) {
        expect(validateWorkflowDefinition(base([jump(trigger)])).ok).toBe(true);
      }
      expect(actionErrors(jump('soon'))).toEqual([['/statuses/0/actions/1/trigger', 'INVALID_TRIGGER']]);
      expect(actionErrors(jump({ afterDelay: -5 }))).toEqual([['/statuses/0/actions/1/trigger/afterDelay', 'TOO_SMALL']]);
      expect(actionErrors(jump({ afterDelay: true }))).toEqual([['/statuses/0/actions/1/trigger/afterDelay', 'INVALID_DURATION']]);
      expect(actionErrors(jump({ atDateField: 'date_rdv', offset: '1 day' }))).toEqual([['/statuses/0/actions/1/trigger/offset', 'INVALID_DURATION']]);
      expect(actionErrors(jump({ apiTrigger: 'Paid!' }))).toEqual([['/statuses/0/actions/1/trigger/apiTrigger', 'INVALID_ID']]);
      expect(actionErrors(jump({ afterDelay: 'P1D', extra: 1 }))).toEqual([['/statuses/0/actions/1/trigger/extra', 'UNKNOWN_PROPERTY']]);
      expect(errorsOf(validateWorkflowDefinition(base([jump({ atDateField: 'date_rdv' })]), { formFieldIds: ['nom'] }))).toEqual([
        ['/statuses/0/actions/1/trigger/atDateField', 'UNKNOWN_FORM_FIELD'],
      ]);
      expect(errorsOf(validateWorkflowDefinition(base([jump({ apiTrigger: 'paid' }), { ...jump({ apiTrigger: 'paid' }), id: 'j2' }])))).toEqual([
        ['/statuses/0/actions/2/trigger/apiTrigger', 'DUPLICATE_TRIGGER'],
      ]);
    });

    it('request_info: functions, message template, waiting and resume statuses', () => {
      const waiting = { id: 'w', label: 'En attente', colour: '#6E445A', visibility: 'citizen', final: false, actions: [] };
      const request = { id: 'ask', kind: 'request_info', label: 'Demander', functions: ['receiver'], message: 'Précisez {{action.comment}}', waitingStatus: 'w', resumeStatus: 'a' };
      expect(validateWorkflowDefinition(base([request], [waiting]))).toMatchObject({ ok: true, warnings: [] });
      expect(errorsOf(validateWorkflowDefinition(base([{ ...request, waitingStatus: 'b' }], [waiting])))).toEqual([['/statuses/0/actions/1/waitingStatus', 'WAITING_STATUS_FINAL']]);
      expect(errorsOf(validateWorkflowDefinition(base([{ ...request, resumeStatus: 'w' }], [waiting])))).toEqual([['/statuses/0/actions/1/resumeStatus', 'RESUME_EQUALS_WAITING']]);
      expect(errorsOf(validateWorkflowDefinition(base([{ ...request, functions: [], message: '  ', resumeStatus: 'zz' }], [waiting])))).toEqual([
        ['/statuses/0/actions/1/functions', 'REQUIRED'],
        ['/statuses/0/actions/1/message', 'REQUIRED'],
        ['/statuses/0/actions/1/resumeStatus', 'UNKNOWN_STATUS'],
      ]);
      const internal = validateWorkflowDefinition(base([request], [{ ...waiting, visibility: 'internal' }]));
      expect(warningsOf(internal)).toEqual([['/statuses/0/actions/1/waitingStatus', 'WAITING_STATUS_INTERNAL']]);
    });

    it('notify_citizen and notify_agents: channels, function, templates', () => {
      expect(actionErrors({ id: 'n', kind: 'notify_citizen', channels: [], subject: 'S', body: 'B' })).toEqual([['/statuses/0/actions/1/channels', 'REQUIRED']]);
      expect(actionErrors({ id: 'n', kind: 'notify_citizen', channels: ['sms', 'sms'], subject: 'S', body: '{{#each x}}' })).toEqual([
        ['/statuses/0/actions/1/channels', 'DUPLICATE_CHANNEL'],
        ['/statuses/0/actions/1/body', 'TEMPLATE_SYNTAX'],
      ]);
      expect(actionErrors({ id: 'n', kind: 'notify_agents', function: 'boss', subject: '{{> p}}', body: 'B' })).toEqual([
        ['/statuses/0/actions/1/function', 'UNKNOWN_FUNCTION'],
        ['/statuses/0/actions/1/subject', 'TEMPLATE_FORBIDDEN'],
      ]);
    });

    it('comment, attach_document, set_backoffice_fields', () => {
      expect(actionErrors({ id: 'c', kind: 'comment', visibility: 'everyone', text: '{{shout x}}' })).toEqual([
        ['/statuses/0/actions/1/visibility', 'INVALID_VISIBILITY'],
        ['/statuses/0/actions/1/text', 'TEMPLATE_UNKNOWN_HELPER'],
      ]);
      expect(actionErrors({ id: 'd', kind: 'attach_document', documentTemplate: '', filename: 'x.pdf', visibility: 'citizen' })).toEqual([
        ['/statuses/0/actions/1/documentTemplate', 'REQUIRED'],
      ]);
      expect(actionErrors({ id: 's', kind: 'set_backoffice_fields', fields: [{ field: 'prio', value: 'haute' }, { field: 'colour', value: '{{x' }] })).toEqual([
        ['/statuses/0/actions/1/fields/1/field', 'UNKNOWN_BACKOFFICE_FIELD'],
        ['/statuses/0/actions/1/fields/1/value', 'TEMPLATE_SYNTAX'],
      ]);
      expect(actionErrors({ id: 's', kind: 'set_backoffice_fields', fields: [] })).toEqual([['/statuses/0/actions/1/fields', 'REQUIRED']]);
    });

    it('assign: a fixed function or person, rules with a default, conditions checked by the injected checker', () => {
      expect(validateWorkflowDefinition(base([{ id: 'as', kind: 'assign', to: { person: 'agent-42' } }])).ok).toBe(true);
      expect(actionErrors({ id: 'as', kind: 'assign', to: { team: 'x' } })).toEqual([['/statuses/0/actions/1/to', 'INVALID_ASSIGNEE']]);
      expect(actionErrors({ id: 'as', kind: 'assign', rules: [{ condition: 'x', to: { function: 'ghost' } }] })).toEqual([
        ['/statuses/0/actions/1/to', 'REQUIRED'],
        ['/statuses/0/actions/1/rules/0/to/function', 'UNKNOWN_FUNCTION'],
      ]);
      const checkCondition = (expression: string) => (expression.includes('(') ? 'parenthèse non fermée' : null);
      const result = validateWorkflowDefinition(base([{ id: 'as', kind: 'assign', to: { function: 'receiver' }, rules: [{ condition: 'field.a = (1', to: { person: 'p' } }], condition: 'field.ok' }]), { checkCondition });
      expect(errorsOf(result)).toEqual([['/statuses/0/actions/1/rules/0/condition', 'INVALID_CONDITION']]);
    });

    it('webservice: http(s) URL with a literal host, method, headers, no body on GET, jump targets, bounds', () => {
      const ws = { id: 'ws', kind: 'webservice', url: 'https://api.example.org/demandes/{{urlencode demand.trackingCode}}', method: 'POST', body: '{"a": {{json form.a}} }', onFailure: 'b' };
      expect(validateWorkflowDefinition(base([ws])).ok).toBe(true);
      expect(actionErrors({ ...ws, url: 'javascript:alert(1)' })).toEqual([['/statuses/0/actions/1/url', 'INVALID_URL']]);
      expect(actionErrors({ ...ws, url: 'https://{{form.host}}/x' })).toEqual([['/statuses/0/actions/1/url', 'URL_HOST_TEMPLATED']]);
      expect(actionErrors({ ...ws, method: 'GET' })).toEqual([['/statuses/0/actions/1/body', 'BODY_NOT_ALLOWED']]);
      expect(actionErrors({ ...ws, method: 'FETCH', timeoutSeconds: 0, retries: 11, headers: { 'Bad Header': 'x' }, onFailure: 'zz' })).toEqual([
        ['/statuses/0/actions/1/method', 'INVALID_METHOD'],
        ['/statuses/0/actions/1/headers/Bad Header', 'INVALID_HEADER'],
        ['/statuses/0/actions/1/timeoutSeconds', 'TOO_SMALL'],
        ['/statuses/0/actions/1/retries', 'TOO_BIG'],
        ['/statuses/0/actions/1/onFailure', 'UNKNOWN_STATUS'],
      ]);
    });

    it('create_child_demand, anonymise, delete', () => {
      expect(validateWorkflowDefinition(base([{ id: 'ch', kind: 'create_child_demand', teleservice: 'pass-decheterie', mapping: { nom: '{{form.nom}}' } }])).ok).toBe(true);
      expect(actionErrors({ id: 'ch', kind: 'create_child_demand', teleservice: 'Pass Déchèterie', mapping: { nom: '{{form.nom' } })).toEqual([
        ['/statuses/0/actions/1/teleservice', 'INVALID_SLUG'],
        ['/statuses/0/actions/1/mapping/nom', 'TEMPLATE_SYNTAX'],
      ]);
      expect(actionErrors({ id: 'an', kind: 'anonymise', fields: ['nom'] })).toEqual([['/statuses/0/actions/1/fields', 'UNKNOWN_PROPERTY']]);
      expect(validateWorkflowDefinition(base([{ id: 'del', kind: 'delete', delay: 'P1Y' }])).ok).toBe(true);
      expect(actionErrors({ id: 'del', kind: 'delete', delay: 'one year' })).toEqual([['/statuses/0/actions/1/delay', 'INVALID_DURATION']]);
      expect(actionErrors({ id: 'del', kind: 'delete' })).toEqual([['/statuses/0/actions/1/delay', 'REQUIRED']]);
    });
  });

  it('refuses a cycle of unconditional immediate jumps, warns about one guarded by conditions', () => {
    const loop = [
      { id: 'c', label: 'C', colour: '#1F5FAD', visibility: 'internal', final: false, actions: [{ id: 'c-d', kind: 'auto_jump', trigger: 'immediate', target: 'd' }] },
      { id: 'd', label: 'D', colour: '#1F5FAD', visibility: 'internal', final: false, actions: [{ id: 'd-c', kind: 'auto_jump', trigger: 'immediate', target: 'c' }] },
    ];
    const toC = { id: 'to-c', kind: 'button', label: 'C', target: 'c', functions: ['receiver'] };
    const refused = validateWorkflowDefinition(base([toC], loop));
    expect(errorsOf(refused)).toEqual([['/statuses/2/actions/0/target', 'IMMEDIATE_JUMP_CYCLE']]);
    if (!refused.ok) expect(refused.errors[0]!.message).toBe("Boucle de sauts automatiques immédiats (c → d) : la demande ne s'arrêterait jamais.");
    const selfLoop = validateWorkflowDefinition(base([toC], [{ ...loop[0], actions: [{ id: 'c-c', kind: 'auto_jump', trigger: 'immediate', target: 'c' }] }]));
    expect(errorsOf(selfLoop)).toEqual([['/statuses/2/actions/0/target', 'IMMEDIATE_JUMP_CYCLE']]);
    const guarded = [loop[0], { ...loop[1], actions: [{ id: 'd-c', kind: 'auto_jump', trigger: 'immediate', target: 'c', condition: 'field.retry = true' }, { id: 'd-b', kind: 'auto_jump', trigger: 'immediate', target: 'b' }] }];
    const accepted = validateWorkflowDefinition(base([toC], guarded));
    expect(accepted.ok).toBe(true);
    expect(warningsOf(accepted)).toEqual([['/statuses/2/actions/0/target', 'IMMEDIATE_JUMP_CYCLE_CONDITIONAL']]);
    // Delayed self-jumps are a legitimate periodic reminder, not a loop.
    expect(validateWorkflowDefinition(base([{ id: 'again', kind: 'auto_jump', trigger: { afterDelay: 'P7D' }, target: 'a' }])).ok).toBe(true);
  });

  it('warns (without refusing) about unreachable statuses, dead ends and low-contrast colours', () => {
    const orphan = { id: 'orphan', label: 'Orpheline', colour: '#FFD700', visibility: 'internal', final: false, actions: [] };
    const result = validateWorkflowDefinition(base([], [orphan]));
    expect(result.ok).toBe(true);
    expect(warningsOf(result)).toEqual([
      ['/statuses/2/colour', 'COLOUR_LOW_CONTRAST'],
      ['/statuses/2', 'STATUS_UNREACHABLE'],
      ['/statuses/2', 'STATUS_DEAD_END'],
    ]);
  });

  it('ships three example workflows that validate without any warning', () => {
    for (const example of [SIMPLE_REQUEST_WORKFLOW, ANOMALY_REPORT_WORKFLOW, APPOINTMENT_WORKFLOW]) {
      expect(validateWorkflowDefinition(example)).toEqual({ ok: true, definition: example, warnings: [] });
    }
    expect(validateWorkflowDefinition(APPOINTMENT_WORKFLOW, { formFieldIds: ['date_rdv', 'motif'] }).ok).toBe(true);
  });

  it('accepts the full example of the README, which is the simple request workflow', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(readme)![1]!);
    expect(validateWorkflowDefinition(example)).toMatchObject({ ok: true, warnings: [] });
    expect(example.statuses.map((status: { id: string }) => status.id)).toEqual(SIMPLE_REQUEST_WORKFLOW.statuses.map((status) => status.id));
  });

  it('publishes the format as a JSON Schema with patterns, enums and every action kind', () => {
    const schema = WORKFLOW_DEFINITION_JSON_SCHEMA as { $schema: string; required: string[]; properties: Record<string, unknown> };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(expect.arrayContaining(['schemaVersion', 'initialStatus', 'statuses', 'functions']));
    const text = JSON.stringify(schema);
    for (const kind of ['button', 'auto_jump', 'request_info', 'notify_citizen', 'notify_agents', 'comment', 'attach_document', 'set_backoffice_fields', 'assign', 'webservice', 'create_child_demand', 'anonymise', 'delete']) {
      expect(text).toContain(`"const":"${kind}"`);
    }
    expect(text).toContain('"pattern":"^#[0-9A-Fa-f]{6}$"');
    expect(text).toContain('"enum":["citizen","internal"]');
    expect(JSON.parse(text)).toEqual(schema);
  });
});
