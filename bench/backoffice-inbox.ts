/**
 * Inbox benchmark (issue 7): an agent's first inbox page with a status filter and a text term, over BENCH_ROWS
 * (1,000,000) demands spread over the 58 communes and 40 téléservices, through `AgentInboxQueries` (tenant
 * transaction, row-level security, the same SQL as the back office), and the page's total count.
 *
 *   npm run build && node dist/bench/backoffice-inbox.js
 *
 * Uses DATABASE_URL when set (a scratch database is created, then removed), otherwise the embedded PostgreSQL.
 * With BENCH_DATABASE, the data set is kept in that database (bench/generate-inbox-demands.ts): generated on the
 * first run, reused by the next ones. Knobs: BENCH_ROWS (1000000), BENCH_QUERIES (200), BENCH_DATABASE.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '#core';
import { AgentInboxQueries, DemandEngine, LocalDiskStorage, type EngineCaller } from '#demands';
import { useOrStartServices } from '#platform';
import { OutboxService } from '#queue';
import { TerritoryService } from '#territory';
import type { DataSource } from 'typeorm';
import { demandCount, generateInboxDemands, INBOX_BENCH_NOW, INBOX_BENCH_TELESERVICES, keptBenchDatabase } from './generate-inbox-demands.js';
import { freshBenchDatabase } from './support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function main() {
  const stops: (() => Promise<void>)[] = [];
  try {
    const services = await useOrStartServices('bench', { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
    stops.unshift(services.stop);
    let dataSource: DataSource;
    if (process.env.BENCH_DATABASE) {
      // A kept data set (bench/generate-inbox-demands.ts): generated on the first run, reused afterwards.
      const kept = await keptBenchDatabase(services.databaseUrl, process.env.BENCH_DATABASE);
      stops.unshift(() => kept.destroy());
      dataSource = kept;
    } else {
      dataSource = await freshBenchDatabase(services.databaseUrl, 'inbox', stops);
    }
    const present = await demandCount(dataSource);
    if (present === 0) {
      const started = performance.now();
      await generateInboxDemands(dataSource, ROWS);
      console.log(`  ${ROWS.toLocaleString('en')} demandes (58 communes, ${INBOX_BENCH_TELESERVICES} téléservices) insérées en ${Math.round(performance.now() - started)} ms`);
    } else {
      console.log(`  ${present.toLocaleString('en')} demandes déjà présentes dans ${process.env.BENCH_DATABASE} (réutilisées)`);
    }
    const now = INBOX_BENCH_NOW;
    const communes: { id: string; name: string }[] = await dataSource.query(`SELECT id, name FROM collectivity WHERE kind = 'commune' ORDER BY insee_code`);

    const storage = await mkdtemp(join(tmpdir(), 'parvis-bench-inbox-'));
    stops.unshift(() => rm(storage, { recursive: true, force: true }));
    const clock = new ManualClock(now);
    const inbox = new AgentInboxQueries(new DemandEngine(dataSource, clock, new OutboxService(clock), new LocalDiskStorage(storage), new TerritoryService(dataSource)));
    const villeurbanne = communes.find((c) => c.name === 'Villeurbanne')!;
    const caller: EngineCaller = { kind: 'agent', sub: 'bench', collectivityIds: [villeurbanne.id], functions: [], permissions: ['demands:read'] };
    const terms = ['lampadaire', 'nid-de-poule 12', 'banc', 'tag 99', 'rue 3f', 'numéro 17'];
    const time = async (label: string, run: (term: string) => Promise<unknown>) => {
      for (let i = 0; i < 5; i++) await run(terms[i % terms.length]); // warm-up
      const times: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const t = performance.now();
        await run(terms[i % terms.length]);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(`  ${label.padEnd(48)} p50 ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`);
    };
    await time('1re page, statut « Reçue »', () => inbox.inbox(caller, { statuses: ['received'] }, { limit: 20 }));
    await time('1re page, statut « Reçue » + texte', (q) => inbox.inbox(caller, { statuses: ['received'], text: q }, { limit: 20 }));
    await time('total (count), statut « Reçue » + texte', (q) => inbox.count(caller, { statuses: ['received'], text: q }));
    // A real code of Villeurbanne (the 100th newest, or the middle one of a small data set), and its first 7
    // characters (about 1,000 codes at 1,000,000 demands, 17 of the commune's).
    const [{ tracking_code: code }] = await dataSource.query<{ tracking_code: string }[]>(
      `SELECT tracking_code FROM (
         SELECT tracking_code, row_number() OVER (ORDER BY submitted_at DESC, id DESC) AS n, count(*) OVER () AS total
           FROM demand WHERE collectivity_id = $1) AS ranked
        WHERE n = least(101, greatest(1, total / 2))`,
      [villeurbanne.id],
    );
    await time('1re page, numéro de suivi', () => inbox.inbox(caller, { text: code }, { limit: 20 }));
    await time('1re page, début de numéro de suivi (7)', () => inbox.inbox(caller, { text: code.slice(0, 7) }, { limit: 20 }));
    for (const term of terms) await time(`  dont « ${term} » (1re page, « Reçue »)`, () => inbox.inbox(caller, { statuses: ['received'], text: term }, { limit: 20 }));
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => console.error(error));
  }
}

await main();
