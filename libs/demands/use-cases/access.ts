import { DomainError } from '#core';
import type { Actor as HistoryActor } from '../demands.types.js';
import { agentScope, citizenScope, platformScope, trackingScope, type TenantScope } from '../tenancy/tenant-scope.js';

/** What a caller may ask the engine to do. */
export type EnginePermission = 'teleservices:read' | 'demands:read' | 'demands:write' | 'demands:submit';

/**
 * Who calls a use case. The transport resolves it (API key, OIDC session, tracking code) and the use case
 * checks it first (`requireAccess`), then runs in the tenant scope it implies (`scopeOf`).
 *
 * - `api`: a partner system holding an API key of one collectivity, with the key's scopes. On workflow
 *   buttons it acts as an agent of that collectivity holding **every** workflow function (a Connecté commune's
 *   GRU processes demands through the API); on API triggers it acts as `{ kind: 'api' }`.
 * - `agent`: an agent of some collectivities, with the workflow functions their roles give (resolved by the
 *   back office) and the permissions of their roles.
 */
export type EngineCaller =
  | { kind: 'api'; apiKeyId: string; collectivityId: string; scopes: readonly string[] }
  | { kind: 'agent'; sub: string; collectivityIds: readonly string[]; functions: readonly string[]; permissions: readonly EnginePermission[] }
  | { kind: 'citizen'; sub: string }
  | { kind: 'anonymous' }
  | { kind: 'tracking'; demandId: string }
  | { kind: 'system'; name: string };

export const AccessErrorCodes = { ACCESS_DENIED: 'ACCESS_DENIED' } as const;

const API_SCOPE_FOR: Record<EnginePermission, string> = {
  'teleservices:read': 'teleservices:read',
  'demands:read': 'demands:read',
  'demands:write': 'demands:write',
  'demands:submit': 'demands:write',
};

/** First line of every use case serving a person or a partner: refuses (403 ACCESS_DENIED) what the caller may not do. */
export function requireAccess(caller: EngineCaller, permission: EnginePermission): void {
  switch (caller.kind) {
    case 'api':
      if (caller.scopes.includes(API_SCOPE_FOR[permission])) return;
      throw DomainError.forbidden(AccessErrorCodes.ACCESS_DENIED, `Cette clé d'API n'a pas la portée « ${API_SCOPE_FOR[permission]} ».`);
    case 'agent':
      if (caller.permissions.includes(permission)) return;
      break;
    case 'citizen':
    case 'tracking':
      // Their own demands only: the tenant scope (row-level security) narrows every read and write.
      if (permission !== 'teleservices:read') return;
      break;
    case 'anonymous':
      if (permission === 'demands:submit') return;
      break;
    case 'system':
      return;
  }
  throw DomainError.forbidden(AccessErrorCodes.ACCESS_DENIED, "Vous n'avez pas le droit d'effectuer cette opération.");
}

/** The tenant scope a caller's transactions run in (anonymous submissions use the new demand's tracking scope). */
export function scopeOf(caller: EngineCaller, newDemandId?: string): TenantScope {
  switch (caller.kind) {
    case 'api':
      return agentScope([caller.collectivityId]);
    case 'agent':
      return agentScope(caller.collectivityIds);
    case 'citizen':
      return citizenScope(caller.sub);
    case 'tracking':
      return trackingScope(caller.demandId);
    case 'anonymous':
      if (!newDemandId) throw DomainError.forbidden(AccessErrorCodes.ACCESS_DENIED, 'Accès anonyme refusé.');
      return trackingScope(newDemandId);
    case 'system':
      return platformScope(caller.name);
  }
}

/** How history and messages record the caller. */
export function historyActorOf(caller: EngineCaller): HistoryActor {
  switch (caller.kind) {
    case 'api':
      return { type: 'partner', apiKeyId: caller.apiKeyId };
    case 'agent':
      return { type: 'agent', sub: caller.sub, collectivityId: caller.collectivityIds[0] ?? '' };
    case 'citizen':
      return { type: 'citizen', sub: caller.sub };
    case 'tracking':
    case 'anonymous':
      return { type: 'citizen' };
    case 'system':
      return { type: 'system', name: caller.name };
  }
}

/** Whether the caller sees agent-only things (internal history, internal messages). */
export function isStaff(caller: EngineCaller): boolean {
  return caller.kind === 'api' || caller.kind === 'agent' || caller.kind === 'system';
}
