import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { fromRoot } from '#core';
import { OutboxService, QueueRegistry } from '#queue';
import {
  createTestDatabase,
  startSmtpSink,
  startTcpProxy,
  startTestApp,
  testEnvironment,
  testInfrastructure,
  testRedisPrefix,
  type SmtpSink,
  type TcpProxy,
  type TestApp,
  type TestDatabase,
} from '#testing';
import { engineApp } from '../../apps/engine/engine.app.js';
import { seedEngine, type EngineSeed } from '../../apps/engine/engine-test-fixture.js';
import { workerApp } from '../../apps/worker/worker.app.js';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(50);
  }
}

/**
 * Redis is cut under the engine (its per-key rate limit is then not applied) and the worker (relay and BullMQ)
 * while a demand is submitted: the demand and its outbox rows are stored, the mail leaves once Redis is back.
 */
describe('a submission while Redis is down: stored at once, its notification sent once Redis is back', () => {
  let sink: SmtpSink;
  let redisProxy: TcpProxy;
  let engine: TestApp;
  let worker: TestApp;
  let seed: EngineSeed;
  let storageDir: string;

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-redis-down-'));
    sink = await startSmtpSink();
    redisProxy = await startTcpProxy(testInfrastructure().redisUrl);
    const redisUrl = redisProxy.via(testInfrastructure().redisUrl);
    engine = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir, REDIS_URL: redisUrl } });
    seed = await seedEngine(engine.app.get(DataSource));
    worker = await startTestApp(workerApp, { database: engine.database, env: { STORAGE_DIR: storageDir, REDIS_URL: redisUrl, SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
  });
  afterAll(async () => {
    redisProxy?.up();
    await worker?.close();
    await engine?.close();
    await redisProxy?.close();
    await sink?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('accepts the demand (the outbox holds its mail), then delivers the mail once when Redis returns', async () => {
    const db = engine.app.get(DataSource);
    redisProxy.down();
    const res = await fetch(`${engine.url}/api/v1/teleservices/demande-simple/demands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seed.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { nom: 'Camille', courriel: 'camille.redis@example.org', motif: 'bruit' } }),
    });
    expect(res.status).toBe(201);
    const { demand } = (await res.json()) as { demand: { id: string; trackingCode: string } };
    expect((await db.query(`SELECT status FROM demand WHERE id = $1`, [demand.id]))[0].status).toBe('received');
    const key = `mail.send/demand/${demand.id}/1-ack/email`;
    // The relay tries, fails, and keeps the row.
    await until(async () => ((await db.query(`SELECT attempts FROM outbox_message WHERE job_key = $1`, [key]))[0]?.attempts ?? 0) >= 1, 'relais tenté pendant la panne');
    expect((await db.query(`SELECT relayed_at FROM outbox_message WHERE job_key = $1`, [key]))[0].relayed_at).toBeNull();
    expect(sink.messages.filter((m) => m.to.includes('camille.redis@example.org'))).toHaveLength(0);

    redisProxy.up();
    const mail = await sink.waitFor((m) => m.to.includes('camille.redis@example.org'), 30_000);
    expect(mail.subject).toBe(`Votre demande ${demand.trackingCode} a bien été reçue`);
    const queue = worker.app.get(QueueRegistry).queue('notifications');
    await until(async () => (await (await queue.getJob(key))?.getState()) === 'completed', 'tâche terminée');
    await sleep(300);
    expect(sink.messages.filter((m) => m.to.includes('camille.redis@example.org'))).toHaveLength(1);
  });
});

describe('SMTP answering 4xx, then accepting', () => {
  let sink: SmtpSink;
  let worker: TestApp;

  beforeAll(async () => {
    sink = await startSmtpSink();
    worker = await startTestApp(workerApp, { env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
  });
  afterAll(async () => {
    await worker?.close();
    await sink?.close();
  });

  it('retries with backoff and delivers the mail once', async () => {
    sink.deferNext(2);
    const db = worker.app.get(DataSource);
    await db.transaction((manager) =>
      worker.app.get(OutboxService).add(manager, 'mail.send', { to: 'differe@example.org', subject: 'Différé puis accepté', text: 'Bonjour' }, { key: 'smtp-451' }),
    );
    const queue = worker.app.get(QueueRegistry).queue('notifications');
    await until(async () => (await (await queue.getJob('mail.send/smtp-451'))?.getState()) === 'completed', 'courriel remis après deux refus temporaires', 30_000);
    expect((await queue.getJob('mail.send/smtp-451'))?.attemptsMade).toBe(3);
    await sleep(300);
    expect(sink.messages.filter((m) => m.to.includes('differe@example.org'))).toHaveLength(1);
  });
});

/**
 * The real worker (`node dist/apps/worker/main.js`) killed with SIGKILL while it sends a batch, then started again:
 * BullMQ hands the jobs the dead process held to the new one once their lock expires (stalled jobs), the receipts
 * skip what was done. SMTP cannot be exactly-once: a mail the server accepted just before the kill, before its
 * receipt was written, is sent again — with the same Message-ID (derived from the job key), so a mail client shows
 * one. The test therefore counts mails by Message-ID, and checks that a copy can only be such an in-flight mail.
 */
describe('the worker process SIGKILLed in the middle of a batch, then restarted', () => {
  const COUNT = 150;
  let sink: SmtpSink;
  let database: TestDatabase;
  let engine: TestApp;
  const children = new Set<ChildProcess>();
  const prefix = testRedisPrefix();

  const startWorker = () => {
    const child = spawn(process.execPath, [fromRoot('dist/apps/worker/main.js')], {
      cwd: fromRoot(),
      env: testEnvironment(database, { SMTP_URL: sink.url, WORKER_PORT: '0', OUTBOX_POLL_MS: '50', QUEUE_LOCK_MS: '5000', REDIS_PREFIX: prefix, LOG_LEVEL: 'silent' }),
      stdio: 'ignore',
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  };
  const mails = () => sink.messages.filter((m) => m.subject.startsWith('coupure n°'));

  beforeAll(async () => {
    sink = await startSmtpSink();
    database = await createTestDatabase();
    engine = await startTestApp(engineApp, { database });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await engine?.close();
    await database?.drop();
    await sink?.close();
  });

  it('delivers every mail after the restart, none twice but a mail in flight at the kill (same Message-ID)', async () => {
    const db = engine.app.get(DataSource);
    const outbox = engine.app.get(OutboxService);
    await db.transaction(async (manager) => {
      for (let i = 0; i < COUNT; i++) {
        await outbox.add(manager, 'mail.send', { to: `usager${i}@example.org`, subject: `coupure n°${i}`, text: `Message ${i}` }, { key: `coupure-${i}` });
      }
    });
    const first = startWorker();
    await until(() => mails().length >= 3, 'premiers courriels envoyés', 30_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => (first.exitCode !== null || first.signalCode !== null ? resolve(undefined) : first.once('exit', resolve)));
    const atKill = mails().length;
    expect(atKill).toBeLessThan(COUNT);

    startWorker();
    const receipts = async () =>
      Number((await db.query<{ n: string }[]>(`SELECT count(*) AS n FROM job_receipt WHERE job_key LIKE 'mail.send/coupure-%'`))[0]!.n);
    await until(async () => (await receipts()) === COUNT, 'tous les courriels envoyés après la reprise', 90_000);
    await sleep(500);

    const bySubject = new Map<string, Set<string>>();
    for (const m of mails()) bySubject.set(m.subject, (bySubject.get(m.subject) ?? new Set()).add(m.headers['message-id']!));
    expect(bySubject.size).toBe(COUNT);
    for (const ids of bySubject.values()) expect(ids.size).toBe(1);
    // Copies (same Message-ID) can only be mails that were being sent at the kill: at most one per concurrent job.
    expect(mails().length - COUNT).toBeLessThanOrEqual(5);
  }, 120_000);
});
