import { Injectable } from '@nestjs/common';
import { DemandEngine } from '../engine/engine-context.js';
import { decodeCursor, encodeCursor } from '../repositories/cursor.js';
import { citizenScope } from '../tenancy/tenant-scope.js';
import { requireTenantScope } from '../tenancy/with-tenant.js';

/**
 * The portal's notification centre: the `notification` rows the worker writes (#notifications), read and marked
 * read in the citizen's own tenant transaction (row-level security: `account_sub` = the citizen's; the tenant role
 * may update `read_at` only). Kept next to the other citizen reads because the tenant scopes live in #demands.
 */
export interface CitizenNotification {
  id: string;
  demandId: string | null;
  collectivityId: string;
  kind: string;
  title: string;
  body: string;
  createdAt: Date;
  readAt: Date | null;
}

export interface CitizenNotificationPage {
  items: CitizenNotification[];
  unread: number;
  next: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Row {
  id: string;
  demand_id: string | null;
  collectivity_id: string;
  kind: string;
  title: string;
  body: string;
  created_at: Date;
  read_at: Date | null;
  cursor_at: string;
}

@Injectable()
export class CitizenNotifications {
  constructor(private readonly engine: DemandEngine) {}

  /** Newest first (`notification_account_sub_idx`), with the unread count; keyset pagination on (created_at, id). */
  list(sub: string, page: { after?: string | null; limit?: number } = {}): Promise<CitizenNotificationPage> {
    const limit = Math.min(Math.max(Math.trunc(page.limit ?? 30), 1), 100);
    const cursor = page.after ? decodeCursor(page.after) : null;
    const scope = citizenScope(sub);
    return this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'citizen');
      const params: unknown[] = [scope.accountSub];
      let after = '';
      if (cursor) {
        params.push(cursor.at, cursor.id);
        after = `AND ("created_at", "id") < ($2::timestamptz, $3::uuid)`;
      }
      params.push(limit + 1);
      const rows = await manager.query<Row[]>(
        `SELECT *, to_json("created_at") #>> '{}' AS "cursor_at" FROM "notification"
          WHERE "account_sub" = $1 ${after}
          ORDER BY "created_at" DESC, "id" DESC LIMIT $${params.length}`,
        params,
      );
      const [{ n }] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS "n" FROM "notification" WHERE "account_sub" = $1 AND "read_at" IS NULL`, [
        scope.accountSub,
      ]);
      const shown = rows.slice(0, limit);
      const last = shown.at(-1);
      return { items: shown.map(toNotification), unread: n, next: rows.length > limit && last ? encodeCursor(last.cursor_at, last.id) : null };
    });
  }

  /** Unread notifications of the account: one count over the partial index `notification_unread_idx`. */
  unreadCount(sub: string): Promise<number> {
    const scope = citizenScope(sub);
    return this.engine.transaction(scope, async (manager) => {
      const [{ n }] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS "n" FROM "notification" WHERE "account_sub" = $1 AND "read_at" IS NULL`, [
        scope.accountSub,
      ]);
      return n;
    });
  }

  /**
   * Marks one notification read (kept read if it already was) and returns it; null when the account has no such
   * notification (another account's, unknown or malformed id — the same answer).
   */
  markRead(sub: string, id: string): Promise<CitizenNotification | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    const scope = citizenScope(sub);
    const now = this.engine.clock.now();
    return this.engine.transaction(scope, async (manager) => {
      const [updated] = await manager.query<[Row[], number]>(
        `UPDATE "notification" SET "read_at" = coalesce("read_at", $3) WHERE "id" = $1 AND "account_sub" = $2 RETURNING *, '' AS "cursor_at"`,
        [id, scope.accountSub, now],
      );
      return updated.length ? toNotification(updated[0]) : null;
    });
  }

  /** Marks every unread notification of the account read; returns how many. */
  markAllRead(sub: string): Promise<number> {
    const scope = citizenScope(sub);
    const now = this.engine.clock.now();
    return this.engine.transaction(scope, async (manager) => {
      const [, count] = await manager.query<[unknown[], number]>(
        `UPDATE "notification" SET "read_at" = $2 WHERE "account_sub" = $1 AND "read_at" IS NULL RETURNING "id"`,
        [scope.accountSub, now],
      );
      return count;
    });
  }
}

function toNotification(r: Row): CitizenNotification {
  return {
    id: r.id,
    demandId: r.demand_id,
    collectivityId: r.collectivity_id,
    kind: r.kind,
    title: r.title,
    body: r.body,
    createdAt: r.created_at,
    readAt: r.read_at,
  };
}
