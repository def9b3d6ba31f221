import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock, currentCorrelationId, DomainError, type FieldError } from '#core';
import { JOB_CATALOGUE, isJobName, type JobInput, type JobName } from '../catalogue/job-catalogue.js';
import { jobKeyFor } from './job-key.js';

export interface OutboxAddOptions {
  /**
   * Business idempotency key, e.g. `demand-4f2c…-submitted`. Two writes with the same job and key make one
   * job: the second is ignored (`created: false`). Without it, the row gets its own unique key.
   */
  key?: string;
  /** Do not run the job before this delay has passed (held in PostgreSQL, not in Redis). */
  delayMs?: number;
}

export interface OutboxAddResult {
  /** The job key, also the BullMQ job id. */
  jobKey: string;
  /** False when a row with this key already existed: nothing was written. */
  created: boolean;
}

/** An `outbox_message` row ready to insert (`payload` is JSON text). */
export interface OutboxRow {
  jobName: JobName;
  payload: string;
  jobKey: string;
  correlationId: string | null;
  createdAt: Date;
  availableAt: Date;
}

export const JOB_PAYLOAD_INVALID = 'JOB_PAYLOAD_INVALID';
export const JOB_UNKNOWN = 'JOB_UNKNOWN';

/**
 * The only way to enqueue a job: write an outbox row in the caller's transaction. Nothing reaches Redis
 * here; the worker's relay does that after the commit, so a rolled-back transaction never runs its jobs.
 */
@Injectable()
export class OutboxService {
  constructor(private readonly clock: Clock) {}

  async add<Name extends JobName>(
    manager: EntityManager,
    job: Name,
    payload: JobInput<Name>,
    options: OutboxAddOptions = {},
  ): Promise<OutboxAddResult> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error(
        "OutboxService.add doit recevoir le gestionnaire d'une transaction ouverte (dataSource.transaction(async (manager) => …)).",
      );
    }
    const row = this.prepare(job, payload, options);
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO "outbox_message" ("job_name", "payload", "job_key", "correlation_id", "created_at", "available_at")
       VALUES ($1, $2::jsonb, $3, $4, $5, $6)
       ON CONFLICT ("job_key") DO NOTHING
       RETURNING "id"`,
      [row.jobName, row.payload, row.jobKey, row.correlationId, row.createdAt, row.availableAt],
    );
    return { jobKey: row.jobKey, created: rows.length === 1 };
  }

  /**
   * The outbox row `add` would write, checked (job in the catalogue, payload, delay) but not written: for a
   * caller that inserts it in a statement of its own (a submission's single INSERT … WITH). The row must still be
   * written in the caller's transaction, `ON CONFLICT ("job_key") DO NOTHING`.
   */
  prepare<Name extends JobName>(job: Name, payload: JobInput<Name>, options: OutboxAddOptions = {}): OutboxRow {
    if (!isJobName(job)) throw DomainError.invalid(JOB_UNKNOWN, `La tâche « ${String(job)} » n'existe pas dans le catalogue.`);
    const parsed = JOB_CATALOGUE[job].payload.safeParse(payload);
    if (!parsed.success) {
      const fields: FieldError[] = parsed.error.issues.map((issue) => ({
        path: ['payload', ...issue.path.map(String)].join('.'),
        code: issue.code.toUpperCase(),
        message: issue.message,
      }));
      throw DomainError.invalid(JOB_PAYLOAD_INVALID, `Les données de la tâche « ${job} » sont invalides.`, fields);
    }
    const delayMs = options.delayMs ?? 0;
    if (!Number.isSafeInteger(delayMs) || delayMs < 0) {
      throw DomainError.invalid(JOB_PAYLOAD_INVALID, 'Le délai doit être un nombre entier de millisecondes, positif ou nul.', [
        { path: 'delayMs', code: 'INVALID', message: 'délai invalide' },
      ]);
    }
    const now = this.clock.now();
    return {
      jobName: job,
      payload: JSON.stringify(parsed.data),
      jobKey: jobKeyFor(job, options.key),
      correlationId: currentCorrelationId() ?? null,
      createdAt: now,
      availableAt: new Date(now.getTime() + delayMs),
    };
  }
}
