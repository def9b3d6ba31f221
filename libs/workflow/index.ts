// #workflow — workflow definitions (format, validation, JSON Schema) and the pure state machine that
// decides what an actor may do on a demand and what follows. No Nest, no I/O, no clock.
export {
  workflowDefinitionSchema,
  WORKFLOW_DEFINITION_JSON_SCHEMA,
  type WorkflowDefinition,
  type StatusDefinition,
  type ActionDefinition,
  type ActionKind,
  type ActionOf,
  type AutoJumpTrigger,
  type AssignTarget,
  type NotificationChannel,
  type Visibility,
} from './definition/workflow-definition.schema.js';
export {
  validateWorkflowDefinition,
  isHttpUrl,
  jsonPointer,
  type WorkflowValidationOptions,
  type WorkflowValidationResult,
} from './definition/validate-workflow-definition.js';
export { parseIsoDuration, parseDelay, addDuration, parseInstant, type IsoDuration, type DelaySpec } from './definition/duration.js';
export { contrastRatio, relativeLuminance, badgeTextColour } from './definition/colour.js';
export { CompiledTemplate, checkTemplate, renderTemplate, escapeHtml, textToHtml, type TemplateVariables } from './templates/templates.js';
export {
  CUSTOM_DOCUMENT,
  renderDocumentTemplate,
  type DocumentLine,
  type DocumentTemplateSource,
  type RenderedDocument,
} from './templates/document-template.js';
export {
  compileWorkflow,
  CompiledWorkflow,
  DEFAULT_MAX_CHAIN_LENGTH,
  MAX_COMMENT_LENGTH,
  FALLBACK_CITIZEN_LABEL,
  type CompileWorkflowOptions,
} from './engine/compiled-workflow.js';
export { WorkflowErrorCodes, type WorkflowErrorCode } from './engine/workflow.errors.js';
export type {
  Actor,
  ActorRef,
  WorkflowState,
  WorkflowCommand,
  WorkflowContext,
  ConditionEvaluator,
  Effect,
  HistoryEvent,
  HistoryEventKind,
  ApplyResult,
  AvailableAction,
  TimerSchedule,
  CitizenStatusView,
} from './engine/workflow.types.js';
export { SIMPLE_REQUEST_WORKFLOW } from './examples/simple-request.workflow.js';
export { ANOMALY_REPORT_WORKFLOW } from './examples/anomaly-report.workflow.js';
export { APPOINTMENT_WORKFLOW } from './examples/appointment.workflow.js';
