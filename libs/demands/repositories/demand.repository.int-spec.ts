import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ManualClock } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { OutboxService } from '#queue';
import { createTestDatabase, type TestDatabase } from '#testing';
import { DemandErrorCodes } from '../demands.errors.js';
import { engineFixture, T0, type EngineFixture } from '../test-fixtures.js';
import { agentScope, platformScope } from '../tenancy/tenant-scope.js';
import { withTenant } from '../tenancy/with-tenant.js';
import { DemandRepository, insertSubmissionInOneTrip } from './demand.repository.js';

describe('DemandRepository in PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let fx: EngineFixture;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, applicationName: 'parvis-test-demands', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 4 });
    await dataSource.initialize();
    fx = await engineFixture(dataSource);
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  describe('optimistic locking', () => {
    it('of two concurrent updates made from the same lock_version, exactly one applies; the other changes nothing', async () => {
      const demand = await fx.demand({ collectivityId: fx.communeA });
      const scope = agentScope([fx.communeA]);
      let release!: () => void;
      let updated!: () => void;
      const firstHoldsTheRow = new Promise<void>((resolve) => (release = resolve));
      const firstUpdated = new Promise<void>((resolve) => (updated = resolve));
      const outcome = (p: Promise<unknown>) => p.then(() => 'applied', (e: { code?: string }) => e.code ?? String(e));
      // The first transaction updates, then waits before committing while the second one tries.
      const first = outcome(
        withTenant(dataSource, scope, async (m) => {
          await new DemandRepository(m).updateWithLock(demand.id, 1, { status: 'accepted', assignedAgent: 'agent-1' }, T0);
          updated();
          await firstHoldsTheRow;
        }),
      );
      await firstUpdated;
      const second = outcome(
        withTenant(dataSource, scope, async (m) => {
          const pending = new DemandRepository(m).updateWithLock(demand.id, 1, { status: 'refused', assignedAgent: 'agent-2' }, T0);
          setTimeout(release, 200); // the second UPDATE is now waiting on the first's row lock
          return pending;
        }),
      );
      expect((await Promise.all([first, second])).sort()).toEqual(['DEMAND_CONCURRENT_UPDATE', 'applied']);
      expect(await dataSource.query(`SELECT status, assigned_agent, lock_version FROM demand WHERE id = $1`, [demand.id])).toEqual([
        { status: 'accepted', assigned_agent: 'agent-1', lock_version: 2 },
      ]);
    });

    it('refuses a stale lock_version after the fact, and answers DEMAND_NOT_FOUND for an unknown demand', async () => {
      const demand = await fx.demand({ collectivityId: fx.communeA });
      const run = (version: number, id = demand.id) =>
        withTenant(dataSource, agentScope([fx.communeA]), (m) => new DemandRepository(m).updateWithLock(id, version, { backofficeData: { note: version } }, T0));
      const updated = await run(1);
      expect(updated).toMatchObject({ lockVersion: 2, backofficeData: { note: 1 }, updatedAt: T0 });
      await expect(run(1)).rejects.toMatchObject({ code: DemandErrorCodes.DEMAND_CONCURRENT_UPDATE });
      await expect(run(2, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: DemandErrorCodes.DEMAND_NOT_FOUND });
      expect((await run(2)).lockVersion).toBe(3);
    });
  });

  describe('tracking codes', () => {
    it('draws again when a code is taken, without aborting the transaction', async () => {
      const existing = await fx.demand({ collectivityId: fx.communeA });
      const draws = [existing.trackingCode, existing.trackingCode, 'K7F93MX2QH'];
      const inserted = await withTenant(dataSource, agentScope([fx.communeA]), async (m) => {
        const repo = new DemandRepository(m);
        const demand = await repo.insertDemand(
          { collectivityId: fx.communeA, teleserviceId: fx.teleservice.id, versionId: fx.version.id, channel: 'phone', submittedByAgent: 'agent-1', data: {}, status: 'new', submittedAt: T0 },
          { generateCode: () => draws.shift()! },
        );
        await repo.appendEvent(demand, { at: T0, kind: 'submitted', actor: { type: 'agent', sub: 'agent-1', collectivityId: fx.communeA }, visibility: 'citizen' });
        return demand;
      });
      expect(inserted.trackingCode).toBe('K7F93MX2QH');
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM demand_event WHERE demand_id = $1`, [inserted.id])).toEqual([{ n: 1 }]);
      await expect(
        withTenant(dataSource, agentScope([fx.communeA]), (m) =>
          new DemandRepository(m).insertDemand(
            { collectivityId: fx.communeA, teleserviceId: fx.teleservice.id, versionId: fx.version.id, channel: 'web', data: {}, status: 'new', submittedAt: T0 },
            { generateCode: () => existing.trackingCode, attempts: 3 },
          ),
        ),
      ).rejects.toMatchObject({ code: DemandErrorCodes.TRACKING_CODE_EXHAUSTED });
    });

    it('writes a submission in one round trip (prepared, bound): hostile values kept exactly, a taken code draws again, nothing outside the scope', async () => {
      const existing = await fx.demand({ collectivityId: fx.communeA });
      const outbox = new OutboxService(new ManualClock(T0));
      const hostile = `O'Brien \\ "q" $$ -- ; '); DROP TABLE demand; -- É€🙂 \\'`;
      const draws = [existing.trackingCode, 'M7F93MX2QH'];
      const built: string[] = [];
      const rows = (code: string) => {
        built.push(code);
        return {
          demand: { id: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed', collectivityId: fx.communeA, teleserviceId: fx.teleservice.id, versionId: fx.version.id, accountSub: hostile, channel: 'api' as const, data: { nom: hostile, n: 3, list: [hostile] }, status: 'new', submittedAt: T0 },
          events: [
            { at: T0, kind: 'submitted', actor: { type: 'partner' as const, apiKeyId: hostile }, visibility: 'citizen' as const, payload: { code, text: hostile } },
            { at: T0, kind: 'second', actor: { type: 'partner' as const, apiKeyId: 'k' }, visibility: 'internal' as const, statusTo: 'new' },
          ],
          outbox: [outbox.prepare('mail.send', { to: 'a@example.org', subject: hostile, text: hostile }, { key: `one-trip/${code}` })],
        };
      };
      const inserted = await insertSubmissionInOneTrip(dataSource, agentScope([fx.communeA]), rows, { generateCode: () => draws.shift()! });
      expect(built).toEqual([existing.trackingCode, 'M7F93MX2QH']);
      expect(inserted).toMatchObject({ id: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed', trackingCode: 'M7F93MX2QH', accountSub: hostile, data: { nom: hostile, n: 3, list: [hostile] } });
      // The demand returned is the row stored (nothing is read back: it is built from what was written).
      const stored = await withTenant(dataSource, agentScope([fx.communeA]), (m) => new DemandRepository(m).findForAgent(agentScope([fx.communeA]), inserted.id));
      expect(inserted).toEqual(stored);
      const events = await dataSource.query(`SELECT kind, payload, actor FROM demand_event WHERE demand_id = $1 ORDER BY id`, [inserted.id]);
      expect(events).toEqual([
        { kind: 'submitted', payload: { code: 'M7F93MX2QH', text: hostile }, actor: { type: 'partner', apiKeyId: hostile } },
        { kind: 'second', payload: {}, actor: { type: 'partner', apiKeyId: 'k' } },
      ]);
      // The collision wrote nothing: one outbox row, the second draw's.
      expect(await dataSource.query(`SELECT job_key, payload->>'subject' AS subject FROM outbox_message WHERE job_key LIKE '%one-trip/%'`)).toEqual([
        { job_key: expect.stringContaining('one-trip/M7F93MX2QH'), subject: hostile },
      ]);
      // Another collectivity's demand in an agent scope: refused before anything is sent, nothing written.
      const before = await dataSource.query(`SELECT count(*)::int AS n FROM demand`);
      await expect(insertSubmissionInOneTrip(dataSource, agentScope([fx.communeB]), rows)).rejects.toMatchObject({ code: DemandErrorCodes.DEMAND_OUT_OF_SCOPE });
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM demand`)).toEqual(before);
    });

    it('finds a demand by its code as a person types it (platform scope only)', async () => {
      const demand = await fx.demand({ collectivityId: fx.communeB });
      const typed = `${demand.trackingCode.slice(0, 3)}-${demand.trackingCode.slice(3, 7)} ${demand.trackingCode.slice(7)}`.toLowerCase();
      const found = await withTenant(dataSource, platformScope('test'), (m) => new DemandRepository(m).findByTrackingCode(typed));
      expect(found).toEqual({ id: demand.id, accessSecretHash: null, accountSub: null });
      await expect(withTenant(dataSource, agentScope([fx.communeB]), (m) => new DemandRepository(m).findByTrackingCode(typed))).rejects.toThrow(/inattendu/);
    });
  });

  describe('agent listings', () => {
    it('pages newest first with a keyset cursor, filters by status, and refuses a forged cursor', async () => {
      const [c] = await dataSource.query<{ id: string }[]>(`SELECT id FROM collectivity WHERE insee_code = '69123'`);
      const scope = agentScope([c.id]);
      const made = [];
      for (let i = 0; i < 7; i++) made.push(await fx.demand({ collectivityId: c.id, status: i % 2 ? 'done' : 'new' }));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<DemandRepository['listForAgent']>> = await withTenant(dataSource, scope, (m) =>
          new DemandRepository(m).listForAgent(scope, {}, { cursor, limit: 3 }),
        );
        seen.push(...page.items.map((d) => d.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(made.map((d) => d.id).reverse());
      const news = await withTenant(dataSource, scope, (m) => new DemandRepository(m).listForAgent(scope, { statuses: ['new'] }));
      expect(news.items.map((d) => d.status)).toEqual(['new', 'new', 'new', 'new']);
      expect(news.nextCursor).toBeNull();
      await expect(withTenant(dataSource, scope, (m) => new DemandRepository(m).listForAgent(scope, {}, { cursor: 'bm9wZQ' }))).rejects.toMatchObject({
        code: DemandErrorCodes.CURSOR_INVALID,
      });
    });
  });

  describe('outbox', () => {
    it('a tenant transaction writes its jobs to the outbox with the demand, atomically', async () => {
      const outbox = new OutboxService(new ManualClock(T0));
      const scope = agentScope([fx.communeA]);
      const demand = await withTenant(dataSource, scope, async (m) => {
        const created = await new DemandRepository(m).insertDemand({
          collectivityId: fx.communeA, teleserviceId: fx.teleservice.id, versionId: fx.version.id, channel: 'web', data: {}, status: 'new', submittedAt: T0,
        });
        const job = await outbox.add(m, 'mail.send', { to: 'agent@example.org', subject: 'Nouvelle demande', text: 'Une demande est arrivée.' }, { key: `demand-${created.id}-submitted` });
        expect(job.created).toBe(true);
        return created;
      });
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM outbox_message WHERE job_key = $1`, [`mail.send/demand-${demand.id}-submitted`])).toEqual([{ n: 1 }]);
    });
  });
});
