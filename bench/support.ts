import { randomBytes } from 'node:crypto';
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
