import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_CONFIG, Clock, LOGGER, type AppConfig } from '#core';
import { JOB_CATALOGUE } from '../catalogue/job-catalogue.js';
import { QUEUES } from '../catalogue/queues.js';
import { checkJobHandlers } from '../handlers/check-handlers.js';
import type { JobHandler } from '../handlers/job-handler.js';
import { QueueMetrics } from '../metrics/queue-metrics.js';
import { QueueProducerModule } from '../outbox/queue-producer.module.js';
import { OutboxRelay, type OutboxRelayOptions } from '../relay/outbox-relay.js';
import { JobReceipts } from '../runner/job-receipts.js';
import { JobRunner } from '../runner/job-runner.js';
import { JobSchedulers, type JobSchedule } from './job-schedules.js';
import { JobWorkers } from './job-workers.js';
import { bullPrefix, QueueRegistry, type QueueConnectionFactory } from './queue-registry.js';

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');
export const QUEUE_CONNECTION_FACTORY = Symbol('QUEUE_CONNECTION_FACTORY');
const RELAY_SETTINGS = Symbol('RELAY_SETTINGS');

export interface QueueWorkerModuleOptions {
  /** Exactly one handler per catalogue job (checked when the module starts: the worker refuses to start otherwise). */
  handlers: Type<JobHandler>[];
  /** Modules the handlers depend on. */
  imports?: ModuleMetadata['imports'];
  /** Opens a BullMQ connection; the worker app passes `createRedis(…, { forQueues: true })` from #platform. */
  connect(context: { config: AppConfig; logger: Logger; name: string }): Redis;
  relay?: {
    /** Run the outbox relay in this process (default true). */
    enabled?: boolean;
  } & Pick<OutboxRelayOptions, 'listen' | 'purgeEveryMs' | 'enqueueTimeoutMs'>;
  /** The BullMQ job schedulers this worker registers at start (idempotent upserts; others of their queue are removed). */
  schedules?(config: AppConfig): JobSchedule[];
}

/** Starts the workers and the relay when the app has bootstrapped; stops them (waiting for work in progress) before shutdown. */
@Injectable()
export class QueueWorkerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly workers: JobWorkers,
    private readonly relay: OutboxRelay,
    private readonly queues: QueueRegistry,
    private readonly schedulers: JobSchedulers,
    @Inject(RELAY_SETTINGS) private readonly relayEnabled: boolean,
  ) {}

  onApplicationBootstrap() {
    this.workers.start();
    if (this.relayEnabled) this.relay.start();
    this.schedulers.start();
  }

  async beforeApplicationShutdown() {
    await this.schedulers.stop();
    await this.relay.stop();
    await this.workers.stop();
    await this.queues.close();
  }
}

/**
 * The worker side of #queue: BullMQ workers for every queue of the catalogue, the outbox relay, job receipts
 * and the queue metrics. Mounted by apps/worker only.
 */
@Module({})
export class QueueWorkerModule {
  static forRoot(options: QueueWorkerModuleOptions): DynamicModule {
    return {
      module: QueueWorkerModule,
      imports: [QueueProducerModule, ...(options.imports ?? [])],
      providers: [
        ...options.handlers,
        { provide: JOB_HANDLERS, useFactory: (...handlers: JobHandler[]) => handlers, inject: options.handlers },
        { provide: RELAY_SETTINGS, useValue: options.relay?.enabled ?? true },
        {
          provide: QUEUE_CONNECTION_FACTORY,
          useFactory: (config: AppConfig, logger: Logger): QueueConnectionFactory => (name) => options.connect({ config, logger, name }),
          inject: [APP_CONFIG, LOGGER],
        },
        {
          provide: QueueRegistry,
          useFactory: (connect: QueueConnectionFactory, config: AppConfig, logger: Logger) =>
            new QueueRegistry(connect, bullPrefix(config.redis.prefix), logger),
          inject: [QUEUE_CONNECTION_FACTORY, APP_CONFIG, LOGGER],
        },
        JobReceipts,
        {
          provide: QueueMetrics,
          useFactory: (dataSource: DataSource, queues: QueueRegistry, clock: Clock, logger: Logger) => new QueueMetrics(dataSource, queues, clock, logger),
          inject: [DataSource, QueueRegistry, Clock, LOGGER],
        },
        {
          provide: JobRunner,
          useFactory: (handlers: JobHandler[], receipts: JobReceipts, clock: Clock, logger: Logger) =>
            new JobRunner(JOB_CATALOGUE, checkJobHandlers(JOB_CATALOGUE, handlers, Object.keys(QUEUES)), receipts, clock, logger),
          inject: [JOB_HANDLERS, JobReceipts, Clock, LOGGER],
        },
        {
          provide: JobWorkers,
          useFactory: (runner: JobRunner, queues: QueueRegistry, connect: QueueConnectionFactory, metrics: QueueMetrics, logger: Logger, config: AppConfig) =>
            new JobWorkers(runner, queues.names(), connect, queues.prefix, metrics, logger, config.queue.lockMs),
          inject: [JobRunner, QueueRegistry, QUEUE_CONNECTION_FACTORY, QueueMetrics, LOGGER, APP_CONFIG],
        },
        {
          provide: OutboxRelay,
          useFactory: (dataSource: DataSource, queues: QueueRegistry, clock: Clock, logger: Logger, metrics: QueueMetrics, config: AppConfig) =>
            new OutboxRelay(
              { dataSource, queues, clock, logger, metrics, databaseUrl: config.database.url },
              {
                pollMs: config.outbox.pollMs,
                batchSize: config.outbox.batchSize,
                listen: options.relay?.listen,
                purgeEveryMs: options.relay?.purgeEveryMs,
                enqueueTimeoutMs: options.relay?.enqueueTimeoutMs,
              },
            ),
          inject: [DataSource, QueueRegistry, Clock, LOGGER, QueueMetrics, APP_CONFIG],
        },
        {
          provide: JobSchedulers,
          useFactory: (queues: QueueRegistry, config: AppConfig, logger: Logger) => new JobSchedulers(queues, options.schedules?.(config) ?? [], logger),
          inject: [QueueRegistry, APP_CONFIG, LOGGER],
        },
        QueueWorkerLifecycle,
      ],
      exports: [QueueProducerModule, QueueMetrics, QueueRegistry, OutboxRelay, JobWorkers, JobReceipts, JobSchedulers],
    };
  }
}
