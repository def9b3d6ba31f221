import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ManualClock } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import type { DemandEngine } from '../engine/engine-context.js';
import { engineFixture, T0, type EngineFixture } from '../test-fixtures.js';
import { agentScope } from '../tenancy/tenant-scope.js';
import { withTenant } from '../tenancy/with-tenant.js';
import type { EngineCaller } from '../use-cases/access.js';
import { AgentSavedViews } from './agent-saved-views.js';

/**
 * Saved views under row-level security: private views are their owner's only, shared ones every agent of the
 * collectivity's, another collectivity's never; only the owner changes, deletes or defaults a view. The listing
 * query has no WHERE at all: what each agent gets is what the policies let through.
 */
describe('saved views of the listings (PostgreSQL row-level security)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let fx: EngineFixture;
  let views: AgentSavedViews;
  const agent = (sub: string, collectivityIds: string[]): EngineCaller => ({ kind: 'agent', sub, collectivityIds, functions: [], permissions: ['demands:read', 'demands:write'] });
  let alice: EngineCaller;
  let bruno: EngineCaller;
  let chloe: EngineCaller;
  let privateId: string;
  let sharedId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, applicationName: 'parvis-test-saved-views', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 2 });
    await dataSource.initialize();
    fx = await engineFixture(dataSource);
    const clock = new ManualClock(T0);
    // The saved views use only the engine's tenant transactions and clock.
    const engine = { clock, transaction: (scope, work) => withTenant(dataSource, scope, work) } as Pick<DemandEngine, 'clock' | 'transaction'>;
    views = new AgentSavedViews(engine as DemandEngine);
    alice = agent('alice', [fx.communeA]);
    bruno = agent('bruno', [fx.communeA]);
    chloe = agent('chloe', [fx.communeB]);
    privateId = (await views.save(alice, { name: 'Mes urgences', visibility: 'private', collectivityId: fx.communeA, query: 'statut=new&attribution=moi' })).id;
    sharedId = (await views.save(alice, { name: 'Anomalies ouvertes', visibility: 'shared', collectivityId: fx.communeA, query: 'etat=ouvertes' })).id;
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('gives the owner both views, a colleague the shared one only, another commune’s agent none', async () => {
    expect((await views.list(alice)).map((v) => [v.name, v.visibility, v.mine])).toEqual([
      ['Anomalies ouvertes', 'shared', true],
      ['Mes urgences', 'private', true],
    ]);
    expect((await views.list(bruno)).map((v) => [v.name, v.mine])).toEqual([['Anomalies ouvertes', false]]);
    expect(await views.list(chloe)).toEqual([]);
    expect((await views.get(bruno, sharedId)).query).toBe('etat=ouvertes');
    await expect(views.get(bruno, privateId)).rejects.toMatchObject({ code: 'SAVED_VIEW_NOT_FOUND' });
    await expect(views.get(chloe, sharedId)).rejects.toMatchObject({ code: 'SAVED_VIEW_NOT_FOUND' });
  });

  it('lets only the owner delete or default a view, even a shared one', async () => {
    await expect(views.remove(bruno, sharedId)).rejects.toMatchObject({ code: 'SAVED_VIEW_NOT_FOUND' });
    await expect(views.setDefault(bruno, sharedId)).rejects.toMatchObject({ code: 'SAVED_VIEW_NOT_FOUND' });
    expect((await views.list(alice)).map((v) => v.id).sort()).toEqual([privateId, sharedId].sort());
    // A raw UPDATE in a colleague's transaction (owner setting = bruno) touches nothing.
    const touched = await withTenant(dataSource, agentScope([fx.communeA]), async (manager) => {
      await manager.query(`SELECT set_config('parvis.agent_sub', 'bruno', true)`);
      const [rows] = await manager.query(`UPDATE saved_view SET name = 'Piratée' RETURNING id`);
      return rows as unknown[];
    });
    expect(touched).toEqual([]);
    expect((await views.get(alice, sharedId)).name).toBe('Anomalies ouvertes');
  });

  it('refuses to save a view in a collectivity the agent does not belong to, or a second view of the same name', async () => {
    await expect(views.save(chloe, { name: 'Intrusion', visibility: 'shared', collectivityId: fx.communeA, query: '' })).rejects.toMatchObject({ code: 'SAVED_VIEW_INVALID' });
    await expect(views.save(alice, { name: 'Mes urgences', visibility: 'shared', collectivityId: fx.communeA, query: '' })).rejects.toMatchObject({
      code: 'SAVED_VIEW_NAME_TAKEN',
      kind: 'conflict',
    });
    expect(await views.list(chloe)).toEqual([]);
  });

  it('keeps one default view per agent', async () => {
    await views.setDefault(alice, privateId);
    expect((await views.defaultView(alice))?.id).toBe(privateId);
    await views.setDefault(alice, sharedId);
    expect((await views.defaultView(alice))?.id).toBe(sharedId);
    expect(await views.defaultView(bruno)).toBeNull();
    await views.setDefault(alice, null);
    expect(await views.defaultView(alice)).toBeNull();
  });

  it('deletes the owner’s view', async () => {
    await views.remove(alice, privateId);
    expect((await views.list(alice)).map((v) => v.id)).toEqual([sharedId]);
  });
});
