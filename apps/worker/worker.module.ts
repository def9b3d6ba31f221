import { Module } from '@nestjs/common';
import { DeliverDemandJob, DemandJobsModule, RouteDemandJob, WorkflowTimerJob } from '#demands';
import { MailModule, PortalNotificationJob, SendMailJob } from '#notifications';
import { createRedis } from '#platform';
import { QueueWorkerModule } from '#queue';
import { MetricsController } from './metrics.controller.js';

/**
 * The worker: the outbox relay, one BullMQ worker per queue running the catalogue's handlers, and
 * GET /metrics (GET /health comes from the platform). Each catalogue job needs exactly one handler here.
 */
@Module({
  imports: [
    QueueWorkerModule.forRoot({
      imports: [MailModule, DemandJobsModule],
      handlers: [SendMailJob, PortalNotificationJob, RouteDemandJob, WorkflowTimerJob, DeliverDemandJob],
      connect: ({ config, logger, name }) => createRedis(config.redis.url, logger, `worker:${name}`, { forQueues: true }),
    }),
  ],
  controllers: [MetricsController],
})
export class WorkerModule {}
