/**
 * Outbox relay benchmark: how fast committed outbox rows reach BullMQ and their handler.
 *
 *   npm run build && node dist/bench/outbox-relay.js
 *
 * Uses DATABASE_URL / REDIS_URL when set (a scratch database and a scratch Redis prefix are created and
 * removed), otherwise starts the embedded PostgreSQL and a local redis-server under .parvis/bench-*.
 * Knobs: BENCH_ROWS (5000), BENCH_LATENCY_ROWS (1000), BENCH_RATE (rows/s written during the latency run, 200),
 * OUTBOX_BATCH_SIZE (100), OUTBOX_POLL_MS (500). The job is `mail.send` with a no-op handler: what is
 * measured is the pipeline (outbox → relay → Redis → worker → receipt), not SMTP.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Clock, createLogger, SystemClock } from '#core';
import { createDataSource } from '#db';
import { adminQuery, deleteKeys } from './support.js';
import { ALL_ENTITIES, ALL_MIGRATIONS, createRedis, useOrStartServices } from '#platform';
import {
  bullPrefix,
  checkJobHandlers,
  idleHandlerClasses,
  JOB_CATALOGUE,
  JobReceipts,
  JobRunner,
  JobWorkers,
  OutboxRelay,
  OutboxService,
  QueueMetrics,
  QueueRegistry,
  QUEUES,
  type JobContext,
  type JobHandler,
} from '#queue';

const ROWS = Number(process.env.BENCH_ROWS ?? 5_000);
const LATENCY_ROWS = Number(process.env.BENCH_LATENCY_ROWS ?? 1_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const BATCH_SIZE = Number(process.env.OUTBOX_BATCH_SIZE ?? 100);
const POLL_MS = Number(process.env.OUTBOX_POLL_MS ?? 500);

/** Commit instant of each job key, and the instant its handler ran. */
const committedAt = new Map<string, number>();
const handledAt = new Map<string, number>();

class NoopMailJob implements JobHandler<'mail.send'> {
  readonly job = 'mail.send';
  async handle(_payload: unknown, context: JobContext<'mail.send'>) {
    handledAt.set(context.key, performance.now());
  }
}

async function main() {
  const stops: (() => Promise<void>)[] = [];
  const runId = randomBytes(3).toString('hex');
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', app: 'worker' });
  try {
    const services = await useOrStartServices('bench', { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
    stops.unshift(services.stop);
    const adminUrl = services.databaseUrl;
    const redisUrl = services.redisUrl;

    const database = `parvis_bench_${runId}`;
    await adminQuery(adminUrl, `CREATE DATABASE "${database}"`);
    stops.unshift(() => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const dataSource = createDataSource({ url: url.toString(), applicationName: 'parvis-bench', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 10 });
    await dataSource.initialize();
    stops.unshift(() => dataSource.destroy());
    await dataSource.runMigrations({ transaction: 'each' });

    const redisPrefix = `bench:${runId}`;
    stops.unshift(() => deleteKeys(redisUrl, `${redisPrefix}:*`));
    const connect = (name: string) => createRedis(redisUrl, logger, `bench:${name}`, { forQueues: true });
    const clock: Clock = new SystemClock();
    const queues = new QueueRegistry(connect, bullPrefix(redisPrefix), logger);
    stops.unshift(() => queues.close());
    const metrics = new QueueMetrics(dataSource, queues, clock, logger);
    const runner = new JobRunner(JOB_CATALOGUE, checkJobHandlers(JOB_CATALOGUE, [new NoopMailJob(), ...idleHandlerClasses(['mail.send']).map((Idle) => new Idle())]), new JobReceipts(dataSource), clock, logger);
    const workers = new JobWorkers(runner, queues.names(), connect, queues.prefix, metrics, logger);
    stops.unshift(() => workers.stop());
    const relay = new OutboxRelay(
      { dataSource, queues, clock, logger, metrics, databaseUrl: url.toString() },
      { pollMs: POLL_MS, batchSize: BATCH_SIZE, listen: true, purgeEveryMs: 0 },
    );
    stops.unshift(() => relay.stop());
    const outbox = new OutboxService(clock);

    const write = async (keys: string[]) => {
      await dataSource.transaction(async (manager) => {
        for (const key of keys) await outbox.add(manager, 'mail.send', { to: 'bench@example.org', subject: 'Banc', text: 'x' }, { key });
      });
      const now = performance.now();
      for (const key of keys) committedAt.set(`mail.send/${key}`, now);
    };
    const pending = async () => Number((await dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM outbox_message WHERE relayed_at IS NULL`))[0]!.n);
    const waitFor = async (done: () => boolean | Promise<boolean>) => {
      while (!(await done())) await sleep(5);
    };

    // 1. Backlog: ROWS rows committed while the worker is down, then the relay alone, then the workers.
    const backlog = Array.from({ length: ROWS }, (_, i) => `backlog-${i}`);
    const writeStart = performance.now();
    for (let i = 0; i < backlog.length; i += 500) await write(backlog.slice(i, i + 500));
    const writeMs = performance.now() - writeStart;

    const relayStart = performance.now();
    relay.start();
    await waitFor(async () => (await pending()) === 0);
    const relayMs = performance.now() - relayStart;

    const workStart = performance.now();
    workers.start();
    await waitFor(() => backlog.every((key) => handledAt.has(`mail.send/${key}`)));
    const workMs = performance.now() - workStart;

    // 2. Steady flow: one row per transaction at RATE rows/s, relay (LISTEN/NOTIFY) and workers running.
    const steady = Array.from({ length: LATENCY_ROWS }, (_, i) => `steady-${i}`);
    const flowStart = performance.now();
    for (let i = 0; i < steady.length; i++) {
      const due = flowStart + (i * 1_000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      await write([steady[i]!]);
    }
    await waitFor(() => steady.every((key) => handledAt.has(`mail.send/${key}`)));
    const latencies = steady.map((key) => handledAt.get(`mail.send/${key}`)! - committedAt.get(`mail.send/${key}`)!).sort((a, b) => a - b);

    const rows: [string, string][] = [
      ['rows written (500 per transaction)', `${ROWS} in ${fmt(writeMs)} ms (${rate(ROWS, writeMs)} rows/s)`],
      [`relay alone (batch ${BATCH_SIZE})`, `${rate(ROWS, relayMs)} rows/s (${fmt(relayMs)} ms)`],
      [`workers on the backlog (concurrency ${QUEUES.notifications.concurrency})`, `${rate(ROWS, workMs)} jobs/s (${fmt(workMs)} ms)`],
      [`steady flow ${RATE} rows/s, commit → handler`, `p50 ${fmt(pct(latencies, 0.5))} ms, p95 ${fmt(pct(latencies, 0.95))} ms, p99 ${fmt(pct(latencies, 0.99))} ms, max ${fmt(latencies.at(-1) ?? 0)} ms`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(`\nOutbox relay benchmark (${LATENCY_ROWS} rows for latency, poll ${POLL_MS} ms, LISTEN/NOTIFY on)\n`);
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    console.log('');
    // Counters move just after the handler returns (receipt written, relay transaction committed): let them settle.
    const total = ROWS + LATENCY_ROWS;
    const settled = performance.now() + 10_000;
    await waitFor(() => {
      const counters = metrics.snapshot();
      return (counters.relayed >= total && (counters.completed['mail.send'] ?? 0) >= total) || performance.now() > settled;
    });
    const snapshot = metrics.snapshot();
    if (snapshot.relayed !== ROWS + LATENCY_ROWS || (snapshot.completed['mail.send'] ?? 0) !== ROWS + LATENCY_ROWS) {
      throw new Error(`Compteurs inattendus : ${JSON.stringify(snapshot)}`);
    }
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => console.error(error));
  }
}

const fmt = (ms: number) => ms.toFixed(ms < 10 ? 1 : 0);
const rate = (count: number, ms: number) => Math.round((count * 1_000) / ms).toLocaleString('en-US');
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

await main();
