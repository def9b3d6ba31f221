import { Inject, Injectable, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#core';
import { QueueProducerModule, type JobContext, type JobHandler, type JobPayload } from '#queue';
import { AccountErasure } from './account-erasure.service.js';

/**
 * `schedule.account-inactivity` (daily, `SCHEDULE_ACCOUNT_INACTIVITY_CRON`): one pass of the territorial account's
 * inactivity rule (`AccountErasure.applyInactivityRule`: warning mail at 700 days without a login, deletion at 730
 * when warned a month before, deletions forgotten after a year). Idempotent: a second run the same day finds nothing
 * more to do. The warning mail's login link is the identity app's public address.
 */
@Injectable()
export class AccountInactivityJob implements JobHandler<'schedule.account-inactivity'> {
  readonly job = 'schedule.account-inactivity';

  constructor(
    private readonly erasure: AccountErasure,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(_payload: JobPayload<'schedule.account-inactivity'>, context: JobContext<'schedule.account-inactivity'>): Promise<void> {
    const origin = this.config.identity.publicUrl ?? `http://127.0.0.1:${this.config.ports.identity}`;
    const result = await this.erasure.applyInactivityRule(`${origin}/compte/connexion`);
    context.logger.info(result, 'Règle d’inactivité des comptes appliquée');
  }
}

/** What the worker needs to run `AccountInactivityJob` (the erasure service, without the login throttle's Redis). */
@Module({ imports: [QueueProducerModule], providers: [AccountErasure], exports: [AccountErasure] })
export class AccountInactivityModule {}
