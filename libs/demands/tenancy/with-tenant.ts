import type { DataSource, EntityManager } from 'typeorm';
import pg from 'pg';
import { runInOneTrip, type PreparedStatement } from '#db';
import { scopeSettings, type TenantScope } from './tenant-scope.js';

const { DatabaseError } = pg;

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
 * scope in transaction-local settings (`set_config(…, true)`), sent with the BEGIN in one round trip. Every setting is
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
  if (scope.kind === 'platform') {
    options.logger?.info({ tenancy: 'platform', reason: scope.reason }, 'Transaction hors périmètre de collectivité (plateforme)');
  }
  // BEGIN and the tenant switch travel in ONE round trip: a simple-protocol query of two statements (no bind
  // parameters there, hence literals, escaped below; the values were checked by scopeSettings).
  const begin =
    scope.kind === 'platform'
      ? `START TRANSACTION; SELECT set_config('parvis.platform', 'on', true), set_config('parvis.collectivity_ids', '', true),
                set_config('parvis.account_sub', '', true), set_config('parvis.demand_id', '', true),
                set_config('parvis.history_rewrite', '', true)`
      : `START TRANSACTION; SELECT set_config('role', ${sqlLiteral(TENANT_ROLE)}, true), set_config('parvis.platform', 'off', true),
                set_config('parvis.collectivity_ids', ${sqlLiteral(settings.collectivityIds)}, true),
                set_config('parvis.account_sub', ${sqlLiteral(settings.accountSub)}, true),
                set_config('parvis.demand_id', ${sqlLiteral(settings.demandId)}, true), set_config('parvis.history_rewrite', '', true)`;
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query(begin);
    // What `startTransaction()` would have recorded (its own START TRANSACTION costs a round trip of its own):
    // TypeORM then commits, rolls back and nests savepoints as usual.
    const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
    state.isTransactionActive = true;
    state.transactionDepth = 1;
    const manager = runner.manager;
    scopes.set(manager, scope);
    try {
      const result = await work(manager);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      scopes.delete(manager);
    }
  } catch (error) {
    // A failed BEGIN statement leaves no transaction open; anything else was rolled back above.
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

/** The tenant switch of `withTenantInOneTrip`, prepared once per connection (no column: nothing to read back). */
const TENANT_SWITCH = {
  name: 'parvis_tenant_switch',
  text: `SELECT FROM set_config('role', $1, true) AS r, set_config('parvis.platform', 'off', true) AS p,
       set_config('parvis.collectivity_ids', $2, true) AS c, set_config('parvis.account_sub', $3, true) AS a,
       set_config('parvis.demand_id', $4, true) AS d, set_config('parvis.history_rewrite', '', true) AS h`,
};

/**
 * A tenant transaction of prepared statements in ONE round trip (`runInOneTrip`): the tenant switch then
 * `statements`, in one implicit transaction that commits when all succeed and rolls back at the first error (thrown).
 * Each statement is parsed and planned once per connection, then only bound; values are bind parameters. Returns
 * the rows of `statements`, in order. Agent, citizen and tracking scopes only (a platform transaction is logged with
 * its reason: `withTenant`).
 */
export async function withTenantInOneTrip(
  dataSource: DataSource,
  scope: Exclude<TenantScope, { kind: 'platform' }>,
  statements: readonly PreparedStatement[],
): Promise<Record<string, unknown>[][]> {
  const settings = scopeSettings(scope);
  // The pool's connection itself (TypeORM's QueryRunner would only wrap it): one submission is one trip.
  const [client, release] = (await (dataSource.driver as unknown as MasterPool).obtainMasterConnection()) as [pg.PoolClient, (error?: Error) => void];
  // A connection lost while checked out emits 'error': recorded (the trip itself fails), never an uncaught exception.
  let broken: Error | undefined;
  const onError = (error: Error) => (broken ??= error);
  client.on('error', onError);
  try {
    const switchTenant = { ...TENANT_SWITCH, values: [TENANT_ROLE, settings.collectivityIds, settings.accountSub, settings.demandId] };
    const results = await runInOneTrip(client, [switchTenant, ...statements]);
    return results.slice(1);
  } catch (error) {
    // PostgreSQL's own error leaves the connection usable (rolled back, ready), except a FATAL one (the server closes
    // it: terminated backend, shutdown); anything else may not either. Such a connection is not reused.
    const usable = error instanceof DatabaseError && error.severity !== 'FATAL' && error.severity !== 'PANIC';
    if (!usable) broken ??= error as Error;
    throw error;
  } finally {
    client.removeListener('error', onError);
    release(broken);
  }
}

/** TypeORM's PostgreSQL driver: a connection of its pool, and the function that gives it back (an error: discarded). */
interface MasterPool {
  obtainMasterConnection(): Promise<[unknown, (error?: Error) => void]>;
}

/**
 * A PostgreSQL string literal (the algorithm of node-postgres' `escapeLiteral`: quotes doubled, and with a
 * backslash, backslashes doubled under the `E''` syntax, so the result does not depend on
 * `standard_conforming_strings`). NUL cannot be stored in text: refused.
 */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('Valeur de périmètre invalide (caractère NUL).');
  const quoted = `'${value.replace(/'/g, "''")}'`;
  return value.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
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
