/**
 * Inbox benchmark (issue 7): an agent's first inbox page with a status filter and a text term, over BENCH_ROWS
 * (1,000,000) demands spread over the 58 communes and 40 téléservices, through `AgentInboxQueries` (tenant
 * transaction, row-level security, the same SQL as the back office), and the page's total count.
 *
 *   npm run build && node dist/bench/backoffice-inbox.js
 *
 * Uses DATABASE_URL when set (a scratch database is created, then removed), otherwise the embedded PostgreSQL.
 * Knobs: BENCH_ROWS (1000000), BENCH_QUERIES (200).
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '#core';
import { AgentInboxQueries, DemandEngine, LocalDiskStorage, type EngineCaller } from '#demands';
import { useOrStartServices } from '#platform';
import { OutboxService } from '#queue';
import { TeleserviceRepository } from '#teleservices';
import { TerritoryService } from '#territory';
import { freshBenchDatabase } from './support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const TELESERVICES = 40;

const FORM = {
  schemaVersion: 1,
  title: 'Signalement',
  pages: [{ id: 'p', title: 'Signalement', fields: [{ id: 'objet', type: 'text', label: 'Objet', required: true, maxLength: 200 }, { id: 'description', type: 'long_text', label: 'Description', maxLength: 2000 }] }],
};
const WORKFLOW = {
  schemaVersion: 1,
  name: 'Banc',
  initialStatus: 'received',
  functions: [{ id: 'receiver', label: 'Instructeur' }],
  statuses: [
    { id: 'received', label: 'Reçue', colour: '#1F5FAD', visibility: 'citizen', final: false, actions: [{ id: 'take', kind: 'button', label: 'Prendre', target: 'in_progress', functions: ['receiver'] }] },
    { id: 'in_progress', label: 'En cours', colour: '#B34700', visibility: 'citizen', final: false, actions: [{ id: 'close', kind: 'button', label: 'Clore', target: 'closed', functions: ['receiver'] }] },
    { id: 'closed', label: 'Close', colour: '#3D3D3D', visibility: 'citizen', final: true, actions: [] },
  ],
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function main() {
  const stops: (() => Promise<void>)[] = [];
  try {
    const services = await useOrStartServices('bench', { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
    stops.unshift(services.stop);
    const dataSource = await freshBenchDatabase(services.databaseUrl, 'inbox', stops);

    const now = new Date('2026-03-01T08:00:00Z');
    const [{ id: metropolisId }] = await dataSource.query(`SELECT id FROM collectivity WHERE kind = 'metropolis'`);
    const [{ id: instanceId }] = await dataSource.query(`INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'metropole-bench') RETURNING id`, [metropolisId]);
    const teleservices = new TeleserviceRepository(dataSource.manager);
    const versions: { teleserviceId: string; versionId: string }[] = [];
    for (let i = 0; i < TELESERVICES; i++) {
      const t = await teleservices.create({ instanceId, collectivityId: metropolisId, slug: `banc-${i}`, kind: 'metropolitan', title: `Téléservice ${i}`, summary: 'Benchmark', now });
      await teleservices.createDraft(metropolisId, t.id, now, { form: FORM, workflow: WORKFLOW, dataSources: [] });
      versions.push({ teleserviceId: t.id, versionId: (await teleservices.publish(metropolisId, t.id, { publishedBy: 'bench', now })).id });
    }
    const communes: { id: string; name: string }[] = await dataSource.query(`SELECT id, name FROM collectivity WHERE kind = 'commune' ORDER BY insee_code`);

    const started = performance.now();
    // By chunks of 100,000 (one statement each stays under the pool's query timeout).
    for (let first = 1; first <= ROWS; first += 100_000) await dataSource.query(
      `INSERT INTO demand (collectivity_id, teleservice_id, version_id, tracking_code, channel, data, backoffice_data, status, status_entered_at, submitted_at, created_at, updated_at, lock_version, closed_at)
       SELECT ($1::uuid[])[1 + i % cardinality($1::uuid[])], ($2::uuid[])[1 + (i / 7) % ${TELESERVICES}], ($3::uuid[])[1 + (i / 7) % ${TELESERVICES}],
              translate(lpad(i::text, 10, '0'), '0123456789', '23456789AB'), 'web',
              jsonb_build_object('objet', (ARRAY['Lampadaire', 'Nid-de-poule', 'Dépôt sauvage', 'Tag', 'Banc cassé'])[1 + i % 5] || ' ' || (i % 997),
                                 'description', 'Signalé rue ' || md5(i::text) || ' près du numéro ' || (i % 211)),
              '{}'::jsonb, s.status, $4::timestamptz, $4::timestamptz - i * interval '20 seconds', $4, $4, 1,
              CASE WHEN s.status = 'closed' THEN $4::timestamptz END
         FROM generate_series($5::int, $6::int) AS i,
              LATERAL (SELECT (ARRAY['received', 'in_progress', 'closed', 'closed'])[1 + (i / 3) % 4] AS status) s`,
      [communes.map((c) => c.id), versions.map((v) => v.teleserviceId), versions.map((v) => v.versionId), now, first, Math.min(ROWS, first + 99_999)],
    );
    await dataSource.query(`VACUUM ANALYZE demand`);
    console.log(`  ${ROWS.toLocaleString('en')} demandes (${communes.length} communes, ${TELESERVICES} téléservices) insérées en ${Math.round(performance.now() - started)} ms`);

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
    await time('1re page, numéro de suivi', (_q) => inbox.inbox(caller, { text: 'AB2222222' + 'C' }, { limit: 20 }));
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => console.error(error));
  }
}

await main();
