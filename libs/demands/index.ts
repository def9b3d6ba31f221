import { Attachment } from './entities/attachment.entity.js';
import { DemandEvent } from './entities/demand-event.entity.js';
import { DemandMessage } from './entities/demand-message.entity.js';
import { Demand } from './entities/demand.entity.js';
import { Draft } from './entities/draft.entity.js';

export { Demand, DemandEvent, DemandMessage, Attachment, Draft };
/** Entities of #demands (migration 1763800300000-engine), registered in libs/platform/schema.ts. */
export const DEMANDS_ENTITIES = [Demand, DemandEvent, DemandMessage, Attachment, Draft];

export { DEMAND_CHANNELS, AGENT_CHANNELS, VISIBILITIES, type DemandChannel, type Visibility, type Actor } from './demands.types.js';
export { DemandErrorCodes } from './demands.errors.js';

// Tenancy (row-level security)
export {
  agentScope,
  citizenScope,
  trackingScope,
  platformScope,
  type TenantScope,
  type AgentScope,
  type CitizenScope,
  type TrackingScope,
  type PlatformScope,
} from './tenancy/tenant-scope.js';
export {
  withTenant,
  tenantScopeOf,
  requireTenantScope,
  allowHistoryRewrite,
  TENANT_ROLE,
  type WithTenantOptions,
  type TenancyLogger,
} from './tenancy/with-tenant.js';
export { Tenancy } from './tenancy/tenancy.service.js';

// Repositories
export {
  DemandRepository,
  type NewDemand,
  type InsertDemandOptions,
  type DemandChanges,
  type AgentDemandFilters,
  type PageRequest,
  type Page,
  type NewEvent,
  type NewMessage,
  type NewAttachment,
  type DemandRef,
  type TrackingLookup,
} from './repositories/demand.repository.js';
export { DraftRepository, type DraftInput } from './repositories/draft.repository.js';

// Tracking codes
export {
  TRACKING_ALPHABET,
  TRACKING_CODE_LENGTH,
  generateTrackingCode,
  formatTrackingCode,
  parseTrackingCode,
  generateAccessSecret,
  hashSecret,
  secretMatches,
} from './tracking/tracking-code.js';
export { openByTrackingCode } from './tracking/tracking-access.js';

// Attachments' storage
export { ATTACHMENT_STORAGE, type AttachmentStorage, type PutOptions, type StoredFile } from './storage/attachment-storage.js';
export { LocalDiskStorage } from './storage/local-disk-storage.js';
export { detectMimeType, MIME, SNIFF_BYTES } from './storage/mime-sniff.js';

// Ports for the use cases (libs/forms, libs/workflow plug in here)
export type { DemandDataValidator, WorkflowPort } from './ports.js';

export { DemandsModule } from './demands.module.js';
