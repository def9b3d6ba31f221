import { Redis } from 'ioredis';
import { withAdminClient } from './test-database.js';

/** Drops every database and Redis key this run created, then stops the embedded services it started. */
export default async function globalTeardown() {
  const { PARVIS_TEST_ADMIN_URL: adminUrl, PARVIS_TEST_RUN: runId, PARVIS_TEST_REDIS_URL: redisUrl } = process.env;
  if (adminUrl && runId) {
    await withAdminClient(adminUrl, async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname LIKE $2`,
        [`parvis_t_${runId}_%`, `parvis_tpl_${runId}`],
      );
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    });
  }
  if (redisUrl && runId) {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `test:${runId}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.unlink(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
  for (const stop of (globalThis.__parvisTestStop ?? []).reverse()) await stop();
}
