import type { EntityManager } from 'typeorm';
import { demandErrors } from '../demands.errors.js';
import type { Demand } from '../entities/demand.entity.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import { tenantScopeOf } from '../tenancy/with-tenant.js';
import { agentScope, type TenantScope } from '../tenancy/tenant-scope.js';
import { scopeOf, type EngineCaller } from './access.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The demand `id` as the caller may see it, inside their tenant transaction; DEMAND_NOT_FOUND otherwise — the
 * same answer for an unknown id and another collectivity's demand (existence is never revealed).
 */
export async function loadDemandFor(manager: EntityManager, caller: EngineCaller, id: string): Promise<Demand> {
  if (typeof id !== 'string' || !UUID.test(id)) throw demandErrors.notFound();
  const repository = new DemandRepository(manager);
  const scope = tenantScopeOf(manager);
  let demand: Demand | null = null;
  switch (scope?.kind) {
    case 'agent':
      demand = await repository.findForAgent(scope, id);
      // A citizen's write runs in the demand's collectivity's scope (see writeScopeFor): still their own demand only.
      if (demand && caller.kind === 'citizen' && demand.accountSub !== caller.sub) demand = null;
      if (demand && caller.kind === 'tracking' && demand.id !== caller.demandId.toLowerCase()) demand = null;
      break;
    case 'citizen':
      demand = await repository.findForCitizen(scope, id);
      break;
    case 'tracking':
      demand = scope.demandId === id.toLowerCase() ? await repository.findForTracking(scope) : null;
      break;
    case 'platform':
      demand = caller.kind === 'system' ? await repository.findForPlatform(id) : null;
      break;
  }
  if (!demand) throw demandErrors.notFound();
  return demand;
}

/**
 * The scope a write on an existing demand runs in. Agents, partners and the system write in their own scope.
 * A citizen's (or tracking-code holder's) own scope may only write citizen-visible history, but a workflow step
 * they trigger also writes internal events (deferred effects, internal statuses): their access is proven by a
 * read in their own scope, then the write runs in the demand's collectivity's scope, pinned to the lock_version
 * that read saw (anything that moved in between makes the write fail with DEMAND_CONCURRENT_UPDATE).
 */
export async function writeScopeFor(
  transaction: <T>(scope: TenantScope, work: (manager: EntityManager) => Promise<T>) => Promise<T>,
  caller: EngineCaller,
  demandId: string,
): Promise<{ scope: TenantScope; lockVersion: number | null }> {
  if (caller.kind !== 'citizen' && caller.kind !== 'tracking') return { scope: scopeOf(caller), lockVersion: null };
  const demand = await transaction(scopeOf(caller), (manager) => loadDemandFor(manager, caller, demandId));
  return { scope: agentScope([demand.collectivityId]), lockVersion: demand.lockVersion };
}
