/**
 * Submission benchmark: demands submitted through the engine API (`POST /api/v1/teleservices/:slug/demands`,
 * API key, a 10-field form validated by #forms, the workflow's start planned by #workflow, one tenant
 * transaction writing the demand, its history and its outbox row) against PostgreSQL alone doing the same
 * writes with `pgbench`, on the same database, at increasing concurrency.
 *
 *   npm run build && node dist/bench/submit.js
 *
 * Uses DATABASE_URL / REDIS_URL when set (a scratch database and Redis prefix are created, then removed),
 * otherwise the embedded PostgreSQL and a local redis-server. The engine runs as its own process
 * (`dist/apps/engine/main.js`), as in production, on a database already holding BENCH_PREFILL_DEMANDS demands
 * (50,000, analysed), after BENCH_WARMUP submissions (1,000). Knobs: BENCH_SECONDS (10 per step), BENCH_CONCURRENCY
 * ("1,4,16"), BENCH_ROUNDS (3), DATABASE_POOL_SIZE for the engine (10). Each level runs BENCH_ROUNDS rounds of
 * the API step and the pgbench step back to back (same machine load for both), in alternating order, each step after
 * a CHECKPOINT; it prints every step with the load average around it, each round's ratio and, per level, the
 * median ratio over the rounds with the lowest and highest. See bench/README.md.
 */
import 'reflect-metadata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '#core';
import { createDataSource } from '#db';
import { adminQuery, deleteKeys } from './support.js';
import { ALL_ENTITIES, ALL_MIGRATIONS, freePort, useOrStartServices } from '#platform';
import { ApiKeyRepository, TeleserviceRepository } from '#teleservices';
import { seedReferenceData } from '#territory';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,4,16').split(',').map(Number);
/** Demands already in service before the measure (with their history and relayed outbox rows), then ANALYZE. */
const PREFILL = Number(process.env.BENCH_PREFILL_DEMANDS ?? 50_000);
/** Rounds per concurrency level: each runs the API step and the pgbench step back to back, in alternating order. */
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)) || 1);
/** Submissions before the measure. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1_000);

/** Ten data fields, the kinds a real téléservice mixes (formats, a choice, a condition, a date, a number). */
const FORM = {
  schemaVersion: 1,
  title: 'Banc d’essai',
  pages: [
    {
      id: 'identite',
      title: 'Identité',
      fields: [
        { id: 'nom', type: 'text', label: 'Nom', required: true, maxLength: 100 },
        { id: 'prenom', type: 'text', label: 'Prénom', required: true, maxLength: 100 },
        { id: 'courriel', type: 'email', label: 'Courriel', required: true },
        { id: 'telephone', type: 'text', format: 'phone_fr', label: 'Téléphone' },
        { id: 'code_postal', type: 'text', format: 'postcode_fr', label: 'Code postal', required: true },
      ],
    },
    {
      id: 'demande',
      title: 'Demande',
      fields: [
        { id: 'motif', type: 'choice', label: 'Motif', required: true, options: [{ value: 'bruit', label: 'Bruit' }, { value: 'voirie', label: 'Voirie' }, { value: 'autre', label: 'Autre' }] },
        { id: 'precision', type: 'long_text', label: 'Précisez', required: true, maxLength: 2000, condition: "field.motif = 'autre'" },
        { id: 'date_faits', type: 'date', label: 'Date des faits', past: true },
        { id: 'personnes', type: 'number', mode: 'integer', min: 1, max: 100, label: 'Personnes concernées' },
        { id: 'accord', type: 'checkbox', label: 'J’atteste l’exactitude des informations.', required: true },
      ],
    },
  ],
};

const WORKFLOW = {
  schemaVersion: 1,
  initialStatus: 'received',
  functions: [{ id: 'receiver', label: 'Agent instructeur' }],
  statuses: [
    {
      id: 'received',
      label: 'Demande reçue',
      colour: '#1F5FAD',
      visibility: 'citizen',
      final: false,
      actions: [
        { id: 'ack', kind: 'notify_citizen', channels: ['email'], subject: 'Votre demande {{demand.trackingCode}} a bien été reçue', body: 'Bonjour,\n\n{{collectivity.name}} a bien reçu votre demande.' },
        { id: 'accept', kind: 'button', label: 'Accepter', target: 'accepted', functions: ['receiver'] },
      ],
    },
    { id: 'accepted', label: 'Acceptée', colour: '#18753C', visibility: 'citizen', final: true, actions: [] },
  ],
};

const BODY = JSON.stringify({
  data: {
    nom: 'Martin',
    prenom: 'Camille',
    courriel: 'camille.martin@example.org',
    telephone: '06 12 34 56 78',
    code_postal: '69003',
    motif: 'autre',
    precision: 'Un lampadaire clignote toute la nuit devant le numéro 12.',
    date_faits: '2026-01-10',
    personnes: 3,
    accord: true,
  },
});

interface Result {
  label: string;
  concurrency: number;
  /** The round of the level (1…BENCH_ROUNDS): the API and pgbench steps of one round are compared. */
  round: number;
  count: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  /** The machine's 1-minute load average before and after the step (the cores are shared). */
  load?: string;
}

async function main() {
  const stops: (() => Promise<void>)[] = [];
  const runId = randomBytes(3).toString('hex');
  const logger = createLogger({ level: 'warn', app: 'engine' });
  try {
    const services = await useOrStartServices('bench', { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
    stops.unshift(services.stop);
    const database = `parvis_bench_submit_${runId}`;
    await adminQuery(services.databaseUrl, `CREATE DATABASE "${database}"`);
    stops.unshift(() => adminQuery(services.databaseUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
    const url = new URL(services.databaseUrl);
    url.pathname = `/${database}`;
    const databaseUrl = url.toString();

    // Schema, territory, one téléservice with ~10 fields, one API key.
    const dataSource = createDataSource({ url: databaseUrl, applicationName: 'parvis-bench', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 2 });
    await dataSource.initialize();
    stops.unshift(() => dataSource.destroy());
    await dataSource.runMigrations({ transaction: 'each' });
    await seedReferenceData(dataSource);
    const now = new Date();
    const [{ id: metropolisId }] = await dataSource.query(`SELECT id FROM collectivity WHERE kind = 'metropolis'`);
    const [{ id: instanceId }] = await dataSource.query(`INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'metropole-bench') RETURNING id`, [metropolisId]);
    const teleservices = new TeleserviceRepository(dataSource.manager);
    const teleservice = await teleservices.create({ instanceId, collectivityId: metropolisId, slug: 'banc-essai', kind: 'metropolitan', title: 'Banc d’essai', summary: 'Benchmark', now });
    await teleservices.createDraft(metropolisId, teleservice.id, now, { form: FORM, workflow: WORKFLOW, dataSources: [] });
    const version = await teleservices.publish(metropolisId, teleservice.id, { publishedBy: 'bench', now });
    const { key } = await new ApiKeyRepository(dataSource.manager).create(metropolisId, 'banc', ['teleservices:read', 'demands:read', 'demands:write'], now);

    // A platform in service, not empty tables: PostgreSQL's plans (ours, and those of its foreign-key checks, cached
    // per connection) are made for tables of this size, as they would be in production after ANALYZE.
    if (PREFILL > 0) {
      const started = performance.now();
      await dataSource.query(prefillSql(PREFILL), [metropolisId, teleservice.id, version.id]);
      await dataSource.query('VACUUM ANALYZE demand, demand_event, outbox_message');
      console.log(`Base préremplie : ${PREFILL} demandes (historique, outbox relayée) en ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }

    // The engine, as its own process.
    const storage = await mkdtemp(join(tmpdir(), 'parvis-bench-'));
    stops.unshift(() => rm(storage, { recursive: true, force: true }));
    const redisPrefix = `bench:${runId}`;
    stops.unshift(() => deleteKeys(services.redisUrl, `${redisPrefix}:*`));
    const port = await freePort();
    const engine = spawn(process.execPath, [...(process.env.BENCH_ENGINE_NODE_OPTIONS ?? '').split(' ').filter(Boolean), fileURLToPath(new URL('../apps/engine/main.js', import.meta.url))], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        DATABASE_URL: databaseUrl,
        REDIS_URL: services.redisUrl,
        REDIS_PREFIX: redisPrefix,
        ENGINE_PORT: String(port),
        STORAGE_DIR: storage,
        LOG_LEVEL: 'warn',
        ENGINE_API_RATE_LIMIT_PER_MINUTE: '100000000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    stops.unshift(() => stop(engine));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/health`);

    const submit = async () => {
      const res = await fetch(`${base}/api/v1/teleservices/banc-essai/demands`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: BODY,
      });
      if (res.status !== 201) throw new Error(`Réponse ${res.status} : ${await res.text()}`);
      await res.arrayBuffer();
    };
    // Warm-up: compiled definitions and caches, the JIT's optimised code, the pool's connections and their prepared
    // statements (what a long-running engine has); 4 at a time.
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let i = 0; i < WARMUP / 4; i++) await submit();
    }));

    // What one submission writes (read after the warm-up): the same writes pgbench will do.
    const [shape] = await dataSource.query(
      `SELECT (SELECT count(*) FROM demand)::int AS demands, (SELECT count(*) FROM demand_event)::int AS events, (SELECT count(*) FROM outbox_message)::int AS outbox`,
    );
    const eventsPerDemand = Math.round(shape.events / shape.demands);

    // PostgreSQL alone: the same writes in one transaction per demand, with the same tenant switch.
    const pgbench = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' }).stdout.trim();
    if (!pgbench) console.log('\npgbench est introuvable (paquet Debian postgresql-client) : comparaison avec PostgreSQL seul ignorée.');
    const dir = await mkdtemp(join(tmpdir(), 'parvis-pgbench-'));
    stops.unshift(() => rm(dir, { recursive: true, force: true }));
    const script = join(dir, 'submit.sql');
    await writeFile(script, pgbenchScript({ collectivityId: metropolisId, teleserviceId: teleservice.id, versionId: version.id, events: eventsPerDemand }));

    // Each step starts from a checkpoint: a checkpoint falling inside one step only (and the full-page writes that
    // follow it) would slow that step's commits and not the other's.
    const checkpoint = () => dataSource.query('CHECKPOINT').catch(() => undefined);

    // The load generator: wrk (C, like pgbench's own client) when it is installed, else fetch from this process —
    // on two cores, a Node load generator takes CPU from the engine and PostgreSQL, and the ratio says less.
    const wrk = process.env.BENCH_LOAD === 'fetch' ? '' : spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).stdout.trim();
    const wrkScript = join(dir, 'submit.lua');
    await writeFile(
      wrkScript,
      `wrk.method = "POST"\nwrk.body = [==[${BODY}]==]\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${key}"\n` +
        `done = function(summary, latency, requests)\n  local e = summary.errors\n` +
        `  io.write(string.format("RESULT %d %d %d %f %f\\n", summary.requests, e.connect + e.read + e.write + e.status + e.timeout, summary.duration, latency:percentile(50), latency:percentile(99)))\nend\n`,
    );
    console.log(`\nGénérateur de charge : ${wrk ? 'wrk' : 'fetch (ce processus)'}`);

    /** The API for SECONDS at a concurrency, from a checkpoint. */
    const apiStep = async (concurrency: number, round: number): Promise<Result> => {
      await checkpoint();
      const loadBefore = loadAverage();
      if (wrk) {
        const run = spawnSync(wrk, ['-t', String(Math.min(concurrency, 2)), '-c', String(concurrency), '-d', `${SECONDS}s`, '-s', wrkScript, `${base}/api/v1/teleservices/banc-essai/demands`], { encoding: 'utf8' });
        const line = /RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)/.exec(run.stdout);
        if (run.status !== 0 || !line) throw new Error(`wrk a échoué : ${run.stderr || run.stdout}`);
        const [, requests, errors, durationUs, p50Us, p99Us] = line.map(Number);
        if (errors > 0) throw new Error(`wrk : ${errors} réponses en erreur sur ${requests}`);
        const seconds = durationUs / 1e6;
        return { label: 'engine API', concurrency, round, count: requests, seconds, rate: requests / seconds, p50: p50Us / 1000, p99: p99Us / 1000, load: `${loadBefore} → ${loadAverage()}` };
      }
      const latencies: number[] = [];
      const started = performance.now();
      const deadline = started + SECONDS * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < deadline) {
            const t = performance.now();
            await submit();
            latencies.push(performance.now() - t);
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      return { ...summarise('engine API', concurrency, round, latencies, elapsed), load: `${loadBefore} → ${loadAverage()}` };
    };

    /** pgbench for SECONDS at a concurrency, from a checkpoint. */
    const sqlStep = async (concurrency: number, round: number): Promise<Result> => {
      const prefix = join(dir, `c${concurrency}r${round}`);
      await checkpoint();
      const loadBefore = loadAverage();
      const run = spawnSync(
        pgbench,
        ['-n', '-M', 'prepared', '-c', String(concurrency), '-j', String(Math.min(concurrency, 2)), '-T', String(SECONDS), '-f', script, '-l', `--log-prefix=${prefix}`, databaseUrl],
        { encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`pgbench a échoué : ${run.stderr}`);
      const latencies: number[] = [];
      for (const file of (await readdir(dir)).filter((f) => f.startsWith(`c${concurrency}r${round}.`))) {
        for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
          const parts = line.trim().split(/\s+/);
          if (parts.length >= 3) latencies.push(Number(parts[2]) / 1000);
        }
      }
      const tps = /tps = ([\d.]+)/.exec(run.stdout);
      const result = { ...summarise('pgbench (SQL seul)', concurrency, round, latencies, SECONDS), load: `${loadBefore} → ${loadAverage()}` };
      if (tps) result.rate = Number(tps[1]);
      return result;
    };

    // Each level runs BENCH_ROUNDS rounds of the two steps back to back, in alternating order (API first, then
    // pgbench first, …): the machine's speed drifts (a shared virtual machine), and one pair of steps seconds apart
    // is one sample of the ratio; the median over the rounds is the level's figure, every round is printed.
    const results: Result[] = [];
    for (const concurrency of LEVELS) {
      for (let round = 1; round <= ROUNDS; round++) {
        const apiFirst = round % 2 === 1 || !pgbench;
        if (apiFirst) results.push(await apiStep(concurrency, round));
        if (pgbench) results.push(await sqlStep(concurrency, round));
        if (!apiFirst) results.push(await apiStep(concurrency, round));
      }
    }

    console.log(`\nSoumissions (formulaire de 10 champs, ${eventsPerDemand} événements d’historique + 1 ligne d’outbox par demande), ${SECONDS} s par palier, ${ROUNDS} manche(s) par niveau, ${process.env.DATABASE_POOL_SIZE ?? 10} connexions côté moteur\n`);
    console.log('  chemin               concurrence  manche   demandes/s      p50       p99   charge (1 min, avant → après)   ratio');
    /** An API step's rate over that of the pgbench step of its round (none without pgbench). */
    const ratioOf = (api: Result) => {
      const sql = results.find((o) => o !== api && o.concurrency === api.concurrency && o.round === api.round);
      return sql ? api.rate / sql.rate : undefined;
    };
    for (const r of results) {
      const ratio = r.label === 'engine API' ? (ratioOf(r)?.toFixed(2) ?? '') : '';
      console.log(
        `  ${r.label.padEnd(20)} ${String(r.concurrency).padStart(11)} ${String(r.round).padStart(7)} ${r.rate.toFixed(0).padStart(12)} ${r.p50.toFixed(1).padStart(7)} ms ${r.p99.toFixed(1).padStart(7)} ms   ${(r.load ?? '').padEnd(30)} ${ratio.padStart(5)}`,
      );
    }
    if (pgbench) {
      console.log(`\n  ratio API / PostgreSQL seul (médiane des ${ROUNDS} manches, [plus faible – plus forte], médianes des débits)`);
      for (const concurrency of LEVELS) {
        const api = results.filter((r) => r.label === 'engine API' && r.concurrency === concurrency);
        const ratios = api.map((r) => ratioOf(r)!);
        const sql = results.filter((r) => r.label.startsWith('pgbench') && r.concurrency === concurrency);
        console.log(
          `  concurrence ${String(concurrency).padStart(2)} : ${median(ratios).toFixed(2)} [${Math.min(...ratios).toFixed(2)} – ${Math.max(...ratios).toFixed(2)}]` +
            `   API ${median(api.map((r) => r.rate)).toFixed(0)}/s, pgbench ${median(sql.map((r) => r.rate)).toFixed(0)}/s`,
        );
      }
    }
  } finally {
    for (const stopOne of stops) await stopOne().catch((error: unknown) => logger.warn({ err: error }, 'arrêt'));
  }
}

function loadAverage(): string {
  return loadavg()[0].toFixed(1);
}

function summarise(label: string, concurrency: number, round: number, latencies: number[], seconds: number): Result {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { label, concurrency, round, count: sorted.length, seconds, rate: sorted.length / seconds, p50: at(0.5), p99: at(0.99) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** One demand per transaction: tenant switch, demand row, its history events, one outbox row — what the API writes. */
function pgbenchScript(ids: { collectivityId: string; teleserviceId: string; versionId: string; events: number }): string {
  // pgbench reads `:name` as a variable: keep a space after JSON colons before a letter (`"accord": true`).
  const data = JSON.stringify(JSON.parse(BODY).data).replace(/":(?=[A-Za-z_])/g, '": ');
  return `BEGIN;
SELECT set_config('role', 'parvis_tenant', true), set_config('parvis.platform', 'off', true), set_config('parvis.collectivity_ids', '${ids.collectivityId}', true), set_config('parvis.account_sub', '', true), set_config('parvis.demand_id', '', true), set_config('parvis.history_rewrite', '', true);
WITH d AS (INSERT INTO demand (id, collectivity_id, teleservice_id, version_id, tracking_code, channel, data, backoffice_data, status, status_entered_at, lock_version, created_at, submitted_at, updated_at, workflow_state) VALUES (gen_random_uuid(), '${ids.collectivityId}', '${ids.teleserviceId}', '${ids.versionId}', substr(translate(upper(md5(random()::text || clock_timestamp()::text)), '01', '23'), 1, 10), 'api', '${data.replace(/'/g, "''")}', '{}', 'received', now(), 1, now(), now(), now(), '{"statusId":"received"}') ON CONFLICT (tracking_code) DO NOTHING RETURNING id)
INSERT INTO demand_event (demand_id, collectivity_id, at, kind, actor, visibility, status_from, status_to, payload) SELECT d.id, '${ids.collectivityId}'::uuid, now(), 'bench_' || g, '{"type": "partner", "apiKeyId": "bench"}'::jsonb, 'citizen', NULL, 'received', '{"label": "Demande reçue"}'::jsonb FROM d, generate_series(1, ${ids.events}) AS g;
INSERT INTO outbox_message (job_name, payload, job_key, created_at, available_at) VALUES ('mail.send', '{"to":"camille.martin@example.org","subject":"Votre demande a bien été reçue","text":"Bonjour"}', 'mail.send/bench/' || gen_random_uuid(), now(), now()) ON CONFLICT (job_key) DO NOTHING RETURNING id;
END;
`;
}

/** `count` demands submitted over the past days, each with three history events and a relayed outbox row. */
function prefillSql(count: number): string {
  const data = JSON.stringify(JSON.parse(BODY).data).replace(/'/g, "''");
  return `WITH d AS (
    INSERT INTO demand (id, collectivity_id, teleservice_id, version_id, tracking_code, channel, data, backoffice_data, status, status_entered_at,
                        lock_version, created_at, submitted_at, updated_at, workflow_state)
    SELECT gen_random_uuid(), $1, $2, $3, substr(translate(upper(md5(g::text || random()::text)), '01', '23'), 1, 10), 'api', '${data}', '{}',
           'received', at, 1, at, at, at, '{"statusId":"received"}'
      FROM generate_series(1, ${Math.trunc(count)}) AS g, LATERAL (SELECT now() - g * interval '1 minute' AS at) AS t
    ON CONFLICT (tracking_code) DO NOTHING
    RETURNING id, collectivity_id, submitted_at),
  e AS (
    INSERT INTO demand_event (demand_id, collectivity_id, at, kind, actor, visibility, status_from, status_to, payload)
    SELECT d.id, d.collectivity_id, d.submitted_at, k.kind, '{"type": "partner", "apiKeyId": "prefill"}', 'citizen', NULL, 'received', '{}'
      FROM d, (VALUES ('submitted'), ('status_changed'), ('citizen_notified')) AS k(kind))
  INSERT INTO outbox_message (job_name, payload, job_key, created_at, available_at, relayed_at)
  SELECT 'mail.send', '{}', 'mail.send/prefill/' || d.id, d.submitted_at, d.submitted_at, d.submitted_at FROM d`;
}

async function waitFor(url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`Le moteur ne répond pas sur ${url}`);
    await sleep(100);
  }
}

/** SIGTERM, then SIGKILL after 10 s; the timer is cleared once the child exits (it would keep this process alive). */
async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(kill);
}



await main();
