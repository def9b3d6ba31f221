import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { engineApp } from '../../apps/engine/engine.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { workerApp } from '../../apps/worker/worker.app.js';
import { createTestDatabase, startTcpProxy, startTestApp, testInfrastructure, type TcpProxy, type TestApp, type TestDatabase } from '#testing';

async function health(app: TestApp) {
  const res = await fetch(`${app.url}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; app: string; checks: Record<string, { status: string }> } };
}

async function until<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

describe('GET /health on each of the five apps', () => {
  let database: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const spec of [portalApp, backofficeApp, engineApp, identityApp, workerApp]) {
      apps.push(await startTestApp(spec, { database }));
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database.drop();
  });

  it('answers 200 with PostgreSQL and Redis up, and names the app', async () => {
    for (const app of apps) {
      const { status, body } = await health(app);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
    }
    expect(await Promise.all(apps.map(async (a) => (await health(a)).body.app))).toEqual(['portal', 'backoffice', 'engine', 'identity', 'worker']);
  });
});

describe('GET /health when a dependency goes down and comes back', () => {
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let database: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    pgProxy = await startTcpProxy(database.url);
    redisProxy = await startTcpProxy(testInfrastructure().redisUrl);
    app = await startTestApp(portalApp, {
      database: { ...database, url: pgProxy.via(database.url) },
      env: { REDIS_URL: redisProxy.via(testInfrastructure().redisUrl) },
    });
  });
  afterAll(async () => {
    await app.close();
    await pgProxy.close();
    await redisProxy.close();
    await database.drop();
  });

  it('says 503 with postgres down while PostgreSQL is unreachable, keeps serving, then recovers without restart', async () => {
    pgProxy.down();
    const down = await until(() => health(app), (h) => h.status === 503);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('degraded');
    expect(down.body.checks.postgres.status).toBe('down');
    expect(down.body.checks.redis.status).toBe('up');
    // The process is alive: a page that needs the database says so in French with a 503, not a 500.
    const page = await fetch(`${app.url}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('30');
    expect(await page.text()).toContain('Le service est momentanément indisponible');
    const api = await fetch(`${app.url}/api/inconnue-mais-404`);
    expect(api.status).toBe(404);

    pgProxy.up();
    const back = await until(() => health(app), (h) => h.status === 200);
    expect(back.status).toBe(200);
    expect(back.body.checks.postgres.status).toBe('up');
  });

  it('says 503 with redis down while Redis is unreachable, then recovers', async () => {
    redisProxy.down();
    const down = await until(() => health(app), (h) => h.status === 503);
    expect(down.status).toBe(503);
    expect(down.body.checks.redis.status).toBe('down');
    expect(down.body.checks.postgres.status).toBe('up');

    redisProxy.up();
    const back = await until(() => health(app), (h) => h.status === 200);
    expect(back.status).toBe(200);
    expect(back.body.checks.redis.status).toBe('up');
  });
});
