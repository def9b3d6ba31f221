import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { ConfigError, envSchema, scrubSecrets } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';

/**
 * Shared plumbing of the database command-line tools (migrate, schema:check, migration:generate):
 * they need DATABASE_URL only (not the whole app configuration), stop with exit code 78 and a message
 * naming the variable when it is wrong, and with exit code 1 and a readable message on any other failure.
 */

/** Exit code of a bad configuration (sysexits EX_CONFIG), the same as the apps'. */
export const EXIT_CONFIG = 78;
/** Exit code of a bad command line (sysexits EX_USAGE). */
export const EXIT_USAGE = 64;

/** DATABASE_URL, validated by the same rule as the apps' configuration. */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  const parsed = envSchema.pick({ DATABASE_URL: true }).safeParse({ DATABASE_URL: value });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: 'DATABASE_URL',
        message: value === undefined ? 'variable obligatoire manquante' : issue.message,
      })),
    );
  }
  return parsed.data.DATABASE_URL;
}

/** Runs a tool's main function and exits with its code; a ConfigError exits 78, any other error 1. */
export function runCli(tool: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`[parvis-${tool}] ${error.message}\n`);
        process.exit(EXIT_CONFIG);
      }
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`[parvis-${tool}] Échec : ${scrubSecrets(message)}\n`);
      process.exit(1);
    },
  );
}

/** The same server and credentials, another database. */
export function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A DataSource over every entity and migration of the platform. */
export function platformDataSource(url: string, applicationName: string): DataSource {
  return createDataSource({ url, applicationName, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 2 });
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database `<prefix>_<random>` on the server of `url`, runs every migration on it,
 * hands it to `fn`, then drops it whatever happens. The configured database itself is never written to,
 * so comparing entities and migrations is safe on any environment (it needs the CREATEDB privilege).
 */
export async function withMigratedTemporaryDatabase<T>(url: string, prefix: string, fn: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  try {
    await withClient(url, (client) => client.query(`CREATE DATABASE "${name}"`));
  } catch (error) {
    throw new Error(`création de la base temporaire « ${name} » impossible (le rôle doit avoir le droit CREATEDB) : ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const dataSource = platformDataSource(withDatabaseName(url, name), `parvis-${prefix.replace(/_/g, '-')}`);
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      return await fn(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await withClient(url, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
}
