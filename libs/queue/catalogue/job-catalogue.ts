import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import { RETENTION_STANDARD, RETRY_NONE, RETRY_PERSISTENT, RETRY_STANDARD, type RetentionPolicy, type RetryPolicy } from './job-options.js';
import { agentsNotifyPayload } from './payloads/agents-notify.payload.js';
import { demandDeliverPayload } from './payloads/demand-deliver.payload.js';
import { demandsBulkPayload } from './payloads/demands-bulk.payload.js';
import { demandRoutePayload } from './payloads/demand-route.payload.js';
import { mailSendPayload } from './payloads/mail-send.payload.js';
import { notificationPortalPayload } from './payloads/notification-portal.payload.js';
import { scheduledPayload } from './payloads/scheduled.payload.js';
import { smsSendPayload } from './payloads/sms-send.payload.js';
import { workflowTimerPayload } from './payloads/workflow-timer.payload.js';
import {
  workflowAnonymisePayload,
  workflowChildDemandPayload,
  workflowDeletePayload,
  workflowDocumentPayload,
  workflowWebservicePayload,
} from './payloads/workflow-effects.payload.js';
import type { QueueName } from './queues.js';

/** What the platform knows about one job name. */
export interface JobDefinition<Schema extends z.ZodType = z.ZodType> {
  /** The queue its jobs go to. */
  readonly queue: QueueName;
  /** The one payload shape of the job, checked when it is written to the outbox and again before it runs. */
  readonly payload: Schema;
  readonly retry: RetryPolicy;
  readonly retention: RetentionPolicy;
  readonly description: string;
}

function defineJob<Schema extends z.ZodType>(definition: JobDefinition<Schema>): JobDefinition<Schema> {
  return Object.freeze(definition);
}

/**
 * The typed job catalogue: every job name, its payload, its queue, its retry and retention policies.
 * Payloads carry ids and small data; the database row is the truth. A job is written with
 * `OutboxService.add` inside the transaction that decides it, and run by exactly one `JobHandler`
 * (checked when the worker starts).
 */
export const JOB_CATALOGUE = {
  'mail.send': defineJob({
    queue: 'notifications',
    payload: mailSendPayload,
    retry: RETRY_PERSISTENT,
    retention: RETENTION_STANDARD,
    description: 'Envoie un courriel déjà rendu à un destinataire, par SMTP',
  }),
  'demand.route': defineJob({
    queue: 'demands',
    payload: demandRoutePayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: "Trouve la commune compétente d'une demande sur un téléservice mutualisé et la lui confie",
  }),
  'workflow.timer': defineJob({
    queue: 'demands',
    payload: workflowTimerPayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: "Déclenche un saut différé du workflow d'une demande à son échéance",
  }),
  'demand.deliver': defineJob({
    queue: 'demands',
    payload: demandDeliverPayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: "Remet une demande à sa commune selon son adhésion (GRU, connecteur ou relais par courriel)",
  }),
  'demands.bulk': defineJob({
    queue: 'demands',
    payload: demandsBulkPayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: 'Applique une action d’un agent (attribution ou action du circuit) à une sélection de demandes, avec sa progression',
  }),
  'notification.portal': defineJob({
    queue: 'notifications',
    payload: notificationPortalPayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: "Écrit une notification que le portail montre à l'usager connecté",
  }),
  'sms.send': defineJob({
    queue: 'notifications',
    payload: smsSendPayload,
    retry: RETRY_PERSISTENT,
    retention: RETENTION_STANDARD,
    description: 'Envoie un SMS déjà rédigé à un numéro, par le fournisseur HTTP configuré',
  }),
  'agents.notify': defineJob({
    queue: 'notifications',
    payload: agentsNotifyPayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: "Prévient les agents d'une fonction (courriel immédiat ou récapitulatif quotidien selon leur préférence)",
  }),
  'schedule.workflow-timers': defineJob({
    queue: 'scheduled',
    payload: scheduledPayload,
    retry: RETRY_NONE,
    retention: RETENTION_STANDARD,
    description: 'Relance les échéances de workflow dues dont la tâche a été perdue (Redis vidé)',
  }),
  'schedule.draft-purge': defineJob({
    queue: 'scheduled',
    payload: scheduledPayload,
    retry: RETRY_NONE,
    retention: RETENTION_STANDARD,
    description: 'Supprime les brouillons expirés',
  }),
  'schedule.account-inactivity': defineJob({
    queue: 'scheduled',
    payload: scheduledPayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: 'Applique la règle d’inactivité des comptes territoriaux (avertissement, puis suppression)',
  }),
  'schedule.agent-digest': defineJob({
    queue: 'scheduled',
    payload: scheduledPayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: 'Envoie à chaque agent qui l’a choisi le récapitulatif quotidien de ses notifications',
  }),
  'schedule.storage-sweep': defineJob({
    queue: 'scheduled',
    payload: scheduledPayload,
    retry: RETRY_NONE,
    retention: RETENTION_STANDARD,
    description: 'Supprime les fichiers déposés sur le portail depuis plus d’un jour qu’aucun brouillon ne référence',
  }),
  'schedule.account-purge': defineJob({
    queue: 'scheduled',
    payload: scheduledPayload,
    retry: RETRY_NONE,
    retention: RETENTION_STANDARD,
    description: 'Purge les données du portail des comptes supprimés que publie le compte territorial',
  }),
  'workflow.webservice': defineJob({
    queue: 'demands',
    payload: workflowWebservicePayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: "Appelle le webservice d'une action de workflow, garde sa réponse et rapporte son résultat au workflow",
  }),
  'workflow.anonymise': defineJob({
    queue: 'demands',
    payload: workflowAnonymisePayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: "Efface les données personnelles d'une demande (champs et fichiers marqués personnels), garde les statistiques",
  }),
  'workflow.delete': defineJob({
    queue: 'demands',
    payload: workflowDeletePayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: 'Supprime une demande, son historique et ses fichiers à la date prévue par son workflow',
  }),
  'workflow.child-demand': defineJob({
    queue: 'demands',
    payload: workflowChildDemandPayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: "Crée une demande fille sur un autre téléservice de la même collectivité, liée à sa demande mère",
  }),
  'workflow.document': defineJob({
    queue: 'demands',
    payload: workflowDocumentPayload,
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: 'Produit un document (PDF) à partir d’un modèle et le joint à la demande',
  }),
} as const;

export type JobCatalogue = typeof JOB_CATALOGUE;
export type JobName = keyof JobCatalogue;
/** The payload a handler receives (after validation). */
export type JobPayload<Name extends JobName> = z.output<JobCatalogue[Name]['payload']>;
/** The payload a producer writes. */
export type JobInput<Name extends JobName> = z.input<JobCatalogue[Name]['payload']>;

export const JOB_NAMES = Object.keys(JOB_CATALOGUE) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOB_CATALOGUE, name);
}

/** BullMQ options of a job: its deterministic id, then the catalogue's retry and retention policies. */
export function bullJobOptions(definition: JobDefinition, jobKey: string): JobsOptions {
  return {
    jobId: jobKey,
    attempts: definition.retry.attempts,
    backoff: { ...definition.retry.backoff },
    removeOnComplete: { ...definition.retention.removeOnComplete },
    removeOnFail: { ...definition.retention.removeOnFail },
  };
}
