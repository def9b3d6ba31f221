import type { DomainError } from '#core';
import type { AssignTarget, NotificationChannel, Visibility } from '../definition/workflow-definition.schema.js';
import type { TemplateVariables } from '../templates/templates.js';

/** Who acts. Agents carry the workflow functions the engine resolved from their roles on this téléservice. */
export type Actor =
  | { kind: 'agent'; functions: readonly string[]; id?: string }
  | { kind: 'citizen'; id?: string }
  | { kind: 'system' }
  | { kind: 'api'; client?: string };

/** Who acted, as history keeps it (no function list). */
export type ActorRef = { kind: 'agent'; id?: string } | { kind: 'citizen'; id?: string } | { kind: 'system' } | { kind: 'api'; client?: string };

/** What the engine persists of a demand's position in its workflow. */
export interface WorkflowState {
  statusId: string;
  /** When the demand entered `statusId` (ISO): delayed jumps count from it. */
  enteredAt: string;
  /** Last citizen-visible status the demand went through: what the citizen sees in an internal one. */
  citizenStatusId: string | null;
  /** The open request for information, while the demand waits for the citizen. */
  pendingInfoRequest: { actionId: string; requestedAt: string } | null;
}

/**
 * Evaluates a condition of the forms expression language against the demand's variables. Injected by
 * the engine (libs/forms); the workflow never parses expressions itself.
 */
export interface ConditionEvaluator {
  evaluate(expression: string, variables: TemplateVariables): boolean;
}

export interface WorkflowContext {
  /** The current instant, ISO-8601 (the state machine never reads a clock). */
  now: string;
  actor: Actor;
  /** The demand's variables for conditions and templates (`demand`, `form`, `collectivity`, …). */
  variables?: TemplateVariables;
  /** Required as soon as an action met on the way carries a condition. */
  evaluator?: ConditionEvaluator;
}

export type WorkflowCommand =
  /** An agent (or the citizen, for `byCitizen` buttons) presses a button or asks for information. */
  | { kind: 'press'; actionId: string; comment?: string; confirmed?: boolean; bulk?: boolean }
  /** The citizen answers the pending request for information. */
  | { kind: 'answer_info'; answer?: string }
  /** A partner system calls a named trigger through the API. */
  | { kind: 'api_trigger'; trigger: string }
  /** The worker fires a delayed jump it scheduled. */
  | { kind: 'timer'; actionId: string }
  /** The worker reports the final outcome of a webservice call (after its retries). */
  | { kind: 'webservice_result'; actionId: string; ok: boolean };

/** What the engine must do, in order, through the outbox (nothing here has happened yet). */
export type Effect =
  | { kind: 'notify_citizen'; actionId: string; channels: NotificationChannel[]; subject: string; text: string; html: string }
  | { kind: 'notify_agents'; actionId: string; function: string; subject: string; text: string; html: string }
  | { kind: 'schedule_timer'; actionId: string; statusId: string; dueAt: string }
  | {
      kind: 'call_webservice';
      actionId: string;
      statusId: string;
      url: string;
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      headers: Record<string, string>;
      body: string | null;
      timeoutSeconds: number;
      retries: number;
      storeResponseAs: string | null;
      /** Whether the engine must report the outcome back with a `webservice_result` command. */
      reportResult: boolean;
    }
  | { kind: 'create_child_demand'; actionId: string; teleservice: string; data: Record<string, string> }
  | { kind: 'generate_document'; actionId: string; documentTemplate: string; filename: string; visibility: Visibility }
  | { kind: 'set_backoffice_fields'; actionId: string; values: Record<string, string> }
  | { kind: 'assign'; actionId: string; to: AssignTarget }
  | { kind: 'anonymise'; actionId: string }
  | { kind: 'delete_demand'; actionId: string; at: string };

export type HistoryEventKind =
  | 'status_changed'
  | 'button_pressed'
  | 'info_requested'
  | 'info_answered'
  | 'api_triggered'
  | 'timer_fired'
  | 'webservice_result'
  | 'comment'
  | 'citizen_notified'
  | 'agents_notified'
  | 'document_requested'
  | 'backoffice_fields_set'
  | 'assigned'
  | 'webservice_requested'
  | 'child_demand_requested'
  | 'anonymisation_requested'
  | 'deletion_scheduled'
  | 'timer_scheduled'
  | 'timer_unschedulable'
  | 'condition_error';

/** One line of the demand's append-only history. */
export interface HistoryEvent {
  kind: HistoryEventKind;
  at: string;
  actor: ActorRef;
  visibility: Visibility;
  /** The status the demand is in once this event happened. */
  statusId: string;
  /** What the citizen sees as status at that point. */
  citizenStatusLabel: string;
  actionId?: string;
  /** For `status_changed`: where the demand came from (`null` at the start). */
  fromStatusId?: string | null;
  /** Button label, status label, trigger name… */
  label?: string;
  /** Comment, message to the citizen, answer, rendered text. */
  text?: string;
}

export type ApplyResult =
  | {
      ok: true;
      /** The full state to persist (with optimistic locking on the previous one). */
      state: WorkflowState;
      nextStatus: string;
      /** Statuses entered, in order (the last one is `nextStatus`; empty when the demand did not move). */
      visited: string[];
      effects: Effect[];
      events: HistoryEvent[];
    }
  | { ok: false; error: DomainError };

/** A control an actor may use now. */
export interface AvailableAction {
  actionId: string;
  kind: 'button' | 'request_info' | 'answer_info' | 'api_trigger';
  label: string;
  /** Where the demand goes (for `request_info`: the waiting status). */
  targetStatusId: string;
  confirm: string | null;
  commentRequired: boolean;
  bulkAllowed: boolean;
  /** The command to send to `apply` (add `comment` / `confirmed` / `answer`). */
  command: WorkflowCommand;
}

/** A delayed jump of a status and when it becomes due. */
export interface TimerSchedule {
  actionId: string;
  statusId: string;
  targetStatusId: string;
  /** `null` when it cannot be computed (the date field is empty or not a date). */
  dueAt: string | null;
}

/** The status as the citizen sees it. */
export interface CitizenStatusView {
  /** The citizen-visible status shown, `null` for the generic fallback. */
  statusId: string | null;
  label: string;
  colour: string | null;
}
