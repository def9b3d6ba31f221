import { describe, expect, it } from '@jest/globals';
import { compileWorkflow } from '../engine/compiled-workflow.js';
import type { Actor, ApplyResult, ConditionEvaluator, WorkflowCommand, WorkflowState } from '../engine/workflow.types.js';
import type { TemplateVariables } from '../templates/templates.js';
import { ANOMALY_REPORT_WORKFLOW } from './anomaly-report.workflow.js';
import { APPOINTMENT_WORKFLOW } from './appointment.workflow.js';
import { SIMPLE_REQUEST_WORKFLOW } from './simple-request.workflow.js';

/** Fakes the forms language for the few expressions the examples use. */
const evaluator: ConditionEvaluator = {
  evaluate(expression, variables) {
    if (expression === "field.categorie in ['eclairage', 'voirie']") return ['eclairage', 'voirie'].includes(String(variables.form?.categorie));
    throw new Error(`expression inattendue : ${expression}`);
  },
};
const system: Actor = { kind: 'system' };
const citizen: Actor = { kind: 'citizen', id: 'sub-1' };

function driver(workflow: ReturnType<typeof compileWorkflow>, variables: TemplateVariables, start: string) {
  let now = start;
  const first = workflow.start({ now, actor: citizen, variables, evaluator });
  if (!first.ok) throw first.error;
  let state: WorkflowState = first.state;
  return {
    first,
    get state() {
      return state;
    },
    at(instant: string) {
      now = instant;
    },
    do(command: WorkflowCommand, actor: Actor): ApplyResult & { ok: true } {
      const result = workflow.apply(state, command, { now, actor, variables, evaluator });
      if (!result.ok) throw result.error;
      state = result.state;
      return result;
    },
    try(command: WorkflowCommand, actor: Actor) {
      return workflow.apply(state, command, { now, actor, variables, evaluator });
    },
  };
}

const vars = (form: Record<string, unknown>): TemplateVariables => ({
  demand: { trackingCode: 'R4ND-0M42', url: 'https://guichet.example.org/suivi/R4ND-0M42' },
  form,
  collectivity: { name: 'Ville de Givors' },
});

describe('SIMPLE_REQUEST_WORKFLOW', () => {
  it('acknowledges, is taken in bulk, and refuses with a confirmed, citizen-visible reason', () => {
    const workflow = compileWorkflow(SIMPLE_REQUEST_WORKFLOW);
    const agent: Actor = { kind: 'agent', functions: ['receiver'], id: 'a-1' };
    const run = driver(workflow, vars({}), '2026-02-02T08:00:00.000Z');
    expect(run.first.effects.map((effect) => [effect.kind, effect.actionId])).toEqual([
      ['notify_citizen', 'ack'],
      ['notify_agents', 'alert-receivers'],
    ]);
    expect(run.first.effects[0]).toMatchObject({ subject: 'Votre demande R4ND-0M42 a bien été reçue' });
    run.do({ kind: 'press', actionId: 'take', bulk: true }, agent);
    expect(run.try({ kind: 'press', actionId: 'refuse', comment: 'Hors délai' }, agent)).toMatchObject({ ok: false, error: { code: 'WORKFLOW_CONFIRMATION_REQUIRED' } });
    expect(run.try({ kind: 'press', actionId: 'refuse', confirmed: true }, agent)).toMatchObject({ ok: false, error: { code: 'WORKFLOW_COMMENT_REQUIRED' } });
    const refused = run.do({ kind: 'press', actionId: 'refuse', comment: 'Hors délai', confirmed: true }, agent);
    expect(refused.nextStatus).toBe('refused');
    expect(refused.events[0]).toMatchObject({ kind: 'button_pressed', visibility: 'citizen', text: 'Hors délai' });
    expect(refused.effects).toEqual([expect.objectContaining({ kind: 'notify_citizen', text: 'Bonjour,\n\nVotre demande R4ND-0M42 a été refusée pour le motif suivant :\nHors délai' })]);
    expect(workflow.availableActions(run.state, agent)).toEqual([]);
  });
});

describe('ANOMALY_REPORT_WORKFLOW', () => {
  it('routes by category, is closed by the commune GRU through the API, then auto-closed and anonymised after 30 days', () => {
    const workflow = compileWorkflow(ANOMALY_REPORT_WORKFLOW);
    const technician: Actor = { kind: 'agent', functions: ['technician'] };
    const run = driver(workflow, vars({ categorie: 'voirie', danger: true, description: 'Nid de poule' }), '2026-04-01T07:00:00.000Z');
    expect(run.first.effects.find((effect) => effect.kind === 'assign')).toEqual({ kind: 'assign', actionId: 'route', to: { function: 'technician' } });
    const qualified = run.do({ kind: 'press', actionId: 'qualify' }, technician);
    expect(qualified.effects).toEqual([{ kind: 'set_backoffice_fields', actionId: 'priority', values: { priorite: 'haute', service: 'voirie' } }]);
    expect(qualified.events.find((event) => event.kind === 'comment')).toMatchObject({ visibility: 'citizen', text: 'Une intervention est programmée par Ville de Givors.' });
    run.at('2026-04-03T10:00:00.000Z');
    const resolved = run.do({ kind: 'api_trigger', trigger: 'intervention-terminee' }, { kind: 'api', client: 'gru-givors' });
    expect(resolved.effects.map((effect) => effect.kind)).toEqual(['notify_citizen', 'schedule_timer']);
    expect(resolved.effects[1]).toEqual({ kind: 'schedule_timer', actionId: 'auto-close', statusId: 'resolved', dueAt: '2026-05-03T10:00:00.000Z' });
    expect(workflow.dueTimers(run.state, '2026-05-03T09:59:59.000Z')).toEqual([]);
    run.at('2026-05-03T10:00:00.000Z');
    const [timer] = workflow.dueTimers(run.state, '2026-05-03T10:00:00.000Z');
    const closed = run.do({ kind: 'timer', actionId: timer!.actionId }, system);
    expect(closed).toMatchObject({ nextStatus: 'closed', effects: [{ kind: 'anonymise', actionId: 'forget' }] });
    expect(workflow.citizenStatus(run.state).label).toBe('Clôturé');
  });

  it('closes a report whose author never answered the request for details', () => {
    const workflow = compileWorkflow(ANOMALY_REPORT_WORKFLOW);
    const run = driver(workflow, vars({ categorie: 'dechets' }), '2026-04-01T07:00:00.000Z');
    expect(run.first.effects.find((effect) => effect.kind === 'assign')).toMatchObject({ to: { function: 'receiver' } });
    const asked = run.do({ kind: 'press', actionId: 'ask-details', comment: 'l’adresse exacte' }, { kind: 'agent', functions: ['receiver'] });
    expect(asked.effects[0]).toMatchObject({ kind: 'notify_citizen', channels: ['email', 'sms', 'portal'], text: expect.stringContaining('merci de préciser : l’adresse exacte') });
    expect(asked.effects[1]).toMatchObject({ kind: 'schedule_timer', actionId: 'no-answer', dueAt: '2026-05-01T07:00:00.000Z' });
    run.at('2026-05-01T07:00:00.000Z');
    const closed = run.do({ kind: 'timer', actionId: 'no-answer' }, system);
    expect(closed.nextStatus).toBe('closed_no_answer');
    expect(closed.effects.map((effect) => effect.kind)).toEqual(['notify_citizen', 'anonymise']);
  });
});

describe('APPOINTMENT_WORKFLOW', () => {
  it('books, recovers from a calendar failure, reminds the day before under the citizen label, and lets the citizen cancel', () => {
    const workflow = compileWorkflow(APPOINTMENT_WORKFLOW);
    const desk: Actor = { kind: 'agent', functions: ['desk'] };
    const run = driver(workflow, vars({ date_rdv: '2026-06-15T08:30:00Z' }), '2026-06-01T09:00:00.000Z');
    const confirmed = run.do({ kind: 'press', actionId: 'confirm' }, desk);
    expect(confirmed.effects.map((effect) => effect.kind)).toEqual(['call_webservice', 'generate_document', 'notify_citizen', 'schedule_timer']);
    const call = confirmed.effects[0];
    if (call?.kind !== 'call_webservice') throw new Error('webservice expected');
    expect(JSON.parse(call.body!)).toEqual({ reference: 'R4ND-0M42', start: '2026-06-15T08:30:00Z' });
    expect(call).toMatchObject({ retries: 3, reportResult: true, storeResponseAs: 'booking' });
    expect(confirmed.effects[2]).toMatchObject({ subject: 'Rendez-vous confirmé le 15/06/2026 à 10:30', channels: ['email', 'sms', 'portal'] });
    expect(confirmed.effects[3]).toEqual({ kind: 'schedule_timer', actionId: 'remind', statusId: 'confirmed', dueAt: '2026-06-14T08:30:00.000Z' });

    const failed = run.do({ kind: 'webservice_result', actionId: 'book', ok: false }, system);
    expect(failed.nextStatus).toBe('booking_failed');
    expect(failed.events.find((event) => event.kind === 'status_changed')).toMatchObject({ visibility: 'internal', citizenStatusLabel: 'Rendez-vous confirmé' });
    run.do({ kind: 'press', actionId: 'retry' }, desk);
    run.do({ kind: 'webservice_result', actionId: 'book', ok: true }, system);

    run.at('2026-06-14T08:30:00.000Z');
    const reminded = run.do({ kind: 'timer', actionId: 'remind' }, system);
    expect(reminded.nextStatus).toBe('reminded');
    expect(reminded.effects).toEqual([expect.objectContaining({ kind: 'notify_citizen', channels: ['sms', 'email'], text: 'Rappel : vous avez rendez-vous le 15/06/2026 à 10:30 (Ville de Givors).' })]);
    expect(workflow.citizenStatus(run.state)).toMatchObject({ statusId: 'confirmed', label: 'Rendez-vous confirmé' });
    expect(workflow.availableActions(run.state, citizen).map((action) => [action.actionId, action.confirm])).toEqual([['cancel-late', 'Annuler ce rendez-vous ?']]);
    const cancelled = run.do({ kind: 'press', actionId: 'cancel-late', confirmed: true }, citizen);
    expect(cancelled).toMatchObject({ nextStatus: 'cancelled', effects: [{ kind: 'notify_agents', function: 'desk' }] });
  });
});
