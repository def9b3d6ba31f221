import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { ManualClock } from '#core';
import { OutboxRelay, OutboxService } from '#queue';
import { startSmtpSink, startTestApp, type SmtpSink, type TestApp } from '#testing';
import { workerApp } from './worker.app.js';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(25);
  }
}

describe('the worker app: GET /metrics (Prometheus) and nothing else besides /health', () => {
  let sink: SmtpSink;
  let app: TestApp;

  const scrape = async () => {
    const res = await fetch(`${app.url}/metrics`);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    app = await startTestApp(workerApp, { env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
  });
  afterAll(async () => {
    await app?.close();
    await sink?.close();
  });

  it('reports the outbox backlog and its age, then the relayed rows, completed jobs and queue counts', async () => {
    const relay = app.app.get(OutboxRelay);
    await relay.stop();
    const dataSource = app.app.get(DataSource);
    const outbox = app.app.get(OutboxService);
    await dataSource.transaction(async (manager) => {
      for (let i = 0; i < 3; i++) {
        await outbox.add(manager, 'mail.send', { to: `usager${i}@example.org`, subject: `Métriques ${i}`, text: 'Bonjour' }, { key: `metrics-${i}` });
      }
    });
    (app.clock as ManualClock).advance(90_000);

    const waiting = await scrape();
    expect(waiting.status).toBe(200);
    expect(waiting.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = waiting.body.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE parvis_outbox_pending_messages gauge',
        'parvis_outbox_pending_messages 3',
        '# TYPE parvis_outbox_oldest_pending_age_seconds gauge',
        'parvis_outbox_oldest_pending_age_seconds 90',
        '# TYPE parvis_outbox_relayed_total counter',
        'parvis_outbox_relayed_total 0',
        'parvis_jobs_completed_total{job="mail.send",queue="notifications"} 0',
        'parvis_jobs_failed_total{job="mail.send",queue="notifications"} 0',
        'parvis_queue_jobs{queue="notifications",state="waiting"} 0',
        'parvis_queue_jobs{queue="notifications",state="active"} 0',
        'parvis_queue_jobs{queue="notifications",state="delayed"} 0',
        'parvis_queue_jobs{queue="notifications",state="failed"} 0',
        'parvis_metrics_source_up{source="postgres"} 1',
        'parvis_metrics_source_up{source="redis"} 1',
      ]),
    );

    relay.start();
    await sink.waitForCount(3);
    await until(async () => (await scrape()).body.includes('parvis_jobs_completed_total{job="mail.send",queue="notifications"} 3'), '3 tâches terminées');
    const done = (await scrape()).body.split('\n');
    expect(done).toEqual(
      expect.arrayContaining([
        'parvis_outbox_pending_messages 0',
        'parvis_outbox_oldest_pending_age_seconds 0',
        'parvis_outbox_relayed_total 3',
        'parvis_jobs_failed_total{job="mail.send",queue="notifications"} 0',
      ]),
    );
    // No personal data in the metrics.
    expect(done.join('\n')).not.toContain('@example.org');
  });

  it('exposes /health next to /metrics, and no other route', async () => {
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
    expect((await fetch(`${app.url}/`)).status).toBe(404);
    expect((await fetch(`${app.url}/api/jobs`)).status).toBe(404);
    expect((await fetch(`${app.url}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});
