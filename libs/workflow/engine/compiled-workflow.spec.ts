import { describe, expect, it } from '@jest/globals';
import { DomainError } from '#core';
import type { WorkflowDefinition } from '../definition/workflow-definition.schema.js';
import type { TemplateVariables } from '../templates/templates.js';
import { compileWorkflow } from './compiled-workflow.js';
import type { Actor, ApplyResult, ConditionEvaluator, WorkflowCommand, WorkflowState } from './workflow.types.js';

/** A fake of the forms expression language: a condition names a boolean form field; `boom` throws. */
const evaluator: ConditionEvaluator = {
  evaluate(expression: string, variables: TemplateVariables) {
    if (expression === 'boom') throw new Error('type incompatible');
    if (expression === 'always') return true;
    return variables.form?.[expression] === true;
  },
};

const receiver: Actor = { kind: 'agent', functions: ['receiver'], id: 'agent-1' };
const manager: Actor = { kind: 'agent', functions: ['manager'], id: 'agent-2' };
const stranger: Actor = { kind: 'agent', functions: ['other'] };
const citizen: Actor = { kind: 'citizen', id: 'sub-1' };
const system: Actor = { kind: 'system' };
const api: Actor = { kind: 'api', client: 'gru-commune' };

const NOW = '2026-03-10T09:00:00.000Z';
const variables: TemplateVariables = {
  demand: { trackingCode: 'K7P2-XQ9M', url: 'https://guichet.example.org/suivi/K7P2-XQ9M' },
  form: { nom: 'Dupont & <fils>', urgent: true, date_rdv: '2026-03-20T14:00:00Z' },
  collectivity: { name: 'Ville de Vénissieux' },
};
const ctx = (actor: Actor, extra: Partial<{ now: string; variables: TemplateVariables }> = {}) => ({ now: extra.now ?? NOW, actor, variables: extra.variables ?? variables, evaluator });

/** Every action kind, so that effect planning is visible in one place. */
const KITCHEN_SINK: WorkflowDefinition = {
  schemaVersion: 1,
  initialStatus: 'received',
  functions: [
    { id: 'receiver', label: 'Instructeur' },
    { id: 'manager', label: 'Responsable' },
  ],
  backofficeFields: [{ id: 'prio', label: 'Priorité' }],
  statuses: [
    {
      id: 'received',
      label: 'Reçue',
      colour: '#1F5FAD',
      visibility: 'citizen',
      final: false,
      actions: [
        { id: 'ack', kind: 'notify_citizen', channels: ['email', 'sms'], subject: 'Demande {{demand.trackingCode}} : {{demand.statusLabel}}', body: 'Bonjour {{form.nom}},\n\nSuivi : {{demand.url}}' },
        { id: 'alert', kind: 'notify_agents', function: 'receiver', subject: 'Nouvelle demande', body: '{{form.nom}}' },
        { id: 'note-int', kind: 'comment', visibility: 'internal', text: 'Vérifier le dossier de {{form.nom}}' },
        { id: 'note-pub', kind: 'comment', visibility: 'citizen', text: 'Merci, {{collectivity.name}} traite votre demande.' },
        { id: 'doc', kind: 'attach_document', documentTemplate: 'accuse-reception', filename: 'ar-{{demand.trackingCode}}.pdf', visibility: 'citizen' },
        { id: 'bo', kind: 'set_backoffice_fields', fields: [{ field: 'prio', value: '{{#if form.urgent}}haute{{else}}normale{{/if}}' }] },
        { id: 'route', kind: 'assign', to: { function: 'receiver' }, rules: [{ condition: 'urgent', to: { function: 'manager' } }] },
        {
          id: 'ws',
          kind: 'webservice',
          url: 'https://api.example.org/dossiers?nom={{urlencode form.nom}}',
          method: 'POST',
          headers: { Authorization: 'Bearer {{backoffice.prio}}' },
          body: '{"nom": {{json form.nom}} }',
          retries: 2,
          storeResponseAs: 'dossier',
          onFailure: 'failed',
        },
        { id: 'child', kind: 'create_child_demand', teleservice: 'pass-decheterie', mapping: { nom: '{{form.nom}}' } },
        { id: 'late', kind: 'auto_jump', trigger: { afterDelay: 'P2D' }, target: 'in_progress' },
        { id: 'before-rdv', kind: 'auto_jump', trigger: { atDateField: 'date_rdv', offset: '-PT2H' }, target: 'in_progress' },
        { id: 'paid', kind: 'auto_jump', trigger: { apiTrigger: 'paiement' }, target: 'in_progress' },
        { id: 'skipped', kind: 'notify_citizen', condition: 'never', channels: ['email'], subject: 'jamais', body: 'jamais' },
        { id: 'take', kind: 'button', label: 'Prendre en charge', target: 'in_progress', functions: ['receiver'], commentVisibility: 'citizen' },
        { id: 'escalate', kind: 'button', label: 'Escalader', target: 'in_progress', functions: ['manager'], confirm: 'Escalader ?', bulkAllowed: true },
        { id: 'vip', kind: 'button', label: 'Traitement prioritaire', target: 'in_progress', functions: ['receiver'], condition: 'vip' },
        { id: 'ask', kind: 'request_info', label: 'Demander un complément', functions: ['receiver'], commentRequired: true, message: 'Merci de préciser : {{action.comment}}', waitingStatus: 'waiting', resumeStatus: 'received' },
        { id: 'cancel', kind: 'button', label: 'Annuler ma demande', target: 'cancelled', functions: [], byCitizen: true },
      ],
    },
    { id: 'waiting', label: 'En attente de votre réponse', colour: '#6E445A', visibility: 'citizen', final: false, actions: [] },
    {
      id: 'in_progress',
      label: 'Instruction interne',
      colour: '#B34700',
      visibility: 'internal',
      final: false,
      actions: [
        { id: 'close', kind: 'button', label: 'Clore', target: 'closed', functions: ['receiver'], commentRequired: true },
        { id: 'sla', kind: 'auto_jump', trigger: { afterDelay: 3600 }, target: 'received', condition: 'urgent' },
      ],
    },
    { id: 'failed', label: 'Échec de transmission', colour: '#CE0500', visibility: 'internal', final: false, actions: [{ id: 'retry', kind: 'button', label: 'Réessayer', target: 'received', functions: ['receiver'] }] },
    {
      id: 'closed',
      label: 'Close',
      colour: '#18753C',
      visibility: 'citizen',
      final: true,
      actions: [
        { id: 'anon', kind: 'anonymise' },
        { id: 'del', kind: 'delete', delay: 'P1Y' },
      ],
    },
    { id: 'cancelled', label: 'Annulée', colour: '#3A3A3A', visibility: 'citizen', final: true, actions: [] },
  ],
};

const workflow = compileWorkflow(KITCHEN_SINK);
const at = (statusId: string, extra: Partial<WorkflowState> = {}): WorkflowState => ({
  statusId,
  enteredAt: NOW,
  citizenStatusId: KITCHEN_SINK.statuses.find((s) => s.id === statusId)?.visibility === 'citizen' ? statusId : 'received',
  pendingInfoRequest: null,
  ...extra,
});

function ok(result: ApplyResult) {
  if (!result.ok) throw new Error(`refused: ${result.error.code} ${result.error.message}`);
  return result;
}
function refused(result: ApplyResult) {
  if (result.ok) throw new Error(`expected a refusal, got ${result.nextStatus}`);
  expect(result).toEqual({ ok: false, error: expect.any(DomainError) });
  expect(Object.keys(result)).toEqual(['ok', 'error']); // no effects, no events, no state
  return result.error;
}

describe('compiled workflow: planning the entry actions of a status', () => {
  it('plans every action kind in order, rendered, with timers computed from now', () => {
    const result = ok(workflow.start(ctx(citizen)));
    expect(result.nextStatus).toBe('received');
    expect(result.visited).toEqual(['received']);
    expect(result.state).toEqual({ statusId: 'received', enteredAt: NOW, citizenStatusId: 'received', pendingInfoRequest: null });
    expect(result.effects).toEqual([
      {
        kind: 'notify_citizen',
        actionId: 'ack',
        channels: ['email', 'sms'],
        subject: 'Demande K7P2-XQ9M : Reçue',
        text: 'Bonjour Dupont & <fils>,\n\nSuivi : https://guichet.example.org/suivi/K7P2-XQ9M',
        html: '<p>Bonjour Dupont &amp; &lt;fils&gt;,</p>\n<p>Suivi : <a href="https://guichet.example.org/suivi/K7P2-XQ9M">https://guichet.example.org/suivi/K7P2-XQ9M</a></p>',
      },
      { kind: 'notify_agents', actionId: 'alert', function: 'receiver', subject: 'Nouvelle demande', text: 'Dupont & <fils>', html: '<p>Dupont &amp; &lt;fils&gt;</p>' },
      { kind: 'generate_document', actionId: 'doc', documentTemplate: 'accuse-reception', filename: 'ar-K7P2-XQ9M.pdf', visibility: 'citizen' },
      { kind: 'set_backoffice_fields', actionId: 'bo', values: { prio: 'haute' } },
      { kind: 'assign', actionId: 'route', to: { function: 'manager' } },
      {
        kind: 'call_webservice',
        actionId: 'ws',
        statusId: 'received',
        url: 'https://api.example.org/dossiers?nom=Dupont%20%26%20%3Cfils%3E',
        method: 'POST',
        headers: { Authorization: 'Bearer haute' },
        body: '{"nom": "Dupont & <fils>" }',
        timeoutSeconds: 10,
        retries: 2,
        storeResponseAs: 'dossier',
        reportResult: true,
      },
      { kind: 'create_child_demand', actionId: 'child', teleservice: 'pass-decheterie', data: { nom: 'Dupont & <fils>' } },
      { kind: 'schedule_timer', actionId: 'late', statusId: 'received', dueAt: '2026-03-12T09:00:00.000Z' },
      { kind: 'schedule_timer', actionId: 'before-rdv', statusId: 'received', dueAt: '2026-03-20T12:00:00.000Z' },
    ]);
    expect(result.events.map((event) => [event.kind, event.visibility, event.actionId ?? null])).toEqual([
      ['status_changed', 'citizen', null],
      ['citizen_notified', 'citizen', 'ack'],
      ['agents_notified', 'internal', 'alert'],
      ['comment', 'internal', 'note-int'],
      ['comment', 'citizen', 'note-pub'],
      ['document_requested', 'citizen', 'doc'],
      ['backoffice_fields_set', 'internal', 'bo'],
      ['assigned', 'internal', 'route'],
      ['webservice_requested', 'internal', 'ws'],
      ['child_demand_requested', 'internal', 'child'],
      ['timer_scheduled', 'internal', 'late'],
      ['timer_scheduled', 'internal', 'before-rdv'],
    ]);
    expect(result.events[0]).toEqual({
      kind: 'status_changed',
      at: NOW,
      actor: { kind: 'citizen', id: 'sub-1' },
      visibility: 'citizen',
      statusId: 'received',
      citizenStatusLabel: 'Reçue',
      fromStatusId: null,
      label: 'Reçue',
    });
    expect(result.events.find((event) => event.actionId === 'note-pub')?.text).toBe('Merci, Ville de Vénissieux traite votre demande.');
  });

  it('assigns by the default when no rule matches, and records a failing condition as false', () => {
    const calm = ok(workflow.start(ctx(citizen, { variables: { ...variables, form: { ...variables.form, urgent: false } } })));
    expect(calm.effects.find((effect) => effect.kind === 'assign')).toEqual({ kind: 'assign', actionId: 'route', to: { function: 'receiver' } });
    expect(calm.effects.find((effect) => effect.kind === 'set_backoffice_fields')).toMatchObject({ values: { prio: 'normale' } });

    const broken = compileWorkflow({ ...KITCHEN_SINK, statuses: KITCHEN_SINK.statuses.map((s) => (s.id === 'received' ? { ...s, actions: [{ id: 'route', kind: 'assign', to: { function: 'receiver' }, rules: [{ condition: 'boom', to: { person: 'x' } }] }, ...s.actions.slice(13)] } : s)) });
    const result = ok(broken.start(ctx(citizen)));
    expect(result.effects).toEqual([expect.objectContaining({ kind: 'assign', to: { function: 'receiver' } })]);
    expect(result.events.find((event) => event.kind === 'condition_error')).toMatchObject({ actionId: 'route', visibility: 'internal', text: 'type incompatible' });
  });

  it('refuses to plan conditions without an evaluator (the engine must inject one)', () => {
    const error = refused(workflow.start({ now: NOW, actor: citizen, variables }));
    expect(error.code).toBe('WORKFLOW_EVALUATOR_MISSING');
  });

  it('cannot be compiled from an invalid definition: every error is in the DomainError', () => {
    const attempt = () => compileWorkflow({ ...KITCHEN_SINK, initialStatus: 'nope', functions: [] });
    expect(attempt).toThrow(DomainError);
    try {
      attempt();
    } catch (error) {
      expect((error as DomainError).code).toBe('WORKFLOW_DEFINITION_INVALID');
      expect((error as DomainError).fields?.map((field) => field.path)).toEqual(
        expect.arrayContaining(['/initialStatus', '/statuses/0/actions/1/function', '/statuses/0/actions/13/functions/0']),
      );
    }
  });
});

describe('compiled workflow: who may do what', () => {
  it('lists the buttons per actor and status, conditions failing closed', () => {
    const ids = (actor: Actor, state = at('received'), withContext = true) =>
      workflow.availableActions(state, actor, withContext ? { variables, evaluator } : undefined).map((action) => `${action.kind}:${action.actionId}`);
    expect(ids(receiver)).toEqual(['button:take', 'request_info:ask']);
    expect(ids(manager)).toEqual(['button:escalate']);
    expect(ids({ kind: 'agent', functions: ['receiver', 'manager'] })).toEqual(['button:take', 'button:escalate', 'request_info:ask']);
    expect(ids(stranger)).toEqual([]);
    expect(ids(citizen)).toEqual(['button:cancel']);
    expect(ids(api)).toEqual(['api_trigger:paid']);
    expect(ids(system)).toEqual([]);
    expect(ids(receiver, at('in_progress'))).toEqual(['button:close']);
    expect(ids(receiver, at('closed'))).toEqual([]);
    expect(ids(receiver, at('ghost'))).toEqual([]);
    const vipVariables = { ...variables, form: { ...variables.form, vip: true } };
    expect(workflow.availableActions(at('received'), receiver, { variables: vipVariables, evaluator }).map((action) => action.actionId)).toEqual(['take', 'vip', 'ask']);
    expect(workflow.availableActions(at('received'), receiver).map((action) => action.actionId)).toEqual(['take', 'ask']);
    const escalate = workflow.availableActions(at('received'), manager, { evaluator })[0];
    expect(escalate).toEqual({
      actionId: 'escalate',
      kind: 'button',
      label: 'Escalader',
      targetStatusId: 'in_progress',
      confirm: 'Escalader ?',
      commentRequired: false,
      bulkAllowed: true,
      command: { kind: 'press', actionId: 'escalate' },
    });
  });

  it('applies an allowed button: event with the comment, jump, actions of the new status', () => {
    const result = ok(workflow.apply(at('received'), { kind: 'press', actionId: 'take', comment: '  Dossier complet  ' }, ctx(receiver, { now: '2026-03-11T10:00:00.000Z' })));
    expect(result.nextStatus).toBe('in_progress');
    expect(result.state).toEqual({ statusId: 'in_progress', enteredAt: '2026-03-11T10:00:00.000Z', citizenStatusId: 'received', pendingInfoRequest: null });
    expect(result.events.map((event) => [event.kind, event.visibility, event.actor.kind, event.statusId, event.citizenStatusLabel])).toEqual([
      ['button_pressed', 'citizen', 'agent', 'received', 'Reçue'],
      ['status_changed', 'internal', 'agent', 'in_progress', 'Reçue'],
      ['timer_scheduled', 'internal', 'system', 'in_progress', 'Reçue'],
    ]);
    expect(result.events[0]).toMatchObject({ actor: { kind: 'agent', id: 'agent-1' }, label: 'Prendre en charge', text: 'Dossier complet' });
    expect(result.effects).toEqual([{ kind: 'schedule_timer', actionId: 'sla', statusId: 'in_progress', dueAt: '2026-03-11T11:00:00.000Z' }]);
  });

  it('refuses, with a clear code and nothing planned: wrong function, wrong status, unknown action, final status, non-button, citizen on an agent button', () => {
    const press = (state: WorkflowState, command: WorkflowCommand, actor: Actor) => refused(workflow.apply(state, command, ctx(actor)));
    expect(press(at('received'), { kind: 'press', actionId: 'take' }, stranger)).toMatchObject({ code: 'WORKFLOW_ACTION_NOT_ALLOWED', kind: 'forbidden', message: 'Vous n\'avez pas la fonction nécessaire pour « Prendre en charge ».' });
    expect(press(at('received'), { kind: 'press', actionId: 'take' }, citizen)).toMatchObject({ code: 'WORKFLOW_ACTION_NOT_ALLOWED', kind: 'forbidden' });
    expect(press(at('received'), { kind: 'press', actionId: 'close', comment: 'x' }, receiver)).toMatchObject({
      code: 'WORKFLOW_ACTION_NOT_ALLOWED',
      kind: 'conflict',
      message: "L'action « Clore » n'est pas disponible au statut « Reçue ».",
    });
    expect(press(at('received'), { kind: 'press', actionId: 'ack' }, receiver)).toMatchObject({ code: 'WORKFLOW_ACTION_NOT_ALLOWED' });
    expect(press(at('received'), { kind: 'press', actionId: 'vip' }, receiver)).toMatchObject({ code: 'WORKFLOW_ACTION_NOT_ALLOWED', kind: 'conflict' });
    expect(press(at('received'), { kind: 'press', actionId: 'nope' }, receiver)).toMatchObject({ code: 'WORKFLOW_UNKNOWN_ACTION', kind: 'not_found' });
    expect(press(at('closed'), { kind: 'press', actionId: 'close' }, receiver)).toMatchObject({ code: 'WORKFLOW_DEMAND_CLOSED', message: "La demande est clôturée (« Close ») : plus aucune action n'est possible." });
    expect(press(at('ghost'), { kind: 'press', actionId: 'take' }, receiver)).toMatchObject({ code: 'WORKFLOW_UNKNOWN_STATUS' });
    expect(press(at('received'), { kind: 'teleport' } as unknown as WorkflowCommand, receiver)).toMatchObject({ code: 'WORKFLOW_INVALID_COMMAND' });
    expect(refused(workflow.apply(at('received'), { kind: 'press', actionId: 'take' }, { ...ctx(receiver), now: 'hier' })).code).toBe('WORKFLOW_INVALID_COMMAND');
  });

  it('requires the comment when the action says so, and bounds its length', () => {
    const error = refused(workflow.apply(at('in_progress'), { kind: 'press', actionId: 'close', comment: '   ' }, ctx(receiver)));
    expect(error).toMatchObject({ code: 'WORKFLOW_COMMENT_REQUIRED', kind: 'invalid', message: 'Un commentaire est obligatoire pour « Clore ».', fields: [{ path: 'comment', code: 'REQUIRED', message: 'Le commentaire est obligatoire.' }] });
    expect(refused(workflow.apply(at('in_progress'), { kind: 'press', actionId: 'close', comment: 'x'.repeat(10_001) }, ctx(receiver))).code).toBe('WORKFLOW_COMMENT_TOO_LONG');
    const closed = ok(workflow.apply(at('in_progress'), { kind: 'press', actionId: 'close', comment: 'Traité' }, ctx(receiver)));
    expect(closed.nextStatus).toBe('closed');
    // An internal comment stays internal; the final status's actions are planned.
    expect(closed.events[0]).toMatchObject({ kind: 'button_pressed', visibility: 'internal', text: 'Traité' });
    expect(closed.effects).toEqual([
      { kind: 'anonymise', actionId: 'anon' },
      { kind: 'delete_demand', actionId: 'del', at: '2027-03-10T09:00:00.000Z' },
    ]);
  });

  it('requires the confirmation of a button that asks for one, and refuses bulk use of a button that does not allow it', () => {
    expect(refused(workflow.apply(at('received'), { kind: 'press', actionId: 'escalate' }, ctx(manager)))).toMatchObject({
      code: 'WORKFLOW_CONFIRMATION_REQUIRED',
      message: 'Confirmation requise : Escalader ?',
    });
    expect(ok(workflow.apply(at('received'), { kind: 'press', actionId: 'escalate', confirmed: true, bulk: true }, ctx(manager))).nextStatus).toBe('in_progress');
    expect(refused(workflow.apply(at('received'), { kind: 'press', actionId: 'take', bulk: true }, ctx(receiver))).code).toBe('WORKFLOW_BULK_NOT_ALLOWED');
  });

  it('lets the citizen press a byCitizen button', () => {
    const result = ok(workflow.apply(at('received'), { kind: 'press', actionId: 'cancel' }, ctx(citizen)));
    expect(result).toMatchObject({ nextStatus: 'cancelled', effects: [] });
    expect(result.events.map((event) => [event.kind, event.actor.kind, event.visibility])).toEqual([
      ['button_pressed', 'citizen', 'internal'],
      ['status_changed', 'citizen', 'citizen'],
    ]);
  });
});

describe('compiled workflow: asking the citizen for information', () => {
  it('goes to the waiting status with a message, and the citizen answer resumes the demand', () => {
    const asked = ok(workflow.apply(at('received'), { kind: 'press', actionId: 'ask', comment: 'la photo du compteur' }, ctx(receiver, { now: '2026-03-11T08:00:00.000Z' })));
    expect(asked.state).toEqual({ statusId: 'waiting', enteredAt: '2026-03-11T08:00:00.000Z', citizenStatusId: 'waiting', pendingInfoRequest: { actionId: 'ask', requestedAt: '2026-03-11T08:00:00.000Z' } });
    expect(asked.effects).toEqual([
      {
        kind: 'notify_citizen',
        actionId: 'ask',
        channels: ['email', 'portal'],
        subject: "Votre demande K7P2-XQ9M : un complément d'information est nécessaire",
        text: 'Merci de préciser : la photo du compteur',
        html: '<p>Merci de préciser : la photo du compteur</p>',
      },
    ]);
    expect(asked.events.map((event) => [event.kind, event.visibility, event.text ?? null])).toEqual([
      ['info_requested', 'citizen', 'Merci de préciser : la photo du compteur'],
      ['status_changed', 'citizen', null],
    ]);
    expect(refused(workflow.apply(at('received'), { kind: 'press', actionId: 'ask' }, ctx(receiver))).code).toBe('WORKFLOW_COMMENT_REQUIRED');

    expect(workflow.availableActions(asked.state, citizen).map((action) => [action.kind, action.targetStatusId])).toEqual([['answer_info', 'received']]);
    expect(workflow.availableActions(asked.state, receiver)).toEqual([]);
    expect(refused(workflow.apply(asked.state, { kind: 'answer_info', answer: 'voici' }, ctx(receiver))).code).toBe('WORKFLOW_ACTION_NOT_ALLOWED');

    const answered = ok(workflow.apply(asked.state, { kind: 'answer_info', answer: 'Photo jointe.' }, ctx(citizen)));
    expect(answered.nextStatus).toBe('received');
    expect(answered.state.pendingInfoRequest).toBeNull();
    expect(answered.events.slice(0, 2).map((event) => [event.kind, event.visibility, event.actor.kind, event.text ?? null])).toEqual([
      ['info_answered', 'citizen', 'citizen', 'Photo jointe.'],
      ['status_changed', 'citizen', 'citizen', null],
    ]);
    // The received status's actions run again (acknowledgement, timers…).
    expect(answered.effects[0]).toMatchObject({ kind: 'notify_citizen', actionId: 'ack' });
    // No second answer: the request is closed.
    expect(refused(workflow.apply(answered.state, { kind: 'answer_info' }, ctx(citizen))).code).toBe('WORKFLOW_NO_PENDING_REQUEST');
    expect(refused(workflow.apply(at('waiting'), { kind: 'answer_info' }, ctx(citizen))).code).toBe('WORKFLOW_NO_PENDING_REQUEST');
  });
});

describe('compiled workflow: triggers, timers and webservice outcomes', () => {
  it('jumps on an API trigger available in the current status only', () => {
    const result = ok(workflow.apply(at('received'), { kind: 'api_trigger', trigger: 'paiement' }, ctx(api)));
    expect(result.nextStatus).toBe('in_progress');
    expect(result.events[0]).toMatchObject({ kind: 'api_triggered', actor: { kind: 'api', client: 'gru-commune' }, label: 'paiement', visibility: 'internal' });
    expect(refused(workflow.apply(at('in_progress'), { kind: 'api_trigger', trigger: 'paiement' }, ctx(api))).code).toBe('WORKFLOW_TRIGGER_NOT_AVAILABLE');
    expect(refused(workflow.apply(at('received'), { kind: 'api_trigger', trigger: 'inconnu' }, ctx(api))).code).toBe('WORKFLOW_TRIGGER_NOT_AVAILABLE');
    expect(refused(workflow.apply(at('received'), { kind: 'api_trigger', trigger: 'paiement' }, ctx(receiver))).code).toBe('WORKFLOW_ACTION_NOT_ALLOWED');
  });

  it('computes delayed and date-based timers from the entry instant and the date field', () => {
    const state = at('received', { enteredAt: '2026-03-10T09:00:00.000Z' });
    expect(workflow.scheduleFor('received', state.enteredAt, variables)).toEqual([
      { actionId: 'late', statusId: 'received', targetStatusId: 'in_progress', dueAt: '2026-03-12T09:00:00.000Z' },
      { actionId: 'before-rdv', statusId: 'received', targetStatusId: 'in_progress', dueAt: '2026-03-20T12:00:00.000Z' },
    ]);
    expect(workflow.scheduleFor('received', state.enteredAt, { form: {} }).map((timer) => timer.dueAt)).toEqual(['2026-03-12T09:00:00.000Z', null]);
    expect(workflow.dueTimers(state, '2026-03-12T08:59:59.999Z', variables)).toEqual([]);
    expect(workflow.dueTimers(state, '2026-03-12T09:00:00.000Z', variables).map((timer) => timer.actionId)).toEqual(['late']);
    expect(workflow.dueTimers(state, '2026-04-01T00:00:00.000Z', variables).map((timer) => timer.actionId)).toEqual(['late', 'before-rdv']);
    expect(workflow.dueTimers(at('closed'), '2030-01-01T00:00:00.000Z', variables)).toEqual([]);
    expect(workflow.scheduleFor('ghost', NOW)).toEqual([]);
  });

  it('fires a due timer, refuses one not yet due, stale or fired by someone else', () => {
    const state = at('received');
    expect(refused(workflow.apply(state, { kind: 'timer', actionId: 'late' }, ctx(system, { now: '2026-03-11T09:00:00.000Z' })))).toMatchObject({
      code: 'WORKFLOW_TIMER_NOT_DUE',
      message: "Ce délai n'échoit que le 2026-03-12T09:00:00.000Z.",
    });
    const fired = ok(workflow.apply(state, { kind: 'timer', actionId: 'late' }, ctx(system, { now: '2026-03-12T09:00:00.000Z' })));
    expect(fired.nextStatus).toBe('in_progress');
    expect(fired.events[0]).toMatchObject({ kind: 'timer_fired', actor: { kind: 'system' }, actionId: 'late' });
    expect(refused(workflow.apply(fired.state, { kind: 'timer', actionId: 'late' }, ctx(system, { now: '2026-03-13T00:00:00.000Z' }))).code).toBe('WORKFLOW_STALE_COMMAND');
    expect(refused(workflow.apply(state, { kind: 'timer', actionId: 'late' }, ctx(receiver, { now: '2026-03-13T00:00:00.000Z' }))).code).toBe('WORKFLOW_ACTION_NOT_ALLOWED');
    expect(refused(workflow.apply(state, { kind: 'timer', actionId: 'before-rdv' }, ctx(system, { now: '2026-04-01T00:00:00.000Z', variables: { form: {} } }))).code).toBe('WORKFLOW_TIMER_NOT_DUE');
    expect(ok(workflow.apply(state, { kind: 'timer', actionId: 'before-rdv' }, ctx(system, { now: '2026-03-20T12:00:00.000Z' }))).nextStatus).toBe('in_progress');
    // A timer whose condition no longer holds does not jump.
    const calm = { ...variables, form: { ...variables.form, urgent: false } };
    expect(refused(workflow.apply(at('in_progress'), { kind: 'timer', actionId: 'sla' }, ctx(system, { now: '2026-03-10T10:00:00.000Z', variables: calm }))).code).toBe('WORKFLOW_CONDITION_NOT_MET');
    // Re-entering a status resets its timers: the timer planned on the first visit is no longer due.
    expect(refused(workflow.apply(at('received', { enteredAt: '2026-03-12T08:00:00.000Z' }), { kind: 'timer', actionId: 'late' }, ctx(system, { now: '2026-03-12T09:00:00.000Z' }))).code).toBe('WORKFLOW_TIMER_NOT_DUE');
  });

  it('jumps to onFailure when the webservice failed, stays put on success without onSuccess', () => {
    const failed = ok(workflow.apply(at('received'), { kind: 'webservice_result', actionId: 'ws', ok: false }, ctx(system)));
    expect(failed.nextStatus).toBe('failed');
    expect(failed.events.map((event) => event.kind)).toEqual(['webservice_result', 'status_changed']);
    const succeeded = ok(workflow.apply(at('received'), { kind: 'webservice_result', actionId: 'ws', ok: true }, ctx(system)));
    expect(succeeded).toMatchObject({ nextStatus: 'received', visited: [], effects: [] });
    expect(succeeded.state).toEqual(at('received'));
    expect(succeeded.events).toEqual([expect.objectContaining({ kind: 'webservice_result', label: 'succès', visibility: 'internal' })]);
    expect(refused(workflow.apply(at('in_progress'), { kind: 'webservice_result', actionId: 'ws', ok: false }, ctx(system))).code).toBe('WORKFLOW_STALE_COMMAND');
  });
});

describe('compiled workflow: chains of automatic jumps', () => {
  const chain = (maxChainLength?: number) =>
    compileWorkflow(
      {
        schemaVersion: 1,
        initialStatus: 'start',
        functions: [{ id: 'receiver', label: 'Instructeur' }],
        statuses: [
          { id: 'start', label: 'Déposée', colour: '#1F5FAD', visibility: 'citizen', final: false, actions: [{ id: 'go', kind: 'button', label: 'Go', target: 'a', functions: ['receiver'] }] },
          {
            id: 'a',
            label: 'A',
            colour: '#1F5FAD',
            visibility: 'internal',
            final: false,
            actions: [
              { id: 'a-note', kind: 'comment', visibility: 'internal', text: 'passage en A' },
              { id: 'a-b', kind: 'auto_jump', trigger: 'immediate', target: 'b', condition: 'always' },
              { id: 'a-never', kind: 'comment', visibility: 'internal', text: 'jamais écrit' },
            ],
          },
          {
            id: 'b',
            label: 'B',
            colour: '#1F5FAD',
            visibility: 'citizen',
            final: false,
            actions: [
              { id: 'b-tell', kind: 'notify_citizen', channels: ['portal'], subject: 'Statut : {{demand.statusLabel}}', body: 'B' },
              { id: 'b-a', kind: 'auto_jump', trigger: 'immediate', target: 'a', condition: 'loop' },
              { id: 'b-end', kind: 'auto_jump', trigger: 'immediate', target: 'end' },
            ],
          },
          { id: 'end', label: 'Terminée', colour: '#18753C', visibility: 'citizen', final: true, actions: [] },
        ],
      },
      { maxChainLength },
    );

  it('chains immediate jumps, collecting effects in order and skipping the rest of a status left', () => {
    const result = ok(chain().apply(at('start', { citizenStatusId: 'start' }), { kind: 'press', actionId: 'go' }, ctx(receiver, { variables: { form: { loop: false } } })));
    expect(result.visited).toEqual(['a', 'b', 'end']);
    expect(result.nextStatus).toBe('end');
    expect(result.effects).toEqual([{ kind: 'notify_citizen', actionId: 'b-tell', channels: ['portal'], subject: 'Statut : B', text: 'B', html: '<p>B</p>' }]);
    expect(result.events.map((event) => [event.kind, event.statusId, event.citizenStatusLabel, event.visibility])).toEqual([
      ['button_pressed', 'start', 'Déposée', 'internal'],
      ['status_changed', 'a', 'Déposée', 'internal'],
      ['comment', 'a', 'Déposée', 'internal'],
      ['status_changed', 'b', 'B', 'citizen'],
      ['citizen_notified', 'b', 'B', 'citizen'],
      ['status_changed', 'end', 'Terminée', 'citizen'],
    ]);
    expect(result.events.some((event) => event.actionId === 'a-never')).toBe(false);
  });

  it('stops a loop that validation could not rule out at the chain cap, planning nothing', () => {
    const error = refused(chain().apply(at('start'), { kind: 'press', actionId: 'go' }, ctx(receiver, { variables: { form: { loop: true } } })));
    expect(error).toMatchObject({ code: 'WORKFLOW_LOOP_DETECTED', kind: 'conflict' });
    expect(error.message).toBe('Plus de 25 sauts automatiques enchaînés : le workflow boucle, la demande reste inchangée.');
    expect(refused(chain(3).apply(at('start'), { kind: 'press', actionId: 'go' }, ctx(receiver, { variables: { form: { loop: true } } }))).message).toContain('Plus de 3 sauts');
  });
});

describe('compiled workflow: what the citizen sees', () => {
  it('shows a citizen status by its label and an internal one by the last citizen-visible label', () => {
    expect(workflow.citizenStatus('received')).toEqual({ statusId: 'received', label: 'Reçue', colour: '#1F5FAD' });
    expect(workflow.citizenStatus('in_progress')).toEqual({ statusId: null, label: 'En cours de traitement', colour: null });
    expect(workflow.citizenStatus(at('in_progress', { citizenStatusId: 'waiting' }))).toEqual({ statusId: 'waiting', label: 'En attente de votre réponse', colour: '#6E445A' });
    expect(workflow.citizenStatus(at('failed', { citizenStatusId: null }))).toEqual({ statusId: null, label: 'En cours de traitement', colour: null });
    expect(workflow.citizenStatus(at('closed', { citizenStatusId: 'received' })).label).toBe('Close');
  });

  it('keeps templates on the citizen label while the demand is in an internal status', () => {
    const internalFirst = compileWorkflow({
      schemaVersion: 1,
      initialStatus: 'triage',
      functions: [{ id: 'receiver', label: 'Instructeur' }],
      statuses: [
        {
          id: 'triage',
          label: 'Tri interne',
          colour: '#3A3A3A',
          visibility: 'internal',
          final: false,
          actions: [
            { id: 'tell', kind: 'notify_citizen', channels: ['email'], subject: '{{demand.statusLabel}}', body: 'x' },
            { id: 'done', kind: 'button', label: 'OK', target: 'end', functions: ['receiver'] },
          ],
        },
        { id: 'end', label: 'Traitée', colour: '#18753C', visibility: 'citizen', final: true, actions: [] },
      ],
    });
    const started = ok(internalFirst.start(ctx(citizen)));
    expect(started.effects[0]).toMatchObject({ subject: 'En cours de traitement' });
    expect(started.events[0]).toMatchObject({ visibility: 'internal', citizenStatusLabel: 'En cours de traitement' });
    expect(started.state.citizenStatusId).toBeNull();
  });
});
