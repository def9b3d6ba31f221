import { describe, expect, it } from '@jest/globals';
import { DomainError } from '#core';
import { addDuration, parseIsoDuration } from '../definition/duration.js';
import type { WorkflowDefinition } from '../definition/workflow-definition.schema.js';
import { ANOMALY_REPORT_WORKFLOW } from '../examples/anomaly-report.workflow.js';
import { APPOINTMENT_WORKFLOW } from '../examples/appointment.workflow.js';
import { SIMPLE_REQUEST_WORKFLOW } from '../examples/simple-request.workflow.js';
import type { TemplateVariables } from '../templates/templates.js';
import { compileWorkflow } from './compiled-workflow.js';
import type { Actor, ConditionEvaluator, WorkflowCommand, WorkflowState } from './workflow.types.js';

/** mulberry32: a tiny seeded PRNG, so that a failing walk replays exactly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
    chance: (p: number) => next() < p,
  };
}

/** Conditions are names of boolean form fields (the forms language is plugged in by the engine). */
const evaluator: ConditionEvaluator = { evaluate: (expression, variables) => variables.form?.[expression] === true };

const STEPS = 2_000;

describe.each([
  ['SIMPLE_REQUEST_WORKFLOW', SIMPLE_REQUEST_WORKFLOW, 1],
  ['ANOMALY_REPORT_WORKFLOW', ANOMALY_REPORT_WORKFLOW, 2],
  ['APPOINTMENT_WORKFLOW', APPOINTMENT_WORKFLOW, 3],
] as Array<[string, WorkflowDefinition, number]>)('random walk over %s', (_name, definition, seed) => {
  it(`keeps its invariants over ${STEPS} random commands`, () => {
    const workflow = compileWorkflow(definition);
    const random = prng(seed);
    const statusIds = new Set(definition.statuses.map((status) => status.id));
    const actionIds = definition.statuses.flatMap((status) => status.actions.map((action) => action.id));
    const functions = definition.functions.map((fn) => fn.id);
    const triggers = definition.statuses.flatMap((status) =>
      status.actions.flatMap((action) => (action.kind === 'auto_jump' && typeof action.trigger === 'object' && 'apiTrigger' in action.trigger ? [action.trigger.apiTrigger] : [])),
    );
    const webservices = (statusId: string) => workflow.status(statusId)!.actions.filter((action) => action.kind === 'webservice').map((action) => action.id);
    const actors = (): Actor => {
      const kind = random.int(5);
      if (kind === 0) return { kind: 'citizen', id: 'sub' };
      if (kind === 1) return { kind: 'system' };
      if (kind === 2) return { kind: 'api', client: 'partner' };
      return { kind: 'agent', functions: [...functions, 'other'].filter(() => random.chance(0.5)) };
    };

    let now = '2026-01-05T08:00:00.000Z';
    let variables: TemplateVariables = {};
    const newDemand = () => {
      variables = {
        demand: { trackingCode: `T${random.int(1e6)}`, url: 'https://guichet.example.org/suivi' },
        form: { date_rdv: addDuration(now, parseIsoDuration(`P${1 + random.int(20)}D`)!), categorie: random.pick(['voirie', 'dechets']), danger: random.chance(0.5) },
        collectivity: { name: 'Commune' },
      };
      const started = workflow.start({ now, actor: { kind: 'citizen' }, variables, evaluator });
      if (!started.ok) throw started.error;
      return started.state;
    };
    let state: WorkflowState = newDemand();
    const visited = new Set([state.statusId]);
    let accepted = 0;
    let demands = 1;

    for (let step = 0; step < STEPS; step += 1) {
      if (random.chance(0.3)) now = addDuration(now, parseIsoDuration(`PT${random.int(24 * 20)}H`)!);
      if (random.chance(0.05)) now = addDuration(now, parseIsoDuration('P40D')!); // long silences let 30-day timers fall due
      const before = state;
      const actor = actors();
      let command: WorkflowCommand;
      let expectAccepted = false;
      let actorOverride: Actor | undefined;
      const available = workflow.availableActions(state, actor, { variables, evaluator });
      const due = workflow.dueTimers(state, now, variables);
      if (available.length > 0 && random.chance(0.5)) {
        // Whatever is offered, with what it asks for, is accepted.
        const offer = random.pick(available);
        command =
          offer.command.kind === 'press'
            ? { ...offer.command, comment: 'Commentaire', confirmed: true }
            : offer.command.kind === 'answer_info'
              ? { kind: 'answer_info', answer: 'Voici.' }
              : offer.command;
        expectAccepted = true;
      } else if (webservices(state.statusId).length > 0 && random.chance(0.3)) {
        // The worker reports a webservice outcome, as the engine does after the call.
        command = { kind: 'webservice_result', actionId: random.pick(webservices(state.statusId)), ok: random.chance(0.5) };
        actorOverride = { kind: 'system' };
        expectAccepted = true;
      } else if (due.length > 0 && random.chance(0.5)) {
        command = { kind: 'timer', actionId: due[0]!.actionId };
        const fired = workflow.apply(state, command, { now, actor: { kind: 'system' }, variables, evaluator });
        expect(fired.ok).toBe(true); // no condition on the examples' timers: a due timer always fires
        if (fired.ok) state = fired.state;
        visited.add(state.statusId);
        accepted += 1;
        continue;
      } else {
        const shape = random.int(5);
        command =
          shape === 0
            ? { kind: 'press', actionId: random.pick([...actionIds, 'ghost']), ...(random.chance(0.5) ? { comment: 'c' } : {}), confirmed: random.chance(0.5), bulk: random.chance(0.2) }
            : shape === 1
              ? { kind: 'answer_info', answer: 'r' }
              : shape === 2
                ? { kind: 'api_trigger', trigger: random.pick([...triggers, 'nope']) }
                : shape === 3
                  ? { kind: 'timer', actionId: random.pick(actionIds) }
                  : { kind: 'webservice_result', actionId: random.pick(actionIds), ok: random.chance(0.5) };
      }

      const result = workflow.apply(before, command, { now, actor: actorOverride ?? actor, variables, evaluator });
      if (expectAccepted) expect(result).toMatchObject({ ok: true });
      if (workflow.isFinal(before.statusId)) {
        // A final status never changes.
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.code).toBe('WORKFLOW_DEMAND_CLOSED');
      }
      if (!result.ok) {
        // Refused: a DomainError and nothing else (no effects, no events, state untouched).
        expect(result.error).toBeInstanceOf(DomainError);
        expect(Object.keys(result)).toEqual(['ok', 'error']);
        expect(result.error.message.length).toBeGreaterThan(0);
      } else {
        accepted += 1;
        state = result.state;
        expect(statusIds.has(result.nextStatus)).toBe(true);
        expect(state.statusId).toBe(result.nextStatus);
        if (result.visited.length > 0) {
          expect(result.visited.at(-1)).toBe(result.nextStatus);
          expect(state.enteredAt).toBe(now);
        } else {
          expect(state).toEqual(before);
        }
        result.visited.forEach((id) => visited.add(id));
        expect(result.events.length).toBeGreaterThan(0);
        for (const event of result.events) {
          expect(event.at).toBe(now);
          expect(['citizen', 'internal']).toContain(event.visibility);
          expect(statusIds.has(event.statusId)).toBe(true);
        }
        for (const effect of result.effects) expect(actionIds).toContain(effect.actionId);
      }
      // The state stays coherent: what the citizen sees is a citizen-visible status, a pending request
      // is only held in its waiting status.
      if (state.citizenStatusId !== null) expect(workflow.status(state.citizenStatusId)?.visibility).toBe('citizen');
      if (state.pendingInfoRequest) {
        const request = definition.statuses.flatMap((status) => status.actions).find((action) => action.id === state.pendingInfoRequest!.actionId);
        expect(request).toMatchObject({ kind: 'request_info', waitingStatus: state.statusId });
      }
      if (workflow.isFinal(state.statusId) && random.chance(0.5)) {
        state = newDemand();
        demands += 1;
      }
    }
    // The walk really explored the workflow: every status was reached, many commands went through.
    expect([...statusIds].filter((id) => !visited.has(id))).toEqual([]);
    expect(accepted).toBeGreaterThan(STEPS / 10);
    expect(demands).toBeGreaterThan(5);
  });
});
