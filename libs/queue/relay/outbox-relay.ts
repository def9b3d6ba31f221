import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { Clock, scrubSecrets } from '#core';
import { bullJobOptions, isJobName, JOB_CATALOGUE } from '../catalogue/job-catalogue.js';
import type { QueueName } from '../catalogue/queues.js';
import type { QueueMetrics } from '../metrics/queue-metrics.js';
import type { JobEnvelope } from '../outbox/job-envelope.js';
import { withTimeout } from '../support/with-timeout.js';
import type { QueueRegistry } from '../worker/queue-registry.js';

/** The PostgreSQL channel the outbox trigger notifies on insert (migration 1763800100000-outbox). */
export const OUTBOX_CHANNEL = 'parvis_outbox';

/** Relayed rows are deleted after a week; receipts after 30 days (longer than any replay can come). */
export const OUTBOX_RETENTION_MS = 7 * 24 * 3_600_000;
export const RECEIPT_RETENTION_MS = 30 * 24 * 3_600_000;

export interface PendingRow {
  id: string;
  job_name: string;
  payload: unknown;
  job_key: string;
  correlation_id: string | null;
  attempts: number;
}

export interface OutboxRelayDeps {
  dataSource: DataSource;
  queues: QueueRegistry;
  clock: Clock;
  logger: Logger;
  metrics: QueueMetrics;
  /** PostgreSQL URL for the LISTEN connection. */
  databaseUrl: string;
}

export interface OutboxRelayOptions {
  pollMs: number;
  batchSize: number;
  /** LISTEN on the outbox channel to relay as soon as a row is committed (default true). */
  listen?: boolean;
  /** A Redis that does not answer within this delay fails the tick; the rows are retried next tick. */
  enqueueTimeoutMs?: number;
  /** Every so often, delete old relayed rows and receipts (default 10 minutes; 0 disables). */
  purgeEveryMs?: number;
  /** Test hooks: fault injection between enqueueing and marking rows relayed. */
  hooks?: { afterEnqueue?(rows: readonly PendingRow[]): void | Promise<void> };
}

export interface RelayTickResult {
  selected: number;
  relayed: number;
  failed: number;
}

/**
 * Moves committed outbox rows to BullMQ. Each tick, in one transaction: lock a batch of ready, unrelayed rows
 * (`FOR UPDATE SKIP LOCKED`, so relays in several processes share the work), add them to their queues with
 * their job key as BullMQ job id, mark them relayed, commit. A crash between the add and the commit leaves the
 * rows unrelayed: they are added again, and BullMQ (same job id) or the job receipts make that harmless.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private wokenDuringTick = false;
  private listener: pg.Client | undefined;
  private listening: Promise<void> | undefined;
  private stopping = new AbortController();
  private lastErrorLog = 0;
  private lastPurge = 0;

  constructor(
    readonly deps: OutboxRelayDeps,
    readonly options: OutboxRelayOptions,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** True while the LISTEN connection is up (notifications wake the relay at once). */
  get isListening(): boolean {
    return this.listener !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.lastPurge = performance.now();
    if (this.options.listen ?? true) this.listening = this.listen();
    this.loop = this.run();
    this.deps.logger.info({ pollMs: this.options.pollMs, batchSize: this.options.batchSize }, 'Relais de l’outbox démarré');
  }

  /** Stops the loop after its current tick (waited for), and closes the LISTEN connection. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    if (this.listener) await withTimeout(this.listener.end(), 2_000).catch(() => undefined);
    await this.listening;
    this.listening = undefined;
    this.deps.logger.info('Relais de l’outbox arrêté');
  }

  /** One tick: relays at most one batch. Public for tests and the benchmark. */
  async relayOnce(): Promise<RelayTickResult> {
    const { dataSource, clock } = this.deps;
    const result = await dataSource.transaction((manager) => this.relayBatch(manager, clock.now()));
    this.deps.metrics.recordRelayed(result.relayed);
    return result;
  }

  /** Deletes relayed rows and receipts past their retention, a bounded chunk at a time. */
  async purge(): Promise<{ messages: number; receipts: number }> {
    const now = this.deps.clock.now().getTime();
    const messages = await this.deleteChunk(
      `DELETE FROM "outbox_message" WHERE "id" IN (
         SELECT "id" FROM "outbox_message" WHERE "relayed_at" < $1 ORDER BY "relayed_at" LIMIT 5000)`,
      new Date(now - OUTBOX_RETENTION_MS),
    );
    const receipts = await this.deleteChunk(
      `DELETE FROM "job_receipt" WHERE "job_key" IN (
         SELECT "job_key" FROM "job_receipt" WHERE "completed_at" < $1 ORDER BY "completed_at" LIMIT 5000)`,
      new Date(now - RECEIPT_RETENTION_MS),
    );
    return { messages, receipts };
  }

  private async deleteChunk(sql: string, before: Date): Promise<number> {
    const [, affected] = (await this.deps.dataSource.query(sql, [before])) as [unknown, number];
    return affected ?? 0;
  }

  private async relayBatch(manager: EntityManager, now: Date): Promise<RelayTickResult> {
    const rows: PendingRow[] = await manager.query(
      `SELECT "id", "job_name", "payload", "job_key", "correlation_id", "attempts"
       FROM "outbox_message"
       WHERE "relayed_at" IS NULL AND "available_at" <= $1
       ORDER BY "id"
       LIMIT $2
       FOR UPDATE SKIP LOCKED`,
      [now, this.options.batchSize],
    );
    if (!rows.length) return { selected: 0, relayed: 0, failed: 0 };

    const byQueue = new Map<QueueName, PendingRow[]>();
    const unknown: PendingRow[] = [];
    for (const row of rows) {
      if (!isJobName(row.job_name)) {
        unknown.push(row);
        continue;
      }
      const queue = JOB_CATALOGUE[row.job_name].queue;
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), row]);
    }

    const relayed: PendingRow[] = [];
    const failed: { rows: PendingRow[]; error: string }[] = [];
    for (const [queueName, queueRows] of byQueue) {
      try {
        const queue = this.deps.queues.queue(queueName);
        await withTimeout(
          queue.addBulk(
            queueRows.map((row) => ({
              name: row.job_name,
              data: { payload: row.payload, correlationId: row.correlation_id, outboxId: String(row.id) } satisfies JobEnvelope,
              opts: bullJobOptions(JOB_CATALOGUE[row.job_name as keyof typeof JOB_CATALOGUE], row.job_key),
            })),
          ),
          this.options.enqueueTimeoutMs ?? 10_000,
          `File ${queueName}`,
        );
        relayed.push(...queueRows);
      } catch (error) {
        failed.push({ rows: queueRows, error: scrubSecrets((error as Error).message) });
      }
    }

    await this.options.hooks?.afterEnqueue?.(relayed);

    if (relayed.length) {
      await manager.query(`UPDATE "outbox_message" SET "relayed_at" = $1 WHERE "id" = ANY($2::bigint[])`, [now, relayed.map((r) => r.id)]);
    }
    for (const { rows: failedRows, error } of failed) {
      // Redis unreachable or slow: no backoff, the next tick tries again.
      await manager.query(`UPDATE "outbox_message" SET "attempts" = "attempts" + 1, "last_error" = $1 WHERE "id" = ANY($2::bigint[])`, [
        error.slice(0, 2_000),
        failedRows.map((r) => r.id),
      ]);
      this.logThrottled(`Relais de l’outbox : ${failedRows.length} ligne(s) non relayée(s), nouvel essai au prochain passage : ${error}`);
    }
    if (unknown.length) {
      // A job this version does not know (removed, or written by a newer version): back off up to an hour.
      await manager.query(
        `UPDATE "outbox_message"
         SET "attempts" = "attempts" + 1,
             "last_error" = 'tâche inconnue du catalogue de cette version',
             "available_at" = $1::timestamptz + make_interval(secs => least(power(2, "attempts" + 1), 3600))
         WHERE "id" = ANY($2::bigint[])`,
        [now, unknown.map((r) => r.id)],
      );
      this.deps.logger.error({ jobs: [...new Set(unknown.map((r) => r.job_name))], rows: unknown.length }, 'Outbox : tâche inconnue du catalogue, relais différé');
    }
    return { selected: rows.length, relayed: relayed.length, failed: rows.length - relayed.length };
  }

  private async run(): Promise<void> {
    while (this.running) {
      let result: RelayTickResult = { selected: 0, relayed: 0, failed: 0 };
      this.wokenDuringTick = false;
      try {
        result = await this.relayOnce();
        await this.maybePurge();
      } catch (error) {
        this.logThrottled(`Relais de l’outbox : passage en échec, nouvel essai dans ${this.options.pollMs} ms : ${scrubSecrets((error as Error).message)}`);
      }
      if (!this.running) break;
      // A full batch means a backlog: go on at once. Otherwise wait for the poll interval or a notification.
      if (result.selected === this.options.batchSize && result.failed === 0) continue;
      if (this.wokenDuringTick && result.failed === 0) continue;
      await this.pause(this.options.pollMs);
    }
  }

  private async maybePurge() {
    const every = this.options.purgeEveryMs ?? 600_000;
    if (!every || performance.now() - this.lastPurge < every) return;
    this.lastPurge = performance.now();
    const purged = await this.purge();
    if (purged.messages || purged.receipts) this.deps.logger.info(purged, 'Outbox : anciennes lignes et anciens reçus supprimés');
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private notify() {
    this.wokenDuringTick = true;
    this.wake?.();
  }

  /** LISTEN on the outbox channel, reconnecting while the relay runs. Polling goes on regardless. */
  private async listen(): Promise<void> {
    let delay = 500;
    while (this.running) {
      const client = new pg.Client({ connectionString: this.deps.databaseUrl, application_name: 'parvis-outbox-listen' });
      const closed = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', () => this.notify());
        await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
        if (!this.running) {
          await withTimeout(client.end(), 2_000).catch(() => undefined);
          return;
        }
        this.listener = client;
        delay = 500;
        await closed;
      } catch (error) {
        this.logThrottled(`Relais de l’outbox : écoute des notifications impossible (${scrubSecrets((error as Error).message)}), la scrutation continue`);
      }
      if (this.listener === client) this.listener = undefined;
      // end() of a client whose connection failed may never settle: do not let it block the loop.
      await withTimeout(client.end(), 2_000).catch(() => undefined);
      if (!this.running) return;
      await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, 10_000);
    }
  }

  private logThrottled(message: string) {
    const now = performance.now();
    if (now - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = now;
    this.deps.logger.warn(message);
  }
}
