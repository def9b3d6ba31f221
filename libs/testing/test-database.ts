import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { databaseUrl, testInfrastructure } from './test-env.js';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Runs `fn` on a short-lived maintenance connection. */
export async function withAdminClient<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database for one suite, cloned from the migrated template (`CREATE DATABASE … TEMPLATE`). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const infra = testInfrastructure();
  const name = `parvis_t_${infra.runId}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(infra.adminUrl, async (client) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${infra.template}"`);
        return;
      } catch (error) {
        // Another clone in progress briefly holds the template: wait and retry.
        if (attempt < 20 && /being accessed by other users/.test((error as Error).message)) {
          await sleep(100 + attempt * 50);
          continue;
        }
        throw error;
      }
    }
  });
  return {
    name,
    url: databaseUrl(infra.adminUrl, name),
    drop: () => dropDatabase(infra.adminUrl, name),
  };
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdminClient(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}
