import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { FieldError } from '#core';
import type { Actor as WorkflowActor, CitizenStatusView, WorkflowCommand } from '#workflow';
import { demandErrors } from '../demands.errors.js';
import type { Demand } from '../entities/demand.entity.js';
import { conditionEvaluator } from '../engine/compiled-definitions.js';
import { DemandEngine } from '../engine/engine-context.js';
import { heldFunctions, WorkflowFunctionGrants } from '../engine/function-grants.js';
import { DemandRepository, type NewEvent } from '../repositories/demand.repository.js';
import { historyActorOf, requireAccess, type EngineCaller } from './access.js';
import { loadDemandFor, writeScopeFor } from './demand-access.js';
import { engineErrors } from './engine.errors.js';
import { contactEmailOf, planOutcome, variablesOf, workflowStateOf, writeJobs } from './workflow-outcome.js';

export interface ActOnDemandInput {
  demandId: string;
  /** What to do: press a button / ask for information, call an API trigger, answer a request, fire a timer. */
  command: unknown;
  /** Optimistic lock: refuse with DEMAND_CONCURRENT_UPDATE if the demand is no longer at this version. */
  expectedVersion?: unknown;
}

/** `webservice_result` is the system's (the workflow refuses it from anyone else): the outcome of a `webservice` action. */
const COMMAND_KINDS = ['press', 'api_trigger', 'answer_info', 'timer', 'webservice_result'] as const;

/** A workflow command on one demand, checked for shape (the workflow checks the rest). */
export class ActOnDemandCommand {
  private constructor(
    readonly caller: EngineCaller,
    readonly demandId: string,
    readonly command: WorkflowCommand,
    readonly expectedVersion: number | null,
  ) {}

  static create(caller: EngineCaller, input: ActOnDemandInput): ActOnDemandCommand {
    const fields: FieldError[] = [];
    const raw = input.command as Record<string, unknown> | null;
    let command: WorkflowCommand | null = null;
    const optionalText = (key: string) => {
      const value = raw?.[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string') fields.push({ path: key, code: 'INVALID_TYPE', message: 'Texte attendu.' });
      return typeof value === 'string' ? value : undefined;
    };
    const name = (key: string) => {
      const value = raw?.[key];
      if (typeof value !== 'string' || !/^[a-z][a-z0-9_-]{0,62}$/.test(value)) {
        fields.push({ path: key, code: 'INVALID_FORMAT', message: 'Identifiant attendu (minuscules, chiffres, « - », « _ »).' });
        return '';
      }
      return value;
    };
    const kind = raw?.kind;
    if (typeof kind !== 'string' || !(COMMAND_KINDS as readonly string[]).includes(kind)) {
      fields.push({ path: 'kind', code: 'NOT_AN_OPTION', message: `Commande attendue : ${COMMAND_KINDS.join(', ')}.` });
    } else if (kind === 'press') {
      const confirmed = raw?.confirmed;
      if (confirmed !== undefined && typeof confirmed !== 'boolean') fields.push({ path: 'confirmed', code: 'INVALID_TYPE', message: 'Booléen attendu.' });
      command = { kind: 'press', actionId: name('actionId'), comment: optionalText('comment'), confirmed: confirmed === true };
    } else if (kind === 'api_trigger') {
      command = { kind: 'api_trigger', trigger: name('trigger') };
    } else if (kind === 'answer_info') {
      command = { kind: 'answer_info', answer: optionalText('answer') };
    } else if (kind === 'webservice_result') {
      if (typeof raw?.ok !== 'boolean') fields.push({ path: 'ok', code: 'INVALID_TYPE', message: 'Booléen attendu.' });
      command = { kind: 'webservice_result', actionId: name('actionId'), ok: raw?.ok === true };
    } else {
      command = { kind: 'timer', actionId: name('actionId') };
    }
    let expectedVersion: number | null = null;
    if (input.expectedVersion !== undefined && input.expectedVersion !== null) {
      const n = Number(input.expectedVersion);
      if (!Number.isSafeInteger(n) || n < 1) fields.push({ path: 'expectedVersion', code: 'INVALID_FORMAT', message: 'Version attendue : entier positif.' });
      else expectedVersion = n;
    }
    if (fields.length || !command) throw engineErrors.requestInvalid(fields);
    return new ActOnDemandCommand(caller, input.demandId, command, expectedVersion);
  }
}

export interface ActOnDemandResult {
  demand: Demand;
  citizenStatus: CitizenStatusView;
}

/**
 * Applies a workflow command to a demand for its actor, in one tenant transaction: load the demand and its
 * pinned version, `workflow.apply`, then the update under optimistic lock (`lock_version`; a concurrent action
 * that committed first makes this one fail with DEMAND_CONCURRENT_UPDATE), the history events and the outbox
 * jobs. A refusal (workflow or lock) rolls everything back: the demand is unchanged.
 */
@Injectable()
export class ActOnDemand {
  constructor(
    private readonly engine: DemandEngine,
    private readonly grants: WorkflowFunctionGrants,
  ) {}

  async execute(command: ActOnDemandCommand): Promise<ActOnDemandResult> {
    requireAccess(command.caller, 'demands:write');
    const { scope, lockVersion } = await writeScopeFor((s, w) => this.engine.transaction(s, w), command.caller, command.demandId);
    return this.engine.transaction(scope, (manager) => this.inTransaction(manager, command, [], lockVersion));
  }

  /** @internal shared with AnswerInformationRequest (which writes a message in the same transaction). */
  async inTransaction(manager: EntityManager, command: ActOnDemandCommand, extraEvents: NewEvent[] = [], seenVersion: number | null = null): Promise<ActOnDemandResult> {
    const { caller } = command;
    const now = this.engine.clock.now();
    const demand = await loadDemandFor(manager, caller, command.demandId);
    for (const expected of [command.expectedVersion, seenVersion]) {
      if (expected !== null && expected !== demand.lockVersion) throw demandErrors.concurrentUpdate();
    }
    const definition = await this.engine.definitions.get(demand.versionId);
    if (!definition) throw engineErrors.notPublished();
    const state = workflowStateOf(demand);
    const workflowFunctions = definition.workflow.definition.functions.map((f) => f.id);
    // An agent holds only the functions their roles or account were granted on this téléservice (see function-grants.ts).
    const agentFunctions =
      caller.kind === 'agent'
        ? await heldFunctions(manager, {
            teleserviceId: demand.teleserviceId,
            sub: caller.sub,
            roles: () => this.grants.rolesOf(caller.sub, demand.collectivityId),
            workflowFunctions,
          }).then((held) => caller.functions.filter((f) => held.includes(f)))
        : [];
    const facts = {
      id: demand.id,
      trackingCode: demand.trackingCode,
      submittedAt: demand.submittedAt,
      data: demand.data,
      backofficeData: demand.backofficeData,
      collectivityName: await this.engine.directory.nameOf(demand.collectivityId),
      collectivityId: demand.collectivityId,
      accountSub: demand.accountSub,
    };
    const result = definition.workflow.apply(state, command.command, {
      now: now.toISOString(),
      actor: workflowActorFor(caller, command.command, workflowFunctions, agentFunctions),
      variables: variablesOf(facts),
      evaluator: conditionEvaluator,
    });
    if (!result.ok) throw result.error;
    const actor = historyActorOf(caller);
    const outcome = planOutcome({
      demand: facts,
      definition,
      result,
      actor,
      lockVersion: demand.lockVersion + 1,
      now,
      contactEmail: contactEmailOf(definition, demand.data),
    });
    const repository = new DemandRepository(manager);
    const updated = await repository.updateWithLock(
      demand.id,
      demand.lockVersion,
      {
        status: result.state.statusId,
        statusEnteredAt: new Date(result.state.enteredAt),
        workflowState: { ...result.state },
        closedAt: definition.workflow.isFinal(result.state.statusId) ? now : undefined,
        ...outcome.changes,
      },
      now,
    );
    await repository.appendEvents(updated, [...extraEvents, ...outcome.events]);
    await writeJobs(this.engine.outbox, manager, outcome.jobs);
    return { demand: updated, citizenStatus: definition.workflow.citizenStatus(result.state) };
  }
}

/** Who the state machine sees. A partner key acts as an agent holding every function on buttons (see access.ts). */
function workflowActorFor(caller: EngineCaller, command: WorkflowCommand, allFunctions: string[], agentFunctions: string[]): WorkflowActor {
  switch (caller.kind) {
    case 'api':
      return command.kind === 'api_trigger' ? { kind: 'api', client: caller.apiKeyId } : { kind: 'agent', functions: allFunctions, id: `api-key:${caller.apiKeyId}` };
    case 'agent':
      return { kind: 'agent', functions: agentFunctions, id: caller.sub };
    case 'citizen':
      return { kind: 'citizen', id: caller.sub };
    case 'tracking':
    case 'anonymous':
      return { kind: 'citizen' };
    case 'system':
      return { kind: 'system' };
  }
}

