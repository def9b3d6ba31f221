import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#core';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { DemandEngine } from '../engine/engine-context.js';
import { AccountPurge } from './account-purge.js';

/**
 * `schedule.account-purge` (hourly): reads the accounts the territorial account deleted since the last run (its
 * deleted-accounts service, with the portal's client credentials) and purges the portal's data of each (drafts
 * and their files, notifications, the demands' link to the account) — see `AccountPurge`. Idempotent; on
 * several workers, each page is purged once. The service unreachable: the run fails, the next one resumes.
 */
@Injectable()
export class AccountPurgeJob implements JobHandler<'schedule.account-purge'> {
  readonly job = 'schedule.account-purge';

  constructor(
    private readonly engine: DemandEngine,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(_payload: JobPayload<'schedule.account-purge'>, context: JobContext<'schedule.account-purge'>): Promise<void> {
    const outcome = await new AccountPurge(this.engine, this.config, context.logger).run();
    context.logger.info(outcome, 'Données des comptes supprimés purgées');
  }
}
