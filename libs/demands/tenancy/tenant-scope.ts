import { demandErrors } from '../demands.errors.js';

/**
 * Whose rows a transaction may touch. Row-level security (migration 1763800300000-engine) reads it from
 * transaction-local settings that `withTenant` sets; see docs/tenancy.md.
 */
export type TenantScope = AgentScope | CitizenScope | TrackingScope | PlatformScope;

/** An agent: the demands of the collectivities they work for. */
export interface AgentScope {
  kind: 'agent';
  collectivityIds: readonly string[];
}

/** A logged-in citizen: their own demands (citizen-visible history and messages only) and drafts. */
export interface CitizenScope {
  kind: 'citizen';
  accountSub: string;
}

/** Whoever proved they hold a demand's tracking code (and secret): that demand only, as its citizen sees it. */
export interface TrackingScope {
  kind: 'tracking';
  demandId: string;
}

/**
 * The platform itself (worker, system jobs, tracking-code resolution): row-level security does not filter.
 * Explicit and logged, with the reason.
 */
export interface PlatformScope {
  kind: 'platform';
  reason: string;
}

export const agentScope = (collectivityIds: readonly string[]): AgentScope => ({ kind: 'agent', collectivityIds: [...collectivityIds] });
export const citizenScope = (accountSub: string): CitizenScope => ({ kind: 'citizen', accountSub });
export const trackingScope = (demandId: string): TrackingScope => ({ kind: 'tracking', demandId });
export const platformScope = (reason: string): PlatformScope => ({ kind: 'platform', reason });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The three settings the policies read, as set_config values ('' = none). Throws TENANT_SCOPE_INVALID. */
export function scopeSettings(scope: TenantScope): { collectivityIds: string; accountSub: string; demandId: string } {
  switch (scope.kind) {
    case 'agent': {
      if (!Array.isArray(scope.collectivityIds)) throw demandErrors.scopeInvalid('collectivités manquantes');
      for (const id of scope.collectivityIds) if (typeof id !== 'string' || !UUID.test(id)) throw demandErrors.scopeInvalid('identifiant de collectivité');
      // An agent of no collectivity sees nothing: an empty list, never "no filter".
      return { collectivityIds: scope.collectivityIds.map((id) => id.toLowerCase()).join(','), accountSub: '', demandId: '' };
    }
    case 'citizen':
      if (typeof scope.accountSub !== 'string' || scope.accountSub.trim() === '' || scope.accountSub.length > 255)
        throw demandErrors.scopeInvalid('compte');
      return { collectivityIds: '', accountSub: scope.accountSub, demandId: '' };
    case 'tracking':
      if (typeof scope.demandId !== 'string' || !UUID.test(scope.demandId)) throw demandErrors.scopeInvalid('demande');
      return { collectivityIds: '', accountSub: '', demandId: scope.demandId.toLowerCase() };
    case 'platform':
      if (typeof scope.reason !== 'string' || scope.reason.trim() === '') throw demandErrors.scopeInvalid('motif du périmètre plateforme');
      return { collectivityIds: '', accountSub: '', demandId: '' };
    default:
      throw demandErrors.scopeInvalid('type inconnu');
  }
}
