/**
 * Statistics benchmark (issue 7): the back office's « Statistiques » page (`AgentStatistics.compute`, aggregates
 * in the agent's tenant transaction under row-level security) on a seeded volume — demands spread over every
 * collectivity of the territory and 40 téléservices, over two years, about 60 % closed — then the plan of each of
 * its queries (EXPLAIN ANALYZE, BUFFERS), to check which index serves them.
 *
 *   npm run build && node dist/bench/statistics.js
 *
 * Uses DATABASE_URL when set (a scratch database is created, then removed), otherwise the embedded PostgreSQL.
 * Knobs: BENCH_ROWS (1000000), BENCH_RUNS (20 per case), BENCH_EXPLAIN (1: print the plans; 0: timings only),
 * BENCH_COVERING (0; 1: first create the covering index discussed in docs/statistics.md, to compare).
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource, QueryRunner } from 'typeorm';
import { ManualClock } from '#core';
import { AgentInboxQueries, agentScope, AgentStatistics, DemandEngine, LocalDiskStorage, withTenant, type EngineCaller, type StatisticsRequest } from '#demands';
import { useOrStartServices } from '#platform';
import { OutboxService } from '#queue';
import { TeleserviceRepository } from '#teleservices';
import { TerritoryService } from '#territory';
import { BENCH_PROCESSING_WORKFLOW, freshBenchDatabase } from './support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const EXPLAIN = process.env.BENCH_EXPLAIN !== '0';
const COVERING = process.env.BENCH_COVERING === '1';
const TELESERVICES = 40;

const FORM = {
  schemaVersion: 1,
  title: 'Demande',
  pages: [{ id: 'p', title: 'Demande', fields: [{ id: 'nom', type: 'text', label: 'Nom', required: true, maxLength: 100 }] }],
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main() {
  const stops: (() => Promise<void>)[] = [];
  try {
    const services = await useOrStartServices('bench', { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
    stops.unshift(services.stop);
    const dataSource = await freshBenchDatabase(services.databaseUrl, 'stats', stops);

    const now = new Date('2026-11-20T08:00:00Z');
    const [{ id: givorsId }] = await dataSource.query(`SELECT id FROM collectivity WHERE insee_code = '69091'`);
    const [{ id: instanceId }] = await dataSource.query(`INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'givors-bench') RETURNING id`, [givorsId]);
    const teleservices = new TeleserviceRepository(dataSource.manager);
    const published: { id: string; versionId: string }[] = [];
    for (let i = 0; i < TELESERVICES; i++) {
      const teleservice = await teleservices.create({ instanceId, collectivityId: givorsId, slug: `banc-${i}`, kind: 'communal', title: `Téléservice ${i}`, summary: 'Benchmark', now });
      await teleservices.createDraft(givorsId, teleservice.id, now, { form: FORM, workflow: BENCH_PROCESSING_WORKFLOW, dataSources: [] });
      published.push({ id: teleservice.id, versionId: (await teleservices.publish(givorsId, teleservice.id, { publishedBy: 'bench', now })).id });
    }
    const collectivities: string[] = (await dataSource.query(`SELECT id FROM collectivity ORDER BY insee_code`)).map((r: { id: string }) => r.id);

    // ROWS demands over two years before `now`, round-robin over collectivities and téléservices; 3 in 5 closed
    // after 1 to 720 hours, 1 in 5 in progress; 1 in 7 by phone.
    const insertStarted = performance.now();
    // 100,000 rows per statement (the connection's query timeout is 30 s).
    for (let first = 1; first <= ROWS; first += 100_000) await dataSource.query(
      `INSERT INTO demand (collectivity_id, teleservice_id, version_id, tracking_code, channel, submitted_by_agent, account_sub, data, backoffice_data,
                           status, status_entered_at, submitted_at, closed_at, created_at, updated_at, lock_version)
       SELECT c.ids[1 + i % array_length(c.ids, 1)], t.ts[1 + (i / 7) % array_length(t.ts, 1)], t.vs[1 + (i / 7) % array_length(t.vs, 1)],
              translate(lpad(i::text, 10, '0'), '0123456789', '23456789AB'),
              CASE WHEN i % 7 = 0 THEN 'phone' ELSE 'web' END, CASE WHEN i % 7 = 0 THEN 'agent-bench' END,
              CASE WHEN i % 3 = 0 THEN 'citoyen-' || (i % 50000) END,
              jsonb_build_object('nom', 'Nom ' || i), '{}'::jsonb,
              CASE WHEN i % 5 < 3 THEN 'closed' WHEN i % 5 = 3 THEN 'in_progress' ELSE 'received' END,
              s.at, s.at, CASE WHEN i % 5 < 3 THEN s.at + (1 + (i::bigint * 7919) % 720) * interval '1 hour' END, s.at, s.at, 1
         FROM generate_series($6::int, least($6::int + 99999, $1::int)) AS i
        CROSS JOIN (SELECT $2::uuid[] AS ids) c
        CROSS JOIN (SELECT $3::uuid[] AS ts, $4::uuid[] AS vs) t
        CROSS JOIN LATERAL (SELECT $5::timestamptz - ((i::bigint * 63072000) / $1::int) * interval '1 second' AS at) s`,
      [ROWS, collectivities, published.map((p) => p.id), published.map((p) => p.versionId), now, first],
      );
    if (COVERING) {
      // Every column the statistics read, plus those the row-level security policies read (id, account_sub): index-only scans.
      await dataSource.query(
        `CREATE INDEX "demand_statistics_bench_idx" ON "demand" ("collectivity_id", "submitted_at") INCLUDE ("id", "teleservice_id", "version_id", "status", "channel", "closed_at", "account_sub")`,
      );
    }
    await dataSource.query(`VACUUM ANALYZE demand`);
    console.log(`  ${ROWS} demandes (${collectivities.length} collectivités, ${TELESERVICES} téléservices) insérées en ${Math.round(performance.now() - insertStarted)} ms`);

    const storage = await mkdtemp(join(tmpdir(), 'parvis-bench-stats-'));
    stops.unshift(() => rm(storage, { recursive: true, force: true }));
    const clock = new ManualClock(now);
    const engine = new DemandEngine(dataSource, clock, new OutboxService(clock), new LocalDiskStorage(storage), new TerritoryService(dataSource));
    const statistics = new AgentStatistics(engine);
    const one: EngineCaller = { kind: 'agent', sub: 'bench', collectivityIds: [givorsId], functions: [], permissions: ['demands:read'] };
    const five: EngineCaller = { ...one, collectivityIds: collectivities.slice(0, 5) } as EngineCaller;
    const yearStart = new Date('2025-12-31T23:00:00Z');
    const cases: { label: string; caller: EngineCaller; request: StatisticsRequest }[] = [
      { label: '1 commune, cette année', caller: one, request: { from: yearStart } },
      { label: '1 commune, 30 derniers jours', caller: one, request: { from: new Date(now.getTime() - 30 * 86_400_000) } },
      { label: '1 commune, tout', caller: one, request: {} },
      { label: '1 commune, 1 téléservice, année', caller: one, request: { from: yearStart, teleserviceId: published[0].id } },
      { label: '5 communes, cette année', caller: five, request: { from: yearStart } },
    ];
    const timed = async (run: () => Promise<number>) => {
      const times: number[] = [];
      let received = 0;
      for (let i = 0; i < RUNS + 2; i++) {
        const started = performance.now();
        received = await run();
        if (i >= 2) times.push(performance.now() - started); // the first two runs warm the cache and the definitions
      }
      times.sort((a, b) => a - b);
      return `${String(received).padStart(7)} demandes  p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`;
    };
    console.log('  AgentStatistics.compute :');
    for (const c of cases) console.log(`    ${c.label.padEnd(34)} ${await timed(async () => (await statistics.compute(c.caller, c.request)).received)}`);
    const inbox = new AgentInboxQueries(engine);
    console.log('  AgentInboxQueries.filterChoices (la liste des téléservices du formulaire, sans période) :');
    for (const [label, caller] of [
      ['1 commune', one],
      ['5 communes', five],
    ] as const)
      console.log(`    ${label.padEnd(34)} ${await timed(async () => (await inbox.filterChoices(caller)).teleservices.length)}`.replace('demandes', 'téléserv.'));

    if (EXPLAIN) await explain(dataSource, statistics, one, cases[0].request);
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => console.error(error));
  }
}

/** Records the SQL of one `compute` (through `DataSource.query`, which every `EntityManager.query` goes through), then EXPLAINs each statement in the same tenant scope. */
async function explain(dataSource: DataSource, statistics: AgentStatistics, caller: EngineCaller, request: StatisticsRequest) {
  const captured: { sql: string; params: unknown[] }[] = [];
  const original = dataSource.query.bind(dataSource);
  dataSource.query = (async (sql: string, params?: unknown[], runner?: QueryRunner) => {
    if (/^\s*(SELECT|WITH)/i.test(sql) && /FROM "demand"/.test(sql)) captured.push({ sql, params: params ?? [] });
    return original(sql, params, runner);
  }) as DataSource['query'];
  try {
    await statistics.compute(caller, request);
  } finally {
    dataSource.query = original;
  }
  if (caller.kind !== 'agent') return;
  for (const { sql, params } of captured) {
    const plan: { 'QUERY PLAN': string }[] = await withTenant(dataSource, agentScope(caller.collectivityIds), (manager) =>
      manager.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params),
    );
    console.log(`\n  ${sql.replace(/\s+/g, ' ').slice(0, 110)}…`);
    for (const line of plan) console.log(`    ${line['QUERY PLAN']}`);
  }
}

await main();
