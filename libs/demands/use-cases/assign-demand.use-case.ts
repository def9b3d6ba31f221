import { Injectable } from '@nestjs/common';
import { DomainError, type FieldError } from '#core';
import { demandErrors } from '../demands.errors.js';
import type { Demand } from '../entities/demand.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import { AccessErrorCodes, historyActorOf, requireAccess, scopeOf, type EngineCaller } from './access.js';
import { loadDemandFor } from './demand-access.js';
import { engineErrors } from './engine.errors.js';
import { expectedVersionOf } from './command-inputs.js';

/** Who takes a demand in charge: the caller, another agent of the demand's collectivity, a workflow function, or nobody. */
export type AssignTo = { kind: 'me' } | { kind: 'agent'; sub: string } | { kind: 'function'; functionId: string } | { kind: 'nobody' };

export interface AssignDemandInput {
  demandId: string;
  to: unknown;
  /** Optimistic lock: the version the agent saw (DEMAND_CONCURRENT_UPDATE when it moved). */
  expectedVersion?: unknown;
}

export const AssignErrorCodes = { ASSIGNEE_INVALID: 'DEMAND_ASSIGNEE_INVALID' } as const;

/** Roles that may process demands (see apps/backoffice `agentCaller`). */
const PROCESSING_ROLES = ['agent', 'administrator'];

export class AssignDemandCommand {
  private constructor(
    readonly caller: Extract<EngineCaller, { kind: 'agent' }>,
    readonly demandId: string,
    readonly to: AssignTo,
    readonly expectedVersion: number | null,
  ) {}

  static create(caller: EngineCaller, input: AssignDemandInput): AssignDemandCommand {
    if (caller.kind !== 'agent') throw DomainError.forbidden(AccessErrorCodes.ACCESS_DENIED, 'Seuls les agents attribuent des demandes.');
    const fields: FieldError[] = [];
    const raw = (input.to ?? {}) as Record<string, unknown>;
    let to: AssignTo | null = null;
    switch (raw.kind) {
      case 'me':
      case 'nobody':
        to = { kind: raw.kind };
        break;
      case 'agent':
        if (typeof raw.sub === 'string' && /^[\w.:-]{1,200}$/.test(raw.sub)) to = { kind: 'agent', sub: raw.sub };
        else fields.push({ path: 'to.sub', code: 'REQUIRED', message: 'Choisissez un agent.' });
        break;
      case 'function':
        if (typeof raw.functionId === 'string' && /^[a-z][a-z0-9_-]{0,62}$/.test(raw.functionId)) to = { kind: 'function', functionId: raw.functionId };
        else fields.push({ path: 'to.functionId', code: 'REQUIRED', message: 'Choisissez une fonction.' });
        break;
      default:
        fields.push({ path: 'to.kind', code: 'NOT_AN_OPTION', message: 'Attribution attendue : à moi, à un agent, à une fonction ou à personne.' });
    }
    const expectedVersion = expectedVersionOf(input.expectedVersion, fields);
    if (fields.length || !to) throw engineErrors.requestInvalid(fields);
    return new AssignDemandCommand(caller, input.demandId, to, expectedVersion);
  }
}

/**
 * Assigns a demand (the `assigned_agent` / `assigned_function` columns) under optimistic lock, with an internal
 * `assigned` history event (`{ to, previous, text }`; agents are recorded by `sub`, never by address — the
 * back office shows their address from `agent_role`). Another agent must hold an active processing role in the
 * demand's collectivity; a function must be one of the demand's workflow. Read (agent scope), the assignee
 * checked (`agent_role` is not readable by the tenant role, so it is read outside the tenant transaction), then
 * written in the agent's scope pinned to the version read: anything that moved in between is a conflict.
 */
@Injectable()
export class AssignDemand {
  constructor(private readonly engine: DemandEngine) {}

  async execute(command: AssignDemandCommand): Promise<Demand> {
    requireAccess(command.caller, 'demands:write');
    const scope = scopeOf(command.caller);
    const seen = await this.engine.transaction(scope, (manager) => loadDemandFor(manager, command.caller, command.demandId));
    if (command.expectedVersion !== null && command.expectedVersion !== seen.lockVersion) throw demandErrors.concurrentUpdate();
    const target = await this.resolve(command, seen);
    const now = this.engine.clock.now();
    return this.engine.transaction(scope, async (manager) => {
      const demand = await loadDemandFor(manager, command.caller, command.demandId);
      const repository = new DemandRepository(manager);
      const updated = await repository.updateWithLock(demand.id, seen.lockVersion, { assignedAgent: target.agent, assignedFunction: target.functionId }, now);
      await repository.appendEvent(updated, {
        at: now,
        kind: 'assigned',
        actor: historyActorOf(command.caller),
        visibility: 'internal',
        payload: {
          to: { agent: target.agent, function: target.functionId },
          previous: { agent: demand.assignedAgent, function: demand.assignedFunction },
          text: target.text,
        },
      });
      return updated;
    });
  }

  private async resolve(command: AssignDemandCommand, demand: Demand): Promise<{ agent: string | null; functionId: string | null; text: string }> {
    const { to } = command;
    switch (to.kind) {
      case 'nobody':
        return { agent: null, functionId: null, text: 'Attribution retirée.' };
      case 'me':
        return { agent: command.caller.sub, functionId: null, text: 'Prise en charge par l’agent.' };
      case 'agent': {
        const rows: unknown[] = await this.engine.dataSource.query(
          `SELECT 1 FROM "agent_role"
            WHERE account_sub = $1 AND collectivity_id = $2 AND revoked_at IS NULL AND role = ANY ($3::text[])
            LIMIT 1`,
          [to.sub, demand.collectivityId, PROCESSING_ROLES],
        );
        if (!rows.length) {
          throw DomainError.invalid(AssignErrorCodes.ASSIGNEE_INVALID, 'Cet agent ne traite pas les demandes de cette collectivité.', [
            { path: 'to.sub', code: 'NOT_AN_OPTION', message: 'Choisissez un agent de la collectivité de la demande.' },
          ]);
        }
        return { agent: to.sub, functionId: null, text: 'Attribuée à un autre agent.' };
      }
      case 'function': {
        const definition = await this.engine.definitions.get(demand.versionId);
        const fn = definition?.workflow.definition.functions.find((f) => f.id === to.functionId);
        if (!fn) {
          throw DomainError.invalid(AssignErrorCodes.ASSIGNEE_INVALID, 'Cette fonction n’existe pas dans le circuit de la demande.', [
            { path: 'to.functionId', code: 'NOT_AN_OPTION', message: 'Choisissez une fonction du circuit de la demande.' },
          ]);
        }
        return { agent: null, functionId: fn.id, text: `Attribuée à la fonction « ${fn.label} ».` };
      }
    }
  }
}
