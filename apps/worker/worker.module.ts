import { Module } from '@nestjs/common';
import { AccountInactivityJob, AccountInactivityModule } from '#accounts';
import {
  DeliverDemandJob,
  DemandsBulkJob,
  DemandJobsModule,
  PurgeDraftsJob,
  RouteDemandJob,
  StorageSweepJob,
  AccountPurgeJob,
  SweepWorkflowTimersJob,
  WorkflowAnonymiseJob,
  WorkflowChildDemandJob,
  WorkflowDeleteJob,
  WorkflowDocumentJob,
  WorkflowTimerJob,
  WorkflowWebserviceJob,
  SmsNotSentModule,
} from '#demands';
import { AgentDigestJob, AgentNotificationsModule, AgentsNotifyJob, MailModule, PortalNotificationJob, SendMailJob, SendSmsJob, SmsModule } from '#notifications';
import { createRedis } from '#platform';
import { QueueWorkerModule } from '#queue';
import { MetricsController } from './metrics.controller.js';
import { QueueDashboard } from './queue-dashboard.js';
import { workerSchedules } from './schedules.js';

/**
 * The worker: the outbox relay, one BullMQ worker per queue running the catalogue's handlers, the job schedulers
 * (docs/worker.md), GET /metrics, and the queue dashboard at /files when WORKER_DASHBOARD_TOKEN is set
 * (GET /health comes from the platform). Each catalogue job needs exactly one handler here.
 */
@Module({
  imports: [
    QueueWorkerModule.forRoot({
      imports: [MailModule, SmsModule, AgentNotificationsModule, DemandJobsModule, AccountInactivityModule, SmsNotSentModule],
      handlers: [
        SendMailJob,
        SendSmsJob,
        PortalNotificationJob,
        AgentsNotifyJob,
        AgentDigestJob,
        RouteDemandJob,
        WorkflowTimerJob,
        DeliverDemandJob,
        DemandsBulkJob,
        SweepWorkflowTimersJob,
        PurgeDraftsJob,
        StorageSweepJob,
        AccountPurgeJob,
        AccountInactivityJob,
        WorkflowWebserviceJob,
        WorkflowAnonymiseJob,
        WorkflowDeleteJob,
        WorkflowChildDemandJob,
        WorkflowDocumentJob,
      ],
      schedules: workerSchedules,
      connect: ({ config, logger, name }) => createRedis(config.redis.url, logger, `worker:${name}`, { forQueues: true }),
    }),
  ],
  controllers: [MetricsController],
  providers: [QueueDashboard],
})
export class WorkerModule {}
