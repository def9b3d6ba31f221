import { SQLSTATE } from '#db';
import { Attachment } from '../entities/attachment.entity.js';
import { DemandEvent } from '../entities/demand-event.entity.js';
import { DemandMessage } from '../entities/demand-message.entity.js';
import { Demand } from '../entities/demand.entity.js';
import { Draft } from '../entities/draft.entity.js';

/** Raw rows (snake_case, as `pg` parses them) → entities. Kept next to the repositories, the only SQL writers. */
type Row = Record<string, unknown>;

export function toDemand(r: Row): Demand {
  return Object.assign(new Demand(), {
    id: r.id,
    collectivityId: r.collectivity_id,
    teleserviceId: r.teleservice_id,
    versionId: r.version_id,
    trackingCode: r.tracking_code,
    accessSecretHash: r.access_secret_hash,
    accountSub: r.account_sub,
    channel: r.channel,
    submittedByAgent: r.submitted_by_agent,
    data: r.data,
    backofficeData: r.backoffice_data,
    status: r.status,
    statusEnteredAt: r.status_entered_at,
    workflowState: r.workflow_state ?? null,
    assignedFunction: r.assigned_function,
    assignedAgent: r.assigned_agent,
    lockVersion: r.lock_version,
    createdAt: r.created_at,
    submittedAt: r.submitted_at,
    updatedAt: r.updated_at,
    closedAt: r.closed_at,
    anonymisedAt: r.anonymised_at,
  } as Partial<Demand>);
}

export function toEvent(r: Row): DemandEvent {
  return Object.assign(new DemandEvent(), {
    id: String(r.id),
    demandId: r.demand_id,
    collectivityId: r.collectivity_id,
    at: r.at,
    kind: r.kind,
    actor: r.actor,
    visibility: r.visibility,
    statusFrom: r.status_from,
    statusTo: r.status_to,
    payload: r.payload,
  } as Partial<DemandEvent>);
}

export function toMessage(r: Row): DemandMessage {
  return Object.assign(new DemandMessage(), {
    id: r.id,
    demandId: r.demand_id,
    collectivityId: r.collectivity_id,
    author: r.author,
    body: r.body,
    visibility: r.visibility,
    createdAt: r.created_at,
  } as Partial<DemandMessage>);
}

export function toAttachment(r: Row): Attachment {
  return Object.assign(new Attachment(), {
    id: r.id,
    demandId: r.demand_id,
    collectivityId: r.collectivity_id,
    fieldId: r.field_id,
    messageId: r.message_id,
    storageKey: r.storage_key,
    fileName: r.file_name,
    mimeType: r.mime_type,
    sizeBytes: r.size_bytes,
    sha256: r.sha256,
    createdAt: r.created_at,
  } as Partial<Attachment>);
}

export function toDraft(r: Row): Draft {
  return Object.assign(new Draft(), {
    id: r.id,
    accountSub: r.account_sub,
    teleserviceId: r.teleservice_id,
    versionId: r.version_id,
    data: r.data,
    currentPage: r.current_page,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    expiresAt: r.expires_at,
  } as Partial<Draft>);
}

/** PostgreSQL error codes the repositories translate into domain errors. */
export const PG = {
  UNIQUE_VIOLATION: SQLSTATE.UNIQUE_VIOLATION,
  INSUFFICIENT_PRIVILEGE: SQLSTATE.INSUFFICIENT_PRIVILEGE,
  IMMUTABLE_VERSION: 'PV001',
  APPEND_ONLY: 'PV002',
} as const;
