import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { CitizenStatusView } from '#workflow';
import { demandErrors } from '../demands.errors.js';
import type { Attachment } from '../entities/attachment.entity.js';
import type { DemandEvent } from '../entities/demand-event.entity.js';
import type { DemandMessage } from '../entities/demand-message.entity.js';
import type { Demand } from '../entities/demand.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { DemandRepository, type AgentDemandFilters, type Page, type PageRequest } from '../repositories/demand.repository.js';
import { tenantScopeOf } from '../tenancy/with-tenant.js';
import { requireAccess, scopeOf, type EngineCaller } from './access.js';
import { loadDemandFor } from './demand-access.js';
import { workflowStateOf } from './workflow-outcome.js';

export interface DemandDetail {
  demand: Demand;
  citizenStatus: CitizenStatusView;
  history: DemandEvent[];
  attachments: Attachment[];
}

/** Reads of demands for a caller, each in the caller's tenant transaction (row-level security decides what exists). */
@Injectable()
export class DemandQueries {
  constructor(private readonly engine: DemandEngine) {}

  async list(caller: EngineCaller, filters: AgentDemandFilters, page: PageRequest): Promise<Page<Demand>> {
    requireAccess(caller, 'demands:read');
    return this.engine.transaction(scopeOf(caller), async (manager) => {
      const scope = tenantScopeOf(manager);
      if (scope?.kind !== 'agent') return { items: [], nextCursor: null };
      return new DemandRepository(manager).listForAgent(scope, filters, page);
    });
  }

  async get(caller: EngineCaller, id: string): Promise<DemandDetail> {
    requireAccess(caller, 'demands:read');
    return this.engine.transaction(scopeOf(caller), async (manager) => {
      const demand = await loadDemandFor(manager, caller, id);
      const repository = new DemandRepository(manager);
      const [history, attachments] = [await repository.listEvents(demand.id), await repository.listAttachments(demand.id)];
      const definition = await this.engine.definitions.get(demand.versionId);
      const citizenStatus = definition
        ? definition.workflow.citizenStatus(workflowStateOf(demand))
        : { statusId: demand.status, label: demand.status, colour: null };
      return { demand, citizenStatus, history, attachments };
    });
  }

  async messages(caller: EngineCaller, id: string): Promise<{ messages: DemandMessage[]; attachments: Attachment[] }> {
    requireAccess(caller, 'demands:read');
    return this.engine.transaction(scopeOf(caller), async (manager) => {
      const demand = await loadDemandFor(manager, caller, id);
      const repository = new DemandRepository(manager);
      const messages = await repository.listMessages(demand.id);
      const attachments = (await repository.listAttachments(demand.id)).filter((a) => a.messageId !== null);
      return { messages, attachments };
    });
  }

  /** An attachment of a demand the caller may see, with its bytes; ATTACHMENT_NOT_FOUND otherwise (never a hint of existence). */
  async attachment(caller: EngineCaller, demandId: string, attachmentId: string): Promise<{ attachment: Attachment; content: Readable }> {
    requireAccess(caller, 'demands:read');
    const attachment = await this.engine.transaction(scopeOf(caller), async (manager) => {
      const demand = await loadDemandFor(manager, caller, demandId).catch(() => null);
      if (!demand || !UUID.test(attachmentId)) return null;
      const found = await new DemandRepository(manager).findAttachment(attachmentId);
      return found && found.demandId === demand.id ? found : null;
    });
    if (!attachment) throw demandErrors.attachmentNotFound();
    return { attachment, content: await this.engine.storage.get(attachment.storageKey) };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
