import { JobReceipt } from './outbox/job-receipt.entity.js';
import { OutboxMessage } from './outbox/outbox-message.entity.js';

/** Entities of #queue (tables `outbox_message` and `job_receipt`, migration 1763800100000-outbox). */
export const QUEUE_ENTITIES: (new () => unknown)[] = [OutboxMessage, JobReceipt];
export { OutboxMessage, JobReceipt };

// Catalogue
export {
  JOB_CATALOGUE,
  JOB_NAMES,
  bullJobOptions,
  isJobName,
  type JobCatalogue,
  type JobDefinition,
  type JobInput,
  type JobName,
  type JobPayload,
} from './catalogue/job-catalogue.js';
export { QUEUES, type QueueName, type QueueSettings } from './catalogue/queues.js';
export {
  RETENTION_STANDARD,
  RETRY_NONE,
  RETRY_PERSISTENT,
  RETRY_STANDARD,
  type RetentionPolicy,
  type RetryPolicy,
} from './catalogue/job-options.js';
export { mailSendPayload, type MailSendPayload } from './catalogue/payloads/mail-send.payload.js';
export { demandRoutePayload, type DemandRoutePayload } from './catalogue/payloads/demand-route.payload.js';
export { workflowTimerPayload, type WorkflowTimerPayload } from './catalogue/payloads/workflow-timer.payload.js';
export { demandDeliverPayload, type DemandDeliverPayload } from './catalogue/payloads/demand-deliver.payload.js';
export { notificationPortalPayload, type NotificationPortalPayload } from './catalogue/payloads/notification-portal.payload.js';
export { smsSendPayload, E164, type SmsSendPayload } from './catalogue/payloads/sms-send.payload.js';
export { agentsNotifyPayload, type AgentsNotifyPayload } from './catalogue/payloads/agents-notify.payload.js';
export { scheduledPayload, type ScheduledPayload } from './catalogue/payloads/scheduled.payload.js';

// Producing (any app)
export { QueueProducerModule } from './outbox/queue-producer.module.js';
export { OutboxService, JOB_PAYLOAD_INVALID, JOB_UNKNOWN, type OutboxAddOptions, type OutboxAddResult } from './outbox/outbox.service.js';
export type { OutboxRow } from './outbox/outbox.service.js';
export { JOB_KEY_INVALID } from './outbox/job-key.js';
export type { JobEnvelope } from './outbox/job-envelope.js';

// Handling (the worker)
export type { JobContext, JobHandler } from './handlers/job-handler.js';
export { checkJobHandlers, JobCatalogueError } from './handlers/check-handlers.js';
export { idleHandlerClasses } from './handlers/idle-handlers.js';
export { JobRunner, type JobOutcome, type RunnableJob } from './runner/job-runner.js';
export { JobReceipts, type ReceiptStore } from './runner/job-receipts.js';
export { toWorkerError, isPermanentFailure } from './runner/job-errors.js';
export { QueueWorkerModule, QueueWorkerLifecycle, JOB_HANDLERS, QUEUE_CONNECTION_FACTORY, type QueueWorkerModuleOptions } from './worker/queue-worker.module.js';
export { QueueRegistry, bullPrefix, type QueueConnectionFactory } from './worker/queue-registry.js';
export { JobWorkers } from './worker/job-workers.js';
export { queueDashboardRouter, DASHBOARD_ALLOWED_CHANGES } from './dashboard/queue-dashboard.js';
export { JobSchedulers, type JobSchedule, type ScheduledJobName } from './worker/job-schedules.js';
export {
  OutboxRelay,
  OUTBOX_CHANNEL,
  OUTBOX_RETENTION_MS,
  RECEIPT_RETENTION_MS,
  type OutboxRelayDeps,
  type OutboxRelayOptions,
  type PendingRow,
  type RelayTickResult,
} from './relay/outbox-relay.js';

// Metrics
export { QueueMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics/queue-metrics.js';
