import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ManualClock } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { OutboxService } from '#queue';
import { TerritoryService } from '#territory';
import { createTestDatabase, type TestDatabase } from '#testing';
import { DemandEngine } from '../engine/engine-context.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import type { AttachmentStorage } from '../storage/attachment-storage.js';
import { citizenScope } from '../tenancy/tenant-scope.js';
import { withTenant } from '../tenancy/with-tenant.js';
import { engineFixture, T0, type EngineFixture } from '../test-fixtures.js';
import { CitizenDemandQueries } from './citizen-demands.js';
import { CitizenNotifications } from './citizen-notifications.js';

/**
 * The citizen's reads in PostgreSQL: one account's demands across collectivities and nothing else (row-level
 * security in the citizen scope), keyset pages, the open/closed filter, notifications marked read by their own
 * account only, and the plans of the two queries every page of a logged-in citizen runs (the listing and the
 * header's unread counter) going through their indexes among many other accounts' rows.
 */
describe('citizen queries in PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let fx: EngineFixture;
  let demands: CitizenDemandQueries;
  let notifications: CitizenNotifications;
  const clock = new ManualClock(T0);

  const notify = async (sub: string, title: string, read = false) =>
    (
      await dataSource.query<{ id: string }[]>(
        `INSERT INTO notification (account_sub, demand_id, collectivity_id, kind, title, body, created_at, read_at)
         VALUES ($1, NULL, $2, 'workflow', $3, 'Corps', $4, $5) RETURNING id`,
        [sub, fx.metropolisId, title, clock.now(), read ? clock.now() : null],
      )
    )[0].id;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, applicationName: 'parvis-test-citizen', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 4 });
    await dataSource.initialize();
    fx = await engineFixture(dataSource);
    const engine = new DemandEngine(dataSource, clock, new OutboxService(clock), {} as AttachmentStorage, new TerritoryService(dataSource));
    demands = new CitizenDemandQueries(engine);
    notifications = new CitizenNotifications(engine);
  });
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  it('lists one account’s demands across collectivities, newest update first, in keyset pages, and nobody else’s', async () => {
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(await fx.demand({ collectivityId: i % 2 ? fx.communeA : fx.communeB, accountSub: 'sub-a' }));
    await fx.demand({ collectivityId: fx.communeA, accountSub: 'sub-b' });
    await fx.demand({ collectivityId: fx.communeA });
    // Updated in this order: the last one first.
    for (const [i, demand] of mine.entries()) await dataSource.query(`UPDATE demand SET updated_at = $2 WHERE id = $1`, [demand.id, new Date(T0.getTime() + i * 1000)]);
    await dataSource.query(`UPDATE demand SET closed_at = $2 WHERE id = $1`, [mine[1].id, T0]);

    const first = await demands.demands('sub-a', { limit: 3 });
    expect(first.items.map((d) => d.id)).toEqual([mine[4].id, mine[3].id, mine[2].id]);
    expect(first.items.map((d) => d.collectivityName)).toEqual(['Vénissieux', 'Givors', 'Vénissieux']);
    expect(first.items[0].teleserviceTitle).toBe('Signaler une anomalie sur l’espace public');
    const second = await demands.demands('sub-a', { limit: 3, after: first.next });
    expect(second.items.map((d) => d.id)).toEqual([mine[1].id, mine[0].id]);
    expect(second.next).toBeNull();
    expect((await demands.demands('sub-a', { state: 'closed' })).items.map((d) => d.id)).toEqual([mine[1].id]);
    expect((await demands.demands('sub-a', { state: 'open' })).items).toHaveLength(4);
    expect((await demands.demands('sub-c')).items).toEqual([]);
    // The detail of another account's demand is not found, like an unknown one.
    await expect(demands.detail({ kind: 'citizen', sub: 'sub-b' }, mine[0].id)).rejects.toMatchObject({ code: 'DEMAND_NOT_FOUND' });
    await expect(demands.detail({ kind: 'agent', sub: 'x', collectivityIds: [fx.communeA], functions: [], permissions: ['demands:read'] }, mine[0].id)).rejects.toMatchObject({
      code: 'DEMAND_NOT_FOUND',
    });
    expect((await demands.detail({ kind: 'citizen', sub: 'sub-a' }, mine[0].id)).demand.id).toBe(mine[0].id);
  });

  it('marks notifications read for their own account only', async () => {
    const theirs = await notify('sub-b', 'Pour B');
    const mine = await notify('sub-a', 'Pour A');
    await notify('sub-a', 'Pour A, déjà lue', true);
    expect(await notifications.unreadCount('sub-a')).toBe(1);
    expect(await notifications.markRead('sub-a', theirs)).toBeNull();
    expect(await notifications.markRead('sub-a', 'pas-un-uuid')).toBeNull();
    expect(await notifications.unreadCount('sub-b')).toBe(1);
    expect((await notifications.markRead('sub-a', mine))?.readAt).toEqual(T0);
    expect(await notifications.markAllRead('sub-a')).toBe(0);
    expect(await notifications.markAllRead('sub-b')).toBe(1);
    const page = await notifications.list('sub-a');
    expect(page.items.map((n) => n.title).sort()).toEqual(['Pour A', 'Pour A, déjà lue']);
    expect(page.unread).toBe(0);
  });

  it('serves the listing and the unread counter from their indexes, in the citizen scope, among many other accounts', async () => {
    // 4,000 demands of other accounts (tracking codes: the digits of n, 0 and 1 spelt A and B).
    await dataSource.query(
      `INSERT INTO demand (collectivity_id, teleservice_id, version_id, tracking_code, account_sub, channel, data, backoffice_data, status, status_entered_at, submitted_at, updated_at)
       SELECT $1, $2, $3, translate(lpad(n::text, 10, '0'), '01', 'AB'), 'autre-' || n, 'web', '{}', '{}', 'new', $4, $4, $4 FROM generate_series(1, 4000) AS n`,
      [fx.communeA, fx.teleservice.id, fx.version.id, T0],
    );
    await dataSource.query(
      `INSERT INTO notification (account_sub, collectivity_id, kind, title, body, created_at, read_at)
       SELECT 'autre-' || (n % 500), $1, 'workflow', 'Titre', 'Corps', $2, CASE WHEN n % 50 = 0 THEN NULL ELSE $2::timestamptz END FROM generate_series(1, 20000) AS n`,
      [fx.metropolisId, T0],
    );
    await dataSource.query(`ANALYZE demand`);
    await dataSource.query(`ANALYZE notification`);
    const plan = (sql: string, params: unknown[]) =>
      withTenant(dataSource, citizenScope('sub-a'), async (manager) => JSON.stringify(await manager.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)));
    const listing = await plan(
      `SELECT d.id FROM demand d JOIN teleservice t ON t.id = d.teleservice_id JOIN collectivity c ON c.id = d.collectivity_id
        WHERE d.account_sub = $1 ORDER BY d.updated_at DESC, d.id DESC LIMIT 21`,
      ['sub-a'],
    );
    expect(listing).toContain('demand_account_idx');
    const counter = await plan(`SELECT count(*) FROM notification WHERE account_sub = $1 AND read_at IS NULL`, ['sub-a']);
    expect(counter).toContain('notification_unread_idx');
    // And the repository still sees only the account's rows there.
    const rows = await withTenant(dataSource, citizenScope('sub-a'), (manager) => new DemandRepository(manager).listForCitizen(citizenScope('sub-a')));
    expect(new Set(rows.map((r) => r.accountSub))).toEqual(new Set(['sub-a']));
  });
});
