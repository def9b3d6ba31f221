import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { Clock } from '#core';
import { JOB_CATALOGUE, JOB_NAMES, isJobName } from '../catalogue/job-catalogue.js';
import type { QueueName } from '../catalogue/queues.js';
import type { QueueRegistry } from '../worker/queue-registry.js';
import { withTimeout } from '../support/with-timeout.js';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** Content type of the Prometheus text exposition format (what `render()` returns). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type JobLabels = 'job' | 'queue';

/**
 * The worker's metrics, with prom-client on a registry of this instance (several workers in one test process
 * never share counters): counters since the process started, a histogram of job durations (the send latency of
 * `mail.send` and `sms.send`), and gauges read from PostgreSQL (outbox backlog and relay lag) and Redis (jobs
 * per queue and state) at each scrape. A source that does not answer is reported by `parvis_metrics_source_up`.
 */
export class QueueMetrics {
  readonly registry = new Registry();
  private relayedTotal = 0;
  private readonly completedCounts = new Map<string, number>();
  private readonly duplicateCounts = new Map<string, number>();
  private readonly retriedCounts = new Map<string, number>();
  private readonly failedCounts = new Map<string, number>();

  private readonly pending = new Gauge({ name: 'parvis_outbox_pending_messages', help: "Lignes de l'outbox pas encore relayées vers les files (y compris celles différées).", registers: [this.registry] });
  private readonly oldestAge = new Gauge({
    name: 'parvis_outbox_oldest_pending_age_seconds',
    help: "Attente en secondes de la plus ancienne ligne de l'outbox prête à partir et pas encore relayée (0 si aucune).",
    registers: [this.registry],
  });
  private readonly relayed = new Counter({ name: 'parvis_outbox_relayed_total', help: "Lignes de l'outbox relayées vers les files depuis le démarrage du processus.", registers: [this.registry] });
  private readonly completed = this.perJobCounter('parvis_jobs_completed_total', 'Tâches terminées avec succès depuis le démarrage, par tâche.');
  private readonly duplicates = this.perJobCounter('parvis_jobs_duplicates_total', "Tâches ignorées car déjà exécutées (reçu d'exécution présent), par tâche.");
  private readonly retried = this.perJobCounter('parvis_jobs_retried_total', 'Tentatives échouées qui seront retentées, par tâche.');
  private readonly failed = this.perJobCounter('parvis_jobs_failed_total', 'Tâches en échec définitif (tentatives épuisées ou erreur permanente), par tâche.');
  private readonly duration = new Histogram<JobLabels>({
    name: 'parvis_job_duration_seconds',
    help: 'Durée des tentatives réussies, par tâche (pour mail.send et sms.send : la latence d’envoi).',
    labelNames: ['job', 'queue'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly queueJobs = new Gauge<'queue' | 'state'>({ name: 'parvis_queue_jobs', help: 'Tâches présentes dans chaque file BullMQ, par état.', labelNames: ['queue', 'state'], registers: [this.registry] });
  private readonly sourceUp = new Gauge<'source'>({ name: 'parvis_metrics_source_up', help: 'Vaut 1 si la source a répondu pendant cette collecte (postgres, redis).', labelNames: ['source'], registers: [this.registry] });

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly scrapeTimeoutMs = 2_000,
  ) {}

  recordRelayed(count: number) {
    this.relayedTotal += count;
    this.relayed.inc(count);
  }
  recordCompleted(job: string, durationMs?: number) {
    bump(this.completedCounts, job);
    this.completed.inc(labelsOf(job));
    if (durationMs !== undefined && Number.isFinite(durationMs) && durationMs >= 0) this.duration.observe(labelsOf(job), durationMs / 1000);
  }
  recordDuplicate(job: string) {
    bump(this.duplicateCounts, job);
    this.duplicates.inc(labelsOf(job));
  }
  recordRetry(job: string) {
    bump(this.retriedCounts, job);
    this.retried.inc(labelsOf(job));
  }
  recordFailed(job: string) {
    bump(this.failedCounts, job);
    this.failed.inc(labelsOf(job));
  }

  /** Counters, for tests and the benchmark. */
  snapshot() {
    return {
      relayed: this.relayedTotal,
      completed: Object.fromEntries(this.completedCounts),
      duplicates: Object.fromEntries(this.duplicateCounts),
      retried: Object.fromEntries(this.retriedCounts),
      failed: Object.fromEntries(this.failedCounts),
    };
  }

  /** The Prometheus text of every metric, after reading the gauges from PostgreSQL and Redis. */
  async render(): Promise<string> {
    const [outbox, queueCounts] = await Promise.all([this.outboxGauges(), this.queueGauges()]);
    this.pending.reset();
    this.oldestAge.reset();
    if (outbox) {
      this.pending.set(outbox.pending);
      this.oldestAge.set(outbox.oldestAgeSeconds);
    }
    this.queueJobs.reset();
    for (const { queue, counts } of queueCounts) {
      for (const state of QUEUE_STATES) this.queueJobs.set({ queue, state }, counts[state] ?? 0);
    }
    this.sourceUp.set({ source: 'postgres' }, outbox ? 1 : 0);
    this.sourceUp.set({ source: 'redis' }, queueCounts.length === this.queues.names().length ? 1 : 0);
    return this.registry.metrics();
  }

  private perJobCounter(name: string, help: string): Counter<JobLabels> {
    const counter = new Counter<JobLabels>({ name, help, labelNames: ['job', 'queue'], registers: [this.registry] });
    for (const job of JOB_NAMES) counter.inc(labelsOf(job), 0);
    return counter;
  }

  private async outboxGauges(): Promise<{ pending: number; oldestAgeSeconds: number } | undefined> {
    try {
      const rows: { pending: string; oldest: Date | null }[] = await withTimeout(
        this.dataSource.query(
          `SELECT count(*) AS pending, min("available_at") FILTER (WHERE "available_at" <= $1) AS oldest
           FROM "outbox_message" WHERE "relayed_at" IS NULL`,
          [this.clock.now()],
        ),
        this.scrapeTimeoutMs,
      );
      const oldest = rows[0]?.oldest;
      const age = oldest ? Math.max(0, (this.clock.now().getTime() - new Date(oldest).getTime()) / 1000) : 0;
      return { pending: Number(rows[0]?.pending ?? 0), oldestAgeSeconds: Math.round(age * 1000) / 1000 };
    } catch (error) {
      this.logger.warn({ err: error }, "Métriques : lecture de l'outbox impossible");
      return undefined;
    }
  }

  private async queueGauges(): Promise<{ queue: QueueName; counts: Record<string, number> }[]> {
    try {
      return await withTimeout(
        Promise.all(
          this.queues.names().map(async (queue) => ({ queue, counts: await this.queues.queue(queue).getJobCounts(...QUEUE_STATES) })),
        ),
        this.scrapeTimeoutMs,
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'Métriques : lecture des files Redis impossible');
      return [];
    }
  }
}

function labelsOf(job: string): Record<JobLabels, string> {
  return { job, queue: isJobName(job) ? JOB_CATALOGUE[job].queue : 'inconnue' };
}

function bump(counts: Map<string, number>, key: string) {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
