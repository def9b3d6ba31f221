import { Injectable } from '@nestjs/common';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { STAGED_FILE_MAX_AGE_MS, StagedUploads } from '../../storage/storage-sweep.js';
import { DemandEngine } from '../engine-context.js';

/**
 * `schedule.storage-sweep` (hourly): deletes the files the portal staged more than `STAGED_FILE_MAX_AGE_MS`
 * (a day) ago that no live draft references — abandoned anonymous forms, JavaScript uploads never sent with their
 * page, leftovers of deleted drafts — with the injected clock. Safe on several workers (`SKIP LOCKED` batches) and
 * idempotent (a second run finds nothing).
 */
@Injectable()
export class StorageSweepJob implements JobHandler<'schedule.storage-sweep'> {
  readonly job = 'schedule.storage-sweep';

  constructor(private readonly engine: DemandEngine) {}

  async handle(_payload: JobPayload<'schedule.storage-sweep'>, context: JobContext<'schedule.storage-sweep'>): Promise<void> {
    const deleted = await new StagedUploads(this.engine).sweep(STAGED_FILE_MAX_AGE_MS);
    context.logger.info({ deleted }, 'Fichiers déposés non référencés supprimés');
  }
}
