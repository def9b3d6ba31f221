import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createLogger, ManualClock } from '#core';
import { WorkflowTimerJob } from '#demands';
import { givenMembership, startTestApp, type TestApp } from '#testing';
import { engineApp } from '../engine/engine.app.js';
import { seedEngine, T0, type EngineSeed } from '../engine/engine-test-fixture.js';
import { workerApp } from './worker.app.js';

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('demand jobs in the worker: demand.route and workflow.timer (PostgreSQL, Redis, relay, BullMQ)', () => {
  let engine: TestApp;
  let worker: TestApp;
  let db: DataSource;
  let seed: EngineSeed;
  let storageDir: string;
  const workerClock = new ManualClock(T0);

  const api = async (method: string, path: string, body?: unknown, key = seed.key) => {
    const res = await fetch(`${engine.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const report = async (lat: number, lon: number) =>
    (await api('POST', '/api/v1/teleservices/signalement-anomalie/demands', { data: { lieu: { lat, lon }, description: 'Dépôt sauvage' } })).body.demand.id as string;
  const eventsOf = (id: string) => db.query(`SELECT kind, visibility, collectivity_id, payload FROM demand_event WHERE demand_id = $1 ORDER BY id`, [id]);

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-jobs-'));
    engine = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = engine.app.get(DataSource);
    seed = await seedEngine(db);
    // Givors adheres (Partenaire): a routed demand is delivered to its GRU (a non-adhering commune without a contact
    // address would keep it with the metropolis; see routing-delivery.int-spec.ts).
    await givenMembership(db, '69091', 'partenaire');
    worker = await startTestApp(workerApp, { database: engine.database, clock: workerClock, env: { STORAGE_DIR: storageDir, OUTBOX_POLL_MS: '50' } });
  });

  afterAll(async () => {
    await worker?.close();
    await engine?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('routes a mutualised anomaly report with a map point in Givors to Givors, with the decision’s reason in the citizen-visible history', async () => {
    const id = await report(45.5906, 4.7693);
    const row = await until(async () => {
      const [found] = await db.query(`SELECT collectivity_id FROM demand WHERE id = $1`, [id]);
      return found.collectivity_id === seed.givorsId ? found : null;
    }, 'demande routée vers Givors');
    expect(row.collectivity_id).toBe(seed.givorsId);
    const events = await eventsOf(id);
    const routed = events.find((e: { kind: string }) => e.kind === 'routed');
    expect(routed).toMatchObject({ visibility: 'citizen', payload: { to: seed.givorsId, from: seed.metropolisId, decision: { outcome: 'routed', collectivity: { inseeCode: '69091' } } } });
    expect(routed.payload.text).toMatch(/Givors/);
    // History, and RLS, follow the demand: Givors' key reads it now, the metropolis' key no longer does.
    expect(new Set(events.map((e: { collectivity_id: string }) => e.collectivity_id))).toEqual(new Set([seed.givorsId]));
    expect((await api('GET', `/api/v1/demands/${id}`, undefined, seed.givorsKey)).status).toBe(200);
    expect((await api('GET', `/api/v1/demands/${id}`)).status).toBe(404);
  });

  it('keeps a report in the Pierre-Bénite boundary gap, or outside the territory, with the metropolis and an internal « à orienter » event', async () => {
    for (const [lat, lon] of [
      [45.703, 4.826],
      [48.8566, 2.3522],
    ]) {
      const id = await report(lat, lon);
      const pending = await until(async () => (await eventsOf(id)).find((e: { kind: string }) => e.kind === 'routing_pending'), 'événement à orienter');
      expect(pending.visibility).toBe('internal');
      expect(pending.payload.text).toMatch(/^Demande à orienter : /);
      const [row] = await db.query(`SELECT collectivity_id FROM demand WHERE id = $1`, [id]);
      expect(row.collectivity_id).toBe(seed.metropolisId);
    }
  });

  it('fires a due workflow timer through the outbox (30 days after a request for information) and drops a stale one', async () => {
    const submitted = await api('POST', '/api/v1/teleservices/demande-simple/demands', { data: { nom: 'Alix', courriel: 'alix@example.org', motif: 'bruit' } });
    const id = submitted.body.demand.id as string;
    expect((await api('POST', `/api/v1/demands/${id}/actions/take`)).status).toBe(200);
    expect((await api('POST', `/api/v1/demands/${id}/actions/ask-info`, { comment: 'Précisez l’adresse' })).status).toBe(200);

    // A timer for an action not due (another status's) is refused by the workflow and dropped, changing nothing.
    const handler = worker.app.get(WorkflowTimerJob);
    const context = { job: 'workflow.timer' as const, key: 'test', attempt: 1, maxAttempts: 1, correlationId: 'test', logger: createLogger({ level: 'silent', app: 'worker' }) };
    await handler.handle({ demandId: id, actionId: 'take', dueAt: T0.toISOString() }, context);
    const [before] = await db.query(`SELECT status, lock_version FROM demand WHERE id = $1`, [id]);
    expect(before).toEqual({ status: 'awaiting_info', lock_version: 3 });

    workerClock.advance(31 * 24 * 3600_000);
    const row = await until(async () => {
      const [found] = await db.query(`SELECT status, closed_at FROM demand WHERE id = $1`, [id]);
      return found.status === 'refused' ? found : null;
    }, 'échéance appliquée');
    expect(row.closed_at).not.toBeNull();
    const kinds = (await eventsOf(id)).map((e: { kind: string }) => e.kind);
    expect(kinds).toContain('timer_fired');
    // Replaying the same job is a no-op: the demand is closed, the refusal is dropped.
    await handler.handle({ demandId: id, actionId: 'relance', dueAt: '2026-02-14T09:00:00.000Z' }, context);
    expect((await eventsOf(id)).map((e: { kind: string }) => e.kind)).toEqual(kinds);
  });
});
