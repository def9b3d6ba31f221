import 'reflect-metadata';
import { AccountErasure } from '#accounts';
import { createLogger, loadConfig, SystemClock } from '#core';
import { connectWithRetry } from '#db';
import { OutboxService } from '#queue';
import { databaseUrlFromEnv, EXIT_CONFIG, EXIT_USAGE, platformDataSource, runCli } from './cli-support.js';

/**
 * `node dist/tools/identity-accounts.js apply-inactivity` — the data-protection rule of the territorial account,
 * one pass (idempotent; meant to run daily): warns by mail the accounts unused for two years minus a month,
 * deletes with their personal data those unused for two years and warned a month ago or more, and forgets
 * deletions older than a year (the deleted-accounts service lists a year). Mails go through the outbox (the
 * worker sends them). Reads DATABASE_URL and IDENTITY_PUBLIC_URL (the login link of the warning mail).
 * Exit codes: 0 done, 1 failure, 64 bad arguments, 78 bad configuration.
 */
const USAGE = 'Usage : node dist/tools/identity-accounts.js apply-inactivity';

runCli('identity-accounts', async () => {
  if (process.argv[2] !== 'apply-inactivity' || process.argv.length > 3) {
    console.error(USAGE);
    return EXIT_USAGE;
  }
  const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', ...process.env, DATABASE_URL: databaseUrlFromEnv() });
  if (config.env === 'production' && !config.identity.publicUrl) {
    console.error('IDENTITY_PUBLIC_URL est obligatoire en production (lien de connexion du courriel d’avertissement).');
    return EXIT_CONFIG;
  }
  const loginLink = `${config.identity.publicUrl ?? `http://127.0.0.1:${config.ports.identity}`}/compte/connexion`;
  const dataSource = platformDataSource(config.database.url, 'parvis-identity-accounts');
  await connectWithRetry(dataSource, createLogger({ level: 'warn', app: 'identity-accounts' }), 15_000);
  try {
    const clock = new SystemClock();
    const result = await new AccountErasure(dataSource, clock, new OutboxService(clock), config).applyInactivityRule(loginLink);
    console.log(`Comptes avertis : ${result.warned} ; comptes supprimés : ${result.deleted} ; suppressions oubliées (plus d’un an) : ${result.forgotten}.`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
});
