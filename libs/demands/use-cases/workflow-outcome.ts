import type { EntityManager } from 'typeorm';
import { citizenNotificationMail, contactPhoneOf, defaultCitizenMessage, smsTextOf } from '#notifications';
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
  | { job: 'notification.portal'; payload: JobInput<'notification.portal'>; key: string; delayMs?: number }
  | { job: 'sms.send'; payload: JobInput<'sms.send'>; key: string; delayMs?: number }
  | { job: 'agents.notify'; payload: JobInput<'agents.notify'>; key: string; delayMs?: number }
  | { job: 'workflow.webservice'; payload: JobInput<'workflow.webservice'>; key: string; delayMs?: number }
  | { job: 'workflow.anonymise'; payload: JobInput<'workflow.anonymise'>; key: string; delayMs?: number }
  | { job: 'workflow.delete'; payload: JobInput<'workflow.delete'>; key: string; delayMs?: number }
  | { job: 'workflow.child-demand'; payload: JobInput<'workflow.child-demand'>; key: string; delayMs?: number }
  | { job: 'workflow.document'; payload: JobInput<'workflow.document'>; key: string; delayMs?: number };

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
    // Responses stored by `webservice` actions (`storeResponseAs`), kept with the back-office data.
    webservice: isRecord(demand.backofficeData[WEBSERVICE_DATA_KEY]) ? demand.backofficeData[WEBSERVICE_DATA_KEY] : {},
  };
}

/** Where webservice responses live in `backoffice_data`: `{ webservice: { <storeResponseAs>: <JSON> } }`. */
export const WEBSERVICE_DATA_KEY = 'webservice';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
        // Templates are mandatory in the definition, but may render empty (`{{form.x}}` left blank): the default
        // message of the event stands in, so that a citizen never receives an empty notification.
        const event = result.events.some((e) => e.kind === 'info_requested' && e.actionId === effect.actionId) ? 'information_requested' : 'update';
        const fallback = !effect.subject.trim() || !effect.text.trim() ? defaultCitizenMessage(event, variablesOf(demand)) : null;
        const subject = effect.subject.trim() ? effect.subject : fallback!.subject;
        const text = effect.text.trim() ? effect.text : fallback!.text;
        if (effect.channels.includes('email') && args.contactEmail) {
          const mail = citizenNotificationMail({ collectivityName: demand.collectivityName, subject, text, html: effect.text.trim() ? effect.html || null : null });
          jobs.push({
            job: 'mail.send',
            payload: {
              to: args.contactEmail,
              subject: oneLine(subject),
              text: mail.text,
              html: mail.html,
              ...(mail.headers ? { headers: mail.headers } : {}),
              // The worker frames the HTML part with the collectivity's branding (logo, colour) when it sends.
              ...(demand.collectivityId ? { brand: { collectivityId: demand.collectivityId } } : {}),
            },
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
              title: oneLine(subject),
              body: text.slice(0, 10_000),
            },
            key: `${step}-${effect.actionId}/portal`,
          });
        }
        // SMS (docs/worker.md): a demand with a citizen account goes to the account, whose mobile number and SMS choice
        // the worker reads when the SMS is due (a withdrawal stops it); a demand without account goes to the form's
        // marked phone field, when the form's consent box is ticked (#notifications' contactPhoneOf).
        const phone = effect.channels.includes('sms') && !demand.accountSub ? contactPhoneOf(args.definition.version.form, demand.data) : null;
        const smsTo = !effect.channels.includes('sms') ? null : demand.accountSub ? { accountSub: demand.accountSub, demandId: demand.id } : phone ? { to: phone } : null;
        if (smsTo) {
          jobs.push({
            job: 'sms.send',
            payload: { ...smsTo, text: smsTextOf({ collectivityName: demand.collectivityName, subject }) },
            key: `${step}-${effect.actionId}/sms`,
          });
        }
        for (const channel of effect.channels.filter((c) => (c !== 'email' || !args.contactEmail) && (c !== 'portal' || !portal) && (c !== 'sms' || !smsTo))) {
          events.push(
            channel === 'sms'
              ? deferredBecause(
                  effect,
                  now,
                  'Pas de numéro de mobile : demande sans compte dont le formulaire n’a pas de champ téléphone marqué comme celui de l’usager (format phone_fr, prérempli depuis le profil) avec la case consentement_sms cochée, ou il est vide.',
                  channel,
                )
              : deferred(effect, now, channel),
          );
        }
        break;
      }
      case 'notify_agents': {
        // The agents holding the function in the demand's collectivity, resolved by the worker (their preference: mail now or daily digest).
        if (!demand.collectivityId) {
          events.push(deferred(effect, now));
          break;
        }
        jobs.push({
          job: 'agents.notify',
          payload: {
            demandId: demand.id,
            collectivityId: demand.collectivityId,
            collectivityName: demand.collectivityName.slice(0, 200),
            function: effect.function,
            subject: oneLine(effect.subject),
            text: effect.text.slice(0, 100_000),
            ...(effect.html ? { html: effect.html.slice(0, 500_000) } : {}),
          },
          key: `${step}-${effect.actionId}/agents`,
        });
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
      // Effects run by the worker (libs/demands/engine/jobs/), one job per step and action.
      case 'call_webservice': {
        const { kind: _kind, actionId, statusId, ...request } = effect;
        jobs.push({ job: 'workflow.webservice', payload: { demandId: demand.id, actionId, step: args.lockVersion, statusId, request }, key: `${step}-${actionId}/webservice` });
        break;
      }
      case 'anonymise':
        jobs.push({ job: 'workflow.anonymise', payload: { demandId: demand.id, actionId: effect.actionId, step: args.lockVersion }, key: `${step}-${effect.actionId}/anonymise` });
        break;
      case 'delete_demand':
        jobs.push({
          job: 'workflow.delete',
          payload: { demandId: demand.id, actionId: effect.actionId, step: args.lockVersion, at: effect.at },
          key: `${step}-${effect.actionId}/delete`,
          delayMs: Math.max(0, Date.parse(effect.at) - now.getTime()),
        });
        break;
      case 'create_child_demand':
        jobs.push({
          job: 'workflow.child-demand',
          payload: { demandId: demand.id, actionId: effect.actionId, step: args.lockVersion, teleservice: effect.teleservice, data: effect.data },
          key: `${step}-${effect.actionId}/child-demand`,
        });
        break;
      case 'generate_document':
        jobs.push({
          job: 'workflow.document',
          payload: {
            demandId: demand.id,
            actionId: effect.actionId,
            step: args.lockVersion,
            documentTemplate: effect.documentTemplate,
            filename: documentFileName(effect.filename),
            visibility: effect.visibility,
          },
          key: `${step}-${effect.actionId}/document`,
        });
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
      case 'sms.send':
        await outbox.add(manager, 'sms.send', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'agents.notify':
        await outbox.add(manager, 'agents.notify', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'workflow.webservice':
        await outbox.add(manager, 'workflow.webservice', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'workflow.anonymise':
        await outbox.add(manager, 'workflow.anonymise', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'workflow.delete':
        await outbox.add(manager, 'workflow.delete', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'workflow.child-demand':
        await outbox.add(manager, 'workflow.child-demand', planned.payload, { key: planned.key, delayMs: planned.delayMs });
        break;
      case 'workflow.document':
        await outbox.add(manager, 'workflow.document', planned.payload, { key: planned.key, delayMs: planned.delayMs });
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

function deferredBecause(effect: Effect, now: Date, reason: string, channel?: string): NewEvent {
  const event = deferred(effect, now, channel);
  return { ...event, payload: { ...event.payload, reason } };
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

/** A rendered file name made safe to store and to offer for download (no path, no control character, ≤ 200). */
function documentFileName(rendered: string): string {
  // eslint-disable-next-line no-control-regex
  const name = rendered.replace(/[\u0000-\u001f\u007f/\\]+/g, '-').trim().slice(0, 200);
  return name || 'document.pdf';
}

function oneLine(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ').trim();
  return (line || 'Votre demande').slice(0, 250);
}

function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
