import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { createDataSource, declaredExtensions, declaredTriggers, pendingSchemaChanges, triggerDifferences } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { createTestDatabase, databaseUrl, dropDatabase, testInfrastructure, withAdminClient, type TestDatabase } from '#testing';

/**
 * The project-wide "entities and migrations agree" check (CONVENTIONS §13).
 *
 * 1. TypeORM's own diff (`pendingSchemaChanges`) on the migrated database must be empty.
 * 2. TypeORM's diff compares CHECK constraints by name only and ignores partial-index predicates and
 *    some foreign-key actions, so the catalogs are also compared: a scratch database built from the
 *    entities by TypeORM's schema builder must describe every entity table exactly like the migrated
 *    one (PostgreSQL normalises both definitions, so the comparison is textual). Index access methods
 *    (`@Index(…, { type: 'gin' })`) are part of `pg_get_indexdef`, hence compared too; the extensions such an
 *    index needs (`@DatabaseExtension`, #db) are created in the scratch database first.
 * 3. TypeORM knows nothing of triggers: a table whose entity declares triggers (`@DatabaseTrigger`, #db)
 *    must have exactly those in the migrated database (`triggerDifferences`).
 */

interface CatalogRow {
  table: string;
  kind: string;
  name: string;
  definition: string;
}

/**
 * A table's name as TypeORM's `tablePath` spells it: bare in the current schema, `schema.table` in another
 * one (the identity tables live in schema `identity`).
 */
const QUALIFIED = (ns: string, rel: string) => `CASE WHEN ${ns}.nspname = current_schema() THEN ${rel}.relname ELSE ${ns}.nspname || '.' || ${rel}.relname END`;

/** Columns, constraints and indexes of the given tables (qualified names, see QUALIFIED), one normalised line each. */
async function catalog(dataSource: DataSource, tables: string[]): Promise<string[]> {
  const rows = await dataSource.query<CatalogRow[]>(
    `SELECT ${QUALIFIED('n', 'c')} AS "table", 'column' AS kind, a.attname AS name,
            format_type(a.atttypid, a.atttypmod)
              || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
              || COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS definition
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE ${QUALIFIED('n', 'c')} = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
     UNION ALL
     SELECT ${QUALIFIED('n', 'c')}, 'constraint', con.conname, pg_get_constraintdef(con.oid)
       FROM pg_constraint con
       JOIN pg_class c ON c.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${QUALIFIED('n', 'c')} = ANY($1)
     UNION ALL
     SELECT ${QUALIFIED('n', 'c')}, 'index', i.relname, pg_get_indexdef(i.oid)
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${QUALIFIED('n', 'c')} = ANY($1)
     UNION ALL
     SELECT t.typname, 'enum', t.typname, string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
       FROM pg_type t
       JOIN pg_enum e ON e.enumtypid = t.oid
       JOIN pg_namespace n ON n.oid = t.typnamespace AND n.nspname = current_schema()
      GROUP BY t.typname`,
    [tables],
  );
  return rows.map((r) => `${r.table} ${r.kind} ${r.name}: ${r.definition}`).sort();
}

describe('database schema: entities and migrations agree', () => {
  let migrated: TestDatabase;
  let migratedSource: DataSource;
  let scratchName: string;

  beforeAll(async () => {
    migrated = await createTestDatabase();
    migratedSource = createDataSource({
      url: migrated.url,
      applicationName: 'parvis-test-schema',
      entities: ALL_ENTITIES,
      migrations: ALL_MIGRATIONS,
      poolSize: 2,
    });
    await migratedSource.initialize();
  });

  afterAll(async () => {
    if (migratedSource?.isInitialized) await migratedSource.destroy();
    await migrated?.drop();
    const infra = testInfrastructure();
    if (scratchName) await dropDatabase(infra.adminUrl, scratchName);
  });

  it('has applied every migration to the template', async () => {
    expect(await migratedSource.showMigrations()).toBe(false);
    const applied = await migratedSource.query<{ name: string }[]>(`SELECT name FROM schema_migration ORDER BY timestamp`);
    expect(applied.map((m) => m.name)).toEqual(ALL_MIGRATIONS.map((m) => new m().name ?? m.name));
  });

  it('needs no further SQL after the migrations (TypeORM schema diff)', async () => {
    const pending = await pendingSchemaChanges(migratedSource);
    // On failure the received string is the SQL the migrations are missing.
    expect(pending.map((q) => `${q.trim()};`).join('\n')).toBe('');
  });

  it('has exactly the triggers the entities declare (@DatabaseTrigger), on the tables that declare some', async () => {
    expect(migratedSource.entityMetadatas.some((m) => typeof m.target === 'function' && declaredTriggers(m.target).length > 0)).toBe(true);
    // On failure the received string lists each trigger that differs, with the database's definition.
    expect((await triggerDifferences(migratedSource)).join('\n')).toBe('');
  });

  it('reports a declared trigger missing from the database, and an undeclared one', async () => {
    await migratedSource.query(`ALTER TRIGGER "demand_search_vector_trigger" ON "demand" RENAME TO "demand_search_vector_renamed"`);
    try {
      expect(await triggerDifferences(migratedSource)).toEqual([
        'demand : déclencheur « demand_search_vector_trigger » déclaré sur l’entité, absent de la base',
        'demand : déclencheur « demand_search_vector_renamed » dans la base, non déclaré sur l’entité : ' +
          'CREATE TRIGGER demand_search_vector_renamed BEFORE INSERT OR UPDATE OF data ON demand FOR EACH ROW EXECUTE FUNCTION demand_search_vector_update()',
      ]);
    } finally {
      await migratedSource.query(`ALTER TRIGGER "demand_search_vector_renamed" ON "demand" RENAME TO "demand_search_vector_trigger"`);
    }
    expect(await triggerDifferences(migratedSource)).toEqual([]);
  });

  it('reverts every migration, newest first, down to an empty schema, and applies them again', async () => {
    const tables = migratedSource.entityMetadatas.map((m) => m.tablePath);
    const present = async () =>
      (
        await migratedSource.query<{ name: string }[]>(
          `SELECT ${QUALIFIED('n', 'c')} AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND ${QUALIFIED('n', 'c')} = ANY($1)`,
          [tables],
        )
      ).map((r) => r.name);
    const before = await catalog(migratedSource, tables);
    for (let i = 0; i < ALL_MIGRATIONS.length; i++) await migratedSource.undoLastMigration({ transaction: 'each' });
    expect(await migratedSource.query(`SELECT name FROM schema_migration`)).toEqual([]);
    expect(await present()).toEqual([]);
    await migratedSource.runMigrations({ transaction: 'each' });
    expect((await present()).sort()).toEqual([...tables].sort());
    expect(await catalog(migratedSource, tables)).toEqual(before);
  });

  it('builds, from the entities, exactly the tables, constraints and indexes the migrations build', async () => {
    const infra = testInfrastructure();
    scratchName = `parvis_t_${infra.runId}_entities_${randomBytes(3).toString('hex')}`;
    await withAdminClient(infra.adminUrl, (client) => client.query(`CREATE DATABASE "${scratchName}"`));
    const platformOptions = createDataSource({
      url: databaseUrl(infra.adminUrl, scratchName),
      applicationName: 'parvis-test-schema-entities',
      entities: ALL_ENTITIES,
      migrations: [],
      poolSize: 2,
    }).options;
    // Migrations write `DEFAULT gen_random_uuid()` (core since PostgreSQL 13); TypeORM's diff treats it
    // and `uuid_generate_v4()` alike, but renders the latter unless told the generator is pgcrypto's.
    const fromEntities = new DataSource({ ...platformOptions, uuidExtension: 'pgcrypto', installExtensions: false } as DataSourceOptions);
    await fromEntities.initialize();
    try {
      // A throwaway database: the schema builder's output is the reference the migrations are held to.
      // The builder does not create the schemas other than the current one: the migrations do, so create them here.
      for (const schema of new Set(fromEntities.entityMetadatas.map((m) => m.schema).filter(Boolean))) {
        await fromEntities.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      }
      // Nor the extensions an index's operator class needs (`@DatabaseExtension`): the migrations create them.
      for (const extension of declaredExtensions(fromEntities)) await fromEntities.query(`CREATE EXTENSION IF NOT EXISTS "${extension}"`);
      await fromEntities.driver.createSchemaBuilder().build();
      const tables = fromEntities.entityMetadatas.map((m) => m.tablePath);
      expect(tables.length).toBeGreaterThan(0);
      const expected = await catalog(fromEntities, tables);
      const actual = await catalog(migratedSource, tables);
      const onlyEntities = expected.filter((line) => !actual.includes(line)).map((line) => `entités seulement    : ${line}`);
      const onlyMigrations = actual.filter((line) => !expected.includes(line)).map((line) => `migrations seulement : ${line}`);
      // On failure the received string lists each definition that differs, on both sides.
      expect([...onlyEntities, ...onlyMigrations].join('\n')).toBe('');
    } finally {
      await fromEntities.destroy();
    }
  });
});
