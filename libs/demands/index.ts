import { Attachment } from './entities/attachment.entity.js';
import { DemandEvent } from './entities/demand-event.entity.js';
import { DemandMessage } from './entities/demand-message.entity.js';
import { Demand } from './entities/demand.entity.js';
import { Draft } from './entities/draft.entity.js';
import { WorkflowFunctionGrant } from './entities/workflow-function-grant.entity.js';
import { StagedUpload } from './storage/storage-sweep.entity.js';
import { AccountPurgeCursor } from './account-purge/account-purge.entity.js';

export { Demand, DemandEvent, DemandMessage, Attachment, Draft, WorkflowFunctionGrant, StagedUpload, AccountPurgeCursor };
/** Entities of #demands (migrations 1763800300000-engine, 1763801500000-workflow-function-grants), registered in libs/platform/schema.ts. */
export const DEMANDS_ENTITIES = [Demand, DemandEvent, DemandMessage, Attachment, Draft, WorkflowFunctionGrant, StagedUpload, AccountPurgeCursor];

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
export { SweepWorkflowTimersJob } from './engine/jobs/sweep-workflow-timers.job.js';
export { PurgeDraftsJob } from './engine/jobs/purge-drafts.job.js';
export { StorageSweepJob } from './engine/jobs/storage-sweep.job.js';
export { StagedUploads, STAGED_FILE_MAX_AGE_MS } from './storage/storage-sweep.js';
export { AccountPurgeJob } from './account-purge/account-purge.job.js';
export { AccountPurge, DELETED_ACCOUNT_SUB_PREFIX, type AccountPurgeOutcome } from './account-purge/account-purge.js';
export { DemandDelivery, DELIVERY_EVENT_KINDS, type DeliveryPlan } from './engine/jobs/demand-delivery.js';
export { DemandEngineModule, DemandJobsModule } from './engine/demand-engine.module.js';
export { DemandSmsNotSentRecorder, SmsNotSentModule } from './engine/jobs/sms-not-sent.js';
export { AgentInboxQueries, type DemandLabels, type InboxFilters, type InboxPageRequest, type InboxPage, type TeleserviceCounter, type StatusChoice, type AgentDemandView } from './queries/agent-inbox.js';
export { CitizenDrafts, DRAFT_LIMIT_REACHED, stagedFileKeys, type NewDraft } from './use-cases/drafts.use-case.js';
export { DataSourceOptions, DATA_SOURCE_DEFAULTS, optionsFrom, type CollectivityList } from './engine/data-source-options.js';
export { OutboundHttp, OutboundHttpError, isPrivateAddress, type OutboundRequest, type OutboundResponse, type OutboundFailure } from './engine/outbound-http.js';
export { CommentOnDemand, CommentOnDemandCommand, COMMENT_MAX_LENGTH, type CommentOnDemandInput } from './use-cases/comment-on-demand.use-case.js';
export { AssignDemand, AssignDemandCommand, AssignErrorCodes, type AssignDemandInput, type AssignTo } from './use-cases/assign-demand.use-case.js';
export { RerouteDemand, RerouteDemandCommand, RerouteErrorCodes, type RerouteDemandInput, type RerouteDemandResult } from './use-cases/reroute-demand.use-case.js';
export { ReturnDemandToMetropolis, ReturnDemandCommand, ReturnErrorCodes, RETURNED_EVENT, type ReturnDemandInput, type ReturnedFlag } from './use-cases/return-demand.use-case.js';
export { AgentExportQueries, EXPORT_BATCH_ROWS } from './queries/agent-export.js';
export { type FieldFilter } from './queries/agent-inbox.js';
export {
  CitizenDemandQueries,
  HELP_TELESERVICE_SLUG,
  type CitizenDemandState,
  type CitizenDemandRow,
  type CitizenDemandPage,
  type CitizenDraftRow,
  type CitizenDemandView,
  type PendingInformationRequest,
  type HelpTarget,
  type HelpOrigin,
} from './queries/citizen-demands.js';
export { CitizenNotifications, type CitizenNotification, type CitizenNotificationPage } from './queries/citizen-notifications.js';
export { WorkflowWebserviceJob, WEBSERVICE_MAX_RESPONSE_BYTES } from './engine/jobs/webservice.job.js';
export { WorkflowAnonymiseJob } from './engine/jobs/anonymise.job.js';
export { WorkflowDeleteJob } from './engine/jobs/delete-demand.job.js';
export { WorkflowChildDemandJob } from './engine/jobs/child-demand.job.js';
export { WorkflowDocumentJob } from './engine/jobs/document.job.js';
export { DOCUMENT_MODELS } from './engine/documents/document-models.js';
export { documentFromTemplate } from './engine/documents/document-models.js';
export { renderPdf, type PdfDocument } from './engine/documents/minimal-pdf.js';
export { WEBSERVICE_DATA_KEY } from './use-cases/workflow-outcome.js';
export {
  WorkflowFunctionGrants,
  heldFunctions,
  FunctionGrantErrorCodes,
  type FunctionGrantee,
  type FunctionGrantAdmin,
  type FunctionGrantView,
  type TeleserviceFunctions,
} from './engine/function-grants.js';
export { AgentSavedViews, SavedViewErrorCodes, type SavedViewInfo, type SaveViewInput } from './queries/agent-saved-views.js';
export { SavedView, BACKOFFICE_WORK_ENTITIES, SAVED_VIEW_VISIBILITIES, type SavedViewVisibility } from './queries/agent-saved-view.entity.js';
export { AgentBulkOperations, DemandsBulkJob, BulkErrorCodes, BULK_MAX_DEMANDS, type BulkOperationView, type StartBulkInput } from './queries/agent-bulk.js';
export { BulkOperation, BULK_KINDS, BULK_STATUSES, type BulkKind, type BulkStatus, type BulkResult } from './queries/agent-bulk-operation.entity.js';
export { AgentStatistics, type Statistics, type StatisticsRequest } from './queries/agent-statistics.js';
