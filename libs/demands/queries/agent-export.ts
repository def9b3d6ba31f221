import { Injectable } from '@nestjs/common';
import type { Demand } from '../entities/demand.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { toDemand } from '../repositories/rows.js';
import { agentScope } from '../tenancy/tenant-scope.js';
import { requireTenantScope } from '../tenancy/with-tenant.js';
import { requireAccess, type EngineCaller } from '../use-cases/access.js';
import { demandErrors } from '../demands.errors.js';
import { DEMAND_COLUMNS, inboxWhere, searchIds, type InboxFilters } from './agent-inbox.js';

/** Rows fetched from the server-side cursor at a time: memory stays bounded by one batch whatever the export's size. */
export const EXPORT_BATCH_ROWS = 500;

/**
 * The demands of a listing, for an export: the inbox's filters and order (newest submitted first by default), read through a PostgreSQL
 * cursor (`DECLARE … NO SCROLL CURSOR`, `FETCH n`) inside the agent's tenant transaction — row-level security
 * applies exactly as for the inbox. `onBatch` is awaited before the next FETCH (so a slow HTTP client slows the
 * reading, never fills memory).
 */
@Injectable()
export class AgentExportQueries {
  constructor(private readonly engine: DemandEngine) {}

  async each(
    caller: EngineCaller,
    filters: InboxFilters,
    onBatch: (demands: Demand[]) => Promise<void>,
    options: { order?: 'asc' | 'desc'; batchRows?: number } = {},
  ): Promise<number> {
    const order = options.order === 'asc' ? 'ASC' : 'DESC';
    const batchRows = options.batchRows ?? EXPORT_BATCH_ROWS;
    requireAccess(caller, 'demands:read');
    if (caller.kind !== 'agent') throw demandErrors.notFound();
    const scope = agentScope(caller.collectivityIds);
    return this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'agent');
      const { where, params } = inboxWhere(scope, filters, await searchIds(manager, filters));
      await manager.query(
        `DECLARE "agent_export" NO SCROLL CURSOR FOR
           SELECT ${DEMAND_COLUMNS} FROM "demand" WHERE ${where.join(' AND ')} ORDER BY "submitted_at" ${order}, "id" ${order}`,
        params,
      );
      let total = 0;
      for (;;) {
        const rows: Record<string, unknown>[] = await manager.query(`FETCH ${Math.max(1, Math.trunc(batchRows))} FROM "agent_export"`);
        if (!rows.length) break;
        total += rows.length;
        await onBatch(rows.map(toDemand));
      }
      await manager.query(`CLOSE "agent_export"`);
      return total;
    });
  }
}
