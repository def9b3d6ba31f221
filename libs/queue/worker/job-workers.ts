import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { runWithCorrelation } from '#core';
import { QUEUES, type QueueName } from '../catalogue/queues.js';
import type { QueueMetrics } from '../metrics/queue-metrics.js';
import type { JobEnvelope } from '../outbox/job-envelope.js';
import { isPermanentFailure } from '../runner/job-errors.js';
import type { JobOutcome, JobRunner } from '../runner/job-runner.js';
import type { QueueConnectionFactory } from './queue-registry.js';

/** One BullMQ `Worker` per queue of the catalogue, each running jobs through the `JobRunner`. */
export class JobWorkers {
  private readonly workers: { worker: Worker<JobEnvelope, JobOutcome>; connection: Redis }[] = [];

  constructor(
    private readonly runner: JobRunner,
    private readonly queueNames: readonly QueueName[],
    private readonly connect: QueueConnectionFactory,
    private readonly prefix: string,
    private readonly metrics: QueueMetrics,
    private readonly logger: Logger,
    /** BullMQ lock of a running job, also the stalled-job check interval (QUEUE_LOCK_MS). */
    private readonly lockMs = 30_000,
  ) {}

  get running(): boolean {
    return this.workers.length > 0;
  }

  start(): void {
    if (this.workers.length) return;
    for (const queue of this.queueNames) {
      const connection = this.connect(`worker-${queue}`);
      const worker = new Worker<JobEnvelope, JobOutcome>(queue, (job) => this.runner.run(job), {
        connection,
        prefix: this.prefix,
        concurrency: QUEUES[queue].concurrency,
        lockDuration: this.lockMs,
        stalledInterval: this.lockMs,
        autorun: true,
      });
      worker.on('completed', (job, outcome) => {
        if (outcome === 'duplicate') this.metrics.recordDuplicate(job.name);
        else this.metrics.recordCompleted(job.name, job.finishedOn && job.processedOn ? job.finishedOn - job.processedOn : undefined);
      });
      worker.on('failed', (job, error) => this.onFailed(queue, job, error));
      let lastErrorLog = 0;
      worker.on('error', (error) => {
        // Redis down makes every poll fail: one line every 10 s is enough (createRedis logs the outage too).
        if (performance.now() - lastErrorLog < 10_000) return;
        lastErrorLog = performance.now();
        this.logger.warn({ queue, err: error }, `File ${queue} : erreur du worker`);
      });
      this.workers.push({ worker, connection });
    }
    this.logger.info({ queues: this.queueNames }, 'Workers BullMQ démarrés');
  }

  /** Waits for the jobs in progress, then closes the workers and their connections. */
  async stop(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.allSettled(workers.map(({ worker }) => worker.close()));
    for (const { connection } of workers) connection.disconnect();
  }

  private onFailed(queue: QueueName, job: Job<JobEnvelope, JobOutcome> | undefined, error: Error) {
    if (!job) return;
    const maxAttempts = job.opts.attempts ?? 1;
    const final = isPermanentFailure(error) || Boolean(job.finishedOn) || job.attemptsMade >= maxAttempts;
    // Job name, id and attempts only: the payload may hold personal data.
    const line = { queue, job: job.name, jobId: job.id, attemptsMade: job.attemptsMade, maxAttempts, err: { type: error.name, message: error.message } };
    runWithCorrelation(job.data?.correlationId ?? undefined, () => {
      if (final) {
        this.metrics.recordFailed(job.name);
        this.logger.error(line, `Tâche ${job.name} en échec définitif`);
      } else {
        this.metrics.recordRetry(job.name);
        this.logger.warn(line, `Tâche ${job.name} en échec, nouvelle tentative prévue`);
      }
    });
  }
}
