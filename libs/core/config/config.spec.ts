import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

const valid = { DATABASE_URL: 'postgres://u:p@db:5432/parvis', REDIS_URL: 'redis://cache:6379' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => p.variable);
  }
  throw new Error('loadConfig aurait dû refuser cet environnement');
}

describe('loadConfig', () => {
  it('returns a typed config with defaults for everything optional', () => {
    const config = loadConfig(valid);
    expect(config.database.url).toBe(valid.DATABASE_URL);
    expect(config.redis).toEqual({ url: valid.REDIS_URL, prefix: 'parvis' });
    expect(config.ports).toEqual({ portal: 3000, backoffice: 3001, engine: 3002, identity: 3003, worker: 3004 });
    expect(config.env).toBe('development');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('coerces numbers and treats empty strings as unset', () => {
    const config = loadConfig({ ...valid, PORTAL_PORT: '8080', WORKER_PORT: '', LOG_LEVEL: 'debug' });
    expect(config.ports.portal).toBe(8080);
    expect(config.ports.worker).toBe(3004);
    expect(config.logLevel).toBe('debug');
  });

  it('names each missing variable', () => {
    expect(problems({})).toEqual(['DATABASE_URL', 'REDIS_URL']);
    const error = (() => {
      try {
        loadConfig({ REDIS_URL: valid.REDIS_URL });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.message).toContain('DATABASE_URL : variable obligatoire manquante');
  });

  it('names each malformed variable', () => {
    expect(problems({ ...valid, REDIS_URL: 'not-a-url' })).toEqual(['REDIS_URL']);
    expect(problems({ ...valid, DATABASE_URL: 'mysql://x@y/z' })).toEqual(['DATABASE_URL']);
    expect(problems({ ...valid, PORTAL_PORT: 'abc', NODE_ENV: 'staging' }).sort()).toEqual(['NODE_ENV', 'PORTAL_PORT']);
    expect(problems({ ...valid, REDIS_PREFIX: 'a b' })).toEqual(['REDIS_PREFIX']);
  });

  it('never echoes the value of a variable (it may be a secret)', () => {
    try {
      loadConfig({ ...valid, DATABASE_URL: 'mysql://admin:s3cr3t@host/db' });
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cr3t');
    }
    expect.assertions(1);
  });
});
