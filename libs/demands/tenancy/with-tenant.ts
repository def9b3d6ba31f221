import type { DataSource, EntityManager } from 'typeorm';
import { scopeSettings, type TenantScope } from './tenant-scope.js';

/** The database role tenant transactions switch to (created by migration 1763800300000-engine). */
export const TENANT_ROLE = 'parvis_tenant';

/** What `withTenant` logs a platform scope with. A pino logger fits. */
export interface TenancyLogger {
  info(details: Record<string, unknown>, message: string): void;
}

export interface WithTenantOptions {
  /** Platform scopes are logged here (with their reason). */
  logger?: TenancyLogger;
}

const scopes = new WeakMap<EntityManager, TenantScope>();

/**
 * Runs `work` in one transaction whose rows are limited to `scope` by PostgreSQL row-level security:
 * `SET LOCAL ROLE parvis_tenant` (superusers and table owners would bypass the policies otherwise) and the
 * scope in transaction-local settings (`set_config(…, true)`), all in one round trip. Every setting is
 * written each time (unused ones to ''), so nothing set earlier on the pooled connection can widen the scope;
 * all of them, and the role, end with the transaction (commit or rollback).
 *
 * The platform scope keeps the connection's own role (a superuser bypasses RLS; a non-superuser owner goes
 * through the `*_platform` policies) and is logged with its reason.
 */
export async function withTenant<T>(
  dataSource: DataSource,
  scope: TenantScope,
  work: (manager: EntityManager) => Promise<T>,
  options: WithTenantOptions = {},
): Promise<T> {
  const settings = scopeSettings(scope);
  return dataSource.transaction(async (manager) => {
    if (scope.kind === 'platform') {
      options.logger?.info({ tenancy: 'platform', reason: scope.reason }, 'Transaction hors périmètre de collectivité (plateforme)');
      await manager.query(
        `SELECT set_config('parvis.platform', 'on', true), set_config('parvis.collectivity_ids', '', true),
                set_config('parvis.account_sub', '', true), set_config('parvis.demand_id', '', true),
                set_config('parvis.history_rewrite', '', true)`,
      );
    } else {
      await manager.query(
        `SELECT set_config('role', $1, true), set_config('parvis.platform', 'off', true),
                set_config('parvis.collectivity_ids', $2, true), set_config('parvis.account_sub', $3, true),
                set_config('parvis.demand_id', $4, true), set_config('parvis.history_rewrite', '', true)`,
        [TENANT_ROLE, settings.collectivityIds, settings.accountSub, settings.demandId],
      );
    }
    scopes.set(manager, scope);
    try {
      return await work(manager);
    } finally {
      scopes.delete(manager);
    }
  });
}

/** The scope of a manager handed out by `withTenant`, or undefined for any other manager. */
export function tenantScopeOf(manager: EntityManager): TenantScope | undefined {
  return scopes.get(manager);
}

/**
 * Repositories call this first: the manager must come from `withTenant` (so RLS applies), and with the
 * expected kind of scope when one is given. A programming error otherwise, never a person's.
 */
export function requireTenantScope<K extends TenantScope['kind']>(
  manager: EntityManager,
  ...kinds: K[]
): Extract<TenantScope, { kind: K }> {
  const scope = scopes.get(manager);
  if (!scope) throw new Error('Accès aux demandes hors de withTenant(…) : périmètre de collectivité absent.');
  if (kinds.length > 0 && !kinds.includes(scope.kind as K)) {
    throw new Error(`Périmètre « ${scope.kind} » inattendu ici (attendu : ${kinds.join(', ')}).`);
  }
  return scope as Extract<TenantScope, { kind: K }>;
}

/**
 * Platform scope only: lets this transaction rewrite a demand's history (anonymisation, purge of a deleted
 * demand), which the `demand_event` trigger refuses otherwise.
 */
export async function allowHistoryRewrite(manager: EntityManager): Promise<void> {
  requireTenantScope(manager, 'platform');
  await manager.query(`SELECT set_config('parvis.history_rewrite', 'on', true)`);
}
