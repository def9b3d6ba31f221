import { randomBytes } from 'node:crypto';
import { createLogger } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS, useOrStartServices } from '#platform';
import { prepareTemplate } from './template.js';
import { withAdminClient } from './test-database.js';
import { databaseUrl } from './test-env.js';

/**
 * Once per `npm test`: find PostgreSQL and Redis (DATABASE_URL / REDIS_URL, else the embedded ones),
 * build a migrated template database, and hand its coordinates to the suites.
 */
export default async function globalSetup() {
  const stops: (() => Promise<void>)[] = [];
  globalThis.__parvisTestStop = stops;
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

  const services = await useOrStartServices('test', { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
  stops.push(services.stop);
  const adminUrl = services.databaseUrl;
  const redisUrl = services.redisUrl;

  const template = `parvis_tpl_${runId}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE "${template}"`));
  const dataSource = createDataSource({
    url: databaseUrl(adminUrl, template),
    applicationName: 'parvis-test-template',
    entities: ALL_ENTITIES,
    migrations: ALL_MIGRATIONS,
    poolSize: 2,
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    await prepareTemplate(dataSource, createLogger({ level: 'silent', app: 'test' }));
  } finally {
    await dataSource.destroy();
  }

  process.env.PARVIS_TEST_ADMIN_URL = adminUrl;
  process.env.PARVIS_TEST_TEMPLATE = template;
  process.env.PARVIS_TEST_RUN = runId;
  process.env.PARVIS_TEST_REDIS_URL = redisUrl;
}
