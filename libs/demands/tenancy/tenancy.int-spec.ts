import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { createTestDatabase, testInfrastructure, withAdminClient, type TestDatabase } from '#testing';
import { DemandErrorCodes } from '../demands.errors.js';
import type { Demand } from '../entities/demand.entity.js';
import { DemandRepository, type DemandRef } from '../repositories/demand.repository.js';
import { DraftRepository } from '../repositories/draft.repository.js';
import { engineFixture, T0, type EngineFixture } from '../test-fixtures.js';
import { openByTrackingCode } from '../tracking/tracking-access.js';
import { generateAccessSecret, hashSecret } from '../tracking/tracking-code.js';
import { agentScope, citizenScope, platformScope } from './tenant-scope.js';
import { allowHistoryRewrite, withTenant, withTenantInOneTrip } from './with-tenant.js';

const SHA = 'a'.repeat(64);

describe('tenant isolation in PostgreSQL (row-level security)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let fx: EngineFixture;
  const a: Demand[] = [];
  const b: Demand[] = [];
  let anonymous: Demand;
  let anonymousSecret: string;

  const counts = (manager: EntityManager) =>
    manager.query<{ demands: number; events: number; messages: number; attachments: number }[]>(
      `SELECT (SELECT count(*)::int FROM demand) AS demands, (SELECT count(*)::int FROM demand_event) AS events,
              (SELECT count(*)::int FROM demand_message) AS messages, (SELECT count(*)::int FROM attachment) AS attachments`,
    );

  /** A citizen-visible and an internal event, a message of each kind, a field attachment and one on the internal message. */
  const addChildren = (demand: DemandRef) =>
    withTenant(dataSource, platformScope('données de test'), async (manager) => {
      const repo = new DemandRepository(manager);
      await repo.appendEvent(demand, { at: T0, kind: 'submitted', actor: { type: 'citizen' }, visibility: 'citizen', statusTo: 'new' });
      await repo.appendEvent(demand, { at: T0, kind: 'note', actor: { type: 'system', name: 'test' }, visibility: 'internal' });
      await repo.insertMessage(demand, { author: { type: 'citizen' }, body: 'Bonjour', visibility: 'citizen', at: T0 });
      const internal = await repo.insertMessage(demand, { author: { type: 'system', name: 'test' }, body: 'Note interne', visibility: 'internal', at: T0 });
      const file = { fileName: 'photo.png', mimeType: 'image/png', sizeBytes: 10, sha256: SHA, at: T0 };
      await repo.insertAttachment(demand, { ...file, fieldId: 'photo', storageKey: `2026/01/${randomUUID()}` });
      await repo.insertAttachment(demand, { ...file, messageId: internal.id, storageKey: `2026/01/${randomUUID()}` });
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection: every transaction below reuses it, which is what the leak tests need.
    dataSource = createDataSource({ url: database.url, applicationName: 'parvis-test-tenancy', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 1 });
    await dataSource.initialize();
    fx = await engineFixture(dataSource);
    a.push(await fx.demand({ collectivityId: fx.communeA }));
    a.push(await fx.demand({ collectivityId: fx.communeA, accountSub: 'sub-alice' }));
    a.push(await fx.demand({ collectivityId: fx.communeA, status: 'done' }));
    b.push(await fx.demand({ collectivityId: fx.communeB }));
    b.push(await fx.demand({ collectivityId: fx.communeB, accountSub: 'sub-bob' }));
    anonymousSecret = generateAccessSecret();
    anonymous = await fx.demand({ collectivityId: fx.communeB, accessSecretHash: hashSecret(anonymousSecret) });
    b.push(anonymous);
    for (const demand of [...a, ...b]) await addChildren(demand);
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  describe('an agent of commune A', () => {
    const scopeA = () => agentScope([fx.communeA]);

    it('reads, lists and counts only commune A’s demands', async () => {
      await withTenant(dataSource, scopeA(), async (manager) => {
        const repo = new DemandRepository(manager);
        expect(await repo.findForAgent(scopeA(), a[0].id)).toMatchObject({ id: a[0].id, collectivityId: fx.communeA });
        expect(await repo.findForAgent(scopeA(), b[0].id)).toBeNull();
        const page = await repo.listForAgent(scopeA());
        expect(page.items.map((d) => d.id).sort()).toEqual(a.map((d) => d.id).sort());
        expect(await repo.countForAgent(scopeA())).toBe(3);
        expect(await repo.countForAgent(scopeA(), { statuses: ['new'] })).toBe(2);
      });
    });

    it('cannot see commune B’s rows through any query, even a raw one without a filter: PostgreSQL refuses them', async () => {
      const inside = await withTenant(dataSource, scopeA(), counts);
      expect(inside).toEqual([{ demands: 3, events: 6, messages: 6, attachments: 6 }]);
      const forged = await withTenant(dataSource, scopeA(), async (manager) => ({
        // The repository is handed a scope that includes B: its WHERE lets B through, the policies do not.
        find: await new DemandRepository(manager).findForAgent(agentScope([fx.communeA, fx.communeB]), b[0].id),
        count: await new DemandRepository(manager).countForAgent(agentScope([fx.communeA, fx.communeB])),
        byId: await manager.query(`SELECT id FROM demand WHERE id = $1`, [b[0].id]),
        events: await manager.query(`SELECT id FROM demand_event WHERE demand_id = $1`, [b[0].id]),
        messages: await manager.query(`SELECT id FROM demand_message WHERE demand_id = $1`, [b[0].id]),
        attachments: await new DemandRepository(manager).listAttachments(b[0].id),
        search: await manager.query(`SELECT id FROM demand WHERE tracking_code = $1`, [b[0].trackingCode]),
      }));
      expect(forged).toEqual({ find: null, count: 3, byId: [], events: [], messages: [], attachments: [], search: [] });
    });

    it('the same queries as the superuser outside withTenant see everything (so the policies, not the WHERE clauses, refuse)', async () => {
      expect(await counts(dataSource.manager)).toEqual([{ demands: 6, events: 12, messages: 12, attachments: 12 }]);
      expect(await dataSource.query(`SELECT id FROM demand WHERE id = $1`, [b[0].id])).toEqual([{ id: b[0].id }]);
    });

    it('cannot change, annotate or create a demand of commune B; B’s rows stay as they were', async () => {
      const before = await dataSource.query(`SELECT * FROM demand WHERE id = $1`, [b[0].id]);
      const attempt = (work: (repo: DemandRepository, manager: EntityManager) => Promise<unknown>) =>
        withTenant(dataSource, scopeA(), (manager) => work(new DemandRepository(manager), manager)).then(
          () => 'accepted',
          (error: { code?: string }) => error.code ?? String(error),
        );
      expect(await attempt((repo) => repo.updateWithLock(b[0].id, 1, { status: 'done' }, T0))).toBe(DemandErrorCodes.DEMAND_NOT_FOUND);
      expect(await attempt((repo) => repo.appendEvent(b[0], { at: T0, kind: 'note', actor: { type: 'system', name: 't' }, visibility: 'internal' }))).toBe(
        DemandErrorCodes.DEMAND_OUT_OF_SCOPE,
      );
      expect(await attempt((repo) => repo.insertMessage(b[0], { author: { type: 'system', name: 't' }, body: 'x', visibility: 'internal', at: T0 }))).toBe(
        DemandErrorCodes.DEMAND_OUT_OF_SCOPE,
      );
      expect(
        await attempt((repo) =>
          repo.insertDemand({ collectivityId: fx.communeB, teleserviceId: fx.teleservice.id, versionId: fx.version.id, channel: 'web', data: {}, status: 'new', submittedAt: T0 }),
        ),
      ).toBe(DemandErrorCodes.DEMAND_OUT_OF_SCOPE);
      // Past the repository's own check: the raw statement is refused by the policy's WITH CHECK.
      expect(
        await attempt((_repo, manager) =>
          manager.query(
            `INSERT INTO demand (collectivity_id, teleservice_id, version_id, tracking_code, channel, data, backoffice_data, status, status_entered_at, submitted_at)
             VALUES ($1, $2, $3, 'ABCDEFGHJK', 'web', '{}', '{}', 'new', now(), now())`,
            [fx.communeB, fx.teleservice.id, fx.version.id],
          ),
        ),
      ).toBe('42501'); // insufficient_privilege: "new row violates row-level security policy for table demand"
      // Moving its own demand into B is refused too.
      expect(await attempt((repo) => repo.updateWithLock(a[0].id, 1, { collectivityId: fx.communeB }, T0))).toBe(DemandErrorCodes.DEMAND_OUT_OF_SCOPE);
      expect(await dataSource.query(`SELECT * FROM demand WHERE id = $1`, [b[0].id])).toEqual(before);
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM demand_event WHERE demand_id = $1`, [b[0].id])).toEqual([{ n: 2 }]);
    });

    it('an agent of no collectivity sees nothing; an agent of A and B sees both', async () => {
      expect(await withTenant(dataSource, agentScope([]), counts)).toEqual([{ demands: 0, events: 0, messages: 0, attachments: 0 }]);
      expect(await withTenant(dataSource, agentScope([fx.communeA, fx.communeB]), counts)).toEqual([{ demands: 6, events: 12, messages: 12, attachments: 12 }]);
    });
  });

  describe('a citizen', () => {
    it('sees only their own demands, with their citizen-visible history, messages and attachments', async () => {
      const alice = citizenScope('sub-alice');
      const seen = await withTenant(dataSource, alice, async (manager) => {
        const repo = new DemandRepository(manager);
        return {
          list: (await repo.listForCitizen(alice)).map((d) => d.id),
          other: await repo.findForCitizen(alice, b[1].id),
          raw: await counts(manager),
          events: (await repo.listEvents(a[1].id)).map((e) => e.kind),
          messages: (await repo.listMessages(a[1].id)).map((m) => m.body),
          attachments: (await repo.listAttachments(a[1].id)).map((f) => f.fieldId),
        };
      });
      expect(seen).toEqual({
        list: [a[1].id],
        other: null,
        raw: [{ demands: 1, events: 1, messages: 1, attachments: 1 }],
        events: ['submitted'],
        messages: ['Bonjour'],
        attachments: ['photo'],
      });
    });

    it('keeps their drafts to themselves', async () => {
      const alice = citizenScope('sub-alice');
      const bob = citizenScope('sub-bob');
      const input = { teleserviceId: fx.teleservice.id, versionId: fx.version.id, data: { lieu: null }, currentPage: 'p1', now: T0, expiresAt: new Date('2026-03-01Z') };
      const draft = await withTenant(dataSource, alice, (m) => new DraftRepository(m).create(alice, input));
      expect(await withTenant(dataSource, alice, (m) => new DraftRepository(m).find(alice, draft.id))).toMatchObject({ id: draft.id, currentPage: 'p1' });
      expect(await withTenant(dataSource, bob, (m) => m.query(`SELECT id FROM draft`))).toEqual([]);
      expect(await withTenant(dataSource, bob, (m) => new DraftRepository(m).delete(bob, draft.id))).toBe(false);
      expect(await withTenant(dataSource, agentScope([fx.communeA]), (m) => m.query(`SELECT id FROM draft`))).toEqual([]);
      const purged = await withTenant(dataSource, platformScope('purge'), (m) => new DraftRepository(m).purgeExpired(new Date('2026-03-02Z')));
      expect(purged).toEqual([{ lieu: null }]);
    });
  });

  describe('a tracking code', () => {
    it('opens that demand only, with the right secret; a wrong or missing secret and an unknown code get the same refusal', async () => {
      const scope = await openByTrackingCode(dataSource, anonymous.trackingCode.toLowerCase(), anonymousSecret);
      expect(scope).toEqual({ kind: 'tracking', demandId: anonymous.id });
      const seen = await withTenant(dataSource, scope, async (manager) => ({
        demand: (await new DemandRepository(manager).findForTracking(scope))?.id,
        raw: await counts(manager),
      }));
      expect(seen).toEqual({ demand: anonymous.id, raw: [{ demands: 1, events: 1, messages: 1, attachments: 1 }] });
      const refusal = (code: string, secret?: string) => openByTrackingCode(dataSource, code, secret).then(() => 'opened', (e: { code: string }) => e.code);
      expect(await refusal(anonymous.trackingCode, 'wrong')).toBe(DemandErrorCodes.TRACKING_ACCESS_REFUSED);
      expect(await refusal(anonymous.trackingCode)).toBe(DemandErrorCodes.TRACKING_ACCESS_REFUSED);
      expect(await refusal('ZZZ-ZZZZ-ZZZ', anonymousSecret)).toBe(DemandErrorCodes.TRACKING_ACCESS_REFUSED);
      expect(await refusal('not a code', anonymousSecret)).toBe(DemandErrorCodes.TRACKING_ACCESS_REFUSED);
      // A demand tied to an account opens by logging in, not by its code.
      expect(await refusal(b[1].trackingCode)).toBe(DemandErrorCodes.TRACKING_ACCESS_REFUSED);
    });
  });

  describe('pooled connections', () => {
    const state = () =>
      dataSource.query<{ role: string; ids: string | null; sub: string | null; platform: string | null }[]>(
        `SELECT current_user AS role, current_setting('parvis.collectivity_ids', true) AS ids,
                current_setting('parvis.account_sub', true) AS sub, current_setting('parvis.platform', true) AS platform`,
      );
    const blank = (value: string | null) => value === null || value === '';

    it('keep neither the role nor the scope after a tenant transaction, committed or rolled back', async () => {
      await withTenant(dataSource, agentScope([fx.communeA]), counts);
      let [after] = await state();
      expect(after.role).toBe('postgres');
      expect([after.ids, after.sub].every(blank)).toBe(true);
      expect(await counts(dataSource.manager)).toEqual([{ demands: 6, events: 12, messages: 12, attachments: 12 }]);

      await expect(
        withTenant(dataSource, citizenScope('sub-alice'), async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      [after] = await state();
      expect(after.role).toBe('postgres');
      expect(blank(after.sub)).toBe(true);

      await withTenant(dataSource, platformScope('test'), counts);
      [after] = await state();
      expect(after.platform === 'on').toBe(false);
    });

    it('a one-trip tenant transaction runs as parvis_tenant in its scope, sees only its rows, and leaves nothing behind', async () => {
      const probe = {
        name: 'test_tenancy_probe',
        text: `SELECT current_user AS role, current_setting('parvis.collectivity_ids', true) AS ids, (SELECT count(*)::int FROM demand) AS demands`,
        values: [],
      };
      const [[inside]] = await withTenantInOneTrip(dataSource, agentScope([fx.communeA]), [probe]);
      expect(inside).toEqual({ role: 'parvis_tenant', ids: fx.communeA, demands: a.length });
      // The same prepared statement on the same (only) connection, another scope: planned for its role, its rows.
      const [[citizen]] = await withTenantInOneTrip(dataSource, citizenScope('sub-alice'), [probe]);
      expect(citizen).toMatchObject({ role: 'parvis_tenant', ids: '' });
      expect(citizen.demands).toBeLessThan(a.length + b.length);
      let [after] = await state();
      expect(after.role).toBe('postgres');
      expect([after.ids, after.sub].every(blank)).toBe(true);
      // A statement refused by PostgreSQL rolls the trip back and leaves the connection clean too.
      await expect(withTenantInOneTrip(dataSource, agentScope([fx.communeA]), [{ name: 'test_tenancy_fail', text: 'SELECT 1/0', values: [] }])).rejects.toThrow(/division/);
      [after] = await state();
      expect(after.role).toBe('postgres');
    });

    it('a one-trip transaction whose connection is lost fails, and the pool does not hand that connection out again', async () => {
      const pid = { name: 'test_tenancy_pid', text: 'SELECT pg_backend_pid() AS pid', values: [] };
      const [[first]] = await withTenantInOneTrip(dataSource, agentScope([fx.communeA]), [pid]);
      // The pool's only connection is cut by the server in the middle of a trip (as a restart or a proxy would).
      const slow = withTenantInOneTrip(dataSource, agentScope([fx.communeA]), [{ name: 'test_tenancy_slow', text: 'SELECT pg_sleep(5)', values: [] }]);
      const outcome = expect(slow).rejects.toThrow();
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        for (let i = 0; i < 50; i++) {
          const [running] = (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%'`, [first.pid])).rows;
          if (running) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await admin.query('SELECT pg_terminate_backend($1)', [first.pid]);
      } finally {
        await admin.end();
      }
      await outcome;
      const [[next]] = await withTenantInOneTrip(dataSource, agentScope([fx.communeA]), [pid]);
      expect(typeof next.pid).toBe('number');
      expect(next.pid).not.toBe(first.pid);
      expect(await counts(dataSource.manager)).toEqual([{ demands: 6, events: 12, messages: 12, attachments: 12 }]);
    });

    it('a session-level setting left on the connection cannot widen a later tenant transaction', async () => {
      await dataSource.query(`SET parvis.account_sub = 'sub-bob'`);
      await dataSource.query(`SET parvis.collectivity_ids = '${fx.communeB}'`);
      try {
        const seen = await withTenant(dataSource, agentScope([fx.communeA]), (m) => m.query<{ id: string }[]>(`SELECT id FROM demand`));
        expect(seen.map((r) => r.id).sort()).toEqual(a.map((d) => d.id).sort());
        // A tenant transaction setting parvis.platform itself gains nothing.
        const widened = await withTenant(dataSource, agentScope([fx.communeA]), async (m) => {
          await m.query(`SELECT set_config('parvis.platform', 'on', true)`);
          return counts(m);
        });
        expect(widened[0].demands).toBe(3);
      } finally {
        await dataSource.query(`RESET parvis.account_sub`);
        await dataSource.query(`RESET parvis.collectivity_ids`);
      }
    });
  });

  describe('an application connecting as a non-superuser', () => {
    const role = `parvis_t_${randomBytes(4).toString('hex')}_app`;
    let appSource: DataSource;

    beforeAll(async () => {
      const infra = testInfrastructure();
      await withAdminClient(infra.adminUrl, (client) => client.query(`CREATE ROLE "${role}" LOGIN NOSUPERUSER PASSWORD 'test'`));
      // What the migration does for its own user (GRANT parvis_tenant TO CURRENT_USER), for this role; and it owns
      // the demand tables, so FORCE ROW LEVEL SECURITY is what keeps it in check.
      await dataSource.query(`GRANT parvis_tenant TO "${role}"`);
      await dataSource.query(`GRANT USAGE ON SCHEMA public TO "${role}"`);
      await dataSource.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${role}"`);
      for (const table of ['demand', 'demand_event', 'demand_message', 'attachment', 'draft']) {
        await dataSource.query(`ALTER TABLE "${table}" OWNER TO "${role}"`);
      }
      const url = new URL(database.url);
      url.username = role;
      url.password = 'test';
      appSource = createDataSource({ url: url.toString(), applicationName: 'parvis-test-tenancy-app', entities: ALL_ENTITIES, migrations: [], poolSize: 1 });
      await appSource.initialize();
    });

    afterAll(async () => {
      if (appSource?.isInitialized) await appSource.destroy();
      for (const table of ['demand', 'demand_event', 'demand_message', 'attachment', 'draft']) {
        await dataSource.query(`ALTER TABLE "${table}" OWNER TO postgres`);
      }
      await dataSource.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "${role}"`);
      await dataSource.query(`REVOKE USAGE ON SCHEMA public FROM "${role}"`);
      await withAdminClient(testInfrastructure().adminUrl, (client) => client.query(`DROP ROLE IF EXISTS "${role}"`));
    });

    it('sees nothing outside withTenant (fail closed, even as the owner), its scope inside, everything in platform scope', async () => {
      expect(await counts(appSource.manager)).toEqual([{ demands: 0, events: 0, messages: 0, attachments: 0 }]);
      expect(await withTenant(appSource, agentScope([fx.communeB]), counts)).toEqual([{ demands: 3, events: 6, messages: 6, attachments: 6 }]);
      expect(await withTenant(appSource, platformScope('test'), counts)).toEqual([{ demands: 6, events: 12, messages: 12, attachments: 12 }]);
    });
  });

  describe('history', () => {
    it('is append-only: UPDATE and DELETE of an event are refused by PostgreSQL, even to the superuser', async () => {
      const [event] = await dataSource.query<{ id: string }[]>(`SELECT id FROM demand_event WHERE demand_id = $1 ORDER BY id LIMIT 1`, [a[0].id]);
      await expect(dataSource.query(`UPDATE demand_event SET kind = 'forged' WHERE id = $1`, [event.id])).rejects.toThrow(/append-only/);
      await expect(dataSource.query(`DELETE FROM demand_event WHERE id = $1`, [event.id])).rejects.toThrow(/append-only/);
      // Deleting the demand would cascade into its history: refused as well.
      await expect(dataSource.query(`DELETE FROM demand WHERE id = $1`, [a[0].id])).rejects.toThrow(/append-only/);
      expect(await dataSource.query(`SELECT kind FROM demand_event WHERE id = $1`, [event.id])).toEqual([{ kind: 'submitted' }]);
    });

    it('follows a re-routed demand (platform scope) and can be rewritten only through the explicit platform path', async () => {
      const moved = await fx.demand({ collectivityId: fx.communeA });
      await addChildren(moved);
      await withTenant(dataSource, platformScope('réorientation'), (m) => new DemandRepository(m).updateWithLock(moved.id, 1, { collectivityId: fx.communeB }, T0));
      expect(await dataSource.query(`SELECT DISTINCT collectivity_id FROM demand_event WHERE demand_id = $1`, [moved.id])).toEqual([{ collectivity_id: fx.communeB }]);
      expect(await withTenant(dataSource, agentScope([fx.communeA]), (m) => m.query(`SELECT id FROM demand_event WHERE demand_id = $1`, [moved.id]))).toEqual([]);
      // Tenants hold no UPDATE/DELETE grant on the history, whatever they set.
      await expect(
        withTenant(dataSource, agentScope([fx.communeB]), async (m) => {
          await m.query(`SELECT set_config('parvis.history_rewrite', 'on', true)`);
          await m.query(`UPDATE demand_event SET payload = '{}' WHERE demand_id = $1`, [moved.id]);
        }),
      ).rejects.toThrow(/permission denied/);
      await withTenant(dataSource, platformScope('suppression d’une demande'), async (m) => {
        await allowHistoryRewrite(m);
        await m.query(`DELETE FROM demand WHERE id = $1`, [moved.id]);
      });
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM demand_event WHERE demand_id = $1`, [moved.id])).toEqual([{ n: 0 }]);
    });
  });
});
