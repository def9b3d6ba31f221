import type { EntityManager } from 'typeorm';
import { demandErrors } from '../demands.errors.js';
import type { Draft } from '../entities/draft.entity.js';
import type { CitizenScope } from '../tenancy/tenant-scope.js';
import { requireTenantScope } from '../tenancy/with-tenant.js';
import { toDraft } from './rows.js';

export interface DraftInput {
  teleserviceId: string;
  versionId: string;
  data: Record<string, unknown>;
  currentPage: string | null;
  now: Date;
  expiresAt: Date;
}

/** Citizens' drafts, under row-level security on `account_sub` (citizen scope), purged in platform scope. */
export class DraftRepository {
  constructor(private readonly manager: EntityManager) {}

  async create(scope: CitizenScope, input: DraftInput): Promise<Draft> {
    requireTenantScope(this.manager, 'citizen');
    const rows = await this.manager.query(
      `INSERT INTO "draft" ("account_sub", "teleservice_id", "version_id", "data", "current_page", "created_at", "updated_at", "expires_at")
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $6, $7) RETURNING *`,
      [scope.accountSub, input.teleserviceId, input.versionId, JSON.stringify(input.data), input.currentPage, input.now, input.expiresAt],
    );
    return toDraft(rows[0]);
  }

  async save(scope: CitizenScope, id: string, input: Omit<DraftInput, 'teleserviceId' | 'versionId'>): Promise<Draft> {
    requireTenantScope(this.manager, 'citizen');
    const rows = await this.manager.query(
      `UPDATE "draft" SET "data" = $3::jsonb, "current_page" = $4, "updated_at" = $5, "expires_at" = $6
        WHERE "id" = $1 AND "account_sub" = $2 RETURNING *`,
      [id, scope.accountSub, JSON.stringify(input.data), input.currentPage, input.now, input.expiresAt],
    );
    const [updated] = rows as Record<string, unknown>[][];
    if (!updated?.length) throw demandErrors.draftNotFound();
    return toDraft(updated[0]);
  }

  async find(scope: CitizenScope, id: string): Promise<Draft | null> {
    requireTenantScope(this.manager, 'citizen');
    const rows = await this.manager.query(`SELECT * FROM "draft" WHERE "id" = $1 AND "account_sub" = $2`, [id, scope.accountSub]);
    return rows.length ? toDraft(rows[0]) : null;
  }

  async listForAccount(scope: CitizenScope): Promise<Draft[]> {
    requireTenantScope(this.manager, 'citizen');
    const rows = await this.manager.query(`SELECT * FROM "draft" WHERE "account_sub" = $1 ORDER BY "updated_at" DESC, "id"`, [
      scope.accountSub,
    ]);
    return rows.map(toDraft);
  }

  async countForAccount(scope: CitizenScope): Promise<number> {
    requireTenantScope(this.manager, 'citizen');
    const rows: { count: string }[] = await this.manager.query(`SELECT count(*) AS "count" FROM "draft" WHERE "account_sub" = $1`, [
      scope.accountSub,
    ]);
    return Number(rows[0].count);
  }

  async delete(scope: CitizenScope, id: string): Promise<boolean> {
    requireTenantScope(this.manager, 'citizen');
    const rows = await this.manager.query(`DELETE FROM "draft" WHERE "id" = $1 AND "account_sub" = $2 RETURNING "id"`, [id, scope.accountSub]);
    const [deleted] = rows as unknown[][];
    return (deleted?.length ?? 0) > 0;
  }

  /** Platform scope (scheduled purge): deletes drafts expired at `now`; returns the deleted drafts' data (their staged files are the caller's to discard). */
  async purgeExpired(now: Date): Promise<Record<string, unknown>[]> {
    requireTenantScope(this.manager, 'platform');
    const rows = await this.manager.query(`DELETE FROM "draft" WHERE "expires_at" <= $1 RETURNING "data"`, [now]);
    const [deleted] = rows as { data: Record<string, unknown> }[][];
    return (deleted ?? []).map((row) => row.data);
  }
}
