import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '#core';
import { ATTACHMENT_STORAGE, type AttachmentStorage } from '#demands';
import { JobSchedulers, QueueMetrics, QueueRegistry } from '#queue';
import { givenMembership, startTestApp, testRedisPrefix, type TestApp } from '#testing';
import { engineApp } from '../engine/engine.app.js';
import { seedEngine, T0, type EngineSeed } from '../engine/engine-test-fixture.js';
import { workerApp } from './worker.app.js';

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(50);
  }
}

const DAY = 24 * 3_600_000;

/**
 * Two worker processes (two apps on one database and one Redis prefix, as two deployments would be) with the job
 * schedulers: each scheduled run executes once, a workflow timer whose job Redis lost fires once, expired drafts go.
 */
describe('scheduled jobs on two workers at once (BullMQ job schedulers, PostgreSQL, Redis)', () => {
  let engine: TestApp;
  let workers: TestApp[] = [];
  let db: DataSource;
  let seed: EngineSeed;
  let storageDir: string;
  const clock = new ManualClock(T0);

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${engine.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${seed.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const scheduled = () => workers[0]!.app.get(QueueRegistry).queue('scheduled');
  const receipts = async (scheduler: string) =>
    Number((await db.query<{ n: string }[]>(`SELECT count(*) AS n FROM job_receipt WHERE job_key LIKE $1`, [`repeat:${scheduler}:%`]))[0]!.n);

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-schedules-'));
    engine = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = engine.app.get(DataSource);
    seed = await seedEngine(db);
    await givenMembership(db, '69091', 'partenaire');
    const env = {
      STORAGE_DIR: storageDir,
      OUTBOX_POLL_MS: '50',
      REDIS_PREFIX: testRedisPrefix(),
      SCHEDULE_TIMER_SWEEP_MS: '250',
      TIMER_SWEEP_GRACE_MS: '60000',
      SCHEDULE_DRAFT_PURGE_CRON: '* * * * * *',
      SCHEDULE_ACCOUNT_INACTIVITY_CRON: '* * * * * *',
    };
    workers = [
      await startTestApp(workerApp, { database: engine.database, clock, env }),
      await startTestApp(workerApp, { database: engine.database, clock, env }),
    ];
    await until(async () => workers.every((w) => w.app.get(JobSchedulers).isRegistered), 'planificateurs enregistrés');
  });

  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await engine?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('registers one scheduler per id in Redis whatever the number of workers (upsert at each start)', async () => {
    const schedulers = await scheduled().getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(['account-inactivity', 'account-purge', 'agent-digest', 'draft-purge', 'storage-sweep', 'workflow-timers']);
    expect(schedulers.find((s) => s.key === 'agent-digest')).toMatchObject({ pattern: '0 7 * * *', tz: 'Europe/Paris', name: 'schedule.agent-digest' });
    expect(schedulers.find((s) => s.key === 'workflow-timers')).toMatchObject({ every: 250 });
    // Registering again (a third process starting) changes nothing.
    await workers[1]!.app.get(JobSchedulers).register();
    expect((await scheduled().getJobSchedulers()).length).toBe(6);
  });

  it('fires once a due workflow timer whose job Redis lost, and leaves a timer not yet due alone', async () => {
    const submitted = await api('POST', '/api/v1/teleservices/demande-simple/demands', { data: { nom: 'Alix', courriel: 'alix@example.org', motif: 'bruit' } });
    const id = submitted.body.demand.id as string;
    expect((await api('POST', `/api/v1/demands/${id}/actions/take`)).status).toBe(200);
    expect((await api('POST', `/api/v1/demands/${id}/actions/ask-info`, { comment: 'Précisez l’adresse' })).status).toBe(200);
    const [timer] = await db.query(`SELECT id, job_key, available_at FROM outbox_message WHERE job_name = 'workflow.timer' AND payload->>'demandId' = $1`, [id]);
    expect(new Date(timer.available_at).getTime()).toBe(T0.getTime() + 30 * DAY);

    // The row was relayed, then Redis lost the job (flushed before it ran): nothing in Redis, no receipt.
    await db.query(`UPDATE outbox_message SET relayed_at = $2 WHERE id = $1`, [timer.id, clock.now()]);
    const sweeps = await receipts('workflow-timers');
    await until(async () => (await receipts('workflow-timers')) >= sweeps + 2, 'deux balayages');
    expect((await db.query(`SELECT status FROM demand WHERE id = $1`, [id]))[0].status).toBe('awaiting_info');

    clock.advance(31 * DAY);
    await until(async () => (await db.query(`SELECT status FROM demand WHERE id = $1`, [id]))[0].status === 'refused', 'échéance appliquée');
    const [row] = await db.query(`SELECT last_error, relayed_at FROM outbox_message WHERE id = $1`, [timer.id]);
    expect(row.last_error).toBe('tâche perdue dans Redis : relancée par le balayage des échéances');
    expect(row.relayed_at).not.toBeNull();

    // Later sweeps, on both workers, find a receipt and do nothing more.
    const after = await receipts('workflow-timers');
    await until(async () => (await receipts('workflow-timers')) >= after + 4, 'quatre balayages de plus');
    const fired = await db.query(`SELECT count(*)::int AS n FROM demand_event WHERE demand_id = $1 AND kind = 'timer_fired'`, [id]);
    expect(fired[0].n).toBe(1);
  });

  it('purges the drafts expired at the injected clock’s now, and only those, with the files staged for them', async () => {
    const storage = engine.app.get<AttachmentStorage>(ATTACHMENT_STORAGE);
    const stage = async () => (await storage.put(Buffer.from('%PDF-1.4 brouillon'), { maxBytes: 1024 })).key;
    const insert = (expiresAt: Date, fileKey: string) =>
      db.query(
        `INSERT INTO draft (account_sub, teleservice_id, version_id, data, current_page, created_at, updated_at, expires_at)
         VALUES ('citoyen-brouillon', $1, $2, $5::jsonb, NULL, $3, $3, $4) RETURNING id`,
        [seed.simple.id, seed.simpleV1.id, T0, expiresAt, JSON.stringify({ piece: [{ name: 'justificatif.pdf', size: 18, mimeType: 'application/pdf', ref: fileKey }] })],
      );
    const [expiredFile, keptFile] = [await stage(), await stage()];
    const [expired] = await insert(new Date(clock.now().getTime() - 1_000), expiredFile);
    const [kept] = await insert(new Date(clock.now().getTime() + DAY), keptFile);
    await until(async () => (await db.query(`SELECT 1 FROM draft WHERE id = $1`, [expired.id])).length === 0, 'brouillon expiré supprimé');
    expect(await db.query(`SELECT id FROM draft WHERE id = $1`, [kept.id])).toEqual([{ id: kept.id }]);
    // `get` checks the file then opens it lazily: the purge may delete it in between (the stream then errors, ignored).
    const exists = (key: string) => storage.get(key).then((stream) => (stream.on('error', () => undefined).destroy(), true), () => false);
    await until(async () => !(await exists(expiredFile)), 'fichier du brouillon expiré supprimé');
    expect(await exists(keptFile)).toBe(true);
  });

  it('applies the territorial account’s inactivity rule: an account unused for 700 days gets its warning mail, once', async () => {
    const lastLogin = new Date(clock.now().getTime() - 701 * DAY);
    const [account] = await db.query(
      `INSERT INTO identity.account (email, certification_level, certified_attributes, created_at, last_login_at)
       VALUES ('endormi.planifie@example.org', 'none', '{}', $1, $1) RETURNING id`,
      [lastLogin],
    );
    await until(async () => (await db.query(`SELECT inactivity_warned_at FROM identity.account WHERE id = $1`, [account.id]))[0].inactivity_warned_at !== null, 'compte averti');
    const runs = await receipts('account-inactivity');
    await until(async () => (await receipts('account-inactivity')) >= runs + 2, 'deux passages de plus');
    const mails = await db.query(`SELECT count(*)::int AS n FROM outbox_message WHERE job_name = 'mail.send' AND payload->>'to' = 'endormi.planifie@example.org'`);
    expect(mails[0].n).toBe(1);
  });

  it('ran each scheduled run once: the runs completed on both workers add up to the runs’ receipts, none twice', async () => {
    for (const id of ['workflow-timers', 'draft-purge', 'account-inactivity', 'agent-digest', 'storage-sweep', 'account-purge']) await scheduled().removeJobScheduler(id);
    await until(async () => {
      const counts = await scheduled().getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return counts.waiting + counts.active + counts.delayed + counts.prioritized === 0;
    }, 'file des travaux planifiés vide');
    const jobs = ['schedule.workflow-timers', 'schedule.draft-purge', 'schedule.account-inactivity'] as const;
    const ran = () => {
      const snapshots = workers.map((w) => w.app.get(QueueMetrics).snapshot());
      return Object.fromEntries(jobs.map((job) => [job, snapshots.map((s) => s.completed[job] ?? 0)]));
    };
    await until(async () => {
      const counts = ran();
      return counts['schedule.workflow-timers']!.reduce((a, b) => a + b) === (await receipts('workflow-timers')) &&
        counts['schedule.draft-purge']!.reduce((a, b) => a + b) === (await receipts('draft-purge')) &&
        counts['schedule.account-inactivity']!.reduce((a, b) => a + b) === (await receipts('account-inactivity'));
    }, 'chaque exécution comptée une fois');
    const counts = ran();
    expect(counts['schedule.workflow-timers']!.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(6);
    for (const w of workers) expect(w.app.get(QueueMetrics).snapshot().duplicates).toEqual({});
  });
});
