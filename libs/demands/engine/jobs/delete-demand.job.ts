import { Injectable } from '@nestjs/common';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { DemandRepository } from '../../repositories/demand.repository.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import { allowHistoryRewrite } from '../../tenancy/with-tenant.js';
import { DemandEngine } from '../engine-context.js';

/**
 * `workflow.delete`: at the date the `delete` action set (the outbox row's `available_at`), deletes the demand with its history, messages and
 * attachment rows (ON DELETE CASCADE, history rewrite allowed for this platform transaction), then its stored
 * files. No tombstone: nothing of the demand remains (a workflow that needs statistics anonymises instead, or
 * first); the worker's log keeps the demand id and the date. Idempotent: an absent demand is done.
 */
@Injectable()
export class WorkflowDeleteJob implements JobHandler<'workflow.delete'> {
  readonly job = 'workflow.delete';

  constructor(private readonly engine: DemandEngine) {}

  async handle(payload: JobPayload<'workflow.delete'>, context: JobContext<'workflow.delete'>): Promise<void> {
    const keys = await this.engine.transaction(platformScope('suppression d’une demande par son workflow'), async (manager) => {
      const repository = new DemandRepository(manager);
      const demand = await repository.findForPlatform(payload.demandId);
      if (!demand) return null;
      const files = (await repository.listAttachments(demand.id)).map((a) => a.storageKey);
      await allowHistoryRewrite(manager);
      await repository.deleteDemand(demand);
      return files;
    });
    if (keys === null) {
      context.logger.info({ demandId: payload.demandId }, 'Suppression sans objet : demande déjà supprimée');
      return;
    }
    await this.engine.discardFiles(keys);
    context.logger.info({ demandId: payload.demandId, files: keys.length, at: payload.at }, 'Demande supprimée par son workflow');
  }
}
