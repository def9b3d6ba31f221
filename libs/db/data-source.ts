import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type EntitySchema, type MigrationInterface } from 'typeorm';
import type { Logger } from 'pino';
import { scrubSecrets } from '#core';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityTarget = Function | EntitySchema;
type MigrationClass = new () => MigrationInterface;

export interface DataSourceSettings {
  url: string;
  poolSize?: number;
  applicationName: string;
  entities: EntityTarget[];
  migrations: MigrationClass[];
}

/**
 * The one way the platform builds a TypeORM DataSource: PostgreSQL, migrations only
 * (`synchronize` is never on), bounded pool and timeouts so a dead database answers fast.
 */
export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    url: settings.url,
    applicationName: settings.applicationName,
    entities: settings.entities,
    migrations: settings.migrations,
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is core PostgreSQL (13+): no extension to install, none created on connect.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: false,
    poolSize: settings.poolSize ?? 10,
    extra: {
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      query_timeout: 30_000,
    },
  });
}

/** Initialises the DataSource, waiting for PostgreSQL to accept connections (bounded), so apps survive a slow start. */
export async function connectWithRetry(dataSource: DataSource, logger: Logger, timeoutMs = 30_000): Promise<DataSource> {
  const deadline = Date.now() + timeoutMs;
  let attempt = 0;
  for (;;) {
    try {
      return await dataSource.initialize();
    } catch (error) {
      attempt += 1;
      if (Date.now() >= deadline) {
        throw new Error(`PostgreSQL injoignable après ${attempt} tentatives : ${scrubSecrets(String((error as Error).message))}`, {
          cause: error,
        });
      }
      logger.warn({ attempt }, `PostgreSQL pas encore disponible, nouvelle tentative : ${scrubSecrets((error as Error).message)}`);
      await sleep(Math.min(2_000, 200 * attempt));
    }
  }
}

/** SQL that would bring the database in line with the entities. Empty when migrations and entities agree. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}

/** SELECT 1 with a deadline: used by health checks; never throws. */
export async function pingDatabase(dataSource: DataSource, timeoutMs = 2_000): Promise<{ up: boolean; error?: string }> {
  if (!dataSource.isInitialized) return { up: false, error: 'non initialisée' };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      dataSource.query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`pas de réponse en ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { up: true };
  } catch (error) {
    return { up: false, error: scrubSecrets((error as Error).message) };
  } finally {
    clearTimeout(timer);
  }
}
