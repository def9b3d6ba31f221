import { Injectable } from '@nestjs/common';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { DemandRepository } from '../../repositories/demand.repository.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import { DemandEngine } from '../engine-context.js';
import { effectEvent, referencedFileKeys } from './effect-markers.js';

/**
 * `workflow.anonymise`: erases the demand's personal data, keeps what statistics need. In one transaction:
 * `data` becomes `compileForm(…).anonymise(data)` of its pinned version (fields marked `personalData`, and
 * those inside repeatable blocks, removed), the attachment rows of form files no longer referenced (personal file
 * fields) are deleted, the access secret of an anonymous demand is dropped (the tracking code no longer opens it),
 * `anonymised_at` is set, and an internal `anonymised` event counts what went. The stored files are deleted after
 * the commit. Kept: téléservice, version, collectivity, status and history, dates, channel, assignment, back-office
 * data, messages (agents' and citizens' exchanges are not form fields: a workflow that must erase them deletes the
 * demand instead). Idempotent: an anonymised demand is left alone.
 */
@Injectable()
export class WorkflowAnonymiseJob implements JobHandler<'workflow.anonymise'> {
  readonly job = 'workflow.anonymise';

  constructor(private readonly engine: DemandEngine) {}

  async handle(payload: JobPayload<'workflow.anonymise'>, context: JobContext<'workflow.anonymise'>): Promise<void> {
    const now = this.engine.clock.now();
    const removedKeys = await this.engine.transaction(platformScope('anonymisation d’une demande'), async (manager) => {
      const repository = new DemandRepository(manager);
      const demand = await repository.findForPlatform(payload.demandId);
      if (!demand || demand.anonymisedAt) return null;
      const definition = await this.engine.definitions.get(demand.versionId);
      if (!definition) throw new Error(`Version ${demand.versionId} introuvable : anonymisation impossible`);
      const data = definition.form.anonymise(demand.data);
      const kept = referencedFileKeys(data);
      const removed = (await repository.listAttachments(demand.id)).filter((a) => a.fieldId !== null && a.messageId === null && !kept.has(a.storageKey));
      await repository.deleteAttachments(demand, removed.map((a) => a.id));
      const updated = await repository.updateWithLock(demand.id, demand.lockVersion, { data, anonymisedAt: now, accessSecretHash: null }, now);
      const erased = Object.keys(demand.data).filter((key) => !Object.hasOwn(data, key)).length;
      await repository.appendEvent(
        updated,
        effectEvent('anonymised', payload, now, { fields: erased, files: removed.length, text: `Données personnelles effacées : ${erased} champ(s), ${removed.length} fichier(s).` }),
      );
      return removed.map((a) => a.storageKey);
    });
    if (removedKeys === null) {
      context.logger.info({ demandId: payload.demandId }, 'Anonymisation sans objet (demande absente ou déjà anonymisée)');
      return;
    }
    await this.engine.discardFiles(removedKeys);
    context.logger.info({ demandId: payload.demandId, files: removedKeys.length }, 'Demande anonymisée');
  }
}
