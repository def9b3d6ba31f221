import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { OutboxService, QueueRegistry } from '#queue';
import { runScript, startSmtpSink, startTestApp, type SmtpSink, type TestApp } from '#testing';
import { workerApp } from './worker.app.js';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(25);
  }
}

const TOKEN = 'jeton-du-tableau-de-bord-de-test-0123456789';

/** The platform team's queue dashboard (bull-board) at /files of the worker: behind its token, retries only. */
describe('the queue dashboard of the worker (/files)', () => {
  let sink: SmtpSink;
  let app: TestApp;

  const call = (path: string, init: RequestInit & { auth?: string | null } = {}) => {
    const { auth = `Bearer ${TOKEN}`, headers, ...rest } = init;
    return fetch(`${app.url}${path}`, { ...rest, headers: { ...(auth ? { authorization: auth } : {}), ...(headers as Record<string, string>) } });
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    app = await startTestApp(workerApp, { env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50', WORKER_DASHBOARD_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await app?.close();
    await sink?.close();
  });

  it('refuses anyone without the token, and asks a browser for it', async () => {
    for (const auth of [null, 'Bearer mauvais-jeton', `Basic ${Buffer.from('equipe:mauvais').toString('base64')}`]) {
      const res = await call('/files', { auth });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Parvis files", charset="UTF-8"');
      expect(await res.json()).toEqual({ code: 'DASHBOARD_UNAUTHORIZED', message: 'Jeton du tableau de bord requis.' });
    }
    expect((await call('/files/api/queues', { auth: null })).status).toBe(401);
  });

  it('shows the queues to the platform team (Bearer, or Basic with the token as password)', async () => {
    const page = await call('/files', { auth: `Basic ${Buffer.from(`equipe:${TOKEN}`).toString('base64')}` });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const api = await call('/files/api/queues');
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['demands', 'notifications', 'scheduled']);
  });

  it('lets an operator retry a failed job, which then delivers once; other changes are refused', async () => {
    sink.rejectRecipients.add('temporairement-refuse@example.org');
    const db = app.app.get(DataSource);
    await db.transaction((manager) =>
      app.app.get(OutboxService).add(manager, 'mail.send', { to: 'temporairement-refuse@example.org', subject: 'Relance', text: 'Bonjour' }, { key: 'tableau-1' }),
    );
    const queue = app.app.get(QueueRegistry).queue('notifications');
    await until(async () => (await (await queue.getJob('mail.send/tableau-1'))?.getState()) === 'failed', 'tâche en échec');
    const failed = await call('/files/api/queues?activeQueue=notifications&status=failed');
    expect(failed.status).toBe(200);
    expect(JSON.stringify(await failed.json())).toContain('MAIL_REJECTED');

    // Refused: another origin, adding or cleaning jobs.
    expect((await call(`/files/api/queues/notifications/${encodeURIComponent('mail.send/tableau-1')}/retry`, { method: 'PUT', headers: { origin: 'https://ailleurs.example' } })).status).toBe(403);
    const add = await call('/files/api/queues/notifications/add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'mail.send', data: {} }) });
    expect(add.status).toBe(403);
    expect(((await add.json()) as { code: string }).code).toBe('DASHBOARD_FORBIDDEN_CHANGE');
    expect((await call('/files/api/queues/notifications/clean/failed', { method: 'PUT' })).status).toBe(403);

    // The address is fixed on the server's side; the operator retries.
    sink.rejectRecipients.clear();
    const retry = await call(`/files/api/queues/notifications/${encodeURIComponent('mail.send/tableau-1')}/retry`, { method: 'PUT' });
    expect(retry.status).toBe(204);
    await sink.waitFor((m) => m.to.includes('temporairement-refuse@example.org'));
    await until(async () => (await (await queue.getJob('mail.send/tableau-1'))?.getState()) === 'completed', 'tâche relancée terminée');
    expect(sink.messages.filter((m) => m.to.includes('temporairement-refuse@example.org'))).toHaveLength(1);

    // Send latency is in the metrics.
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toContain('parvis_job_duration_seconds_count{job="mail.send",queue="notifications"} 1');
    expect(metrics).toContain('parvis_jobs_failed_total{job="mail.send",queue="notifications"} 1');
  });

  it('lists and retries failed jobs from the command line too (node dist/tools/queue-jobs.js)', async () => {
    sink.rejectRecipients.add('cli@example.org');
    const db = app.app.get(DataSource);
    await db.transaction((manager) => app.app.get(OutboxService).add(manager, 'mail.send', { to: 'cli@example.org', subject: 'Relance CLI', text: 'Bonjour' }, { key: 'cli-1' }));
    const queue = app.app.get(QueueRegistry).queue('notifications');
    await until(async () => (await (await queue.getJob('mail.send/cli-1'))?.getState()) === 'failed', 'tâche en échec');
    const env = { ...process.env, REDIS_URL: app.config.redis.url, REDIS_PREFIX: app.config.redis.prefix };

    const listed = await runScript('tools/queue-jobs.js', { env, args: ['failed', '--queue', 'notifications'] });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^notifications\tmail\.send\tmail\.send\/cli-1\t1 tentative\(s\)\t\d{4}-\d\d-\d\dT[^\t]+\tMAIL_REJECTED : /m);
    expect(listed.stdout).not.toContain('cli@example.org');

    expect((await runScript('tools/queue-jobs.js', { env, args: ['retry', '--queue', 'notifications'] })).code).toBe(64);
    sink.rejectRecipients.clear();
    const retried = await runScript('tools/queue-jobs.js', { env, args: ['retry', '--queue', 'notifications', '--job', 'mail.send/cli-1'] });
    expect(retried).toMatchObject({ code: 0, stdout: 'Tâche mail.send/cli-1 relancée.\n' });
    await sink.waitFor((m) => m.to.includes('cli@example.org'));
    await until(async () => (await (await queue.getJob('mail.send/cli-1'))?.getState()) === 'completed', 'tâche relancée terminée');
    expect(sink.messages.filter((m) => m.to.includes('cli@example.org'))).toHaveLength(1);
  });
});
