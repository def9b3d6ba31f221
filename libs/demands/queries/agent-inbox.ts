import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SummaryEntry } from '#forms';
import type { AvailableAction, CitizenStatusView } from '#workflow';
import { demandErrors } from '../demands.errors.js';
import type { Attachment } from '../entities/attachment.entity.js';
import type { DemandEvent } from '../entities/demand-event.entity.js';
import type { DemandMessage } from '../entities/demand-message.entity.js';
import type { Demand } from '../entities/demand.entity.js';
import { conditionEvaluator, type CompiledDefinition } from '../engine/compiled-definitions.js';
import { DemandEngine } from '../engine/engine-context.js';
import { toDemand } from '../repositories/rows.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import { decodeCursor, encodeCursor } from '../repositories/cursor.js';
import type { AgentScope } from '../tenancy/tenant-scope.js';
import { agentScope } from '../tenancy/tenant-scope.js';
import { requireTenantScope } from '../tenancy/with-tenant.js';
import { parseTrackingCode, TRACKING_CODE_LENGTH } from '../tracking/tracking-code.js';
import { requireAccess, type EngineCaller } from '../use-cases/access.js';
import { loadDemandFor } from '../use-cases/demand-access.js';
import { variablesOf, workflowStateOf } from '../use-cases/workflow-outcome.js';

/**
 * The back office's reads (inbox, dashboard counters, filter choices, the demand view), each in the agent's
 * tenant transaction: row-level security refuses other collectivities' rows even where a WHERE forgets them.
 *
 * Text search is full text over the answers (`demand.search_vector`, GIN `demand_search_idx`: every word of the
 * term is a word of the answers, whole, accents and case ignored, French stems matched, stop words left out; see
 * `searchIds`) OR the tracking code, whole or its start, through the unique index (see `trackingCodeSearch`);
 * bench/backoffice-inbox.ts measures it, docs/backoffice.md « Text search » explains it.
 */
export interface InboxFilters {
  statuses?: string[];
  teleserviceIds?: string[];
  submittedFrom?: Date;
  submittedBefore?: Date;
  /** Tracking code (whole or its start), or words of the demand's answers (whole words; case, accents, French endings ignored). */
  text?: string;
  channels?: string[];
  /** Narrow to some of the scope's collectivities (never widens it: RLS and the scope filter stay). */
  collectivityIds?: string[];
  /**
   * Who has it: `me` (assigned to the agent), `my_functions` (assigned to a function and no person — a processing
   * role grants every function of the workflow for now, see `agentFunctionsFor`), `nobody` (unassigned).
   */
  assigned?: { kind: 'me'; sub: string } | { kind: 'my_functions'; functions?: string[] } | { kind: 'nobody' };
  /** Open (not closed), waiting for the citizen (an information request pending), or closed demands only. */
  state?: 'open' | 'waiting' | 'closed';
  /** Conditions on form fields (top-level values of `data`). */
  fields?: FieldFilter[];
}

/** A condition on a form field: equals (text form of the value), contains (case-insensitive), between (dates or numbers, inclusive). */
export type FieldFilter =
  | { fieldId: string; op: 'equals'; value: string }
  | { fieldId: string; op: 'contains'; value: string }
  | { fieldId: string; op: 'between'; from?: string; to?: string };

export interface InboxPageRequest {
  /** Rows after this cursor (older), from a page's `next`. */
  after?: string | null;
  /** Rows before this cursor (newer), from a page's `previous`. */
  before?: string | null;
  /** 1–200, default 50. */
  limit?: number;
  /** By submission date: newest first (`desc`, default) or oldest first (`asc`). */
  order?: 'asc' | 'desc';
}

export interface InboxPage {
  items: Demand[];
  /** Cursor of the older rows (« Suivants »), null on the last page. */
  next: string | null;
  /** Cursor of the newer rows (« Précédents »), null on the first page. */
  previous: string | null;
}

export interface TeleserviceCounter {
  teleserviceId: string;
  title: string;
  open: number;
  total: number;
  /** Open demands assigned to the agent (« à traiter par moi »). */
  mine: number;
}

/** How a listing shows a demand: status label and colour, summary line, values of the fields marked `inListings`. */
export interface DemandLabels {
  statusLabel: string;
  statusColour: string | null;
  summaryLine: string;
  listing: { label: string; value: string }[];
}

export interface StatusChoice {
  id: string;
  label: string;
}

export interface AgentDemandView {
  demand: Demand;
  teleserviceTitle: string;
  collectivityName: string;
  /** Label of the demand's (possibly internal) status. */
  statusLabel: string;
  statusColour: string | null;
  citizenStatus: CitizenStatusView;
  summary: SummaryEntry[];
  history: DemandEvent[];
  fieldAttachments: Attachment[];
  messages: { message: DemandMessage; attachments: Attachment[] }[];
  actions: AvailableAction[];
  /** The workflow functions the agent holds on this demand (see `agentFunctionsFor`). */
  functions: string[];
  /** Labels of the workflow's statuses, by id (for the history). */
  statusLabels: Record<string, string>;
  /** The workflow's functions (id, label), for assignment. */
  functionChoices: { id: string; label: string }[];
  /** The workflow's back-office fields with the demand's values (agents only). */
  backofficeFields: { id: string; label: string; value: string }[];
}

/**
 * The columns `toDemand` reads, for the back office's listings: `SELECT *` would also send each row's
 * `search_vector` (the full-text document, a few hundred bytes the application never reads).
 */
export const DEMAND_COLUMNS = [
  'id', 'collectivity_id', 'teleservice_id', 'version_id', 'tracking_code', 'access_secret_hash', 'account_sub', 'channel', 'submitted_by_agent', 'data',
  'backoffice_data', 'status', 'status_entered_at', 'workflow_state', 'assigned_function', 'assigned_agent', 'lock_version', 'created_at', 'submitted_at',
  'updated_at', 'closed_at', 'anonymised_at',
].map((c) => `"${c}"`).join(', ');

@Injectable()
export class AgentInboxQueries {
  constructor(private readonly engine: DemandEngine) {}

  /** A page of the inbox, newest submitted first (or oldest, `page.order`); keyset pagination both ways on (submitted_at, id). */
  inbox(caller: EngineCaller, filters: InboxFilters, page: InboxPageRequest = {}): Promise<InboxPage> {
    const scope = agentScopeOf(caller);
    return this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'agent');
      const limit = Math.min(Math.max(Math.trunc(page.limit ?? 50), 1), 200);
      const { where, params } = inboxWhere(scope, filters, await searchIds(manager, filters));
      const backwards = !page.after && !!page.before;
      const cursor = page.after ? decodeCursor(page.after) : page.before ? decodeCursor(page.before) : null;
      // Reading towards the end of the list (`after`) in its order, or back towards its start (`before`).
      const ascending = (page.order === 'asc') !== backwards;
      if (cursor) {
        params.push(cursor.at, cursor.id);
        where.push(`("submitted_at", "id") ${ascending ? '>' : '<'} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
      }
      params.push(limit + 1);
      const rows: Record<string, unknown>[] = await manager.query(
        `SELECT ${DEMAND_COLUMNS}, to_json("submitted_at") #>> '{}' AS "cursor_at" FROM "demand"
          WHERE ${where.join(' AND ')}
          ORDER BY "submitted_at" ${ascending ? 'ASC' : 'DESC'}, "id" ${ascending ? 'ASC' : 'DESC'}
          LIMIT $${params.length}`,
        params,
      );
      const more = rows.length > limit;
      const shown = rows.slice(0, limit);
      if (backwards) shown.reverse();
      const first = shown[0];
      const last = shown.at(-1);
      const cursorOf = (row: Record<string, unknown> | undefined) => (row ? encodeCursor(String(row.cursor_at), String(row.id)) : null);
      return {
        items: shown.map(toDemand),
        next: backwards ? cursorOf(last) : more ? cursorOf(last) : null,
        previous: backwards ? (more ? cursorOf(first) : null) : cursor ? cursorOf(first) : null,
      };
    });
  }

  /** How many demands match (same filters as the inbox). */
  count(caller: EngineCaller, filters: InboxFilters): Promise<number> {
    const scope = agentScopeOf(caller);
    return this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'agent');
      const { where, params } = inboxWhere(scope, filters, await searchIds(manager, filters));
      const rows: { n: number }[] = await manager.query(`SELECT count(*)::int AS "n" FROM "demand" WHERE ${where.join(' AND ')}`, params);
      return rows[0].n;
    });
  }

  /** « N ouvertes sur M » per téléservice having demands in the agent's collectivities (open = not closed). */
  countersByTeleservice(caller: EngineCaller): Promise<TeleserviceCounter[]> {
    const scope = agentScopeOf(caller);
    return this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'agent');
      const rows: { teleservice_id: string; title: string; open: number; total: number; mine: number }[] = await manager.query(
        `SELECT d."teleservice_id", t."title", count(*) FILTER (WHERE d."closed_at" IS NULL)::int AS "open", count(*)::int AS "total",
                count(*) FILTER (WHERE d."closed_at" IS NULL AND d."assigned_agent" = $2)::int AS "mine"
           FROM "demand" d JOIN "teleservice" t ON t."id" = d."teleservice_id"
          WHERE d."collectivity_id" = ANY ($1::uuid[])
          GROUP BY d."teleservice_id", t."title"
          ORDER BY t."title"`,
        [scope.collectivityIds, caller.kind === 'agent' ? caller.sub : ''],
      );
      return rows.map((r) => ({ teleserviceId: r.teleservice_id, title: r.title, open: r.open, total: r.total, mine: r.mine }));
    });
  }

  /** The latest open demands assigned to the agent (« mes demandes en cours »), most recently updated first. */
  myLatest(caller: EngineCaller, limit = 10): Promise<Demand[]> {
    const scope = agentScopeOf(caller);
    return this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'agent');
      const rows: Record<string, unknown>[] = await manager.query(
        `SELECT ${DEMAND_COLUMNS} FROM "demand"
          WHERE "collectivity_id" = ANY ($1::uuid[]) AND "assigned_agent" = $2 AND "closed_at" IS NULL
          ORDER BY "updated_at" DESC, "id" DESC LIMIT $3`,
        [scope.collectivityIds, caller.kind === 'agent' ? caller.sub : '', Math.min(Math.max(Math.trunc(limit), 1), 50)],
      );
      return rows.map(toDemand);
    });
  }

  /**
   * The user card: every demand of the citizen (territorial account) who made demand `id`, within the agent's
   * collectivities (row-level security and the scope filter), newest first, at most `limit`. Empty for a demand
   * without an account (anonymous, typed in by an agent). DEMAND_NOT_FOUND when `id` is not the agent's.
   */
  citizenDemands(caller: EngineCaller, id: string, limit = 200): Promise<{ demand: Demand; demands: Demand[] }> {
    const scope = agentScopeOf(caller);
    return this.engine.transaction(scope, async (manager) => {
      const demand = await loadDemandFor(manager, caller, id);
      if (!demand.accountSub) return { demand, demands: [] };
      const rows: Record<string, unknown>[] = await manager.query(
        `SELECT ${DEMAND_COLUMNS} FROM "demand" WHERE "collectivity_id" = ANY ($1::uuid[]) AND "account_sub" = $2
          ORDER BY "submitted_at" DESC, "id" DESC LIMIT $3`,
        [scope.collectivityIds, demand.accountSub, Math.min(Math.max(Math.trunc(limit), 1), 500)],
      );
      return { demand, demands: rows.map(toDemand) };
    });
  }

  /**
   * The choices of the inbox's filters, drawn from the agent's own demands only: téléservices and statuses
   * (labels from the workflow of each version in use).
   */
  filterChoices(caller: EngineCaller): Promise<{ teleservices: { id: string; title: string }[]; statuses: StatusChoice[] }> {
    const scope = agentScopeOf(caller);
    return this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'agent');
      const pairs: { version_id: string; status: string; teleservice_id: string; title: string }[] = await manager.query(
        `SELECT DISTINCT d."version_id", d."status", d."teleservice_id", t."title"
           FROM "demand" d JOIN "teleservice" t ON t."id" = d."teleservice_id"
          WHERE d."collectivity_id" = ANY ($1::uuid[])`,
        [scope.collectivityIds],
      );
      const teleservices = new Map<string, string>();
      const statuses = new Map<string, string>();
      for (const pair of pairs) {
        teleservices.set(pair.teleservice_id, pair.title);
        if (!statuses.has(pair.status)) {
          const definition = await this.engine.definitions.get(pair.version_id).catch(() => null);
          statuses.set(pair.status, definition?.workflow.status(pair.status)?.label ?? pair.status);
        }
      }
      const byLabel = (a: { title?: string; label?: string }, b: { title?: string; label?: string }) =>
        (a.title ?? a.label ?? '').localeCompare(b.title ?? b.label ?? '', 'fr');
      return {
        teleservices: [...teleservices].map(([id, title]) => ({ id, title })).sort(byLabel),
        statuses: [...statuses].map(([id, label]) => ({ id, label })).sort(byLabel),
      };
    });
  }

  /** Labels of statuses and téléservice titles for a list of demands (one compiled definition per version). */
  async labelsFor(demands: readonly Demand[]): Promise<Map<string, DemandLabels>> {
    const labels = new Map<string, DemandLabels>();
    // One look-up per version and call: a version that does not compile is not retried for every row.
    const definitions = new Map<string, Promise<CompiledDefinition | null>>();
    for (const demand of demands) {
      if (!definitions.has(demand.versionId)) definitions.set(demand.versionId, this.engine.definitions.get(demand.versionId).catch(() => null));
      const definition = await definitions.get(demand.versionId)!;
      const status = definition?.workflow.status(demand.status);
      const summaryLine = safely(() => definition?.form.summaryLine(demand.data) ?? '', '');
      const listing = safely(() => (definition?.form.listingValues(demand.data) ?? []).map((e) => ({ label: e.label, value: e.value })), []);
      labels.set(demand.id, { statusLabel: status?.label ?? demand.status, statusColour: status?.colour ?? null, summaryLine, listing });
    }
    return labels;
  }

  /** Workflow buttons allowed in bulk (`bulkAllowed`) in the versions of these demands, by action id. */
  async bulkActions(demands: readonly Demand[]): Promise<{ actionId: string; label: string }[]> {
    const found = new Map<string, string>();
    for (const versionId of new Set(demands.map((d) => d.versionId))) {
      const definition = await this.engine.definitions.get(versionId).catch(() => null);
      for (const status of definition?.workflow.definition.statuses ?? []) {
        for (const action of status.actions) if (action.kind === 'button' && action.bulkAllowed === true && !found.has(action.id)) found.set(action.id, action.label);
      }
    }
    return [...found].map(([actionId, label]) => ({ actionId, label }));
  }

  /** Titles of téléservices by id (the catalogue is public: no row-level security on it). */
  async teleserviceTitles(ids: readonly string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows: { id: string; title: string }[] = await this.engine.dataSource.query(`SELECT "id", "title" FROM "teleservice" WHERE "id" = ANY ($1::uuid[])`, [
      [...new Set(ids)],
    ]);
    return new Map(rows.map((r) => [r.id, r.title]));
  }

  /**
   * Everything the demand page shows, read in the agent's scope (DEMAND_NOT_FOUND for a demand of another
   * collectivity, exactly as for an unknown id): fields, files, full history (internal events included),
   * messages, and the workflow actions the agent may use.
   */
  view(caller: EngineCaller, id: string): Promise<AgentDemandView> {
    requireAccess(caller, 'demands:read');
    return this.engine.transaction(agentScopeOf(caller), async (manager) => {
      const demand = await loadDemandFor(manager, caller, id);
      const repository = new DemandRepository(manager);
      const history = await repository.listEvents(demand.id);
      const attachments = await repository.listAttachments(demand.id);
      const messages = await repository.listMessages(demand.id);
      const definition = await this.engine.definitions.get(demand.versionId);
      const state = workflowStateOf(demand);
      const functions = definition ? definition.workflow.definition.functions.map((f) => f.id) : [];
      const collectivityName = await this.engine.directory.nameOf(demand.collectivityId);
      const actions = definition
        ? definition.workflow.availableActions(
            state,
            { kind: 'agent', functions, id: caller.kind === 'agent' ? caller.sub : undefined },
            {
              evaluator: conditionEvaluator,
              variables: variablesOf({
                id: demand.id,
                trackingCode: demand.trackingCode,
                submittedAt: demand.submittedAt,
                data: demand.data,
                backofficeData: demand.backofficeData,
                collectivityName,
              }),
            },
          )
        : [];
      const summary = safely<SummaryEntry[]>(() => (definition ? definition.form.summary(demand.data) : []), []);
      const status = definition?.workflow.status(demand.status);
      const titles = await this.teleserviceTitlesIn(manager, [demand.teleserviceId]);
      return {
        demand,
        teleserviceTitle: titles.get(demand.teleserviceId) ?? '',
        collectivityName,
        statusLabel: status?.label ?? demand.status,
        statusColour: status?.colour ?? null,
        citizenStatus: definition ? definition.workflow.citizenStatus(state) : { statusId: demand.status, label: demand.status, colour: null },
        summary,
        history,
        fieldAttachments: attachments.filter((a) => a.messageId === null),
        messages: messages.map((message) => ({ message, attachments: attachments.filter((a) => a.messageId === message.id) })),
        actions: actions.filter((a) => a.kind === 'button' || a.kind === 'request_info'),
        functions,
        statusLabels: Object.fromEntries((definition?.workflow.definition.statuses ?? []).map((s) => [s.id, s.label])),
        functionChoices: (definition?.workflow.definition.functions ?? []).map((f) => ({ id: f.id, label: f.label })),
        backofficeFields: (definition?.workflow.definition.backofficeFields ?? []).map((f) => ({ id: f.id, label: f.label, value: textOf(demand.backofficeData[f.id]) })),
      };
    });
  }

  /**
   * The workflow functions an agent holds on a demand they can see. For now an `agent` or `administrator` role
   * of the demand's collectivity grants every function of the demand's workflow (functions per téléservice,
   * set by the commune's administrator, come later). DEMAND_NOT_FOUND when the demand is not theirs.
   */
  agentFunctionsFor(caller: EngineCaller, id: string): Promise<string[]> {
    requireAccess(caller, 'demands:read');
    return this.engine.transaction(agentScopeOf(caller), async (manager) => {
      const demand = await loadDemandFor(manager, caller, id);
      const definition = await this.engine.definitions.get(demand.versionId);
      return definition ? definition.workflow.definition.functions.map((f) => f.id) : [];
    });
  }

  private async teleserviceTitlesIn(manager: EntityManager, ids: string[]): Promise<Map<string, string>> {
    const rows: { id: string; title: string }[] = await manager.query(`SELECT "id", "title" FROM "teleservice" WHERE "id" = ANY ($1::uuid[])`, [ids]);
    return new Map(rows.map((r) => [r.id, r.title]));
  }
}

/** The agent's tenant scope; every other caller is refused (these reads are the back office's). */
function agentScopeOf(caller: EngineCaller): AgentScope {
  requireAccess(caller, 'demands:read');
  if (caller.kind !== 'agent') throw demandErrors.notFound();
  return agentScope(caller.collectivityIds);
}

/** Display helpers never fail a page: data that no longer fits its form shows nothing rather than an error. */
function safely<T>(compute: () => T, fallback: T): T {
  try {
    return compute();
  } catch {
    return fallback;
  }
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `%`, `_` and `\` taken literally in ILIKE. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const CODE_PREFIX = /^[2-9A-HJKMNP-Z]{4,9}$/;

/**
 * What of a search term may be a tracking code: the whole code (as `parseTrackingCode` reads it), or its start —
 * 4 to 9 characters of the code's alphabet once spaces and dashes are removed, with at least one digit (a
 * plain word such as « banc » is not taken for a code). Codes only hold [2-9A-HJKMNP-Z] and `Z` is the
 * alphabet's last symbol, so `prefix ≤ code ≤ prefix + 'Z…Z'` is the prefix's range of the unique index.
 */
export function trackingCodeSearch(term: string): { kind: 'exact'; code: string } | { kind: 'prefix'; prefix: string } | null {
  const code = parseTrackingCode(term);
  if (code) return { kind: 'exact', code };
  const compact = term.replace(/[\s-]/g, '').toUpperCase();
  return CODE_PREFIX.test(compact) && /\d/.test(compact) ? { kind: 'prefix', prefix: compact } : null;
}

/** Above this many matches in the agent's collectivities, a term is filtered row by row rather than by ids. */
export const SEARCH_ID_CAP = 200;

/**
 * The ids of the demands of the transaction's collectivities whose answers match `filters.text`, at most
 * SEARCH_ID_CAP + 1 (then: too many, see `inboxWhere`), read through the GIN index by `parvis_demand_search_ids`
 * (migration 1763802400000: row-level security would keep the index out of the tenant's own query). Undefined
 * without a text filter.
 */
export async function searchIds(manager: EntityManager, filters: InboxFilters): Promise<string[] | undefined> {
  const text = filters.text?.trim();
  if (!text) return undefined;
  const [{ ids }] = await manager.query<{ ids: string[] }[]>(`SELECT parvis_demand_search_ids($1, $2) AS "ids"`, [text, SEARCH_ID_CAP + 1]);
  return ids;
}

/**
 * The WHERE of a listing (the inbox, its count, its exports), in the agent's scope. `textIds`, from `searchIds` in
 * the same transaction, is required with a text filter.
 */
export function inboxWhere(scope: AgentScope, filters: InboxFilters, textIds?: string[]): { where: string[]; params: unknown[] } {
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  // One value is written `=`, not `= ANY`: PostgreSQL then reads `demand_inbox_idx` in (submitted_at, id) order and
  // stops at the page's last row; with `= ANY` it must fetch every candidate row and sort them.
  const oneOf = (column: string, type: string, values: readonly string[]) =>
    values.length === 1 ? add((n) => `"${column}" = $${n}::${type}`, values[0]) : add((n) => `"${column}" = ANY ($${n}::${type}[])`, values);
  oneOf('collectivity_id', 'uuid', scope.collectivityIds);
  if (filters.statuses?.length) oneOf('status', 'text', filters.statuses);
  if (filters.teleserviceIds?.length) add((n) => `"teleservice_id" = ANY ($${n}::uuid[])`, filters.teleserviceIds);
  if (filters.submittedFrom) add((n) => `"submitted_at" >= $${n}`, filters.submittedFrom);
  if (filters.submittedBefore) add((n) => `"submitted_at" < $${n}`, filters.submittedBefore);
  if (filters.channels?.length) add((n) => `"channel" = ANY ($${n}::text[])`, filters.channels);
  if (filters.collectivityIds?.length) oneOf('collectivity_id', 'uuid', filters.collectivityIds);
  if (filters.state === 'open') where.push(`"closed_at" IS NULL`);
  if (filters.state === 'closed') where.push(`"closed_at" IS NOT NULL`);
  if (filters.state === 'waiting') where.push(`"closed_at" IS NULL AND jsonb_typeof("workflow_state" -> 'pendingInfoRequest') = 'object'`);
  const assigned = filters.assigned;
  if (assigned?.kind === 'me') add((n) => `"assigned_agent" = $${n}`, assigned.sub);
  if (assigned?.kind === 'nobody') where.push(`"assigned_agent" IS NULL AND "assigned_function" IS NULL`);
  if (assigned?.kind === 'my_functions') {
    if (assigned.functions) add((n) => `"assigned_agent" IS NULL AND "assigned_function" = ANY ($${n}::text[])`, assigned.functions);
    else where.push(`"assigned_agent" IS NULL AND "assigned_function" IS NOT NULL`);
  }
  for (const field of filters.fields ?? []) {
    params.push(field.fieldId);
    const value = `("data" ->> $${params.length})`;
    if (field.op === 'equals') add((n) => `${value} = $${n}`, field.value);
    else if (field.op === 'contains') add((n) => `${value} ILIKE $${n}`, `%${escapeLike(field.value)}%`);
    else {
      // Numbers compare as numbers, anything else (ISO dates) as text.
      const numeric = [field.from, field.to].every((v) => v === undefined || /^-?\d+(\.\d+)?$/.test(v));
      const cast = numeric ? `CASE WHEN ${value} ~ '^-?\\d+(\\.\\d+)?$' THEN ${value}::numeric END` : value;
      if (field.from !== undefined) add((n) => `${cast} >= $${n}${numeric ? '::numeric' : ''}`, field.from);
      if (field.to !== undefined) add((n) => `${cast} <= $${n}${numeric ? '::numeric' : ''}`, field.to);
    }
  }
  const text = filters.text?.trim();
  if (text) {
    // Few matches: their ids, through the primary key (`searchIds`). Many: the full-text filter on each row the
    // other filters leave (a common word soon fills a page in index order).
    let words: string;
    if (textIds && textIds.length <= SEARCH_ID_CAP) {
      params.push(textIds);
      words = `"id" = ANY ($${params.length}::uuid[])`;
    } else {
      params.push(text);
      words = `"search_vector" @@ parvis_demand_search_query($${params.length}::text)`;
    }
    // A tracking code, whole or its start, through the unique index: its own branch of the OR (a BitmapOr).
    const code = trackingCodeSearch(text);
    if (code?.kind === 'exact') {
      params.push(code.code);
      where.push(`("tracking_code" = $${params.length} OR ${words})`);
    } else if (code?.kind === 'prefix') {
      params.push(code.prefix, `${code.prefix}${'Z'.repeat(TRACKING_CODE_LENGTH - code.prefix.length)}`, `${code.prefix}%`);
      const n = params.length;
      where.push(`(("tracking_code" BETWEEN $${n - 2} AND $${n - 1} AND "tracking_code" LIKE $${n}) OR ${words})`);
    } else {
      where.push(words);
    }
  }
  return { where, params };
}

