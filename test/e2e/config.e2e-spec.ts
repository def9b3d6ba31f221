import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envSchema, fromRoot } from '#core';
import { runScript } from '#testing';

/**
 * A wrong environment stops a process before it does anything, with exit code 78 (EX_CONFIG) and a
 * message naming the variable — for each app, the launcher and the database tools alike.
 */

/** The test runner's environment without any variable the platform reads, plus `overrides`. */
function cleanEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of [...Object.keys(envSchema.shape), 'EMBEDDED_PG_PORT', 'EMBEDDED_REDIS_PORT', 'REDIS_SERVER_BIN', 'PARVIS_DATA_DIR']) delete env[key];
  return { ...env, ...overrides };
}

function run(script: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  return runScript(script, { env, args, timeoutMs: 20_000 });
}

const VALID = { DATABASE_URL: 'postgres://parvis@127.0.0.1:1/parvis', REDIS_URL: 'redis://127.0.0.1:1' };

describe('an app started with a wrong environment', () => {
  it('stops with code 78 naming DATABASE_URL when it is missing', async () => {
    const { code, stderr } = await run('apps/portal/main.js', cleanEnv({ REDIS_URL: VALID.REDIS_URL }));
    expect(code).toBe(78);
    expect(stderr).toContain('DATABASE_URL');
    expect(stderr).toContain('variable obligatoire manquante');
    expect(stderr).not.toContain('REDIS_URL');
  });

  it('stops with code 78 naming REDIS_URL when it is not a URL', async () => {
    const { code, stderr } = await run('apps/portal/main.js', cleanEnv({ DATABASE_URL: VALID.DATABASE_URL, REDIS_URL: 'not-a-url' }));
    expect(code).toBe(78);
    expect(stderr).toMatch(/REDIS_URL : doit être une URL redis:\/\//);
    expect(stderr).not.toContain('DATABASE_URL');
  });

  it('stops with code 78 naming PORTAL_PORT when it is not a number', async () => {
    const { code, stderr } = await run('apps/portal/main.js', cleanEnv({ ...VALID, PORTAL_PORT: 'abc' }));
    expect(code).toBe(78);
    expect(stderr).toContain('PORTAL_PORT');
    expect(stderr).not.toMatch(/DATABASE_URL|REDIS_URL/);
  });
});

describe('the launcher started with a wrong environment', () => {
  it('stops with code 78 naming PORTAL_PORT, before starting anything', async () => {
    const dataDir = join(tmpdir(), `parvis-never-created-${process.pid}`);
    const { code, stderr } = await run('tools/launcher.js', cleanEnv({ PORTAL_PORT: 'abc', PARVIS_DATA_DIR: dataDir }));
    expect(code).toBe(78);
    expect(stderr).toContain('PORTAL_PORT');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('stops with code 78 naming EMBEDDED_PG_PORT when it is not a port', async () => {
    const { code, stderr } = await run('tools/launcher.js', cleanEnv({ EMBEDDED_PG_PORT: '70000' }));
    expect(code).toBe(78);
    expect(stderr).toContain('EMBEDDED_PG_PORT');
  });

  it('says in French what to install when redis-server is missing and REDIS_URL is unset, before starting PostgreSQL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parvis-no-redis-'));
    try {
      const { code, stderr } = await run(
        'tools/launcher.js',
        cleanEnv({ REDIS_SERVER_BIN: join(dataDir, 'pas-de-redis-server'), PARVIS_DATA_DIR: dataDir }),
      );
      expect(code).toBe(1);
      expect(stderr).toContain('redis-server est introuvable');
      expect(stderr).toContain('apt-get install redis-server');
      expect(stderr).toContain('REDIS_URL');
      expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('names the variable of an app port that is already taken', async () => {
    const server: Server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as { port: number }).port;
    try {
      const { code, stderr } = await run('tools/launcher.js', cleanEnv({ ...VALID, BACKOFFICE_PORT: String(port) }));
      expect(code).toBe(1);
      expect(stderr).toContain(`Le port ${port} (BACKOFFICE_PORT`);
      expect(stderr).toContain('déjà utilisé');
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});

describe('the database tools started with a wrong environment', () => {
  it.each([['tools/migrate.js'], ['tools/schema-check.js'], ['tools/migration-generate.js']])(
    '%s stops with code 78 naming DATABASE_URL, and needs nothing else',
    async (script) => {
      const missing = await run(script, cleanEnv({}), script.endsWith('generate.js') ? ['AddSomething'] : []);
      expect(missing.code).toBe(78);
      expect(missing.stderr).toContain('DATABASE_URL : variable obligatoire manquante');
      expect(missing.stderr).not.toContain('REDIS_URL');

      const wrong = await run(script, cleanEnv({ DATABASE_URL: 'mysql://localhost/parvis' }), script.endsWith('generate.js') ? ['AddSomething'] : []);
      expect(wrong.code).toBe(78);
      expect(wrong.stderr).toMatch(/DATABASE_URL : doit être une URL postgres:\/\//);
    },
  );
});

describe('.env.example', () => {
  it('documents every variable the platform reads, each with a comment', () => {
    const lines = readFileSync(fromRoot('.env.example'), 'utf8').split('\n');
    const variables = [
      ...Object.keys(envSchema.shape),
      'PARVIS_DATA_DIR',
      'EMBEDDED_PG_PORT',
      'EMBEDDED_REDIS_PORT',
      'REDIS_SERVER_BIN',
      'CHROMIUM_PATH',
      'TEST_LOG_LEVEL',
    ];
    for (const variable of variables) {
      const at = lines.findIndex((line) => new RegExp(`^(# )?${variable}=`).test(line));
      expect({ variable, documented: at > 0 }).toEqual({ variable, documented: true });
      expect({ variable, comment: lines[at - 1]?.startsWith('# ') }).toEqual({ variable, comment: true });
    }
  });
});
