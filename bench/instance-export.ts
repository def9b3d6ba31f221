/**
 * Instance export benchmark (issue 7, platform operation): the decommissioned-instance export as the back office
 * streams it (`PlatformOperation.exportInstance`: a zip via yazl whose JSON entry is written while PostgreSQL
 * cursors are read, 200 demands per FETCH, each demand with its history and messages; the attachments' files
 * streamed from the storage into entries of their own, one at a time) into a sink that counts and drops the bytes,
 * for two instances of `BENCH_ROWS / 10` and `BENCH_ROWS` demands, one file of `BENCH_FILE_KIB` KiB on every
 * `BENCH_FILE_EVERY`th demand, to show that memory grows neither with the number of demands nor with the files.
 *
 *   npm run build && node --expose-gc dist/bench/instance-export.js
 *
 * Uses DATABASE_URL / REDIS_URL when set (a scratch database is created, then removed), otherwise the embedded
 * PostgreSQL. Knobs: BENCH_ROWS (50000), BENCH_SAMPLE_MS (20, memory sampling period), BENCH_FILE_EVERY (50; 0: no
 * files), BENCH_FILE_KIB (256).
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '#core';
import { LocalDiskStorage } from '#demands';
import { useOrStartServices } from '#platform';
import { TeleserviceRepository } from '#teleservices';
import { AdminJournal } from '../apps/backoffice/admin/admin-journal.js';
import { PlatformOperation } from '../apps/backoffice/admin/platform.service.js';
import { BENCH_WORKFLOW, CountingSink, freshBenchDatabase, measureMemory } from './support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const FILE_EVERY = Number(process.env.BENCH_FILE_EVERY ?? 50);
const FILE_KIB = Number(process.env.BENCH_FILE_KIB ?? 256);

const FORM = {
  schemaVersion: 1,
  title: 'Signalement',
  pages: [{ id: 'p', title: 'Signalement', fields: [{ id: 'nom', type: 'text', label: 'Nom', required: true, maxLength: 100 }, { id: 'description', type: 'long_text', label: 'Description', maxLength: 2000 }] }],
};
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 20);



async function main() {
  const stops: (() => Promise<void>)[] = [];
  try {
    const services = await useOrStartServices('bench', { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
    stops.unshift(services.stop);
    const dataSource = await freshBenchDatabase(services.databaseUrl, 'instance_export', stops);
    const now = new Date('2026-03-01T08:00:00Z');
    const clock = new ManualClock(now);
    const [{ id: givorsId }] = await dataSource.query(`SELECT id FROM collectivity WHERE insee_code = '69091'`);
    const teleservices = new TeleserviceRepository(dataSource.manager);
    const storageDir = await mkdtemp(join(tmpdir(), 'parvis-bench-storage-'));
    stops.unshift(() => rm(storageDir, { recursive: true, force: true }));
    const storage = new LocalDiskStorage(storageDir, () => clock.now());
    // Pseudo-random bytes (deflate cannot shrink them: the zip carries every byte, as for photos and scans).
    const fileContent = Buffer.alloc(FILE_KIB * 1024);
    for (let i = 0, x = 2463534242; i < fileContent.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      fileContent[i] = x & 0xff;
    }
    let fileCount = 0;

    /** An instance with `rows` demands (tracking codes from `offset`), each with two history lines and a message. */
    const instanceWith = async (slug: string, environment: 'production' | 'test', rows: number, offset: number): Promise<string> => {
      const [{ id: instanceId }] = await dataSource.query(`INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, $2, $3) RETURNING id`, [givorsId, environment, slug]);
      const teleservice = await teleservices.create({ instanceId, collectivityId: givorsId, slug: `signalement-${slug}`, kind: 'communal', title: 'Signalement', summary: 'Benchmark', now });
      await teleservices.createDraft(givorsId, teleservice.id, now, { form: FORM, workflow: BENCH_WORKFLOW, dataSources: [] });
      const version = await teleservices.publish(givorsId, teleservice.id, { publishedBy: 'bench', now });
      await dataSource.query(
        `INSERT INTO demand (collectivity_id, teleservice_id, version_id, tracking_code, channel, data, backoffice_data, status, status_entered_at, submitted_at, created_at, updated_at, lock_version)
         SELECT $1, $2, $3, translate(lpad(i::text, 10, '0'), '0123456789', '23456789AB'), 'web',
                jsonb_build_object('nom', 'Nom ' || i, 'description', repeat('x', 300)),
                '{}'::jsonb, 'received', $4::timestamptz, $4::timestamptz + i * interval '1 second', $4, $4, 1
           FROM generate_series($5::int + 1, $5::int + $6::int) AS i`,
        [givorsId, teleservice.id, version.id, now, offset, rows],
      );
      await dataSource.query(
        `INSERT INTO demand_event (demand_id, collectivity_id, at, kind, actor, visibility, payload)
         SELECT d.id, d.collectivity_id, d.submitted_at, k.kind, '{"type":"system","name":"bench"}'::jsonb, 'citizen', jsonb_build_object('text', 'Ligne ' || k.kind)
           FROM demand d CROSS JOIN (VALUES ('submitted'), ('status_changed')) AS k(kind) WHERE d.teleservice_id = $1`,
        [teleservice.id],
      );
      await dataSource.query(
        `INSERT INTO demand_message (demand_id, collectivity_id, author, visibility, body, created_at)
         SELECT d.id, d.collectivity_id, '{"type":"system","name":"bench"}'::jsonb, 'citizen', 'Votre demande est bien reçue.', d.submitted_at FROM demand d WHERE d.teleservice_id = $1`,
        [teleservice.id],
      );
      if (FILE_EVERY > 0) {
        const owners = await dataSource.query<{ id: string; collectivity_id: string; submitted_at: Date }[]>(
          `SELECT id, collectivity_id, submitted_at FROM (SELECT d.*, row_number() OVER (ORDER BY d.submitted_at) AS n FROM demand d WHERE d.teleservice_id = $1) x WHERE n % $2 = 0`,
          [teleservice.id, FILE_EVERY],
        );
        for (const owner of owners) {
          const put = await storage.put(fileContent, { maxBytes: fileContent.length });
          await dataSource.query(
            `INSERT INTO attachment (demand_id, collectivity_id, storage_key, file_name, mime_type, size_bytes, sha256, created_at) VALUES ($1, $2, $3, 'photo.bin', $4, $5, $6, $7)`,
            [owner.id, owner.collectivity_id, put.key, put.mimeType, put.sizeBytes, put.sha256, owner.submitted_at],
          );
          fileCount++;
        }
      }
      return instanceId as string;
    };
    const small = Math.max(1, Math.floor(ROWS / 10));
    const insertStarted = performance.now();
    const smallInstance = await instanceWith('givors-banc-petit', 'test', small, 0);
    const largeInstance = await instanceWith('givors-banc-grand', 'production', ROWS, small);
    await dataSource.query(`ANALYZE`);
    console.log(
      `  ${small + ROWS} demandes (2 lignes d’historique, 1 message chacune) et ${fileCount} fichiers de ${FILE_KIB} Kio insérés en ${Math.round(performance.now() - insertStarted)} ms`,
    );
    const platform = new PlatformOperation(dataSource, new AdminJournal(dataSource, clock), clock, storage);
    const exportOf = async (instanceId: string) => {
      const sink = new CountingSink();
      await platform.exportInstance({ sub: 'bench', email: null }, instanceId, sink);
      return sink.bytes;
    };
    const results = [await measureMemory(SAMPLE_MS, `${small} demandes`, () => exportOf(smallInstance)), await measureMemory(SAMPLE_MS, `${ROWS} demandes`, () => exportOf(largeInstance))];
    for (const r of results) {
      const rows = Number(r.label.split(' ')[0]);
      console.log(
        `  export ${r.label.padEnd(16)} ${Math.round(r.ms)} ms (${Math.round(rows / (r.ms / 1000)).toLocaleString('en')} demandes/s, zip ${r.mib(r.bytes)}), tas +${r.heapGrowth} au plus (vivant après GC +${r.liveGrowth}), RSS max ${r.peakRss}`,
      );
    }
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => console.error(error));
  }
}

await main();
