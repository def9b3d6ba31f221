import { Injectable } from '@nestjs/common';
import { DemandEngine } from '../engine/engine-context.js';
import type { CompiledDefinition } from '../engine/compiled-definitions.js';
import { agentScope } from '../tenancy/tenant-scope.js';
import { requireTenantScope } from '../tenancy/with-tenant.js';
import { requireAccess, type EngineCaller } from '../use-cases/access.js';
import { demandErrors } from '../demands.errors.js';

export interface StatisticsRequest {
  /** Submitted at or after. */
  from?: Date;
  /** Submitted before. */
  before?: Date;
  teleserviceId?: string;
  /** Narrow to one of the agent's collectivities. */
  collectivityId?: string;
}

export interface Statistics {
  received: number;
  closed: number;
  byStatus: { label: string; count: number }[];
  byChannel: { channel: string; count: number }[];
  /** Submission → closure of the closed demands received in the period, in hours (null without closed demand). */
  processingHours: { mean: number; median: number; p90: number } | null;
  /** Demands received per Europe/Paris day (days without demands included), oldest first. */
  perDay: { day: string; count: number }[];
  perTeleservice: { teleserviceId: string; title: string; received: number; closed: number; medianHours: number | null }[];
}

/** One row of the grouping sets of `compute` (the columns not grouped by are NULL). */
interface GroupRow {
  set: number;
  teleservice_id: string | null;
  version_id: string | null;
  status: string | null;
  channel: string | null;
  day: string | null;
  count: number;
  closed: number;
  mean: number | null;
  median: number | null;
  p90: number | null;
  title: string | null;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** At most this many days in `perDay` (a longer period shows its last days). */
const MAX_DAYS = 366;

/**
 * The back office's statistics over the agent's collectivities (row-level security and the scope filter, like the
 * inbox): demands received in a period (by submission date), by status (workflow labels, merged by label across
 * versions), by channel, processing time of those closed (mean, median, 90th percentile — `percentile_cont`), per
 * day and per téléservice. Every figure comes from PostgreSQL aggregates: nothing is loaded row by row.
 */
@Injectable()
export class AgentStatistics {
  constructor(private readonly engine: DemandEngine) {}

  compute(caller: EngineCaller, request: StatisticsRequest): Promise<Statistics> {
    requireAccess(caller, 'demands:read');
    if (caller.kind !== 'agent') throw demandErrors.notFound();
    const scope = agentScope(caller.collectivityIds);
    return this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'agent');
      const params: unknown[] = [scope.collectivityIds];
      const where = [`d."collectivity_id" = ANY ($1::uuid[])`];
      const add = (sql: (n: number) => string, value: unknown) => {
        params.push(value);
        where.push(sql(params.length));
      };
      if (request.from) add((n) => `d."submitted_at" >= $${n}`, request.from);
      if (request.before) add((n) => `d."submitted_at" < $${n}`, request.before);
      if (request.teleserviceId) add((n) => `d."teleservice_id" = $${n}::uuid`, request.teleserviceId);
      if (request.collectivityId) add((n) => `d."collectivity_id" = $${n}::uuid`, request.collectivityId);
      // One read of the matching rows (docs/statistics.md, bench/statistics.ts): the narrow columns are materialised
      // once, then every figure is a grouping set over them. GROUPING(...) tells the sets apart (a bit per column
      // *not* grouped by: 31 = totals, 15 = per téléservice, 19 = per version and status, 29 = per channel, 30 = per
      // day). avg and percentile_cont ignore the NULL durations of open demands.
      const rows: GroupRow[] = await manager.query(
        `WITH s AS MATERIALIZED (
           SELECT d."teleservice_id", d."version_id", d."status", d."channel",
                  to_char(date_trunc('day', d."submitted_at" AT TIME ZONE 'Europe/Paris'), 'YYYY-MM-DD') AS "day",
                  extract(epoch FROM (d."closed_at" - d."submitted_at")) / 3600 AS "hours"
             FROM "demand" d WHERE ${where.join(' AND ')}
         ), g AS (
           SELECT GROUPING(s."teleservice_id", s."version_id", s."status", s."channel", s."day")::int AS "set",
                  s."teleservice_id", s."version_id", s."status", s."channel", s."day",
                  count(*)::int AS "count", count(s."hours")::int AS "closed", avg(s."hours")::float8 AS "mean",
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY s."hours")::float8 AS "median",
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY s."hours")::float8 AS "p90"
             FROM s GROUP BY GROUPING SETS ((), (s."teleservice_id"), (s."version_id", s."status"), (s."channel"), (s."day"))
         )
         SELECT g.*, t."title" FROM g LEFT JOIN "teleservice" t ON g."set" = 15 AND t."id" = g."teleservice_id"`,
        params,
      );
      const totals = rows.find((r) => r.set === 31)!;
      const statuses = rows.filter((r) => r.set === 19);
      const channels = rows.filter((r) => r.set === 29).sort((a, b) => b.count - a.count || compare(a.channel!, b.channel!));
      const days = rows.filter((r) => r.set === 30).sort((a, b) => compare(a.day!, b.day!));
      const teleservices = rows.filter((r) => r.set === 15).sort((a, b) => b.count - a.count || (a.title ?? '').localeCompare(b.title ?? '', 'fr'));

      const definitions = new Map<string, CompiledDefinition | null>();
      const byLabel = new Map<string, number>();
      for (const row of statuses) {
        const versionId = row.version_id!;
        if (!definitions.has(versionId)) definitions.set(versionId, await this.engine.definitions.get(versionId).catch(() => null));
        const label = definitions.get(versionId)?.workflow.status(row.status!)?.label ?? row.status!;
        byLabel.set(label, (byLabel.get(label) ?? 0) + row.count);
      }
      return {
        received: totals.count,
        closed: totals.closed,
        byStatus: [...byLabel].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label, 'fr')),
        byChannel: channels.map((c) => ({ channel: c.channel!, count: c.count })),
        processingHours: totals.closed ? { mean: totals.mean!, median: totals.median!, p90: totals.p90! } : null,
        perDay: fillDays(
          days.map((d) => ({ day: d.day!, count: d.count })),
          request,
        ).slice(-MAX_DAYS),
        perTeleservice: teleservices.map((t) => ({ teleserviceId: t.teleservice_id!, title: t.title ?? '', received: t.count, closed: t.closed, medianHours: t.median })),
      };
    });
  }
}

/** Every day between the first and the last (or the period's bounds when given), with 0 where none was received. */
function fillDays(days: { day: string; count: number }[], request: StatisticsRequest): { day: string; count: number }[] {
  if (!days.length) return [];
  const counts = new Map(days.map((d) => [d.day, d.count]));
  const first = request.from ? parisDay(request.from) : days[0].day;
  const last = request.before ? parisDay(new Date(request.before.getTime() - 1)) : days.at(-1)!.day;
  const out: { day: string; count: number }[] = [];
  for (let at = new Date(`${first}T12:00:00Z`); out.length <= MAX_DAYS * 10; at.setUTCDate(at.getUTCDate() + 1)) {
    const day = at.toISOString().slice(0, 10);
    if (day > last) break;
    out.push({ day, count: counts.get(day) ?? 0 });
  }
  return out;
}

function parisDay(at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
