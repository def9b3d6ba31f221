import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { collectivity, givenInstance, givenMembership } from './factories.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

describe('test factories over the reference territory', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, applicationName: 'factories-test', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('finds communes by INSEE code and the metropolis by name', async () => {
    expect(await collectivity(dataSource, '69091')).toMatchObject({ name: 'Givors', slug: 'givors', inseeCode: '69091' });
    expect(await collectivity(dataSource, 'metropolis')).toMatchObject({ name: 'Métropole de Lyon', inseeCode: null });
    await expect(collectivity(dataSource, '75056')).rejects.toThrow('Collectivité de test inconnue');
  });

  it('gives a commune a current membership and an instance, once', async () => {
    const { collectivityId } = await givenMembership(dataSource, '69029', 'partenaire');
    const rows = await dataSource.query(`SELECT offer, ends_on FROM membership WHERE collectivity_id = $1`, [collectivityId]);
    expect(rows).toEqual([{ offer: 'partenaire', ends_on: null }]);

    const first = await givenInstance(dataSource, '69029', 'test');
    const again = await givenInstance(dataSource, '69029', 'test');
    expect(first).toEqual(again);
    expect(first.slug).toBe('bron-test');
  });
});
