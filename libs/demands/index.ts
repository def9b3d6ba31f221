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

// Use cases (submit, act, messages, reads) and the engine plugging #forms and #workflow in
export {
  requireAccess,
  scopeOf,
  historyActorOf,
  AccessErrorCodes,
  type EngineCaller,
  type EnginePermission,
} from './use-cases/access.js';
export { EngineErrorCodes } from './use-cases/engine.errors.js';
export {
  SubmitDemand,
  SubmitDemandCommand,
  type SubmitDemandInput,
  type SubmitDemandResult,
  type UploadedFile,
} from './use-cases/submit-demand.use-case.js';
export { ActOnDemand, ActOnDemandCommand, type ActOnDemandInput, type ActOnDemandResult } from './use-cases/act-on-demand.use-case.js';
export {
  PostMessage,
  PostMessageCommand,
  MESSAGE_MAX_LENGTH,
  MESSAGE_MAX_FILES,
  MESSAGE_MAX_FILE_BYTES,
  type PostMessageInput,
  type PostMessageResult,
} from './use-cases/post-message.use-case.js';
export {
  AnswerInformationRequest,
  AnswerInformationRequestCommand,
  type AnswerInformationRequestInput,
} from './use-cases/answer-information-request.use-case.js';
export { DemandQueries, type DemandDetail } from './use-cases/demand-queries.js';
export {
  CompiledDefinitionCache,
  compileDefinition,
  DEFAULT_MAX_FILE_BYTES,
  DEFINITION_UNUSABLE,
  type CompiledDefinition,
  type FileFieldSpec,
} from './engine/compiled-definitions.js';
export { FormConditionEvaluator } from './engine/form-condition-evaluator.js';
export { DemandEngine, TerritoryDirectory } from './engine/engine-context.js';
export { RouteDemandJob } from './engine/jobs/route-demand.job.js';
export { WorkflowTimerJob } from './engine/jobs/workflow-timer.job.js';
export { DeliverDemandJob } from './engine/jobs/deliver-demand.job.js';
export { DemandDelivery, DELIVERY_EVENT_KINDS, type DeliveryPlan } from './engine/jobs/demand-delivery.js';
export { DemandEngineModule, DemandJobsModule } from './engine/demand-engine.module.js';
export { AgentInboxQueries, type InboxFilters, type InboxPageRequest, type InboxPage, type TeleserviceCounter, type StatusChoice, type AgentDemandView } from './queries/agent-inbox.js';
