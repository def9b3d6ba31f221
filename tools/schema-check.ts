import 'reflect-metadata';
import { pendingSchemaChanges, triggerDifferences } from '#db';
import { databaseUrlFromEnv, runCli, withMigratedTemporaryDatabase } from './cli-support.js';

/**
 * `npm run schema:check` — do the entities and the migrations agree? On the server of DATABASE_URL,
 * an empty temporary database `parvis_schema_check_<random>` is migrated, compared with the entities,
 * then dropped: the configured database and its data are never touched. Besides TypeORM's diff, the triggers
 * declared on entities (`@DatabaseTrigger`, libs/db/schema-declarations.ts) must be exactly the tables' triggers.
 * Exit codes: 0 agree ("Schéma à jour"), 1 they disagree (the missing SQL is printed) or failure,
 * 78 bad configuration.
 */
runCli('schema-check', async () => {
  const url = databaseUrlFromEnv();
  const { missing, triggers } = await withMigratedTemporaryDatabase(url, 'parvis_schema_check', async (dataSource) => ({
    missing: await pendingSchemaChanges(dataSource),
    triggers: await triggerDifferences(dataSource),
  }));
  if (missing.length === 0 && triggers.length === 0) {
    console.log('Schéma à jour : les migrations correspondent aux entités.');
    return 0;
  }
  if (missing.length) {
    console.log(`Les entités et les migrations ne concordent pas : après les migrations, il faudrait encore ${missing.length} requête(s) :\n`);
    for (const query of missing) console.log(`${query.trim()};`);
    console.log('\nCorrigez l’entité, ou générez la migration manquante : npm run migration:generate -- NomDeLaMigration');
  }
  if (triggers.length) {
    console.log(`Les déclencheurs déclarés sur les entités (@DatabaseTrigger) et ceux des migrations diffèrent :\n`);
    for (const line of triggers) console.log(line);
  }
  return 1;
});
