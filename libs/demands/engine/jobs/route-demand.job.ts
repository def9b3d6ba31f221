import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, DomainError, type AppConfig } from '#core';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { RoutingService, type RoutingDecision } from '#routing';
import { TerritoryService } from '#territory';
import { DemandErrorCodes } from '../../demands.errors.js';
import { DemandRepository } from '../../repositories/demand.repository.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import { DemandEngine } from '../engine-context.js';
import { DemandDelivery } from './demand-delivery.js';

/**
 * `demand.route`: a demand on a mutualised téléservice was stored with its owner (the metropolis); find the
 * competent commune from the field the téléservice's routing rule names and move the demand there (history,
 * messages and files follow by ON UPDATE CASCADE), with a citizen-visible event carrying the decision's reason.
 * A choice needed (shared postcode, boundary gap, ambiguous address) or a place outside the territory leaves
 * the demand with the metropolis and records an internal « à orienter » event.
 *
 * Delivery by the commune's counter membership happens in the same transaction as the move (`DemandDelivery`):
 * GRU + agents' mails (Partenaire, Abonné) or a pending connector delivery (Connecté). A commune outside the
 * counter has no GRU, so the demand is not moved: it stays with the metropolis (its agents follow it through the
 * link in the mail) and is relayed by email to the commune's contact address with a citizen-visible event, or,
 * without a contact address, gets an internal « adresse de contact manquante » event for a manual handling.
 *
 * Idempotent: a demand no longer with the téléservice's owner was routed already. A concurrent update of the
 * demand, or the geocoder being down, fails the attempt so that it is retried.
 */
@Injectable()
export class RouteDemandJob implements JobHandler<'demand.route'> {
  readonly job = 'demand.route';
  private readonly delivery: DemandDelivery;

  constructor(
    private readonly engine: DemandEngine,
    private readonly routing: RoutingService,
    private readonly territory: TerritoryService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.delivery = new DemandDelivery(engine, territory, config);
  }

  async handle(payload: JobPayload<'demand.route'>, context: JobContext<'demand.route'>): Promise<void> {
    const scope = platformScope('routage d’une demande mutualisée');
    const demand = await this.engine.transaction(scope, (m) => new DemandRepository(m).findForPlatform(payload.demandId));
    if (!demand) {
      context.logger.warn({ demandId: payload.demandId }, 'Demande à router introuvable : rien à faire');
      return;
    }
    const teleservice = await this.engine.teleservices().findById(demand.teleserviceId);
    if (!teleservice?.routingRule || teleservice.kind !== 'mutualised' || demand.collectivityId !== teleservice.collectivityId) return;

    let decision: RoutingDecision | null = null;
    let problem: string | null = null;
    try {
      decision = await this.routing.decide(teleservice.routingRule, demand.data);
    } catch (error) {
      // Data the rule cannot read (a definition changed its field's type): an agent orients it by hand.
      if (error instanceof DomainError && error.kind === 'invalid') problem = error.message;
      else throw error;
    }
    const now = this.engine.clock.now();
    const target = decision?.outcome === 'routed' && decision.collectivity?.inseeCode ? await this.territory.findByInsee(decision.collectivity.inseeCode) : null;
    const plan = target && target.id !== demand.collectivityId ? await this.delivery.plan(target) : null;
    try {
      await this.engine.transaction(scope, async (manager) => {
        const repository = new DemandRepository(manager);
        // A commune outside the counter has no GRU: the demand stays with the metropolis (whose agents follow it),
        // relayed by mail to the commune's contact address, or left for a manual handling when there is none.
        if (decision && target && (plan?.mode === 'contact_missing' || plan?.mode === 'email_relay')) {
          await this.delivery.write(manager, demand, target, plan, now, { decision: summary(decision) });
          return;
        }
        if (decision && target && plan) {
          const moved = await repository.updateWithLock(demand.id, demand.lockVersion, { collectivityId: target.id }, now);
          await repository.appendEvent(moved, {
            at: now,
            kind: 'routed',
            actor: { type: 'system', name: 'routing' },
            visibility: 'citizen',
            payload: { text: decision.reason, from: demand.collectivityId, to: target.id, decision: summary(decision) },
          });
          await this.delivery.write(manager, moved, target, plan, now);
          return;
        }
        await repository.appendEvent(demand, {
          at: now,
          kind: 'routing_pending',
          actor: { type: 'system', name: 'routing' },
          visibility: 'internal',
          payload: decision ? { text: `Demande à orienter : ${decision.reason}`, decision: summary(decision) } : { text: `Demande à orienter : ${problem}` },
        });
      });
    } catch (error) {
      // Someone acted on the demand meanwhile: route again from the fresh row (a retry, not a failure).
      if (error instanceof DomainError && error.code === DemandErrorCodes.DEMAND_CONCURRENT_UPDATE) throw new Error('Demande modifiée pendant le routage', { cause: error });
      throw error;
    }
    context.logger.info({ demandId: demand.id, outcome: decision?.outcome ?? 'input_invalid', commune: target?.inseeCode ?? null, delivery: plan?.mode ?? null }, 'Demande routée');
  }
}

/** What the history keeps of a decision (no street: decisions never carry one). */
function summary(decision: RoutingDecision) {
  return {
    outcome: decision.outcome,
    rule: decision.rule,
    collectivity: decision.collectivity,
    candidates: decision.candidates.map((c) => ({ inseeCode: c.inseeCode, name: c.name })),
    flags: decision.flags,
  };
}
