/**
 * What global setup hands to every test file, through environment variables (Jest workers inherit
 * the parent's environment once global setup has run).
 */
export interface TestInfrastructure {
  /** Maintenance connection (database `postgres` or the one in DATABASE_URL). */
  adminUrl: string;
  /** Migrated (and reference-seeded) database every suite clones. */
  template: string;
  /** Unique per `npm test` run: prefixes databases and Redis keys, so concurrent runs never meet. */
  runId: string;
  redisUrl: string;
}

export function testInfrastructure(): TestInfrastructure {
  const { PARVIS_TEST_ADMIN_URL, PARVIS_TEST_TEMPLATE, PARVIS_TEST_RUN, PARVIS_TEST_REDIS_URL } = process.env;
  if (!PARVIS_TEST_ADMIN_URL || !PARVIS_TEST_TEMPLATE || !PARVIS_TEST_RUN || !PARVIS_TEST_REDIS_URL) {
    throw new Error("L'infrastructure de test n'est pas prête : lancez les tests avec « npm test » (global setup de Jest).");
  }
  return { adminUrl: PARVIS_TEST_ADMIN_URL, template: PARVIS_TEST_TEMPLATE, runId: PARVIS_TEST_RUN, redisUrl: PARVIS_TEST_REDIS_URL };
}

export function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

declare global {
  /** Stops for what global setup started (embedded PostgreSQL, local Redis); read by global teardown. */
  var __parvisTestStop: (() => Promise<void>)[] | undefined;
}
