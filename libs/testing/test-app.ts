import { randomBytes } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import { Clock, createLogger, loadConfig, ManualClock, type AppConfig } from '#core';
import { createHttpApp, type HttpAppSpec } from '#platform';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { testInfrastructure } from './test-env.js';

export interface TestApp {
  app: NestExpressApplication;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  config: AppConfig;
  logger: Logger;
  clock: Clock;
  database: TestDatabase;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra or overriding environment variables. */
  env?: Record<string, string>;
  /** Defaults to a ManualClock. */
  clock?: Clock;
  /** Reuse a database (several apps on one database); by default each app gets its own clone. */
  database?: TestDatabase;
}

/** A unique Redis key prefix for one suite: BullMQ queues and keys never collide between suites or runs. */
export function testRedisPrefix(): string {
  return `test:${testInfrastructure().runId}:${randomBytes(4).toString('hex')}`;
}

/** Environment for an app under test: its own database clone, its own Redis prefix, silent logs. */
export function testEnvironment(database: TestDatabase, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const infra = testInfrastructure();
  return {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: infra.redisUrl,
    REDIS_PREFIX: testRedisPrefix(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  };
}

/** Boots a real app (real PostgreSQL clone, real Redis) on a free port of 127.0.0.1. */
export async function startTestApp(spec: HttpAppSpec, options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const ownDatabase = !options.database;
  const config = loadConfig(testEnvironment(database, options.env));
  const logger = createLogger({ level: config.logLevel, app: spec.app });
  const clock = options.clock ?? new ManualClock();
  const app = await createHttpApp(spec, { app: spec.app, config, logger, clock });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    config,
    logger,
    clock,
    database,
    async close() {
      await app.close();
      if (ownDatabase) await database.drop();
    },
  };
}
