/**
 * Export benchmark (issue 7): the back office's CSV export of a listing — PostgreSQL cursor in the agent's tenant
 * transaction, 500 rows per FETCH, labels and listing fields per row, written to a sink that drops the bytes — at
 * two sizes, to show that memory does not grow with the number of rows.
 *
 *   npm run build && node --expose-gc dist/bench/backoffice-export.js
 *
 * Uses DATABASE_URL / REDIS_URL when set (a scratch database is created, then removed), otherwise the embedded
 * PostgreSQL. Knobs: BENCH_ROWS (100000), BENCH_SAMPLE_MS (20, memory sampling period).
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '#core';
import { AgentExportQueries, AgentInboxQueries, DemandEngine, LocalDiskStorage, type EngineCaller } from '#demands';
import { useOrStartServices } from '#platform';
import { OutboxService } from '#queue';
import { TeleserviceRepository } from '#teleservices';
import { TerritoryService } from '#territory';
import { writeCsv } from '../apps/backoffice/exports.js';
import { BENCH_WORKFLOW, CountingSink, freshBenchDatabase, measureMemory } from './support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);

const FORM = {
  schemaVersion: 1,
  title: 'Inscription',
  pages: [
    {
      id: 'p',
      title: 'Inscription',
      fields: [
        { id: 'nom', type: 'text', label: 'Nom', required: true, maxLength: 100, inListings: true },
        { id: 'prenom', type: 'text', label: 'Prénom', required: true, maxLength: 100, inListings: true },
        { id: 'ecole', type: 'text', label: 'École', required: true, maxLength: 100, inListings: true },
        { id: 'commentaire', type: 'long_text', label: 'Commentaire', maxLength: 2000 },
      ],
    },
  ],
};
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 20);



async function main() {
  const stops: (() => Promise<void>)[] = [];
  try {
    const services = await useOrStartServices('bench', { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
    stops.unshift(services.stop);
    const dataSource = await freshBenchDatabase(services.databaseUrl, 'export', stops);

    const now = new Date('2026-03-01T08:00:00Z');
    const [{ id: givorsId }] = await dataSource.query(`SELECT id FROM collectivity WHERE insee_code = '69091'`);
    const [{ id: instanceId }] = await dataSource.query(`INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'givors-bench') RETURNING id`, [givorsId]);
    const teleservices = new TeleserviceRepository(dataSource.manager);
    const teleservice = await teleservices.create({ instanceId, collectivityId: givorsId, slug: 'inscription-bench', kind: 'communal', title: 'Inscription', summary: 'Benchmark', now });
    await teleservices.createDraft(givorsId, teleservice.id, now, { form: FORM, workflow: BENCH_WORKFLOW, dataSources: [] });
    const version = await teleservices.publish(givorsId, teleservice.id, { publishedBy: 'bench', now });

    // ROWS demands in one statement; tracking codes from the row number (digits mapped into the code alphabet).
    const insertStarted = performance.now();
    await dataSource.query(
      `INSERT INTO demand (collectivity_id, teleservice_id, version_id, tracking_code, channel, data, backoffice_data, status, status_entered_at, submitted_at, created_at, updated_at, lock_version)
       SELECT $1, $2, $3, translate(lpad(i::text, 10, '0'), '0123456789', '23456789AB'), 'web',
              jsonb_build_object('nom', 'Nom ' || i, 'prenom', 'Prénom ' || (i % 97), 'ecole', 'École ' || (i % 13), 'commentaire', repeat('x', 200)),
              '{}'::jsonb, 'received', $4::timestamptz, $4::timestamptz + i * interval '1 second', $4, $4, 1
         FROM generate_series(1, $5::int) AS i`,
      [givorsId, teleservice.id, version.id, now, ROWS],
    );
    await dataSource.query(`ANALYZE demand`);
    console.log(`  ${ROWS} demandes insérées en ${Math.round(performance.now() - insertStarted)} ms`);

    const storage = await mkdtemp(join(tmpdir(), 'parvis-bench-export-'));
    stops.unshift(() => rm(storage, { recursive: true, force: true }));
    const clock = new ManualClock(now);
    const engine = new DemandEngine(dataSource, clock, new OutboxService(clock), new LocalDiskStorage(storage), new TerritoryService(dataSource));
    await engine.definitions.get(version.id); // fails here, not silently per row, if the definition does not compile
    const inbox = new AgentInboxQueries(engine);
    const exports = new AgentExportQueries(engine);
    const caller: EngineCaller = { kind: 'agent', sub: 'bench', collectivityIds: [givorsId], functions: [], permissions: ['demands:read'] };
    const exportCsv = async (filters: { submittedBefore?: Date }) => {
      const sink = new CountingSink();
      await writeCsv(sink, {
        caller,
        filters,
        inbox,
        exports,
        columns: ['teleservice', 'depot', 'statut', 'champs'],
        order: 'desc',
        collectivityName: () => 'Givors',
        assignee: () => '',
      });
      return sink.bytes;
    };
    const small = Math.max(1, Math.floor(ROWS / 10));
    const results = [
      await measureMemory(SAMPLE_MS, `${small} lignes`, () => exportCsv({ submittedBefore: new Date(now.getTime() + (small + 1) * 1000) })),
      await measureMemory(SAMPLE_MS, `${ROWS} lignes`, () => exportCsv({})),
    ];
    for (const r of results) {
      const rows = Number(r.label.split(' ')[0]);
      console.log(
        `  export CSV ${r.label.padEnd(14)} ${Math.round(r.ms)} ms (${Math.round(rows / (r.ms / 1000)).toLocaleString('en')} lignes/s, ${r.mib(r.bytes)}), tas +${r.heapGrowth} au plus (vivant après GC +${r.liveGrowth}), RSS max ${r.peakRss}`,
      );
    }
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => console.error(error));
  }
}

await main();
