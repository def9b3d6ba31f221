import type { EntityManager } from 'typeorm';
import { requireTenantScope } from '../tenancy/with-tenant.js';

export interface FunctionGrantRow {
  id: string;
  functionId: string;
  role: 'agent' | 'administrator' | null;
  accountSub: string | null;
  createdAt: Date;
  createdBy: string;
}

export interface NewFunctionGrant {
  collectivityId: string;
  teleserviceId: string;
  functionId: string;
  role: 'agent' | 'administrator' | null;
  accountSub: string | null;
  createdAt: Date;
  createdBy: string;
}

/**
 * `workflow_function_grant` (row-level security by collectivity: built on a `withTenant` manager, so a scope only
 * reads and writes its collectivities' rows; the collectivity is in every write's signature too).
 */
export class FunctionGrantRepository {
  constructor(private readonly manager: EntityManager) {}

  async listForTeleservice(teleserviceId: string): Promise<FunctionGrantRow[]> {
    requireTenantScope(this.manager);
    const rows = (await this.manager.query(
      `SELECT "id", "function_id", "role", "account_sub", "created_at", "created_by" FROM "workflow_function_grant"
        WHERE "teleservice_id" = $1 ORDER BY "function_id", "created_at"`,
      [teleserviceId],
    )) as { id: string; function_id: string; role: 'agent' | 'administrator' | null; account_sub: string | null; created_at: Date; created_by: string }[];
    return rows.map((r) => ({ id: r.id, functionId: r.function_id, role: r.role, accountSub: r.account_sub, createdAt: r.created_at, createdBy: r.created_by }));
  }

  /** Inserts a grant; an identical one already there is kept (idempotent). */
  async insert(grant: NewFunctionGrant): Promise<void> {
    requireTenantScope(this.manager);
    await this.manager.query(
      `INSERT INTO "workflow_function_grant" ("collectivity_id", "teleservice_id", "function_id", "role", "account_sub", "created_at", "created_by")
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [grant.collectivityId, grant.teleserviceId, grant.functionId, grant.role, grant.accountSub, grant.createdAt, grant.createdBy],
    );
  }

  async deleteForTeleservice(collectivityId: string, teleserviceId: string): Promise<void> {
    requireTenantScope(this.manager);
    await this.manager.query(`DELETE FROM "workflow_function_grant" WHERE "teleservice_id" = $1 AND "collectivity_id" = $2`, [teleserviceId, collectivityId]);
  }

  /** True when a row was deleted. */
  async delete(collectivityId: string, id: string): Promise<boolean> {
    requireTenantScope(this.manager);
    const [, count] = (await this.manager.query(`DELETE FROM "workflow_function_grant" WHERE "id" = $1::uuid AND "collectivity_id" = $2`, [id, collectivityId])) as [unknown, number];
    return count > 0;
  }

  /** The teleservice and version of a demand the scope sees, or null. */
  async demandRef(demandId: string): Promise<{ collectivityId: string; teleserviceId: string; versionId: string } | null> {
    requireTenantScope(this.manager);
    const [row] = (await this.manager.query(`SELECT "collectivity_id", "teleservice_id", "version_id" FROM "demand" WHERE "id" = $1`, [demandId])) as {
      collectivity_id: string;
      teleservice_id: string;
      version_id: string;
    }[];
    return row ? { collectivityId: row.collectivity_id, teleserviceId: row.teleservice_id, versionId: row.version_id } : null;
  }
}

/** Active back-office roles of an account in a collectivity (`agent_role` has no row-level security: any manager). */
export async function activeRolesOf(manager: EntityManager, sub: string, collectivityId: string): Promise<string[]> {
  const rows = (await manager.query(`SELECT "role" FROM "agent_role" WHERE "account_sub" = $1 AND "collectivity_id" = $2 AND "revoked_at" IS NULL`, [
    sub,
    collectivityId,
  ])) as { role: string }[];
  return rows.map((r) => r.role);
}
