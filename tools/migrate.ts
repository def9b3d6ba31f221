import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { createLogger } from '#core';
import { connectWithRetry } from '#db';
import { databaseUrlFromEnv, EXIT_USAGE, platformDataSource, runCli } from './cli-support.js';

/**
 * `npm run migrate` — applies the pending migrations to DATABASE_URL and names each one.
 * `npm run migrate -- --revert` — reverts the last applied migration.
 * Exit codes: 0 done, 1 failure (the failing migration's transaction is rolled back), 64 bad arguments,
 * 78 bad configuration.
 */
const USAGE = 'Usage : npm run migrate [-- --revert]';

runCli('migrate', async () => {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--revert');
  if (unknown.length) {
    console.error(`Argument inconnu : ${unknown.join(' ')}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const revert = args.includes('--revert');
  const url = databaseUrlFromEnv();
  const dataSource = platformDataSource(url, 'parvis-migrate');
  await connectWithRetry(dataSource, createLogger({ level: 'warn', app: 'migrate' }), 15_000);
  try {
    if (revert) {
      const last = await lastApplied(dataSource);
      if (!last) {
        console.log('Aucune migration appliquée : rien à annuler.');
        return 0;
      }
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log(`Migration annulée : ${last}`);
      return 0;
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (!applied.length) {
      console.log('Base à jour : aucune migration en attente.');
    } else {
      console.log(`${applied.length} migration(s) appliquée(s) :`);
      for (const migration of applied) console.log(`  - ${migration.name}`);
    }
    return 0;
  } finally {
    await dataSource.destroy();
  }
});

/** Name of the last applied migration, or null (also when the migrations table does not exist yet). */
async function lastApplied(dataSource: DataSource): Promise<string | null> {
  const [table] = await dataSource.query<{ present: boolean }[]>(`SELECT to_regclass('schema_migration') IS NOT NULL AS "present"`);
  if (!table?.present) return null;
  const rows = await dataSource.query<{ name: string }[]>(`SELECT "name" FROM "schema_migration" ORDER BY "timestamp" DESC, "id" DESC LIMIT 1`);
  return rows[0]?.name ?? null;
}
