import type { EntityManager } from 'typeorm';
import { citizenNotificationMail } from '#notifications';
import type { JobInput, OutboxService } from '#queue';
import type { ApplyResult, Effect, HistoryEvent, TemplateVariables, WorkflowState } from '#workflow';
import type { Actor as HistoryActor, Visibility } from '../demands.types.js';
import type { CompiledDefinition } from '../engine/compiled-definitions.js';
import type { DemandChanges, NewEvent } from '../repositories/demand.repository.js';

/** A job to write to the outbox with the demand's transaction. */
export type PlannedJob =
  | { job: 'mail.send'; payload: JobInput<'mail.send'>; key: string; delayMs?: number }
  | { job: 'demand.route'; payload: JobInput<'demand.route'>; key: string; delayMs?: number }
  | { job: 'workflow.timer'; payload: JobInput<'workflow.timer'>; key: string; delayMs?: number }
  | { job: 'demand.deliver'; payload: JobInput<'demand.deliver'>; key: string; delayMs?: number }
  | { job: 'notification.portal'; payload: JobInput<'notification.portal'>; key: string; delayMs?: number };

/** What a successful workflow step writes, besides the status. */
export interface PlannedOutcome {
  changes: Pick<DemandChanges, 'assignedFunction' | 'assignedAgent' | 'backofficeData'>;
  events: NewEvent[];
  jobs: PlannedJob[];
}

export interface DemandFacts {
  id: string;
  trackingCode: string;
  submittedAt: Date;
  data: Record<string, unknown>;
  backofficeData: Record<string, unknown>;
  collectivityName: string;
  /** The demand's collectivity and citizen account (portal notifications); absent: no portal notification. */
  collectivityId?: string;
  accountSub?: string | null;
}

/** The demand's variables for workflow conditions and templates. */
export function variablesOf(demand: DemandFacts): TemplateVariables {
  return {
    demand: { id: demand.id, trackingCode: demand.trackingCode, submittedAt: demand.submittedAt.toISOString() },
    form: demand.data,
    collectivity: { name: demand.collectivityName },
    backoffice: demand.backofficeData,
  };
}

/** The state of a demand as the state machine expects it (rows written before `workflow_state` get a minimal one). */
export function workflowStateOf(demand: { status: string; statusEnteredAt: Date; workflowState: Record<string, unknown> | null }): WorkflowState {
  const saved = demand.workflowState as Partial<WorkflowState> | null;
  if (saved && saved.statusId === demand.status && typeof saved.enteredAt === 'string') {
    return {
      statusId: saved.statusId,
      enteredAt: saved.enteredAt,
      citizenStatusId: saved.citizenStatusId ?? null,
      pendingInfoRequest: saved.pendingInfoRequest ?? null,
    };
  }
  return { statusId: demand.status, enteredAt: demand.statusEnteredAt.toISOString(), citizenStatusId: null, pendingInfoRequest: null };
}

/** Maps the workflow's history events to rows: the command's actor for its own events, the system for automatic ones. */
export function historyRows(events: readonly HistoryEvent[], actor: HistoryActor): NewEvent[] {
  return events.map((event) => ({
    at: new Date(event.at),
    kind: event.kind,
    actor: event.actor.kind === 'system' ? { type: 'system', name: 'workflow' } : actor,
    visibility: event.visibility,
    statusFrom: event.kind === 'status_changed' ? (event.fromStatusId ?? null) : null,
    statusTo: event.kind === 'status_changed' ? event.statusId : null,
    payload: compact({
      statusId: event.statusId,
      citizenStatusLabel: event.citizenStatusLabel,
      actionId: event.actionId,
      label: event.label,
      text: event.text,
    }),
  }));
}

/**
 * Turns a successful plan into rows: effects that stay in the database (assignment, back-office fields) become
 * changes of the demand; effects that leave the process become outbox jobs with deterministic keys
 * (`demand/<id>/<lockVersion>-<actionId>/<channel>`: the same step replayed writes the same job once); effects
 * no job carries yet are recorded as internal `effect_deferred` events, never dropped silently. Citizen mails are
 * framed by #notifications' template (the collectivity's name); `portal` becomes a `notification.portal` job
 * when the demand has a citizen account.
 */
export function planOutcome(args: {
  demand: DemandFacts;
  definition: CompiledDefinition;
  result: Extract<ApplyResult, { ok: true }>;
  actor: HistoryActor;
  /** lock_version of the demand once this step is written. */
  lockVersion: number;
  now: Date;
  contactEmail: string | null;
}): PlannedOutcome {
  const { demand, result, now } = args;
  const events = historyRows(result.events, args.actor);
  const jobs: PlannedJob[] = [];
  const changes: PlannedOutcome['changes'] = {};
  const step = `demand/${demand.id}/${args.lockVersion}`;
  for (const effect of result.effects) {
    switch (effect.kind) {
      case 'notify_citizen': {
        if (effect.channels.includes('email') && args.contactEmail) {
          const mail = citizenNotificationMail({ collectivityName: demand.collectivityName, subject: effect.subject, text: effect.text || effect.subject, html: effect.html || null });
          jobs.push({
            job: 'mail.send',
            payload: { to: args.contactEmail, subject: oneLine(effect.subject), text: mail.text, html: mail.html, ...(mail.headers ? { headers: mail.headers } : {}) },
            key: `${step}-${effect.actionId}/email`,
          });
        }
        // Portal notifications need a citizen account (an anonymous or agent-typed demand has none).
        const portal = effect.channels.includes('portal') && demand.accountSub && demand.collectivityId;
        if (portal) {
          jobs.push({
            job: 'notification.portal',
            payload: {
              accountSub: demand.accountSub!,
              demandId: demand.id,
              collectivityId: demand.collectivityId!,
              kind: 'demand.update',
              title: oneLine(effect.subject),
              body: (effect.text || effect.subject).slice(0, 10_000),
            },
            key: `${step}-${effect.actionId}/portal`,
          });
        }
        for (const channel of effect.channels.filter((c) => (c !== 'email' || !args.contactEmail) && (c !== 'portal' || !portal))) events.push(deferred(effect, now, channel));
        break;
      }
      case 'schedule_timer':
        jobs.push({
          job: 'workflow.timer',
          payload: { demandId: demand.id, actionId: effect.actionId, dueAt: effect.dueAt },
          key: `demand/${demand.id}/timer/${effect.actionId}/${Date.parse(result.state.enteredAt)}`,
          delayMs: Math.max(0, Date.parse(effect.dueAt) - now.getTime()),
        });
        break;
      case 'assign':
        if ('function' in effect.to) {
          changes.assignedFunction = effect.to.function;
          changes.assignedAgent = null;
        } else {
          changes.assignedAgent = effect.to.person;
        }
        break;
      case 'set_backoffice_fields':
        changes.backofficeData = { ...(changes.backofficeData ?? demand.backofficeData), ...effect.values };
        break;
      default:
        events.push(deferred(effect, now));
    }
  }
  return { changes, events, jobs };
}

/** Writes the planned jobs in the caller's transaction. */
export async function writeJobs(outbox: OutboxService, manager: EntityManager, jobs: readonly PlannedJob[]): Promise<void> {
  for (const planned of jobs) {
    // One switch arm per job keeps the payload typed against its catalogue entry.
    switch (planned.job) {
      case 'mail.send':
        await outbox.add(manager, 'mail.send', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'demand.route':
        await outbox.add(manager, 'demand.route', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'workflow.timer':
        await outbox.add(manager, 'workflow.timer', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'demand.deliver':
        await outbox.add(manager, 'demand.deliver', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'notification.portal':
        await outbox.add(manager, 'notification.portal', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
    }
  }
}

/** The citizen's notification address: the one given with the command, else the form's first email field. */
export function contactEmailOf(definition: CompiledDefinition, data: Record<string, unknown>, given?: string | null): string | null {
  if (given) return given;
  const value = definition.contactEmailField ? data[definition.contactEmailField] : undefined;
  return typeof value === 'string' && value.includes('@') ? value : null;
}

function deferred(effect: Effect, now: Date, channel?: string): NewEvent {
  return {
    at: now,
    kind: 'effect_deferred',
    actor: { type: 'system', name: 'workflow' },
    visibility: 'internal' as Visibility,
    payload: compact({ effect: effect.kind, actionId: effect.actionId, channel, reason: 'Effet non encore pris en charge par le moteur.' }),
  };
}

function oneLine(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ').trim();
  return (line || 'Votre demande').slice(0, 250);
}

function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
