import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { ALL_MIGRATIONS } from '#platform';
import { databaseUrl, runScript, testInfrastructure, withAdminClient } from '#testing';

/** `npm run migrate`, `npm run schema:check` and `npm run migration:generate` as a person runs them. */

function run(script: string, databaseUrlValue: string, args: string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrlValue };
  delete env.REDIS_URL;
  return runScript(`tools/${script}`, { env, args });
}

const migrationNames = ALL_MIGRATIONS.map((migration) => new migration().name ?? migration.name);

async function appliedMigrations(url: string): Promise<string[]> {
  return withAdminClient(url, async (client) => (await client.query<{ name: string }>('SELECT name FROM schema_migration ORDER BY id')).rows.map((r) => r.name));
}

async function databasesNamed(prefix: string): Promise<string[]> {
  return withAdminClient(testInfrastructure().adminUrl, async (client) =>
    (await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`])).rows.map((r) => r.datname),
  );
}

describe('npm run migrate', () => {
  const name = `parvis_t_${testInfrastructure().runId}_migrate_${randomBytes(3).toString('hex')}`;
  const url = databaseUrl(testInfrastructure().adminUrl, name);

  beforeAll(() => withAdminClient(testInfrastructure().adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`)));
  afterAll(() => withAdminClient(testInfrastructure().adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));

  it('applies every pending migration and names each, then has nothing left to do', async () => {
    const first = await run('migrate.js', url);
    expect(first.code).toBe(0);
    for (const migration of migrationNames) expect(first.stdout).toContain(`  - ${migration}`);
    expect(await appliedMigrations(url)).toEqual(migrationNames);

    const second = await run('migrate.js', url);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('aucune migration en attente');
  }, 90_000); // every migration, from scratch, in a child process

  it('reverts the last migration with --revert, and applies it again afterwards', async () => {
    const last = migrationNames[migrationNames.length - 1];
    const reverted = await run('migrate.js', url, ['--revert']);
    expect(reverted.code).toBe(0);
    expect(reverted.stdout).toContain(`Migration annulée : ${last}`);
    expect(await appliedMigrations(url)).toEqual(migrationNames.slice(0, -1));

    const again = await run('migrate.js', url);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`  - ${last}`);
    expect(await appliedMigrations(url)).toEqual(migrationNames);
  });

  it('refuses an unknown argument with the usage', async () => {
    const outcome = await run('migrate.js', url, ['--down']);
    expect(outcome.code).toBe(64);
    expect(outcome.stderr).toContain('Usage : npm run migrate');
  });
});

describe('npm run schema:check and migration:generate', () => {
  const url = testInfrastructure().adminUrl;

  it('say that the entities and the migrations agree, and leave no temporary database behind', async () => {
    const check = await run('schema-check.js', url);
    expect(check).toMatchObject({ code: 0 });
    expect(check.stdout).toContain('Schéma à jour');

    const generate = await run('migration-generate.js', url, ['NothingToDo']);
    expect(generate).toMatchObject({ code: 0 });
    expect(generate.stdout).toContain('Aucune différence');

    const ci = await run('migration-generate.js', url, ['--check']);
    expect(ci).toMatchObject({ code: 0 });

    expect(await databasesNamed('parvis_schema_check_')).toEqual([]);
    expect(await databasesNamed('parvis_migration_generate_')).toEqual([]);
  }, 120_000); // three processes, each migrating a temporary database from scratch

  it('migration:generate refuses a name that is not PascalCase', async () => {
    const outcome = await run('migration-generate.js', url, ['add_thing']);
    expect(outcome.code).toBe(64);
    expect(outcome.stderr).toContain('Nom de migration invalide : « add_thing »');
  });
});
