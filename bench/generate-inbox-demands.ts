/**
 * The inbox benchmark's data set (issue 7): BENCH_ROWS (1,000,000) demands spread over the 58 communes and 40
 * téléservices, in a database that is kept, so that the benchmark can be run again without generating it again.
 *
 *   npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node dist/bench/generate-inbox-demands.js
 *   DATABASE_URL=… BENCH_DATABASE=parvis_bench_inbox_1m node dist/bench/backoffice-inbox.js
 *
 * Creates database BENCH_DATABASE (`parvis_bench_inbox_1m`) on the server of DATABASE_URL when it is missing,
 * applies the pending migrations, seeds the reference data, then inserts the demands unless it already holds
 * some. Remove it with `DROP DATABASE parvis_bench_inbox_1m`.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { TeleserviceRepository } from '#teleservices';
import { seedReferenceData } from '#territory';
import { adminQuery, BENCH_PROCESSING_WORKFLOW } from './support.js';

export const INBOX_BENCH_NOW = new Date('2026-03-01T08:00:00Z');
export const INBOX_BENCH_TELESERVICES = 40;
export const DEFAULT_INBOX_BENCH_DATABASE = 'parvis_bench_inbox_1m';

const FORM = {
  schemaVersion: 1,
  title: 'Signalement',
  pages: [
    {
      id: 'p',
      title: 'Signalement',
      fields: [
        { id: 'objet', type: 'text', label: 'Objet', required: true, maxLength: 200 },
        { id: 'description', type: 'long_text', label: 'Description', maxLength: 2000 },
      ],
    },
  ],
};

/** Rows per INSERT … SELECT: each statement (the search-vector trigger included) stays well under the pool's 30 s query timeout. */
const CHUNK = 25_000;

/**
 * Inserts `rows` demands: commune `i % 58`, téléservice `(i / 7) % 40`, status received / in progress / closed
 * ×2 by blocks of 3, one every 20 seconds back from INBOX_BENCH_NOW, an object among five words and a number, a
 * description with an md5 (a word of its own per demand). Then VACUUM ANALYZE.
 */
export async function generateInboxDemands(dataSource: DataSource, rows: number, progress: (done: number) => void = () => undefined): Promise<void> {
  const now = INBOX_BENCH_NOW;
  const [{ id: metropolisId }] = await dataSource.query<{ id: string }[]>(`SELECT id FROM collectivity WHERE kind = 'metropolis'`);
  const [{ id: instanceId }] = await dataSource.query<{ id: string }[]>(
    `INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'metropole-bench') RETURNING id`,
    [metropolisId],
  );
  const teleservices = new TeleserviceRepository(dataSource.manager);
  const versions: { teleserviceId: string; versionId: string }[] = [];
  for (let i = 0; i < INBOX_BENCH_TELESERVICES; i++) {
    const t = await teleservices.create({ instanceId, collectivityId: metropolisId, slug: `banc-${i}`, kind: 'metropolitan', title: `Téléservice ${i}`, summary: 'Benchmark', now });
    await teleservices.createDraft(metropolisId, t.id, now, { form: FORM, workflow: BENCH_PROCESSING_WORKFLOW, dataSources: [] });
    versions.push({ teleserviceId: t.id, versionId: (await teleservices.publish(metropolisId, t.id, { publishedBy: 'bench', now })).id });
  }
  const communes = await dataSource.query<{ id: string }[]>(`SELECT id FROM collectivity WHERE kind = 'commune' ORDER BY insee_code`);
  for (let first = 1; first <= rows; first += CHUNK) {
    await dataSource.query(
      `INSERT INTO demand (collectivity_id, teleservice_id, version_id, tracking_code, channel, data, backoffice_data, status, status_entered_at, submitted_at, created_at, updated_at, lock_version, closed_at)
       SELECT ($1::uuid[])[1 + i % cardinality($1::uuid[])], ($2::uuid[])[1 + (i / 7) % ${INBOX_BENCH_TELESERVICES}], ($3::uuid[])[1 + (i / 7) % ${INBOX_BENCH_TELESERVICES}],
              translate(lpad(i::text, 10, '0'), '0123456789', '23456789AB'), 'web',
              jsonb_build_object('objet', (ARRAY['Lampadaire', 'Nid-de-poule', 'Dépôt sauvage', 'Tag', 'Banc cassé'])[1 + i % 5] || ' ' || (i % 997),
                                 'description', 'Signalé rue ' || md5(i::text) || ' près du numéro ' || (i % 211)),
              '{}'::jsonb, s.status, $4::timestamptz, $4::timestamptz - i * interval '20 seconds', $4, $4, 1,
              CASE WHEN s.status = 'closed' THEN $4::timestamptz END
         FROM generate_series($5::int, $6::int) AS i,
              LATERAL (SELECT (ARRAY['received', 'in_progress', 'closed', 'closed'])[1 + (i / 3) % 4] AS status) s`,
      [communes.map((c) => c.id), versions.map((v) => v.teleserviceId), versions.map((v) => v.versionId), now, first, Math.min(rows, first + CHUNK - 1)],
    );
    progress(Math.min(rows, first + CHUNK - 1));
  }
  await dataSource.query(`VACUUM ANALYZE demand`);
}

/**
 * Database `name` on the server of `databaseUrl`, created when missing, migrated (pending migrations applied) and
 * holding the reference data. Kept: nothing drops it. The caller destroys the data source.
 */
export async function keptBenchDatabase(databaseUrl: string, name: string): Promise<DataSource> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`BENCH_DATABASE invalide : ${name}`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]).finally(() => client.end());
  if (!exists.rowCount) await adminQuery(databaseUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const dataSource = createDataSource({ url: url.toString(), applicationName: 'parvis-bench-inbox', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 2 });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    if (!exists.rowCount) await seedReferenceData(dataSource);
    return dataSource;
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

/** How many demands the database holds (0 for a fresh one). */
export async function demandCount(dataSource: DataSource): Promise<number> {
  const [{ n }] = await dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM demand`);
  return n;
}

async function main() {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL est requis (serveur PostgreSQL où créer la base du banc).');
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const name = process.env.BENCH_DATABASE ?? DEFAULT_INBOX_BENCH_DATABASE;
  const dataSource = await keptBenchDatabase(databaseUrl, name);
  try {
    const present = await demandCount(dataSource);
    if (present > 0) {
      console.log(`  ${name} contient déjà ${present.toLocaleString('en')} demandes : rien à générer.`);
      return;
    }
    const started = performance.now();
    await generateInboxDemands(dataSource, rows, (done) => {
      if (done % 100_000 === 0 || done === rows) console.log(`  ${done.toLocaleString('en')} / ${rows.toLocaleString('en')} (${Math.round(performance.now() - started)} ms)`);
    });
    console.log(`  ${rows.toLocaleString('en')} demandes insérées dans ${name} en ${Math.round(performance.now() - started)} ms`);
  } finally {
    await dataSource.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
