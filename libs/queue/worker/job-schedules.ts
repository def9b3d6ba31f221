import type { Logger } from 'pino';
import { JOB_CATALOGUE, type JobName } from '../catalogue/job-catalogue.js';
import type { QueueName } from '../catalogue/queues.js';
import type { JobEnvelope } from '../outbox/job-envelope.js';
import type { QueueRegistry } from './queue-registry.js';

/** Jobs a scheduler may produce: the catalogue's `schedule.*` jobs. */
export type ScheduledJobName = Extract<JobName, `schedule.${string}`>;

/** One recurring job: every `every` ms, or on a cron `pattern` read in the `tz` time zone. */
export type JobSchedule = { id: string; job: ScheduledJobName } & ({ every: number } | { pattern: string; tz: string });

/**
 * Registers the platform's BullMQ job schedulers. A scheduler lives in Redis, one per id: every worker process
 * upserts the same ids at start (idempotent), and BullMQ produces one job per run whatever the number of
 * processes, with the job id `repeat:<id>:<instant>` — the run's receipt key, so a run is never handled twice.
 * Schedulers of the queue that the list no longer names are removed. Redis down at start: retried in the
 * background (the worker starts anyway).
 */
export class JobSchedulers {
  private stopped = false;
  private pending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private registered = false;

  constructor(
    private readonly queues: QueueRegistry,
    private readonly schedules: readonly JobSchedule[],
    private readonly logger: Logger,
  ) {}

  get isRegistered(): boolean {
    return this.registered;
  }

  start(): void {
    this.stopped = false;
    this.pending = this.attempt(1_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.pending;
  }

  /** Upserts every schedule and removes the ones no longer configured. */
  async register(): Promise<void> {
    const byQueue = new Map<QueueName, JobSchedule[]>();
    for (const schedule of this.schedules) {
      const queue = JOB_CATALOGUE[schedule.job].queue;
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), schedule]);
    }
    const scheduledQueues = new Set<QueueName>(Object.values(JOB_CATALOGUE).map((d) => d.queue).filter((q) => q === 'scheduled'));
    for (const name of new Set([...byQueue.keys(), ...scheduledQueues])) {
      const queue = this.queues.queue(name);
      const wanted = byQueue.get(name) ?? [];
      for (const schedule of wanted) {
        const definition = JOB_CATALOGUE[schedule.job];
        const repeat = 'every' in schedule ? { every: schedule.every } : { pattern: schedule.pattern, tz: schedule.tz };
        await queue.upsertJobScheduler(schedule.id, repeat, {
          name: schedule.job,
          data: { payload: {}, correlationId: null, outboxId: null } satisfies JobEnvelope,
          opts: {
            attempts: definition.retry.attempts,
            backoff: { ...definition.retry.backoff },
            removeOnComplete: { ...definition.retention.removeOnComplete },
            removeOnFail: { ...definition.retention.removeOnFail },
          },
        });
      }
      const ids = new Set(wanted.map((s) => s.id));
      for (const existing of await queue.getJobSchedulers()) {
        if (existing.key && !ids.has(existing.key)) await queue.removeJobScheduler(existing.key);
      }
    }
    this.registered = true;
    this.logger.info({ schedules: this.schedules.map((s) => s.id) }, 'Planificateurs BullMQ enregistrés');
  }

  private async attempt(delayMs: number): Promise<void> {
    if (this.stopped) return;
    try {
      await this.register();
    } catch (error) {
      this.logger.warn({ err: error, retryInMs: delayMs }, 'Planificateurs BullMQ non enregistrés (Redis injoignable ?), nouvel essai');
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delayMs);
      });
      this.wake = undefined;
      return this.attempt(Math.min(delayMs * 2, 30_000));
    }
  }
}
