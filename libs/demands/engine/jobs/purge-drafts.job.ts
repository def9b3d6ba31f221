import { Injectable } from '@nestjs/common';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { DraftRepository } from '../../repositories/draft.repository.js';
import { stagedFileKeys } from '../../use-cases/drafts.use-case.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import { DemandEngine } from '../engine-context.js';

/**
 * `schedule.draft-purge` (daily, `SCHEDULE_DRAFT_PURGE_CRON`): deletes the drafts whose `expires_at` (set by the
 * portal at each save, `DRAFT_RETENTION_DAYS` later) has passed at the injected clock's now. One DELETE in platform
 * scope: idempotent, and two runs at once delete each row once. The files the portal staged for those drafts are
 * deleted from storage after the commit (a failure there only leaves an orphan, logged).
 */
@Injectable()
export class PurgeDraftsJob implements JobHandler<'schedule.draft-purge'> {
  readonly job = 'schedule.draft-purge';

  constructor(private readonly engine: DemandEngine) {}

  async handle(_payload: JobPayload<'schedule.draft-purge'>, context: JobContext<'schedule.draft-purge'>): Promise<void> {
    const now = this.engine.clock.now();
    const purged = await this.engine.transaction(platformScope('purge des brouillons expirés'), (manager) => new DraftRepository(manager).purgeExpired(now));
    const files = purged.flatMap((data) => stagedFileKeys(data));
    await this.engine.discardFiles(files);
    context.logger.info({ purged: purged.length, files: files.length }, 'Brouillons expirés supprimés');
  }
}
