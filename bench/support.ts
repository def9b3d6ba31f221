import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createLogger } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS, createRedis } from '#platform';
import { seedReferenceData } from '#territory';

/** Runs one statement on a short-lived connection (CREATE/DROP DATABASE around a benchmark). */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Removes a benchmark's Redis keys (its queue prefix). */
export async function deleteKeys(url: string, pattern: string): Promise<void> {
  const redis = createRedis(url, createLogger({ level: 'silent', app: 'bench' }), 'bench-cleanup', { forQueues: true });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * A fresh database `parvis_bench_<name>_<random>` on the server of `databaseUrl`, migrated and holding the
 * reference data; its drop and the data source's closing are pushed at the front of `stops`.
 */
export async function freshBenchDatabase(databaseUrl: string, name: string, stops: (() => Promise<void>)[]): Promise<DataSource> {
  const database = `parvis_bench_${name}_${randomBytes(3).toString('hex')}`;
  await adminQuery(databaseUrl, `CREATE DATABASE "${database}"`);
  stops.unshift(() => adminQuery(databaseUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  const dataSource = createDataSource({ url: url.toString(), applicationName: `parvis-bench-${name}`, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 2 });
  await dataSource.initialize();
  stops.unshift(() => dataSource.destroy());
  await dataSource.runMigrations({ transaction: 'each' });
  await seedReferenceData(dataSource);
  return dataSource;
}

/** A two-status workflow (« Reçue » → « Close ») for the benchmarks' téléservices. */
export const BENCH_WORKFLOW = {
  schemaVersion: 1,
  name: 'Banc',
  initialStatus: 'received',
  functions: [{ id: 'receiver', label: 'Instructeur' }],
  statuses: [
    { id: 'received', label: 'Reçue', colour: '#1F5FAD', visibility: 'citizen', final: false, actions: [{ id: 'close', kind: 'button', label: 'Clore', target: 'closed', functions: ['receiver'] }] },
    { id: 'closed', label: 'Close', colour: '#3D3D3D', visibility: 'citizen', final: true, actions: [] },
  ],
};

/** A three-status workflow (« Reçue » → « En cours » → « Close ») for the benchmarks that need demands in progress. */
export const BENCH_PROCESSING_WORKFLOW = {
  schemaVersion: 1,
  name: 'Banc',
  initialStatus: 'received',
  functions: [{ id: 'receiver', label: 'Instructeur' }],
  statuses: [
    { id: 'received', label: 'Reçue', colour: '#1F5FAD', visibility: 'citizen', final: false, actions: [{ id: 'take', kind: 'button', label: 'Prendre', target: 'in_progress', functions: ['receiver'] }] },
    { id: 'in_progress', label: 'En cours', colour: '#B34700', visibility: 'citizen', final: false, actions: [{ id: 'close', kind: 'button', label: 'Clore', target: 'closed', functions: ['receiver'] }] },
    { id: 'closed', label: 'Close', colour: '#3D3D3D', visibility: 'citizen', final: true, actions: [] },
  ],
};

/** Counts the bytes written and drops them (a fast HTTP client). */
export class CountingSink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void) {
    this.bytes += chunk.length;
    done();
  }
}

/**
 * Runs `run` (which answers the bytes it wrote) while sampling memory every `sampleMs`: heap growth, live growth
 * (after a full GC every 10th sample, with --expose-gc: what the run really holds) and peak RSS.
 */
export async function measureMemory(sampleMs: number, label: string, run: () => Promise<number>) {
  global.gc?.();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  let peakLive = base.heapUsed;
  let ticks = 0;
  const sampler = setInterval(() => {
    // Every 10th sample, a full GC first (with --expose-gc): what is still reachable, i.e. what the export holds.
    if (global.gc && ++ticks % 10 === 0) {
      global.gc();
      peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
    }
    const now = process.memoryUsage();
    peakHeap = Math.max(peakHeap, now.heapUsed);
    peakRss = Math.max(peakRss, now.rss);
  }, sampleMs);
  const started = performance.now();
  const bytes = await run();
  const ms = performance.now() - started;
  clearInterval(sampler);
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return { label, ms, bytes, heapGrowth: mib(peakHeap - base.heapUsed), liveGrowth: global.gc ? mib(peakLive - base.heapUsed) : 'n/a (--expose-gc)', peakRss: mib(peakRss), mib };
}
