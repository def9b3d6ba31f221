import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { seedReferenceData } from '#territory';

/**
 * Fills the migrated template database once per run, before suites clone it.
 * Keep it to reference data every suite may rely on (the territory); tests create their own demo data.
 */
export async function prepareTemplate(dataSource: DataSource, logger: Logger): Promise<void> {
  const territory = await seedReferenceData(dataSource);
  logger.info(territory, 'Modèle de base de test : données de référence du territoire chargées');
}
