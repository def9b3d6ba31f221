import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#core';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { TerritoryService } from '#territory';
import { DemandRepository } from '../../repositories/demand.repository.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import { DemandEngine } from '../engine-context.js';
import { DemandDelivery } from './demand-delivery.js';

/**
 * `demand.deliver`: a demand submitted on a commune's own téléservice is delivered according to the commune's
 * counter membership (see `DemandDelivery`). Demands of the metropolis are not delivered (it is their GRU).
 * Idempotent: a delivery event for (demand, commune) means it was done; mails carry deterministic keys.
 */
@Injectable()
export class DeliverDemandJob implements JobHandler<'demand.deliver'> {
  readonly job = 'demand.deliver';
  private readonly delivery: DemandDelivery;

  constructor(
    private readonly engine: DemandEngine,
    territory: TerritoryService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.delivery = new DemandDelivery(engine, territory, config);
  }

  async handle(payload: JobPayload<'demand.deliver'>, context: JobContext<'demand.deliver'>): Promise<void> {
    const scope = platformScope('remise d’une demande à sa commune');
    const demand = await this.engine.transaction(scope, (m) => new DemandRepository(m).findForPlatform(payload.demandId));
    if (!demand) {
      context.logger.warn({ demandId: payload.demandId }, 'Demande à remettre introuvable : rien à faire');
      return;
    }
    const commune = await this.delivery.collectivity(demand.collectivityId);
    if (commune?.kind !== 'commune') return;
    const plan = await this.delivery.plan(commune);
    await this.engine.transaction(scope, (manager) => this.delivery.write(manager, demand, commune, plan, this.engine.clock.now()));
    context.logger.info({ demandId: demand.id, commune: commune.inseeCode, delivery: plan.mode }, 'Demande remise à sa commune');
  }
}
