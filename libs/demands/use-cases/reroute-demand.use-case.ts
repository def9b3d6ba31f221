import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, DomainError, type AppConfig, type FieldError } from '#core';
import { Collectivity, TerritoryService } from '#territory';
import { demandErrors } from '../demands.errors.js';
import type { Demand } from '../entities/demand.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { DemandDelivery, type DeliveryPlan } from '../engine/jobs/demand-delivery.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import { platformScope } from '../tenancy/tenant-scope.js';
import { AccessErrorCodes, historyActorOf, requireAccess, scopeOf, type EngineCaller } from './access.js';
import { loadDemandFor } from './demand-access.js';
import { engineErrors } from './engine.errors.js';
import { expectedVersionOf, typedText } from './command-inputs.js';

export const RerouteErrorCodes = {
  METROPOLIS_AGENT_REQUIRED: 'DEMAND_REROUTE_METROPOLIS_ONLY',
  TARGET_INVALID: 'DEMAND_REROUTE_TARGET_INVALID',
} as const;

export interface RerouteDemandInput {
  demandId: string;
  /** The commune now competent (its id). */
  collectivityId: unknown;
  /** Why (internal, optional). */
  reason?: unknown;
  expectedVersion?: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class RerouteDemandCommand {
  private constructor(
    readonly caller: Extract<EngineCaller, { kind: 'agent' }>,
    readonly demandId: string,
    readonly collectivityId: string,
    readonly reason: string | null,
    readonly expectedVersion: number | null,
  ) {}

  static create(caller: EngineCaller, input: RerouteDemandInput): RerouteDemandCommand {
    if (caller.kind !== 'agent') throw DomainError.forbidden(AccessErrorCodes.ACCESS_DENIED, 'Seuls les agents de la métropole réorientent une demande.');
    const fields: FieldError[] = [];
    const target = typeof input.collectivityId === 'string' ? input.collectivityId.trim() : '';
    if (!UUID.test(target)) fields.push({ path: 'collectivityId', code: 'REQUIRED', message: 'Choisissez la commune compétente.' });
    const reason = typedText(input.reason);
    if (reason.length > 2_000) fields.push({ path: 'reason', code: 'TOO_LONG', message: '2 000 caractères au plus.' });
    const expectedVersion = expectedVersionOf(input.expectedVersion, fields);
    if (fields.length) throw engineErrors.requestInvalid(fields);
    return new RerouteDemandCommand(caller, input.demandId, target.toLowerCase(), reason || null, expectedVersion);
  }
}

export interface RerouteDemandResult {
  demand: Demand;
  plan: DeliveryPlan;
}

/**
 * A metropolis agent corrects the competent commune of a demand (issue 6, « re-route »). Access is proven in the
 * agent's own scope (the demand is theirs to see, and they hold a processing role at the metropolis); the move
 * itself runs in platform scope — the new commune is outside the agent's scope, so row-level security would
 * refuse it — pinned to the lock version read (DEMAND_CONCURRENT_UPDATE otherwise). Then delivery by the commune's
 * membership, exactly as after routing (`DemandDelivery`):
 * - Partenaire / Abonné: the demand moves to the commune (history, messages, files follow by ON UPDATE CASCADE),
 *   its agents get a mail; Connecté: it moves and a connector delivery waits `pending`;
 * - not adhering: it stays with (or comes back to) the metropolis and is relayed by email to the commune's
 *   contact address (the relay's citizen event names the commune), or gets « adresse de contact manquante ».
 * History: an internal `rerouted` event (old and new commune, the agent, the reason, the delivery mode) and, when
 * the demand moves, a citizen-visible `collectivity_changed` « Votre demande est désormais traitée par … ».
 */
@Injectable()
export class RerouteDemand {
  private readonly delivery: DemandDelivery;

  constructor(
    private readonly engine: DemandEngine,
    private readonly territory: TerritoryService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.delivery = new DemandDelivery(engine, territory, config);
  }

  /** The metropolis (the collectivity whose agents may re-route). */
  metropolis(): Promise<Collectivity> {
    return this.territory.metropolis();
  }

  /** Whether this caller may re-route at all (a processing role at the metropolis). */
  async allowed(caller: EngineCaller): Promise<boolean> {
    return caller.kind === 'agent' && caller.collectivityIds.includes((await this.metropolis()).id);
  }

  async execute(command: RerouteDemandCommand): Promise<RerouteDemandResult> {
    requireAccess(command.caller, 'demands:write');
    const seen = await this.engine.transaction(scopeOf(command.caller), (manager) => loadDemandFor(manager, command.caller, command.demandId));
    const metropolis = await this.metropolis();
    if (!command.caller.collectivityIds.includes(metropolis.id)) {
      throw DomainError.forbidden(RerouteErrorCodes.METROPOLIS_AGENT_REQUIRED, 'Seuls les agents de la métropole peuvent réorienter une demande vers une autre commune.');
    }
    if (command.expectedVersion !== null && command.expectedVersion !== seen.lockVersion) throw demandErrors.concurrentUpdate();
    const target = await this.delivery.collectivity(command.collectivityId);
    if (!target || target.kind !== 'commune' || target.id === seen.collectivityId) {
      throw DomainError.invalid(RerouteErrorCodes.TARGET_INVALID, 'Choisissez une autre commune de la métropole que celle qui traite déjà la demande.', [
        { path: 'collectivityId', code: 'NOT_AN_OPTION', message: 'Choisissez une autre commune de la métropole.' },
      ]);
    }
    const plan = await this.delivery.plan(target);
    const from = (await this.delivery.collectivity(seen.collectivityId))!;
    const now = this.engine.clock.now();
    const actor = historyActorOf(command.caller);
    // GRU and connector: the commune processes it; relay or no contact: the metropolis keeps following it.
    const holder = plan.mode === 'gru' || plan.mode === 'connector' ? target : metropolis;
    const demand = await this.engine.transaction(platformScope('réorientation d’une demande par un agent de la métropole'), async (manager) => {
      const repository = new DemandRepository(manager);
      const current = await repository.findForPlatform(seen.id);
      if (!current) throw demandErrors.notFound();
      const moved = await repository.updateWithLock(
        current.id,
        seen.lockVersion,
        holder.id === current.collectivityId ? {} : { collectivityId: holder.id, assignedAgent: null, assignedFunction: null },
        now,
      );
      await repository.appendEvent(moved, {
        at: now,
        kind: 'rerouted',
        actor,
        visibility: 'internal',
        payload: {
          text: `Réorientée de ${from.name} vers ${target.name}${command.reason ? ` : ${command.reason}` : ''}`,
          from: { id: from.id, name: from.name },
          to: { id: target.id, name: target.name, inseeCode: target.inseeCode },
          reason: command.reason,
          delivery: plan.mode,
        },
      });
      if (holder.id !== current.collectivityId && holder.id === target.id) {
        await repository.appendEvent(moved, {
          at: now,
          kind: 'collectivity_changed',
          actor: { type: 'system', name: 'routing' },
          visibility: 'citizen',
          payload: { text: `Votre demande est désormais traitée par la commune ${de(target.name)}.`, collectivityId: target.id },
        });
      }
      // Its own round (the lock version after the move): a commune re-routed to again is delivered again.
      await this.delivery.write(manager, moved, target, plan, now, { reroutedFrom: from.id, round: `reroute-${moved.lockVersion}` });
      return moved;
    });
    return { demand, plan };
  }
}

/** « de Givors », « d’Écully ». */
function de(name: string): string {
  return /^[aeiouyàâéèêëîïôœù]/i.test(name) ? `d’${name}` : `de ${name}`;
}
