/**
 * `npm run seed`: brings the database schema up to date (pending migrations), then loads the territory's
 * reference data (the metropolis and its 58 communes) and the demo set (memberships and instances).
 * Idempotent: re-running changes only what the reference data changed and adds only what is missing.
 *
 *   --reference-only   reference data only, no demo set (also the default when NODE_ENV=production)
 *
 * Exit codes: 0 done, 1 failure, 64 unknown argument, 78 invalid configuration.
 */
import 'reflect-metadata';
import { ConfigError, createLogger, loadConfig, SystemClock, type AppConfig } from '#core';
import { connectWithRetry, createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { seedDemoCatalogue } from '#teleservices';
import { ClientService, seedIdentityClients } from '#accounts';
import { seedDemo, seedReferenceData } from '#territory';

const USAGE = 'Usage : npm run seed [-- --reference-only]';

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--reference-only');
  if (unknown.length) {
    process.stderr.write(`Argument inconnu : ${unknown.join(' ')}\n${USAGE}\n`);
    return 64; // EX_USAGE
  }
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`[parvis-seed] ${error.message}\n`);
      return 78; // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, app: 'seed' });
  const referenceOnly = argv.includes('--reference-only') || config.env === 'production';

  const dataSource = createDataSource({
    url: config.database.url,
    poolSize: 2,
    applicationName: 'parvis-seed',
    entities: ALL_ENTITIES,
    migrations: ALL_MIGRATIONS,
  });
  try {
    await connectWithRetry(dataSource, logger);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    logger.info(
      { migrations: applied.map((m) => m.name) },
      applied.length ? `${applied.length} migration(s) appliquée(s)` : 'Schéma à jour : aucune migration en attente',
    );

    const reference = await seedReferenceData(dataSource);
    logger.info(
      reference,
      `Données de référence : ${reference.collectivities} collectivités (${reference.inserted} créée(s), ` +
        `${reference.updated} mise(s) à jour, ${reference.unchanged} inchangée(s))`,
    );

    if (referenceOnly) {
      logger.info(config.env === 'production' ? 'Jeu de démonstration ignoré en production' : 'Jeu de démonstration ignoré (--reference-only)');
    } else {
      const demo = await seedDemo(dataSource, new SystemClock());
      logger.info(
        demo,
        `Démonstration : ${demo.membershipsCreated} adhésion(s) créée(s) sur ${demo.memberships}, ` +
          `${demo.instancesCreated} instance(s) créée(s) sur ${demo.instances}`,
      );
      const catalogue = await seedDemoCatalogue(dataSource, new SystemClock());
      logger.info(catalogue, `Catalogue de démonstration : ${catalogue.teleservices} téléservice(s), ${catalogue.created} créé(s), ${catalogue.published} version(s) publiée(s)`);
      // The portal's and back office's OIDC clients, with the public development secrets.
      const origin = (app: 'portal' | 'backoffice') => config.webApps[app].publicUrl ?? `http://${config.host}:${config.ports[app]}`;
      const clients = await seedIdentityClients(new ClientService(dataSource, new SystemClock(), config), {
        portal: origin('portal'),
        backoffice: origin('backoffice'),
      });
      logger.info(`Compte territorial : clients ${clients.map((client) => client.clientId).join(', ')} enregistrés`);
    }
    return 0;
  } catch (error) {
    logger.fatal({ err: error }, 'Chargement des données impossible');
    return 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

// Explicit exit: a pool or Redis handle left open must not keep the command alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[parvis-seed] Échec : ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
