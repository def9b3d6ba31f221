import pg from 'pg';
import { createLogger } from '#core';
import { createRedis } from '#platform';

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
