import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ManualClock } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { OutboxService } from '#queue';
import { TerritoryService } from '#territory';
import { createTestDatabase, type TestDatabase } from '#testing';
import type { Demand } from '../entities/demand.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { LocalDiskStorage } from '../storage/local-disk-storage.js';
import { platformScope } from '../tenancy/tenant-scope.js';
import { withTenant } from '../tenancy/with-tenant.js';
import { engineFixture, type EngineFixture } from '../test-fixtures.js';
import type { EngineCaller } from '../use-cases/access.js';
import { AgentExportQueries } from './agent-export.js';
import { AgentInboxQueries, SEARCH_ID_CAP, trackingCodeSearch } from './agent-inbox.js';

/**
 * The inbox's text search (migration 1763802400000-demand-search): full text over the answers (`search_vector`,
 * kept by a trigger; whole words, accents and case ignored, French stems), the tracking code whole or its start,
 * under row-level security; by ids through the GIN index up to SEARCH_ID_CAP matches, row by row beyond.
 */
describe('back-office inbox search (full text and tracking code)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let fx: EngineFixture;
  let storage: string;
  let inbox: AgentInboxQueries;
  let exports: AgentExportQueries;
  let agentA: EngineCaller;
  let lamp: Demand;
  let dump: Demand;
  let horses: Demand;
  let nested: Demand;
  let other: Demand;

  const search = async (text: string, caller = agentA) => (await inbox.inbox(caller, { text })).items.map((d) => d.id).sort();
  const ids = (...demands: Demand[]) => demands.map((d) => d.id).sort();

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, applicationName: 'parvis-test-inbox-search', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 2 });
    await dataSource.initialize();
    fx = await engineFixture(dataSource);
    storage = await mkdtemp(join(tmpdir(), 'parvis-inbox-search-'));
    const clock = new ManualClock();
    const engine = new DemandEngine(dataSource, clock, new OutboxService(clock), new LocalDiskStorage(storage), new TerritoryService(dataSource));
    inbox = new AgentInboxQueries(engine);
    exports = new AgentExportQueries(engine);
    agentA = { kind: 'agent', sub: 'agent-a', collectivityIds: [fx.communeA], functions: [], permissions: ['demands:read'] };
    lamp = await fx.demand({ collectivityId: fx.communeA, data: { objet: 'Lampadaire éteint', rue: 'Rue de l’Église', numero: 12 } });
    dump = await fx.demand({ collectivityId: fx.communeA, data: { objet: 'Dépôt sauvage', precision: 'Près de la déchèterie d’Écully' } });
    horses = await fx.demand({ collectivityId: fx.communeA, data: { objet: 'Chevaux en liberté', contact: 'camille@example.org' } });
    nested = await fx.demand({ collectivityId: fx.communeA, data: { adresse: { voie: 'Avenue Salvador Allende' }, pieces: ['Photo du nid-de-poule'] } });
    other = await fx.demand({ collectivityId: fx.communeB, data: { objet: 'Lampadaire cassé' } });
    // Known codes, so that a prefix with a digit is certain.
    for (const [demand, code] of [
      [lamp, 'K7P2XQ9M3A'],
      [dump, 'K7P2XQ9M3B'],
      [horses, 'K7Q2XQ9M3C'],
      [nested, '2222222222'],
      [other, 'K7P2XQ9M3D'],
    ] as const) {
      await dataSource.query(`UPDATE demand SET tracking_code = $2 WHERE id = $1`, [demand.id, code]);
      Object.assign(demand, { trackingCode: code });
    }
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
    await rm(storage, { recursive: true, force: true });
  });

  it('finds words of the answers whatever their case and accents, at any depth, never the field ids', async () => {
    expect(await search('lampadaire')).toEqual(ids(lamp));
    expect(await search('LAMPADAIRE ETEINT')).toEqual(ids(lamp));
    expect(await search('eglise')).toEqual(ids(lamp));
    expect(await search('Déchèterie')).toEqual(ids(dump));
    expect(await search('decheterie ecully')).toEqual(ids(dump));
    expect(await search('salvador')).toEqual(ids(nested));
    expect(await search('nid-de-poule')).toEqual(ids(nested));
    expect(await search('camille@example.org')).toEqual(ids(horses));
    expect(await search('12')).toEqual(ids(lamp));
    // `objet`, `precision`, `voie` are field ids, not answers.
    expect(await search('objet')).toEqual([]);
    expect(await search('voie')).toEqual([]);
  });

  it('matches whole words, with their French endings, every word of the term in any order', async () => {
    expect(await search('lampa')).toEqual([]);
    expect(await search('lampadaires')).toEqual(ids(lamp));
    expect(await search('cheval')).toEqual(ids(horses));
    expect(await search('liberte chevaux')).toEqual(ids(horses));
    expect(await search('lampadaire sauvage')).toEqual([]);
    // French stop words are left out (the answers say « Avenue Salvador Allende »), unless nothing else is searched.
    expect(await search('avenue de Salvador Allende')).toEqual(ids(nested));
    expect(await search('de')).toEqual(ids(lamp, dump, nested)); // « Rue de l’Église », « Près de la », « nid-de-poule »
    // `%` and `_` are not wildcards, quotes and backslashes are harmless; a term without a word finds nothing.
    expect(await search('lampadaire%')).toEqual(ids(lamp));
    expect(await search('lamp%')).toEqual([]);
    expect(await search(`l'église \\ "`)).toEqual(ids(lamp));
    expect(await search('%_!')).toEqual([]);
  });

  it('finds a tracking code, whole (any case, dashes) or by its start (with a digit), through the code branch', async () => {
    expect(await search('k7p-2xq9-m3a')).toEqual(ids(lamp));
    expect(await search('K7P2')).toEqual(ids(lamp, dump));
    expect(await search('K7P2XQ9M3')).toEqual(ids(lamp, dump));
    expect(await search('22222')).toEqual(ids(nested));
    expect(trackingCodeSearch('banc')).toBeNull();
    expect(trackingCodeSearch('K7P')).toBeNull();
    expect(trackingCodeSearch('k7p2-xq')).toEqual({ kind: 'prefix', prefix: 'K7P2XQ' });
    expect(trackingCodeSearch('K7P2XQ9M3A')).toEqual({ kind: 'exact', code: 'K7P2XQ9M3A' });
  });

  it('never finds another collectivity’s demand, by text or by code (row-level security)', async () => {
    expect(await search('cassé')).toEqual([]);
    expect(await search(other.trackingCode)).toEqual([]);
    expect(await search('lampadaire')).toEqual(ids(lamp));
    const agentB: EngineCaller = { kind: 'agent', sub: 'agent-b', collectivityIds: [fx.communeB], functions: [], permissions: ['demands:read'] };
    expect(await search('lampadaire', agentB)).toEqual(ids(other));
    expect(await search('K7P2', agentB)).toEqual(ids(other));
  });

  it('counts and exports what the listing shows', async () => {
    expect(await inbox.count(agentA, { text: 'K7P2' })).toBe(2);
    expect(await inbox.count(agentA, { text: 'chevaux', statuses: ['new'] })).toBe(1);
    const exported: string[] = [];
    await exports.each(agentA, { text: 'lampadaire' }, async (batch) => void exported.push(...batch.map((d) => d.id)));
    expect(exported).toEqual(ids(lamp));
  });

  it('follows the answers when they change (trigger on data), and keeps the vector out of the rows read', async () => {
    await withTenant(dataSource, platformScope('test'), (manager) => manager.query(`UPDATE demand SET data = $2::jsonb WHERE id = $1`, [horses.id, JSON.stringify({ objet: 'Poney égaré' })]));
    expect(await search('chevaux')).toEqual([]);
    expect(await search('poney egare')).toEqual(ids(horses));
    const [page] = (await inbox.inbox(agentA, { text: 'poney' })).items;
    expect(page).not.toHaveProperty('searchVector');
    const [row] = await withTenant(dataSource, platformScope('test'), (manager) =>
      manager.query<{ search_vector: string }[]>(`SELECT search_vector::text FROM demand WHERE id = $1`, [horses.id]),
    );
    expect(row.search_vector).toBe(`'egar':2 'egare':4 'poney':1,3`);
  });

  it('filters row by row when a term matches more than SEARCH_ID_CAP demands, with the same results', async () => {
    const many = SEARCH_ID_CAP + 10;
    await dataSource.query(
      `INSERT INTO demand (collectivity_id, teleservice_id, version_id, tracking_code, channel, data, backoffice_data, status, status_entered_at, submitted_at, created_at, updated_at, lock_version)
       SELECT collectivity_id, teleservice_id, version_id, translate(lpad(i::text, 10, '0'), '0123456789', '3456789ABC'), channel,
              jsonb_build_object('objet', 'Encombrant n° ' || i), '{}', status, status_entered_at, submitted_at - i * interval '1 second', created_at, updated_at, 1
         FROM demand, generate_series(1, $2::int) AS i WHERE id = $1`,
      [lamp.id, many],
    );
    // More than the cap: the ids path would stop at SEARCH_ID_CAP + 1; the row filter counts them all.
    expect(await inbox.count(agentA, { text: 'encombrants' })).toBe(many);
    const page = await inbox.inbox(agentA, { text: 'encombrant' }, { limit: 20 });
    expect(page.items).toHaveLength(20);
    expect(page.items.every((d) => String(d.data.objet).startsWith('Encombrant'))).toBe(true);
    expect(await inbox.count(agentA, { text: 'encombrant 51' })).toBe(1);
  });
});
