import type { DataSource } from 'typeorm';
import { ManualClock } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { seedDemo } from '#territory';
import { createTestDatabase, type TestDatabase } from '#testing';
import { SIMPLE_REQUEST_WORKFLOW } from '#workflow';
import type { AuthoringActor } from './authoring.types.js';

/** A test database with the territory's demo set (instances, memberships) and actors of its collectivities. */
export interface AuthoringWorld {
  database: TestDatabase;
  dataSource: DataSource;
  clock: ManualClock;
  metropolis: AuthoringActor;
  givors: AuthoringActor;
  bron: AuthoringActor;
  /** Abonné. */
  saintGenis: AuthoringActor;
  /** Connecté. */
  venissieux: AuthoringActor;
  /** Not adhering (Lyon). */
  lyon: AuthoringActor;
  instance(slug: string): Promise<string>;
  count(): Promise<{ teleservices: number; versions: number; instances: number }>;
  close(): Promise<void>;
}

export async function authoringWorld(name: string): Promise<AuthoringWorld> {
  const database = await createTestDatabase();
  const dataSource = createDataSource({ url: database.url, applicationName: `parvis-test-${name}`, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 3 });
  await dataSource.initialize();
  const clock = new ManualClock('2026-03-02T08:00:00.000Z');
  await seedDemo(dataSource, clock);
  const idOf = async (where: string, param?: string) =>
    (await dataSource.query<{ id: string }[]>(`SELECT id FROM collectivity WHERE ${where}`, param ? [param] : []))[0].id;
  const actor = async (sub: string, insee?: string): Promise<AuthoringActor> => ({
    sub,
    collectivityId: insee ? await idOf('insee_code = $1', insee) : await idOf(`kind = 'metropolis'`),
  });
  return {
    database,
    dataSource,
    clock,
    metropolis: await actor('agent-metropole'),
    givors: await actor('agent-givors', '69091'),
    bron: await actor('agent-bron', '69029'),
    saintGenis: await actor('agent-sgl', '69204'),
    venissieux: await actor('agent-venissieux', '69259'),
    lyon: await actor('agent-lyon', '69123'),
    instance: async (slug) => (await dataSource.query<{ id: string }[]>(`SELECT id FROM instance WHERE slug = $1`, [slug]))[0].id,
    count: async () => {
      const [row] = await dataSource.query<{ t: number; v: number; i: number }[]>(
        `SELECT (SELECT count(*)::int FROM teleservice) AS t, (SELECT count(*)::int FROM teleservice_version) AS v, (SELECT count(*)::int FROM instance) AS i`,
      );
      return { teleservices: row.t, versions: row.v, instances: row.i };
    },
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    },
  };
}

/** A small valid version: one page, a name and an email, the simple request workflow. */
export function simpleContent(label = 'Nom', extra: unknown[] = []) {
  return {
    form: {
      schemaVersion: 1,
      pages: [
        {
          id: 'demandeur',
          title: 'Demandeur',
          fields: [{ id: 'nom', type: 'text', label, required: true }, { id: 'courriel', type: 'email', label: 'Courriel', required: true }, ...extra],
        },
      ],
    },
    workflow: SIMPLE_REQUEST_WORKFLOW,
    dataSources: [],
  };
}
