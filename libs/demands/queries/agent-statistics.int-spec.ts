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
import { DemandEngine } from '../engine/engine-context.js';
import { LocalDiskStorage } from '../storage/local-disk-storage.js';
import { engineFixture, T0, type EngineFixture } from '../test-fixtures.js';
import type { EngineCaller } from '../use-cases/access.js';
import { AgentStatistics } from './agent-statistics.js';

const HOUR = 3_600_000;

/**
 * Statistics on a known data set: commune A has 5 demands on 2026-01-15 (3 closed after 2 h, 4 h and 10 h; one by
 * phone) and 1 on 2026-01-17; commune B has 2 (never counted for A's agent).
 */
describe('back-office statistics (PostgreSQL aggregates under row-level security)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let fx: EngineFixture;
  let storage: string;
  let statistics: AgentStatistics;
  let agentA: EngineCaller;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, applicationName: 'parvis-test-statistics', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 2 });
    await dataSource.initialize();
    fx = await engineFixture(dataSource);
    storage = await mkdtemp(join(tmpdir(), 'parvis-stats-'));
    const clock = new ManualClock(T0);
    statistics = new AgentStatistics(new DemandEngine(dataSource, clock, new OutboxService(clock), new LocalDiskStorage(storage), new TerritoryService(dataSource)));
    agentA = { kind: 'agent', sub: 'agent-a', collectivityIds: [fx.communeA], functions: [], permissions: ['demands:read'] };
    const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);
    const close = (id: string, closedAt: Date) => dataSource.query(`UPDATE demand SET status = 'done', closed_at = $2 WHERE id = $1`, [id, closedAt]);
    for (const [i, duration] of [2, 4, 10].entries()) {
      const demand = await fx.demand({ collectivityId: fx.communeA, submittedAt: at(i) });
      await close(demand.id, at(i + duration));
    }
    await fx.demand({ collectivityId: fx.communeA, submittedAt: at(5) });
    await fx.demand({ collectivityId: fx.communeA, submittedAt: at(6), channel: 'phone', submittedByAgent: 'agent-a' });
    await fx.demand({ collectivityId: fx.communeA, submittedAt: at(48) });
    for (let i = 0; i < 2; i++) await close((await fx.demand({ collectivityId: fx.communeB, submittedAt: at(i) })).id, at(i + 100));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
    await rm(storage, { recursive: true, force: true });
  });

  it('counts received and closed demands, by status and channel, with mean, median and 90th percentile of the processing time', async () => {
    const stats = await statistics.compute(agentA, {});
    expect(stats.received).toBe(6);
    expect(stats.closed).toBe(3);
    // Most frequent first, then alphabetical (labels are the raw ids: the fixture's workflow has no labels).
    expect(stats.byStatus).toEqual([
      { label: 'done', count: 3 },
      { label: 'new', count: 3 },
    ]);
    expect(stats.byChannel).toEqual([
      { channel: 'web', count: 5 },
      { channel: 'phone', count: 1 },
    ]);
    expect(stats.processingHours!.mean).toBeCloseTo(16 / 3, 6);
    expect(stats.processingHours!.median).toBeCloseTo(4, 6);
    expect(stats.processingHours!.p90).toBeCloseTo(8.8, 6);
    expect(stats.perTeleservice).toEqual([{ teleserviceId: fx.teleservice.id, title: fx.teleservice.title, received: 6, closed: 3, medianHours: 4 }]);
    // Paris days, the day without demands included.
    expect(stats.perDay).toEqual([
      { day: '2026-01-15', count: 5 },
      { day: '2026-01-16', count: 0 },
      { day: '2026-01-17', count: 1 },
    ]);
  });

  it('narrows to a period', async () => {
    const stats = await statistics.compute(agentA, { from: new Date('2026-01-16T23:00:00Z'), before: new Date('2026-01-17T23:00:00Z') });
    expect(stats.received).toBe(1);
    expect(stats.processingHours).toBeNull();
    expect(stats.perDay).toEqual([{ day: '2026-01-17', count: 1 }]);
  });

  it('never counts another commune’s demands, even when asked for that commune', async () => {
    expect((await statistics.compute(agentA, { collectivityId: fx.communeB })).received).toBe(0);
    const agentB: EngineCaller = { ...agentA, sub: 'agent-b', collectivityIds: [fx.communeB] } as EngineCaller;
    expect((await statistics.compute(agentB, {})).received).toBe(2);
  });
});
