import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { demandErrors } from '../demands.errors.js';
import type { Actor, DemandChannel, Visibility } from '../demands.types.js';
import type { Attachment } from '../entities/attachment.entity.js';
import type { DemandEvent } from '../entities/demand-event.entity.js';
import type { DemandMessage } from '../entities/demand-message.entity.js';
import { Demand } from '../entities/demand.entity.js';
import type { AgentScope, CitizenScope, TenantScope, TrackingScope } from '../tenancy/tenant-scope.js';
import { requireTenantScope, withTenantInOneTrip } from '../tenancy/with-tenant.js';
import { generateTrackingCode, parseTrackingCode } from '../tracking/tracking-code.js';
import { pgCode } from '#db';
import type { OutboxRow } from '#queue';
import { PG, toAttachment, toDemand, toEvent, toMessage } from './rows.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export interface NewDemand {
  /** Generated here when absent; in a tracking scope (anonymous submission) it must be the scope's demand. */
  id?: string;
  collectivityId: string;
  teleserviceId: string;
  versionId: string;
  accountSub?: string | null;
  accessSecretHash?: string | null;
  channel: DemandChannel;
  submittedByAgent?: string | null;
  data: Record<string, unknown>;
  backofficeData?: Record<string, unknown>;
  status: string;
  /** The full workflow position (libs/workflow `WorkflowState`). */
  workflowState?: Record<string, unknown> | null;
  assignedFunction?: string | null;
  assignedAgent?: string | null;
  submittedAt: Date;
}

export interface InsertDemandOptions {
  /** Tracking-code source (tests force collisions with it). */
  generateCode?: () => string;
  /** Draws before giving up (DEMAND_TRACKING_CODE_EXHAUSTED). Default 5: a collision is already rare. */
  attempts?: number;
}

/** What an update may change; `lock_version` and `updated_at` are the repository's business. */
export interface DemandChanges {
  collectivityId?: string;
  data?: Record<string, unknown>;
  backofficeData?: Record<string, unknown>;
  status?: string;
  statusEnteredAt?: Date;
  workflowState?: Record<string, unknown> | null;
  assignedFunction?: string | null;
  assignedAgent?: string | null;
  closedAt?: Date | null;
  anonymisedAt?: Date | null;
  accessSecretHash?: string | null;
}

const CHANGE_COLUMNS: Record<keyof DemandChanges, { column: string; cast?: string }> = {
  collectivityId: { column: 'collectivity_id', cast: 'uuid' },
  data: { column: 'data', cast: 'jsonb' },
  backofficeData: { column: 'backoffice_data', cast: 'jsonb' },
  status: { column: 'status' },
  statusEnteredAt: { column: 'status_entered_at', cast: 'timestamptz' },
  workflowState: { column: 'workflow_state', cast: 'jsonb' },
  assignedFunction: { column: 'assigned_function' },
  assignedAgent: { column: 'assigned_agent' },
  closedAt: { column: 'closed_at', cast: 'timestamptz' },
  anonymisedAt: { column: 'anonymised_at', cast: 'timestamptz' },
  accessSecretHash: { column: 'access_secret_hash' },
};

export interface AgentDemandFilters {
  statuses?: string[];
  teleserviceIds?: string[];
  /** Narrow to some of the scope's collectivities (never widens it). */
  collectivityIds?: string[];
  assignedAgent?: string;
  assignedFunction?: string;
  channel?: DemandChannel;
  submittedFrom?: Date;
  submittedBefore?: Date;
}

export interface PageRequest {
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor?: string | null;
  /** 1–200; default 50. */
  limit?: number;
}

export interface Page<T> {
  items: T[];
  /** Null on the last page. */
  nextCursor: string | null;
}

export interface NewEvent {
  at: Date;
  kind: string;
  actor: Actor;
  visibility: Visibility;
  statusFrom?: string | null;
  statusTo?: string | null;
  payload?: Record<string, unknown>;
}

export interface NewMessage {
  author: Actor;
  body: string;
  visibility: Visibility;
  at: Date;
}

export interface NewAttachment {
  fieldId?: string | null;
  messageId?: string | null;
  storageKey: string;
  fileName: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  at: Date;
}

/** What `insertSubmission` writes in one statement, built for a given tracking code. */
export interface SubmissionRows {
  /** `id` should be given (the events and jobs usually name it). */
  demand: NewDemand;
  events: readonly NewEvent[];
  /** Rows checked by `OutboxService.prepare`. */
  outbox: readonly OutboxRow[];
}

/** The demand a child row belongs to: both columns of the composite foreign key. */
export type DemandRef = Pick<Demand, 'id' | 'collectivityId'>;

/** The minimum the platform reads to open a demand by its tracking code. */
export interface TrackingLookup {
  id: string;
  accessSecretHash: string | null;
  accountSub: string | null;
}

/**
 * The only code that touches the demands' tables. Built on a manager handed out by `withTenant`, so every
 * query runs under row-level security; methods named for an actor take that actor's scope and filter by it
 * too (belt and braces: the policies refuse what a forgotten filter would let through).
 */
export class DemandRepository {
  constructor(private readonly manager: EntityManager) {}

  // --- Writes -------------------------------------------------------------------------------------------

  /**
   * Inserts a submitted demand with a fresh tracking code, drawing again when the code is taken
   * (`ON CONFLICT DO NOTHING`, so a collision does not abort the transaction).
   */
  async insertDemand(input: NewDemand, options: InsertDemandOptions = {}): Promise<Demand> {
    const { id, accountSub } = ownInsert(requireTenantScope(this.manager), input);
    const draw = options.generateCode ?? generateTrackingCode;
    const attempts = options.attempts ?? 5;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const code = draw();
      const rows = await this.run<Record<string, unknown>[]>(
        `INSERT INTO "demand" ("id", "collectivity_id", "teleservice_id", "version_id", "tracking_code", "access_secret_hash",
            "account_sub", "channel", "submitted_by_agent", "data", "backoffice_data", "status", "status_entered_at",
            "assigned_function", "assigned_agent", "lock_version", "created_at", "submitted_at", "updated_at", "workflow_state")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14, $15, 1, $13, $13, $13, $16::jsonb)
         ON CONFLICT ("tracking_code") DO NOTHING
         RETURNING *`,
        [
          id,
          input.collectivityId,
          input.teleserviceId,
          input.versionId,
          code,
          input.accessSecretHash ?? null,
          accountSub,
          input.channel,
          input.submittedByAgent ?? null,
          JSON.stringify(input.data),
          JSON.stringify(input.backofficeData ?? {}),
          input.status,
          input.submittedAt,
          input.assignedFunction ?? null,
          input.assignedAgent ?? null,
          input.workflowState ? JSON.stringify(input.workflowState) : null,
        ],
      );
      if (rows.length === 1) return toDemand(rows[0]);
    }
    throw demandErrors.trackingCodeExhausted();
  }

  /**
   * A submission in ONE statement (`INSERT … WITH`): the demand, its history events and its outbox rows, so one
   * round trip where `insertDemand` + `appendEvents` + one `OutboxService.add` per job take three or more. The
   * events and jobs are inserted from the demand's `RETURNING` row: when the tracking code is taken
   * (`ON CONFLICT DO NOTHING`), nothing at all is written and `build` is called again with another code (the
   * rows may carry the code: messages quote it). Same scope rules as `insertDemand`.
   */
  async insertSubmission(build: (trackingCode: string) => SubmissionRows, options: InsertDemandOptions = {}): Promise<Demand> {
    const scope = requireTenantScope(this.manager);
    const draw = options.generateCode ?? generateTrackingCode;
    const attempts = options.attempts ?? 5;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const code = draw();
      const { values, demand } = submission(scope, build(code), code);
      const inserted = await this.run<Record<string, unknown>[]>(SUBMISSION_SQL, values);
      if (inserted.length === 1) return demand;
    }
    throw demandErrors.trackingCodeExhausted();
  }

  /**
   * Applies `changes` only if the demand is still at `expectedLockVersion`, and bumps it. A concurrent update
   * that committed first moved the version: DEMAND_CONCURRENT_UPDATE, nothing changed. (Under READ COMMITTED
   * the second UPDATE waits for the first's row lock, then re-checks its WHERE on the new row.)
   */
  async updateWithLock(id: string, expectedLockVersion: number, changes: DemandChanges, now: Date): Promise<Demand> {
    requireTenantScope(this.manager);
    const sets: string[] = [];
    const params: unknown[] = [id, expectedLockVersion, now];
    for (const [key, value] of Object.entries(changes) as [keyof DemandChanges, unknown][]) {
      const target = CHANGE_COLUMNS[key];
      if (!target || value === undefined) continue;
      params.push(target.cast === 'jsonb' ? JSON.stringify(value) : value);
      sets.push(`"${target.column}" = $${params.length}${target.cast ? `::${target.cast}` : ''}`);
    }
    // TypeORM answers an UPDATE with [rows, rowCount].
    const [rows] = await this.run<[Record<string, unknown>[], number]>(
      `UPDATE "demand" SET ${[...sets, `"lock_version" = "lock_version" + 1`, `"updated_at" = $3`].join(', ')}
        WHERE "id" = $1 AND "lock_version" = $2
        RETURNING *`,
      params,
    );
    if (rows.length === 1) return toDemand(rows[0]);
    const still = await this.manager.query(`SELECT 1 FROM "demand" WHERE "id" = $1`, [id]);
    throw still.length === 0 ? demandErrors.notFound() : demandErrors.concurrentUpdate();
  }

  /** Appends one history event; its collectivity is the demand's (composite foreign key). */
  async appendEvent(demand: DemandRef, event: NewEvent): Promise<DemandEvent> {
    requireTenantScope(this.manager);
    const rows = await this.run<Record<string, unknown>[]>(
      `INSERT INTO "demand_event" ("demand_id", "collectivity_id", "at", "kind", "actor", "visibility", "status_from", "status_to", "payload")
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb)
       RETURNING *`,
      [
        demand.id,
        demand.collectivityId,
        event.at,
        event.kind,
        JSON.stringify(event.actor),
        event.visibility,
        event.statusFrom ?? null,
        event.statusTo ?? null,
        JSON.stringify(event.payload ?? {}),
      ],
    );
    return toEvent(rows[0]);
  }

  /** Appends several history events in one statement, in order (ids follow the array's order). */
  async appendEvents(demand: DemandRef, events: readonly NewEvent[]): Promise<DemandEvent[]> {
    requireTenantScope(this.manager);
    if (events.length === 0) return [];
    const params: unknown[] = [demand.id, demand.collectivityId];
    const values = events.map((event) => {
      const base = params.length;
      params.push(
        event.at,
        event.kind,
        JSON.stringify(event.actor),
        event.visibility,
        event.statusFrom ?? null,
        event.statusTo ?? null,
        JSON.stringify(event.payload ?? {}),
      );
      return `($1, $2, $${base + 1}::timestamptz, $${base + 2}, $${base + 3}::jsonb, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}::jsonb)`;
    });
    const rows = await this.run<Record<string, unknown>[]>(
      `INSERT INTO "demand_event" ("demand_id", "collectivity_id", "at", "kind", "actor", "visibility", "status_from", "status_to", "payload")
       VALUES ${values.join(', ')}
       RETURNING *`,
      params,
    );
    return rows.map(toEvent).sort((a, b) => Number(a.id) - Number(b.id));
  }

  async insertMessage(demand: DemandRef, message: NewMessage): Promise<DemandMessage> {
    requireTenantScope(this.manager);
    const rows = await this.run<Record<string, unknown>[]>(
      `INSERT INTO "demand_message" ("demand_id", "collectivity_id", "author", "body", "visibility", "created_at")
       VALUES ($1, $2, $3::jsonb, $4, $5, $6) RETURNING *`,
      [demand.id, demand.collectivityId, JSON.stringify(message.author), message.body, message.visibility, message.at],
    );
    return toMessage(rows[0]);
  }

  async insertAttachment(demand: DemandRef, file: NewAttachment): Promise<Attachment> {
    requireTenantScope(this.manager);
    const rows = await this.run<Record<string, unknown>[]>(
      `INSERT INTO "attachment" ("demand_id", "collectivity_id", "field_id", "message_id", "storage_key", "file_name",
          "mime_type", "size_bytes", "sha256", "created_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        demand.id,
        demand.collectivityId,
        file.fieldId ?? null,
        file.messageId ?? null,
        file.storageKey,
        file.fileName,
        file.mimeType,
        file.sizeBytes,
        file.sha256,
        file.at,
      ],
    );
    return toAttachment(rows[0]);
  }

  // --- Agents -------------------------------------------------------------------------------------------

  async findForAgent(scope: AgentScope, id: string): Promise<Demand | null> {
    requireTenantScope(this.manager, 'agent');
    const rows = await this.manager.query(`SELECT * FROM "demand" WHERE "id" = $1 AND "collectivity_id" = ANY ($2::uuid[])`, [
      id,
      scope.collectivityIds,
    ]);
    return rows.length ? toDemand(rows[0]) : null;
  }

  /** Newest submitted first; keyset pagination on (submitted_at, id), served by `demand_inbox_idx` / `…_submitted_idx`. */
  async listForAgent(scope: AgentScope, filters: AgentDemandFilters = {}, page: PageRequest = {}): Promise<Page<Demand>> {
    requireTenantScope(this.manager, 'agent');
    const limit = Math.min(Math.max(Math.trunc(page.limit ?? 50), 1), 200);
    const { where, params } = agentWhere(scope, filters);
    if (page.cursor) {
      const cursor = decodeCursor(page.cursor);
      params.push(cursor.at, cursor.id);
      where.push(`("submitted_at", "id") < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows: Record<string, unknown>[] = await this.manager.query(
      `SELECT *, to_json("submitted_at") #>> '{}' AS "cursor_at" FROM "demand"
        WHERE ${where.join(' AND ')}
        ORDER BY "submitted_at" DESC, "id" DESC
        LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(toDemand),
      nextCursor: rows.length > limit && last ? encodeCursor(String(last.cursor_at), String(last.id)) : null,
    };
  }

  async countForAgent(scope: AgentScope, filters: AgentDemandFilters = {}): Promise<number> {
    requireTenantScope(this.manager, 'agent');
    const { where, params } = agentWhere(scope, filters);
    const rows: { count: string }[] = await this.manager.query(`SELECT count(*) AS "count" FROM "demand" WHERE ${where.join(' AND ')}`, params);
    return Number(rows[0].count);
  }

  // --- Platform (worker, system jobs) --------------------------------------------------------------------

  /** Platform scope only: a demand by id, whatever its collectivity (routing, timers). */
  async findForPlatform(id: string): Promise<Demand | null> {
    requireTenantScope(this.manager, 'platform');
    const rows = await this.manager.query(`SELECT * FROM "demand" WHERE "id" = $1`, [id]);
    return rows.length ? toDemand(rows[0]) : null;
  }

  // --- Citizens and tracking-code holders --------------------------------------------------------------

  async findForCitizen(scope: CitizenScope, id: string): Promise<Demand | null> {
    requireTenantScope(this.manager, 'citizen');
    const rows = await this.manager.query(`SELECT * FROM "demand" WHERE "id" = $1 AND "account_sub" = $2`, [id, scope.accountSub]);
    return rows.length ? toDemand(rows[0]) : null;
  }

  /** The citizen's demands, most recently updated first (`demand_account_idx`). */
  async listForCitizen(scope: CitizenScope, limit = 100): Promise<Demand[]> {
    requireTenantScope(this.manager, 'citizen');
    const rows = await this.manager.query(
      `SELECT * FROM "demand" WHERE "account_sub" = $1 ORDER BY "updated_at" DESC, "id" DESC LIMIT $2`,
      [scope.accountSub, Math.min(Math.max(Math.trunc(limit), 1), 500)],
    );
    return rows.map(toDemand);
  }

  async findForTracking(scope: TrackingScope): Promise<Demand | null> {
    requireTenantScope(this.manager, 'tracking');
    const rows = await this.manager.query(`SELECT * FROM "demand" WHERE "id" = $1`, [scope.demandId]);
    return rows.length ? toDemand(rows[0]) : null;
  }

  /**
   * Platform scope only: the id and access facts of the demand with this tracking code (any spelling a person
   * may type), or null. Callers check the secret with `secretMatches` (see `openByTrackingCode`).
   */
  async findByTrackingCode(input: string): Promise<TrackingLookup | null> {
    requireTenantScope(this.manager, 'platform');
    const code = parseTrackingCode(input);
    if (code === null) return null;
    const rows: { id: string; access_secret_hash: string | null; account_sub: string | null }[] = await this.manager.query(
      `SELECT "id", "access_secret_hash", "account_sub" FROM "demand" WHERE "tracking_code" = $1`,
      [code],
    );
    return rows.length ? { id: rows[0].id, accessSecretHash: rows[0].access_secret_hash, accountSub: rows[0].account_sub } : null;
  }

  /** Deletes some of a demand's attachment rows (the caller deletes the stored files after commit). */
  async deleteAttachments(demand: DemandRef, ids: readonly string[]): Promise<void> {
    requireTenantScope(this.manager);
    if (ids.length === 0) return;
    await this.run(`DELETE FROM "attachment" WHERE "demand_id" = $1 AND "collectivity_id" = $2 AND "id" = ANY($3::uuid[])`, [demand.id, demand.collectivityId, ids]);
  }

  /**
   * Deletes a demand with its history, messages and attachment rows (ON DELETE CASCADE). Platform scope with
   * `allowHistoryRewrite` only (the history guard refuses it otherwise). True when a row was deleted.
   */
  async deleteDemand(demand: DemandRef): Promise<boolean> {
    requireTenantScope(this.manager, 'platform');
    const [, count] = await this.run<[unknown[], number]>(`DELETE FROM "demand" WHERE "id" = $1 AND "collectivity_id" = $2`, [demand.id, demand.collectivityId]);
    return count > 0;
  }

  // --- Children (what the scope may see of them is decided by their policies) ----------------------------

  async listEvents(demandId: string): Promise<DemandEvent[]> {
    requireTenantScope(this.manager);
    const rows = await this.manager.query(`SELECT * FROM "demand_event" WHERE "demand_id" = $1 ORDER BY "id"`, [demandId]);
    return rows.map(toEvent);
  }

  async listMessages(demandId: string): Promise<DemandMessage[]> {
    requireTenantScope(this.manager);
    const rows = await this.manager.query(`SELECT * FROM "demand_message" WHERE "demand_id" = $1 ORDER BY "created_at", "id"`, [
      demandId,
    ]);
    return rows.map(toMessage);
  }

  async listAttachments(demandId: string): Promise<Attachment[]> {
    requireTenantScope(this.manager);
    const rows = await this.manager.query(`SELECT * FROM "attachment" WHERE "demand_id" = $1 ORDER BY "created_at", "id"`, [demandId]);
    return rows.map(toAttachment);
  }

  async findAttachment(id: string): Promise<Attachment | null> {
    requireTenantScope(this.manager);
    const rows = await this.manager.query(`SELECT * FROM "attachment" WHERE "id" = $1`, [id]);
    return rows.length ? toAttachment(rows[0]) : null;
  }

  /** Runs a write, translating what PostgreSQL refuses into domain errors. */
  private async run<T>(sql: string, params: unknown[]): Promise<T> {
    try {
      return (await this.manager.query(sql, params)) as T;
    } catch (error) {
      throw mapWriteError(error);
    }
  }
}

function agentWhere(scope: AgentScope, filters: AgentDemandFilters): { where: string[]; params: unknown[] } {
  const params: unknown[] = [scope.collectivityIds];
  const where = [`"collectivity_id" = ANY ($1::uuid[])`];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filters.collectivityIds) add((n) => `"collectivity_id" = ANY ($${n}::uuid[])`, filters.collectivityIds);
  if (filters.statuses) add((n) => `"status" = ANY ($${n}::text[])`, filters.statuses);
  if (filters.teleserviceIds) add((n) => `"teleservice_id" = ANY ($${n}::uuid[])`, filters.teleserviceIds);
  if (filters.assignedAgent !== undefined) add((n) => `"assigned_agent" = $${n}`, filters.assignedAgent);
  if (filters.assignedFunction !== undefined) add((n) => `"assigned_function" = $${n}`, filters.assignedFunction);
  if (filters.channel !== undefined) add((n) => `"channel" = $${n}`, filters.channel);
  if (filters.submittedFrom) add((n) => `"submitted_at" >= $${n}`, filters.submittedFrom);
  if (filters.submittedBefore) add((n) => `"submitted_at" < $${n}`, filters.submittedBefore);
  return { where, params };
}


/** The id and account a new demand gets in a scope (refusing one outside it). */
function ownInsert(scope: TenantScope, input: NewDemand): { id: string; accountSub: string | null } {
  let id = input.id ?? randomUUID();
  let accountSub = input.accountSub ?? null;
  if (scope.kind === 'agent' && !scope.collectivityIds.includes(input.collectivityId)) throw demandErrors.outOfScope();
  if (scope.kind === 'citizen') {
    if (accountSub !== null && accountSub !== scope.accountSub) throw demandErrors.outOfScope();
    accountSub = scope.accountSub;
  }
  if (scope.kind === 'tracking') {
    if (input.id !== undefined && input.id !== scope.demandId) throw demandErrors.outOfScope();
    id = scope.demandId;
  }
  return { id, accountSub };
}

/**
 * The submission statement (`INSERT … WITH`): the demand with `ON CONFLICT ("tracking_code") DO NOTHING`, its
 * history events and its outbox rows inserted from the demand's `RETURNING` row (so nothing is written when the
 * code is taken), in the order given (event ids, a bigserial, follow the history's order, as `appendEvents` does).
 * One text for every submission — events and jobs travel as JSON arrays, read back with their ordinality — so that a
 * connection prepares it once. It returns the demand's id only: the row is what was given (`submission`).
 */
const SUBMISSION_SQL = `WITH "d" AS (
  INSERT INTO "demand" ("id", "collectivity_id", "teleservice_id", "version_id", "tracking_code", "access_secret_hash",
      "account_sub", "channel", "submitted_by_agent", "data", "backoffice_data", "status", "status_entered_at",
      "assigned_function", "assigned_agent", "lock_version", "created_at", "submitted_at", "updated_at", "workflow_state")
  VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::text, $6::text, $7::text, $8::text, $9::text, $10::jsonb, $11::jsonb,
      $12::text, $13::timestamptz, $14::text, $15::text, 1, $13::timestamptz, $13::timestamptz, $13::timestamptz, $16::jsonb)
  ON CONFLICT ("tracking_code") DO NOTHING
  RETURNING "id", "collectivity_id"),
"e" AS (
  INSERT INTO "demand_event" ("demand_id", "collectivity_id", "at", "kind", "actor", "visibility", "status_from", "status_to", "payload")
  SELECT "d"."id", "d"."collectivity_id", v."at", v."kind", v."actor", v."visibility", v."status_from", v."status_to", v."payload"
  FROM "d" CROSS JOIN ROWS FROM (jsonb_to_recordset($17::jsonb)
      AS ("at" timestamptz, "kind" text, "actor" jsonb, "visibility" text, "status_from" text, "status_to" text, "payload" jsonb))
    WITH ORDINALITY AS v("at", "kind", "actor", "visibility", "status_from", "status_to", "payload", "n")
  ORDER BY v."n"),
"o" AS (
  INSERT INTO "outbox_message" ("job_name", "payload", "job_key", "correlation_id", "created_at", "available_at")
  SELECT v."job_name", v."payload", v."job_key", v."correlation_id", v."created_at", v."available_at"
  FROM "d" CROSS JOIN ROWS FROM (jsonb_to_recordset($18::jsonb)
      AS ("job_name" text, "payload" jsonb, "job_key" text, "correlation_id" text, "created_at" timestamptz, "available_at" timestamptz))
    WITH ORDINALITY AS v("job_name", "payload", "job_key", "correlation_id", "created_at", "available_at", "n")
  ORDER BY v."n"
  ON CONFLICT ("job_key") DO NOTHING)
SELECT "id" FROM "d"`;

/**
 * The parameters of `SUBMISSION_SQL` for these rows and tracking code (the scope's rules applied), all as text, and
 * the demand they insert, as a read would give it.
 */
function submission(scope: TenantScope, rows: SubmissionRows, code: string): { values: (string | null)[]; demand: Demand } {
  const { id, accountSub } = ownInsert(scope, rows.demand);
  const input = rows.demand;
  const events = rows.events.map((e) => ({
    at: e.at.toISOString(),
    kind: e.kind,
    actor: e.actor,
    visibility: e.visibility,
    status_from: e.statusFrom ?? null,
    status_to: e.statusTo ?? null,
    payload: e.payload ?? {},
  }));
  // Each outbox row holds its payload as JSON text already: written as it is inside the array.
  const jobs = rows.outbox.map(
    (j) =>
      `{"job_name":${JSON.stringify(j.jobName)},"payload":${j.payload},"job_key":${JSON.stringify(j.jobKey)},` +
      `"correlation_id":${JSON.stringify(j.correlationId)},"created_at":"${j.createdAt.toISOString()}","available_at":"${j.availableAt.toISOString()}"}`,
  );
  const values = [
    id, input.collectivityId, input.teleserviceId, input.versionId, code, input.accessSecretHash ?? null, accountSub, input.channel,
    input.submittedByAgent ?? null, JSON.stringify(input.data), JSON.stringify(input.backofficeData ?? {}), input.status,
    input.submittedAt.toISOString(), input.assignedFunction ?? null, input.assignedAgent ?? null,
    input.workflowState ? JSON.stringify(input.workflowState) : null, JSON.stringify(events), `[${jobs.join(',')}]`,
  ];
  const at = input.submittedAt;
  const demand = Object.assign(new Demand(), {
    id, collectivityId: input.collectivityId, teleserviceId: input.teleserviceId, versionId: input.versionId, trackingCode: code,
    accessSecretHash: input.accessSecretHash ?? null, accountSub, channel: input.channel, submittedByAgent: input.submittedByAgent ?? null,
    data: input.data, backofficeData: input.backofficeData ?? {}, status: input.status, statusEnteredAt: at,
    workflowState: input.workflowState ?? null, assignedFunction: input.assignedFunction ?? null, assignedAgent: input.assignedAgent ?? null,
    lockVersion: 1, createdAt: at, submittedAt: at, updatedAt: at, closedAt: null, anonymisedAt: null,
  });
  return { values, demand };
}

/**
 * `insertSubmission` in ONE round trip, for a submission without files nor parent demand (the engine's hottest
 * write): the tenant switch and the statement, both prepared once per connection, bound and run in one implicit
 * transaction (`withTenantInOneTrip`). Same rows, same scope rules, same errors; a taken tracking code commits
 * nothing and draws again.
 */
export async function insertSubmissionInOneTrip(
  dataSource: DataSource,
  scope: Exclude<TenantScope, { kind: 'platform' }>,
  build: (trackingCode: string) => SubmissionRows,
  options: InsertDemandOptions = {},
): Promise<Demand> {
  const draw = options.generateCode ?? generateTrackingCode;
  const attempts = options.attempts ?? 5;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const code = draw();
    const { values, demand } = submission(scope, build(code), code);
    let results: Record<string, unknown>[][];
    try {
      results = await withTenantInOneTrip(dataSource, scope, [{ name: 'parvis_submission', text: SUBMISSION_SQL, values }]);
    } catch (error) {
      throw mapWriteError(error);
    }
    if (results[0]?.length === 1) return demand;
  }
  throw demandErrors.trackingCodeExhausted();
}

/** PostgreSQL refusals that mean something to the domain; any other error as it is. */
function mapWriteError(error: unknown): unknown {
  const code = pgCode(error);
  // WITH CHECK of a row-level security policy: the row would belong to another scope.
  if (code === PG.INSUFFICIENT_PRIVILEGE) return demandErrors.outOfScope();
  if (code === PG.APPEND_ONLY) return demandErrors.historyAppendOnly();
  return error;
}
