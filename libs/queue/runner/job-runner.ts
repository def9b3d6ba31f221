import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { Clock, currentCorrelationId, runWithCorrelation } from '#core';
import type { JobDefinition, JobName } from '../catalogue/job-catalogue.js';
import type { JobHandler } from '../handlers/job-handler.js';
import type { JobEnvelope } from '../outbox/job-envelope.js';
import { toWorkerError } from './job-errors.js';
import type { ReceiptStore } from './job-receipts.js';

/** The parts of a BullMQ job the runner reads (a plain object in unit tests). */
export interface RunnableJob {
  id?: string;
  name: string;
  data: JobEnvelope;
  attemptsMade: number;
  opts: { attempts?: number };
}

/** `done`: the handler ran and succeeded; `duplicate`: a receipt proved it had already run, nothing was done. */
export type JobOutcome = 'done' | 'duplicate';

/**
 * Runs one job through its handler, exactly once in effect: under the correlation id of the request that
 * wrote it, after validating its payload against the catalogue, skipping it when a receipt shows it already
 * succeeded, recording a receipt after success, and rethrowing failures (mapped by `toWorkerError`).
 */
export class JobRunner {
  constructor(
    private readonly catalogue: Readonly<Record<string, JobDefinition>>,
    private readonly handlers: ReadonlyMap<string, JobHandler>,
    private readonly receipts: ReceiptStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  run(job: RunnableJob): Promise<JobOutcome> {
    return runWithCorrelation(job.data?.correlationId ?? undefined, () => this.runInContext(job));
  }

  private async runInContext(job: RunnableJob): Promise<JobOutcome> {
    const key = job.id ?? '';
    const logger = this.logger.child({ job: job.name, jobId: key });
    const definition = Object.hasOwn(this.catalogue, job.name) ? this.catalogue[job.name] : undefined;
    const handler = this.handlers.get(job.name);
    if (!definition || !handler || !key) {
      throw new UnrecoverableError(`Tâche « ${job.name} » inconnue du catalogue ou sans gestionnaire : abandonnée.`);
    }
    const parsed = definition.payload.safeParse(job.data?.payload);
    if (!parsed.success) {
      const paths = parsed.error.issues.map((issue) => issue.path.join('.') || '(racine)').join(', ');
      throw new UnrecoverableError(`Données invalides pour la tâche « ${job.name} » (${paths}) : abandonnée.`);
    }
    if (await this.receipts.has(key)) {
      logger.info('Tâche déjà exécutée (reçu présent) : rien à refaire');
      return 'duplicate';
    }
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const started = performance.now();
    logger.debug({ attempt, maxAttempts }, 'Tâche démarrée');
    try {
      await handler.handle(parsed.data as never, {
        job: job.name as JobName,
        key,
        attempt,
        maxAttempts,
        correlationId: currentCorrelationId() ?? '',
        logger,
      });
    } catch (error) {
      throw toWorkerError(error);
    }
    await this.receipts.record(key, job.name, this.clock.now());
    logger.info({ attempt, durationMs: Math.round(performance.now() - started) }, 'Tâche terminée');
    return 'done';
  }
}
