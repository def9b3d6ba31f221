import { DomainError } from '#core';
import { addDuration, parseDelay, parseInstant, parseIsoDuration } from '../definition/duration.js';
import { validateWorkflowDefinition, type WorkflowValidationOptions } from '../definition/validate-workflow-definition.js';
import type { ActionDefinition, ActionOf, StatusDefinition, WorkflowDefinition } from '../definition/workflow-definition.schema.js';
import { CompiledTemplate, type TemplateVariables } from '../templates/templates.js';
import { WorkflowErrorCodes as Codes, WorkflowRefusal } from './workflow.errors.js';
import type {
  Actor,
  ActorRef,
  ApplyResult,
  AvailableAction,
  CitizenStatusView,
  Effect,
  HistoryEvent,
  HistoryEventKind,
  TimerSchedule,
  WorkflowCommand,
  WorkflowContext,
  WorkflowState,
} from './workflow.types.js';

/** Longest chain of automatic jumps one command may cause before it is refused as a loop. */
export const DEFAULT_MAX_CHAIN_LENGTH = 25;
/** Longest comment or answer accepted with a command. */
export const MAX_COMMENT_LENGTH = 10_000;
/** What the citizen sees while the demand never went through a citizen-visible status. */
export const FALLBACK_CITIZEN_LABEL = 'En cours de traitement';
const DEFAULT_INFO_SUBJECT = "Votre demande {{demand.trackingCode}} : un complément d'information est nécessaire";
const DEFAULT_INFO_CHANNELS = ['email', 'portal'] as const;

export interface CompileWorkflowOptions {
  /** Cap on automatic jumps chained by one command (default 25). */
  maxChainLength?: number;
  /** Passed to `validateWorkflowDefinition`. */
  validation?: WorkflowValidationOptions;
}

type DelayedJump = ActionOf<'auto_jump'> & { trigger: Exclude<ActionOf<'auto_jump'>['trigger'], 'immediate' | { apiTrigger: string }> };

interface CompiledStatus {
  definition: StatusDefinition;
  actions: ActionDefinition[];
}

/**
 * Validates (refuses with `WORKFLOW_DEFINITION_INVALID` and every field error) and compiles a
 * definition once: indexes, templates compiled. The result is immutable and reusable for every demand.
 */
export function compileWorkflow(definition: unknown, options: CompileWorkflowOptions = {}): CompiledWorkflow {
  const result = validateWorkflowDefinition(definition, options.validation);
  if (!result.ok) {
    throw DomainError.invalid(Codes.DEFINITION_INVALID, `La définition du workflow contient ${result.errors.length} erreur(s).`, result.errors);
  }
  return new CompiledWorkflow(result.definition, options.maxChainLength ?? DEFAULT_MAX_CHAIN_LENGTH);
}

/** A validated workflow: the pure state machine. Build it with `compileWorkflow`. */
export class CompiledWorkflow {
  private readonly statuses = new Map<string, CompiledStatus>();
  private readonly actionStatus = new Map<string, string>();
  private readonly actions = new Map<string, ActionDefinition>();
  private readonly templates = new Map<string, CompiledTemplate>();
  /** @internal subject of an info request that has none. */
  readonly defaultInfoSubject = new CompiledTemplate(DEFAULT_INFO_SUBJECT);

  /** @internal use `compileWorkflow`. */
  constructor(
    readonly definition: WorkflowDefinition,
    readonly maxChainLength: number,
  ) {
    for (const status of definition.statuses) {
      this.statuses.set(status.id, { definition: status, actions: status.actions });
      for (const action of status.actions) {
        this.actions.set(action.id, action);
        this.actionStatus.set(action.id, status.id);
        for (const [field, source] of templateSources(action)) this.templates.set(`${action.id}\u0000${field}`, new CompiledTemplate(source));
      }
    }
  }

  /** The status definition, or `undefined`. */
  status(statusId: string): StatusDefinition | undefined {
    return this.statuses.get(statusId)?.definition;
  }

  isFinal(statusId: string): boolean {
    return this.statuses.get(statusId)?.definition.final === true;
  }

  /** The state of a demand about to enter the initial status (use `start` to run its actions). */
  initialState(now: string): WorkflowState {
    return { statusId: this.definition.initialStatus, enteredAt: now, citizenStatusId: null, pendingInfoRequest: null };
  }

  /** Plans the submission: the demand enters the initial status and that status's actions run. */
  start(context: WorkflowContext): ApplyResult {
    return this.run(this.initialState(context.now), context, (plan) => plan.enter(this.definition.initialStatus, null, context.actor));
  }

  /** The controls `actor` may use on a demand in `state` (conditions need `context.evaluator`). */
  availableActions(state: WorkflowState, actor: Actor, context?: Pick<WorkflowContext, 'variables' | 'evaluator'>): AvailableAction[] {
    const status = this.statuses.get(state.statusId);
    if (!status || status.definition.final) return [];
    const available: AvailableAction[] = [];
    const passes = (action: ActionDefinition) => {
      if (action.condition === undefined) return true;
      if (!context?.evaluator) return false; // fail closed: never offer what might be refused
      try {
        return context.evaluator.evaluate(action.condition, context.variables ?? {}) === true;
      } catch {
        return false;
      }
    };
    for (const action of status.actions) {
      if ((action.kind === 'button' || action.kind === 'request_info') && mayPress(action, actor) && passes(action)) {
        available.push({
          actionId: action.id,
          kind: action.kind,
          label: action.label,
          targetStatusId: action.kind === 'button' ? action.target : action.waitingStatus,
          confirm: action.kind === 'button' ? (action.confirm ?? null) : null,
          commentRequired: action.commentRequired === true,
          bulkAllowed: action.kind === 'button' && action.bulkAllowed === true,
          command: { kind: 'press', actionId: action.id },
        });
      }
      if (action.kind === 'auto_jump' && actor.kind === 'api' && typeof action.trigger === 'object' && 'apiTrigger' in action.trigger && passes(action)) {
        available.push({
          actionId: action.id,
          kind: 'api_trigger',
          label: action.trigger.apiTrigger,
          targetStatusId: action.target,
          confirm: null,
          commentRequired: false,
          bulkAllowed: false,
          command: { kind: 'api_trigger', trigger: action.trigger.apiTrigger },
        });
      }
    }
    const pending = state.pendingInfoRequest ? this.actions.get(state.pendingInfoRequest.actionId) : undefined;
    if (actor.kind === 'citizen' && pending?.kind === 'request_info' && pending.waitingStatus === state.statusId) {
      available.push({
        actionId: pending.id,
        kind: 'answer_info',
        label: 'Répondre à la demande de complément',
        targetStatusId: pending.resumeStatus,
        confirm: null,
        commentRequired: false,
        bulkAllowed: false,
        command: { kind: 'answer_info' },
      });
    }
    return available;
  }

  /**
   * Decides what a command does. On success: the new state, the statuses entered, the effects for the
   * outbox and the history events, in order. On refusal: a `DomainError` and nothing else.
   */
  apply(state: WorkflowState, command: WorkflowCommand, context: WorkflowContext): ApplyResult {
    return this.run(state, context, (plan) => {
      const status = this.statuses.get(state.statusId);
      if (!status) refuse(DomainError.conflict(Codes.UNKNOWN_STATUS, `Le statut « ${state.statusId} » n'existe pas dans ce workflow.`));
      if (status.definition.final) {
        refuse(DomainError.conflict(Codes.DEMAND_CLOSED, `La demande est clôturée (« ${status.definition.label} ») : plus aucune action n'est possible.`));
      }
      checkCommand(command);
      switch (command.kind) {
        case 'press':
          return this.press(plan, state, command, context);
        case 'answer_info':
          return this.answer(plan, state, command, context);
        case 'api_trigger':
          return this.trigger(plan, state, command, context);
        case 'timer':
          return this.timer(plan, state, command, context);
        case 'webservice_result':
          return this.webserviceResult(plan, state, command, context);
      }
    });
  }

  /** When the delayed jumps of `statusId` fall due for a demand that entered it at `enteredAt`. */
  scheduleFor(statusId: string, enteredAt: string, variables: TemplateVariables = {}): TimerSchedule[] {
    const status = this.statuses.get(statusId);
    if (!status) return [];
    return status.actions.filter(isDelayedJump).map((action) => ({
      actionId: action.id,
      statusId,
      targetStatusId: action.target,
      dueAt: dueAt(action, enteredAt, variables),
    }));
  }

  /** The delayed jumps of the demand's current status that are due at `now` (earliest first). */
  dueTimers(state: WorkflowState, now: string, variables: TemplateVariables = {}): TimerSchedule[] {
    if (this.isFinal(state.statusId)) return [];
    const at = Date.parse(now);
    return this.scheduleFor(state.statusId, state.enteredAt, variables)
      .filter((timer) => timer.dueAt !== null && Date.parse(timer.dueAt) <= at)
      .sort((a, b) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!));
  }

  /**
   * The status the citizen sees. For a state: its status when citizen-visible, else the last
   * citizen-visible one it went through. For a bare status id: its own label when citizen-visible,
   * else the generic "En cours de traitement".
   */
  citizenStatus(target: WorkflowState | string): CitizenStatusView {
    const statusId = typeof target === 'string' ? target : target.statusId;
    const own = this.statuses.get(statusId)?.definition;
    if (own?.visibility === 'citizen') return { statusId: own.id, label: own.label, colour: own.colour };
    const last = typeof target === 'string' || target.citizenStatusId === null ? undefined : this.statuses.get(target.citizenStatusId)?.definition;
    if (last) return { statusId: last.id, label: last.label, colour: last.colour };
    return { statusId: null, label: FALLBACK_CITIZEN_LABEL, colour: null };
  }

  // -------------------------------------------------------------------------------------------------

  private run(state: WorkflowState, context: WorkflowContext, body: (plan: Plan) => void): ApplyResult {
    if (Number.isNaN(Date.parse(context.now))) {
      return { ok: false, error: DomainError.invalid(Codes.INVALID_COMMAND, `Instant invalide : « ${String(context.now)} ».`) };
    }
    const plan = new Plan(this, state, context);
    try {
      body(plan);
    } catch (error) {
      if (error instanceof WorkflowRefusal) return { ok: false, error: error.error };
      throw error;
    }
    return { ok: true, state: plan.state, nextStatus: plan.state.statusId, visited: plan.visited, effects: plan.effects, events: plan.events };
  }

  private actionIn(state: WorkflowState, actionId: string): { action: ActionDefinition; here: boolean } {
    const action = this.actions.get(actionId);
    if (!action) refuse(DomainError.notFound(Codes.UNKNOWN_ACTION, `L'action « ${actionId} » n'existe pas dans ce workflow.`));
    return { action, here: this.actionStatus.get(actionId) === state.statusId };
  }

  private press(plan: Plan, state: WorkflowState, command: Extract<WorkflowCommand, { kind: 'press' }>, context: WorkflowContext): void {
    const { action, here } = this.actionIn(state, command.actionId);
    const statusLabel = this.statuses.get(state.statusId)!.definition.label;
    if (!here || (action.kind !== 'button' && action.kind !== 'request_info')) {
      refuse(DomainError.conflict(Codes.ACTION_NOT_ALLOWED, `L'action « ${actionLabel(action)} » n'est pas disponible au statut « ${statusLabel} ».`));
    }
    if (!mayPress(action, context.actor)) {
      refuse(DomainError.forbidden(Codes.ACTION_NOT_ALLOWED, `Vous n'avez pas la fonction nécessaire pour « ${action.label} ».`));
    }
    if (action.condition !== undefined && !plan.condition(action.condition, action.id, false)) {
      refuse(DomainError.conflict(Codes.ACTION_NOT_ALLOWED, `L'action « ${action.label} » n'est pas possible pour cette demande.`));
    }
    if (command.bulk === true && !(action.kind === 'button' && action.bulkAllowed === true)) {
      refuse(DomainError.invalid(Codes.BULK_NOT_ALLOWED, `L'action « ${action.label} » ne peut pas être appliquée à plusieurs demandes à la fois.`));
    }
    if (action.kind === 'button' && action.confirm !== undefined && command.confirmed !== true) {
      refuse(DomainError.invalid(Codes.CONFIRMATION_REQUIRED, `Confirmation requise : ${action.confirm}`));
    }
    const comment = command.comment?.trim() ?? '';
    if (action.commentRequired === true && comment.length === 0) {
      refuse(DomainError.invalid(Codes.COMMENT_REQUIRED, `Un commentaire est obligatoire pour « ${action.label} ».`, [
        { path: 'comment', code: 'REQUIRED', message: 'Le commentaire est obligatoire.' },
      ]));
    }
    plan.variables.action = { ...plan.variables.action, comment };
    const actor = actorRef(context.actor);
    if (action.kind === 'button') {
      const visibility = comment.length > 0 && action.commentVisibility === 'citizen' ? 'citizen' : 'internal';
      plan.event('button_pressed', actor, visibility, { actionId: action.id, label: action.label, ...(comment ? { text: comment } : {}) });
      plan.enter(action.target, state.statusId, actor);
      return;
    }
    // request_info: tell the citizen, then wait for their answer.
    const message = plan.render(action.id, 'message');
    const subject = action.subject !== undefined ? plan.render(action.id, 'subject') : plan.renderTemplate(this.defaultInfoSubject);
    plan.event('info_requested', actor, 'citizen', { actionId: action.id, label: action.label, text: message.text });
    plan.effect({
      kind: 'notify_citizen',
      actionId: action.id,
      channels: [...(action.channels ?? DEFAULT_INFO_CHANNELS)],
      subject: subject.text,
      text: message.text,
      html: message.html,
    });
    plan.enter(action.waitingStatus, state.statusId, actor, { actionId: action.id, requestedAt: context.now });
  }

  private answer(plan: Plan, state: WorkflowState, command: Extract<WorkflowCommand, { kind: 'answer_info' }>, context: WorkflowContext): void {
    if (context.actor.kind !== 'citizen') {
      refuse(DomainError.forbidden(Codes.ACTION_NOT_ALLOWED, "Seul l'usager peut répondre à une demande de complément."));
    }
    const pending = state.pendingInfoRequest ? this.actions.get(state.pendingInfoRequest.actionId) : undefined;
    if (pending?.kind !== 'request_info' || pending.waitingStatus !== state.statusId) {
      refuse(DomainError.conflict(Codes.NO_PENDING_REQUEST, "Aucune demande de complément n'attend de réponse pour cette demande."));
    }
    const answer = command.answer?.trim() ?? '';
    plan.variables.action = { ...plan.variables.action, answer };
    const actor = actorRef(context.actor);
    plan.event('info_answered', actor, 'citizen', { actionId: pending.id, ...(answer ? { text: answer } : {}) });
    plan.enter(pending.resumeStatus, state.statusId, actor);
  }

  private trigger(plan: Plan, state: WorkflowState, command: Extract<WorkflowCommand, { kind: 'api_trigger' }>, context: WorkflowContext): void {
    if (context.actor.kind !== 'api' && context.actor.kind !== 'system') {
      refuse(DomainError.forbidden(Codes.ACTION_NOT_ALLOWED, 'Un déclencheur ne peut être appelé que par l’API.'));
    }
    const action = this.statuses
      .get(state.statusId)!
      .actions.find((candidate) => candidate.kind === 'auto_jump' && typeof candidate.trigger === 'object' && 'apiTrigger' in candidate.trigger && candidate.trigger.apiTrigger === command.trigger);
    if (action?.kind !== 'auto_jump') {
      refuse(DomainError.conflict(Codes.TRIGGER_NOT_AVAILABLE, `Le déclencheur « ${command.trigger} » n'est pas disponible au statut actuel de la demande.`));
    }
    if (action.condition !== undefined && !plan.condition(action.condition, action.id, false)) {
      refuse(DomainError.conflict(Codes.CONDITION_NOT_MET, `La condition du déclencheur « ${command.trigger} » n'est pas remplie.`));
    }
    const actor = actorRef(context.actor);
    plan.event('api_triggered', actor, 'internal', { actionId: action.id, label: command.trigger });
    plan.enter(action.target, state.statusId, actor);
  }

  private timer(plan: Plan, state: WorkflowState, command: Extract<WorkflowCommand, { kind: 'timer' }>, context: WorkflowContext): void {
    if (context.actor.kind !== 'system') refuse(DomainError.forbidden(Codes.ACTION_NOT_ALLOWED, 'Seul le système déclenche les délais.'));
    const { action, here } = this.actionIn(state, command.actionId);
    if (!here || !isDelayedJump(action)) {
      refuse(DomainError.conflict(Codes.STALE_COMMAND, "Ce délai ne concerne plus la demande : elle a changé de statut."));
    }
    const due = dueAt(action, state.enteredAt, context.variables ?? {});
    if (due === null || Date.parse(due) > Date.parse(context.now)) {
      refuse(DomainError.conflict(Codes.TIMER_NOT_DUE, due === null ? "L'échéance de ce délai ne peut pas être calculée (date absente)." : `Ce délai n'échoit que le ${due}.`));
    }
    if (action.condition !== undefined && !plan.condition(action.condition, action.id, false)) {
      refuse(DomainError.conflict(Codes.CONDITION_NOT_MET, "La condition de ce saut automatique n'est pas remplie."));
    }
    plan.event('timer_fired', SYSTEM, 'internal', { actionId: action.id });
    plan.enter(action.target, state.statusId, SYSTEM);
  }

  private webserviceResult(plan: Plan, state: WorkflowState, command: Extract<WorkflowCommand, { kind: 'webservice_result' }>, context: WorkflowContext): void {
    if (context.actor.kind !== 'system') refuse(DomainError.forbidden(Codes.ACTION_NOT_ALLOWED, "Seul le système rapporte le résultat d'un appel."));
    const { action, here } = this.actionIn(state, command.actionId);
    if (!here || action.kind !== 'webservice') {
      refuse(DomainError.conflict(Codes.STALE_COMMAND, "Cet appel ne concerne plus la demande : elle a changé de statut."));
    }
    plan.event('webservice_result', SYSTEM, 'internal', { actionId: action.id, label: command.ok ? 'succès' : 'échec' });
    const target = command.ok ? action.onSuccess : action.onFailure;
    if (target !== undefined) plan.enter(target, state.statusId, SYSTEM);
  }

  /** @internal used by Plan. */
  statusEntry(statusId: string): CompiledStatus {
    const status = this.statuses.get(statusId);
    if (!status) throw new Error(`Unknown status ${statusId}`); // validation guarantees targets exist
    return status;
  }

  /** @internal used by Plan. */
  template(actionId: string, field: string): CompiledTemplate {
    const template = this.templates.get(`${actionId}\u0000${field}`);
    if (!template) throw new Error(`No template ${field} on action ${actionId}`);
    return template;
  }
}

// ---------------------------------------------------------------------------------------------------

const SYSTEM: ActorRef = { kind: 'system' };

/** Accumulates one command's consequences; discarded whole when the command is refused. */
class Plan {
  readonly effects: Effect[] = [];
  readonly events: HistoryEvent[] = [];
  readonly visited: string[] = [];
  readonly variables: TemplateVariables;
  state: WorkflowState;
  private chain = 0;

  constructor(
    private readonly workflow: CompiledWorkflow,
    initial: WorkflowState,
    private readonly context: WorkflowContext,
  ) {
    this.state = { ...initial };
    const given = context.variables ?? {};
    this.variables = { ...given, demand: { ...given.demand }, action: { ...given.action } };
    this.refreshStatusVariables();
  }

  private refreshStatusVariables(): void {
    const view = this.workflow.citizenStatus(this.state);
    this.variables.demand = { ...this.variables.demand, status: this.state.statusId, statusLabel: view.label };
  }

  event(kind: HistoryEventKind, actor: ActorRef, visibility: 'citizen' | 'internal', extra: Partial<HistoryEvent> = {}): void {
    this.events.push({
      kind,
      at: this.context.now,
      actor,
      visibility,
      statusId: this.state.statusId,
      citizenStatusLabel: this.workflow.citizenStatus(this.state).label,
      ...extra,
    });
  }

  effect(effect: Effect): void {
    this.effects.push(effect);
  }

  render(actionId: string, field: string): { text: string; html: string } {
    return this.renderTemplate(this.workflow.template(actionId, field));
  }

  renderTemplate(template: CompiledTemplate): { text: string; html: string } {
    return template.textAndHtml(this.variables);
  }

  /**
   * Evaluates a condition. Without an evaluator the run is refused (the engine must inject one).
   * An evaluator that throws counts as "false" and leaves an internal `condition_error` event when
   * `record` is set (on entry actions), so a broken condition never blocks a demand silently.
   */
  condition(expression: string, actionId: string, record: boolean): boolean {
    const evaluator = this.context.evaluator;
    if (!evaluator) {
      refuse(DomainError.unavailable(Codes.EVALUATOR_MISSING, "Les conditions du workflow ne peuvent pas être évaluées (évaluateur absent)."));
    }
    try {
      return evaluator.evaluate(expression, this.variables) === true;
    } catch (error) {
      if (record) this.event('condition_error', SYSTEM, 'internal', { actionId, text: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  /** The demand enters `statusId`; its entry actions run in order until one jumps away. */
  enter(statusId: string, from: string | null, actor: ActorRef, pending: WorkflowState['pendingInfoRequest'] = null): void {
    const status = this.workflow.statusEntry(statusId).definition;
    this.state = {
      statusId,
      enteredAt: this.context.now,
      citizenStatusId: status.visibility === 'citizen' ? statusId : this.state.citizenStatusId,
      pendingInfoRequest: pending,
    };
    this.visited.push(statusId);
    this.refreshStatusVariables();
    this.event('status_changed', actor, status.visibility, { fromStatusId: from, label: status.label });
    this.runEntryActions(statusId);
  }

  private runEntryActions(statusId: string): void {
    const { actions } = this.workflow.statusEntry(statusId);
    for (const action of actions) {
      if (action.kind === 'button' || action.kind === 'request_info') continue;
      if (action.kind === 'auto_jump') {
        if (action.trigger === 'immediate') {
          if (action.condition !== undefined && !this.condition(action.condition, action.id, true)) continue;
          this.chain += 1;
          if (this.chain > this.workflow.maxChainLength) {
            refuse(DomainError.conflict(Codes.LOOP_DETECTED, `Plus de ${this.workflow.maxChainLength} sauts automatiques enchaînés : le workflow boucle, la demande reste inchangée.`));
          }
          this.enter(action.target, statusId, SYSTEM);
          return; // the demand left: the rest of this status's actions do not run
        }
        if (isDelayedJump(action)) {
          const due = dueAt(action, this.context.now, this.variables);
          if (due === null) this.event('timer_unschedulable', SYSTEM, 'internal', { actionId: action.id });
          else {
            this.effect({ kind: 'schedule_timer', actionId: action.id, statusId, dueAt: due });
            this.event('timer_scheduled', SYSTEM, 'internal', { actionId: action.id, text: due });
          }
        }
        continue;
      }
      if (action.condition !== undefined && !this.condition(action.condition, action.id, true)) continue;
      this.perform(action, statusId);
    }
  }

  private perform(action: Exclude<ActionDefinition, ActionOf<'button'> | ActionOf<'request_info'> | ActionOf<'auto_jump'>>, statusId: string): void {
    const id = action.id;
    switch (action.kind) {
      case 'notify_citizen': {
        const subject = this.render(id, 'subject');
        const body = this.render(id, 'body');
        this.effect({ kind: 'notify_citizen', actionId: id, channels: [...action.channels], subject: subject.text, text: body.text, html: body.html });
        this.event('citizen_notified', SYSTEM, 'citizen', { actionId: id, label: subject.text });
        return;
      }
      case 'notify_agents': {
        const subject = this.render(id, 'subject');
        const body = this.render(id, 'body');
        this.effect({ kind: 'notify_agents', actionId: id, function: action.function, subject: subject.text, text: body.text, html: body.html });
        this.event('agents_notified', SYSTEM, 'internal', { actionId: id, label: action.function });
        return;
      }
      case 'comment':
        this.event('comment', SYSTEM, action.visibility, { actionId: id, text: this.render(id, 'text').text });
        return;
      case 'attach_document': {
        const filename = this.render(id, 'filename').text;
        this.effect({ kind: 'generate_document', actionId: id, documentTemplate: action.documentTemplate, filename, visibility: action.visibility });
        this.event('document_requested', SYSTEM, action.visibility, { actionId: id, label: filename });
        return;
      }
      case 'set_backoffice_fields': {
        const values: Record<string, string> = {};
        action.fields.forEach((entry, k) => {
          values[entry.field] = this.render(id, `fields.${k}`).text;
        });
        this.effect({ kind: 'set_backoffice_fields', actionId: id, values });
        this.variables.backoffice = { ...this.variables.backoffice, ...values };
        this.event('backoffice_fields_set', SYSTEM, 'internal', { actionId: id, text: Object.keys(values).join(', ') });
        return;
      }
      case 'assign': {
        const rule = (action.rules ?? []).find((candidate) => this.condition(candidate.condition, id, true));
        const to = rule ? rule.to : action.to;
        this.effect({ kind: 'assign', actionId: id, to: { ...to } });
        this.event('assigned', SYSTEM, 'internal', { actionId: id, label: 'function' in to ? `fonction ${to.function}` : `personne ${to.person}` });
        return;
      }
      case 'webservice': {
        const headers: Record<string, string> = {};
        for (const name of Object.keys(action.headers ?? {})) headers[name] = this.render(id, `headers.${name}`).text;
        this.effect({
          kind: 'call_webservice',
          actionId: id,
          statusId,
          url: this.render(id, 'url').text,
          method: action.method,
          headers,
          body: action.body !== undefined ? this.render(id, 'body').text : null,
          timeoutSeconds: action.timeoutSeconds ?? 10,
          retries: action.retries ?? 0,
          storeResponseAs: action.storeResponseAs ?? null,
          reportResult: action.onSuccess !== undefined || action.onFailure !== undefined,
        });
        this.event('webservice_requested', SYSTEM, 'internal', { actionId: id, label: `${action.method} ${action.url}` });
        return;
      }
      case 'create_child_demand': {
        const data: Record<string, string> = {};
        for (const field of Object.keys(action.mapping)) data[field] = this.render(id, `mapping.${field}`).text;
        this.effect({ kind: 'create_child_demand', actionId: id, teleservice: action.teleservice, data });
        this.event('child_demand_requested', SYSTEM, 'internal', { actionId: id, label: action.teleservice });
        return;
      }
      case 'anonymise':
        this.effect({ kind: 'anonymise', actionId: id });
        this.event('anonymisation_requested', SYSTEM, 'internal', { actionId: id });
        return;
      case 'delete': {
        const at = addDuration(this.context.now, parseDelay(action.delay)!);
        this.effect({ kind: 'delete_demand', actionId: id, at });
        this.event('deletion_scheduled', SYSTEM, 'internal', { actionId: id, text: at });
        return;
      }
    }
  }
}

function refuse(error: DomainError): never {
  throw new WorkflowRefusal(error);
}

function checkCommand(command: unknown): asserts command is WorkflowCommand {
  const c = command as Record<string, unknown> | null;
  const ok =
    c !== null &&
    typeof c === 'object' &&
    ((c.kind === 'press' && typeof c.actionId === 'string' && (c.comment === undefined || typeof c.comment === 'string')) ||
      (c.kind === 'answer_info' && (c.answer === undefined || typeof c.answer === 'string')) ||
      (c.kind === 'api_trigger' && typeof c.trigger === 'string') ||
      (c.kind === 'timer' && typeof c.actionId === 'string') ||
      (c.kind === 'webservice_result' && typeof c.actionId === 'string' && typeof c.ok === 'boolean'));
  if (!ok) refuse(DomainError.invalid(Codes.INVALID_COMMAND, 'Commande de workflow invalide.'));
  const text = c!.kind === 'press' ? c!.comment : c!.kind === 'answer_info' ? c!.answer : undefined;
  if (typeof text === 'string' && text.length > MAX_COMMENT_LENGTH) {
    refuse(DomainError.invalid(Codes.COMMENT_TOO_LONG, `Le texte dépasse ${MAX_COMMENT_LENGTH} caractères.`, [
      { path: c!.kind === 'press' ? 'comment' : 'answer', code: 'TOO_LONG', message: `Au plus ${MAX_COMMENT_LENGTH} caractères.` },
    ]));
  }
}

function mayPress(action: ActionOf<'button'> | ActionOf<'request_info'>, actor: Actor): boolean {
  if (actor.kind === 'agent') return action.functions.some((fn) => actor.functions.includes(fn));
  return actor.kind === 'citizen' && action.kind === 'button' && action.byCitizen === true;
}

function actorRef(actor: Actor): ActorRef {
  switch (actor.kind) {
    case 'agent':
      return actor.id === undefined ? { kind: 'agent' } : { kind: 'agent', id: actor.id };
    case 'citizen':
      return actor.id === undefined ? { kind: 'citizen' } : { kind: 'citizen', id: actor.id };
    case 'api':
      return actor.client === undefined ? { kind: 'api' } : { kind: 'api', client: actor.client };
    default:
      return SYSTEM;
  }
}

function actionLabel(action: ActionDefinition): string {
  return 'label' in action ? action.label : action.id;
}

function isDelayedJump(action: ActionDefinition): action is DelayedJump {
  return action.kind === 'auto_jump' && typeof action.trigger === 'object' && ('afterDelay' in action.trigger || 'atDateField' in action.trigger);
}

function dueAt(action: DelayedJump, enteredAt: string, variables: TemplateVariables): string | null {
  const trigger = action.trigger;
  if ('afterDelay' in trigger) return addDuration(enteredAt, parseDelay(trigger.afterDelay)!);
  const date = parseInstant(variables.form?.[trigger.atDateField]);
  if (!date) return null;
  return trigger.offset ? addDuration(date, parseIsoDuration(trigger.offset)!) : date.toISOString();
}

/** Every template of an action, keyed by field (`subject`, `fields.0`, `headers.X-Api`, `mapping.x`). */
function templateSources(action: ActionDefinition): Array<[string, string]> {
  switch (action.kind) {
    case 'request_info':
      return [['message', action.message], ...(action.subject !== undefined ? [['subject', action.subject] as [string, string]] : [])];
    case 'notify_citizen':
    case 'notify_agents':
      return [
        ['subject', action.subject],
        ['body', action.body],
      ];
    case 'comment':
      return [['text', action.text]];
    case 'attach_document':
      return [['filename', action.filename]];
    case 'set_backoffice_fields':
      return action.fields.map((entry, k) => [`fields.${k}`, entry.value]);
    case 'webservice':
      return [
        ['url', action.url],
        ...Object.entries(action.headers ?? {}).map(([name, value]) => [`headers.${name}`, value] as [string, string]),
        ...(action.body !== undefined ? [['body', action.body] as [string, string]] : []),
      ];
    case 'create_child_demand':
      return Object.entries(action.mapping).map(([field, value]) => [`mapping.${field}`, value]);
    default:
      return [];
  }
}
