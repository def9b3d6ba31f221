import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';

/**
 * Fills the migrated template database once per run, before suites clone it.
 * Keep it to reference data every suite may rely on (the territory); tests create their own demo data.
 */
export async function prepareTemplate(_dataSource: DataSource, _logger: Logger): Promise<void> {
  // Reference data is loaded here by the territory lib (see libs/territory).
}
