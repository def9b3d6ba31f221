import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { Clock } from '#core';
import { JOB_CATALOGUE, JOB_NAMES } from '../catalogue/job-catalogue.js';
import type { QueueName } from '../catalogue/queues.js';
import type { QueueRegistry } from '../worker/queue-registry.js';
import { withTimeout } from '../support/with-timeout.js';
import { renderPrometheus, type MetricFamily, type MetricSample } from './prometheus.js';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** Counters since the process started, and gauges read from PostgreSQL and Redis on each scrape. */
export class QueueMetrics {
  private relayedTotal = 0;
  private readonly completed = new Map<string, number>();
  private readonly duplicates = new Map<string, number>();
  private readonly retried = new Map<string, number>();
  private readonly failed = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly scrapeTimeoutMs = 2_000,
  ) {}

  recordRelayed(count: number) {
    this.relayedTotal += count;
  }
  recordCompleted(job: string) {
    bump(this.completed, job);
  }
  recordDuplicate(job: string) {
    bump(this.duplicates, job);
  }
  recordRetry(job: string) {
    bump(this.retried, job);
  }
  recordFailed(job: string) {
    bump(this.failed, job);
  }

  /** Counters, for tests and the benchmark. */
  snapshot() {
    return {
      relayed: this.relayedTotal,
      completed: Object.fromEntries(this.completed),
      duplicates: Object.fromEntries(this.duplicates),
      retried: Object.fromEntries(this.retried),
      failed: Object.fromEntries(this.failed),
    };
  }

  /** The Prometheus text of every queue metric. A source that does not answer is reported by `parvis_metrics_source_up`. */
  async render(): Promise<string> {
    const [outbox, queueCounts] = await Promise.all([this.outboxGauges(), this.queueGauges()]);
    const perJob = (counts: Map<string, number>): MetricSample[] =>
      JOB_NAMES.map((job) => ({ labels: { job, queue: JOB_CATALOGUE[job].queue }, value: counts.get(job) ?? 0 }));
    const families: MetricFamily[] = [
      {
        name: 'parvis_outbox_pending_messages',
        help: "Lignes de l'outbox pas encore relayées vers les files (y compris celles différées).",
        type: 'gauge',
        samples: outbox ? [{ value: outbox.pending }] : [],
      },
      {
        name: 'parvis_outbox_oldest_pending_age_seconds',
        help: "Attente en secondes de la plus ancienne ligne de l'outbox prête à partir et pas encore relayée (0 si aucune).",
        type: 'gauge',
        samples: outbox ? [{ value: outbox.oldestAgeSeconds }] : [],
      },
      {
        name: 'parvis_outbox_relayed_total',
        help: "Lignes de l'outbox relayées vers les files depuis le démarrage du processus.",
        type: 'counter',
        samples: [{ value: this.relayedTotal }],
      },
      {
        name: 'parvis_jobs_completed_total',
        help: 'Tâches terminées avec succès depuis le démarrage, par tâche.',
        type: 'counter',
        samples: perJob(this.completed),
      },
      {
        name: 'parvis_jobs_duplicates_total',
        help: "Tâches ignorées car déjà exécutées (reçu d'exécution présent), par tâche.",
        type: 'counter',
        samples: perJob(this.duplicates),
      },
      {
        name: 'parvis_jobs_retried_total',
        help: 'Tentatives échouées qui seront retentées, par tâche.',
        type: 'counter',
        samples: perJob(this.retried),
      },
      {
        name: 'parvis_jobs_failed_total',
        help: 'Tâches en échec définitif (tentatives épuisées ou erreur permanente), par tâche.',
        type: 'counter',
        samples: perJob(this.failed),
      },
      {
        name: 'parvis_queue_jobs',
        help: 'Tâches présentes dans chaque file BullMQ, par état.',
        type: 'gauge',
        samples: queueCounts.flatMap(({ queue, counts }) => QUEUE_STATES.map((state) => ({ labels: { queue, state }, value: counts[state] ?? 0 }))),
      },
      {
        name: 'parvis_metrics_source_up',
        help: 'Vaut 1 si la source a répondu pendant cette collecte (postgres, redis).',
        type: 'gauge',
        samples: [
          { labels: { source: 'postgres' }, value: outbox ? 1 : 0 },
          { labels: { source: 'redis' }, value: queueCounts.length === this.queues.names().length ? 1 : 0 },
        ],
      },
    ];
    return renderPrometheus(families);
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

function bump(counts: Map<string, number>, key: string) {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
