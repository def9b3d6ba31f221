import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError } from '#core';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { DemandEngine } from '../engine/engine-context.js';
import { agentScope, platformScope } from '../tenancy/tenant-scope.js';
import { requireTenantScope } from '../tenancy/with-tenant.js';
import { requireAccess, type EngineCaller } from '../use-cases/access.js';
import { ActOnDemand, ActOnDemandCommand } from '../use-cases/act-on-demand.use-case.js';
import { AssignDemand, AssignDemandCommand } from '../use-cases/assign-demand.use-case.js';
import type { BulkKind, BulkResult, BulkStatus } from './agent-bulk-operation.entity.js';
import { AgentInboxQueries } from './agent-inbox.js';

export const BulkErrorCodes = {
  BULK_NOT_FOUND: 'BULK_OPERATION_NOT_FOUND',
  BULK_INVALID: 'BULK_OPERATION_INVALID',
} as const;

export const BULK_MAX_DEMANDS = 500;

export interface BulkOperationView {
  id: string;
  kind: BulkKind;
  params: Record<string, unknown>;
  status: BulkStatus;
  total: number;
  done: number;
  failed: number;
  results: BulkResult[];
  /** Tracking codes of the selected demands, by id (what the agent can still see). */
  trackingCodes: Record<string, string>;
}

export interface StartBulkInput {
  demandIds: unknown;
  kind: unknown;
  /** `{ to }` (see AssignDemand) or `{ actionId, comment? }`. */
  params: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROCESSING_ROLES = ['agent', 'administrator'];
const notFound = () => DomainError.notFound(BulkErrorCodes.BULK_NOT_FOUND, 'Opération groupée introuvable.');

/**
 * Bulk operations of the back office: an agent starts one on a selection of their demands (every id must be
 * visible in their scope, checked in their tenant transaction), the `demands.bulk` job runs it, the agent follows
 * its progress. Reads run in the agent's scope with the owner set (`parvis.agent_sub`): row-level security shows
 * an agent their own operations only.
 */
@Injectable()
export class AgentBulkOperations {
  constructor(private readonly engine: DemandEngine) {}

  async start(caller: EngineCaller, input: StartBulkInput): Promise<string> {
    requireAccess(caller, 'demands:write');
    if (caller.kind !== 'agent') throw notFound();
    const ids = Array.isArray(input.demandIds) ? [...new Set(input.demandIds.filter((id): id is string => typeof id === 'string').map((id) => id.toLowerCase()))] : [];
    const fields = [];
    if (!ids.length) fields.push({ path: 'demandIds', code: 'REQUIRED', message: 'Cochez au moins une demande.' });
    if (ids.length > BULK_MAX_DEMANDS) fields.push({ path: 'demandIds', code: 'TOO_MANY', message: `${BULK_MAX_DEMANDS} demandes au plus par opération.` });
    if (ids.some((id) => !UUID.test(id))) fields.push({ path: 'demandIds', code: 'INVALID_FORMAT', message: 'Sélection invalide.' });
    if (input.kind !== 'assign' && input.kind !== 'action') fields.push({ path: 'kind', code: 'NOT_AN_OPTION', message: 'Choisissez une opération.' });
    if (input.kind === 'action' && (typeof input.params.actionId !== 'string' || !/^[a-z][a-z0-9_-]{0,62}$/.test(input.params.actionId)))
      fields.push({ path: 'params.actionId', code: 'REQUIRED', message: 'Choisissez une action.' });
    if (input.kind === 'assign') AssignDemandCommand.create(caller, { demandId: ids[0] ?? '', to: input.params.to }); // shape check only
    if (fields.length) throw DomainError.invalid(BulkErrorCodes.BULK_INVALID, 'L’opération groupée n’a pas été lancée.', fields);
    return this.run(caller, async (manager) => {
      const visible: { id: string }[] = await manager.query(`SELECT "id" FROM "demand" WHERE "id" = ANY ($1::uuid[]) AND "collectivity_id" = ANY ($2::uuid[])`, [
        ids,
        caller.collectivityIds,
      ]);
      if (visible.length !== ids.length) {
        throw DomainError.invalid(BulkErrorCodes.BULK_INVALID, 'Certaines demandes sélectionnées sont introuvables.', [
          { path: 'demandIds', code: 'NOT_FOUND', message: 'Certaines demandes sélectionnées sont introuvables.' },
        ]);
      }
      const now = this.engine.clock.now();
      const rows: { id: string }[] = await manager.query(
        `INSERT INTO "bulk_operation" ("owner_sub", "collectivity_ids", "kind", "params", "demand_ids", "status", "created_at", "updated_at")
         VALUES ($1, $2::uuid[], $3, $4::jsonb, $5::uuid[], 'pending', $6, $6) RETURNING "id"`,
        [caller.sub, caller.collectivityIds, input.kind, JSON.stringify(input.params), ids, now],
      );
      await this.engine.outbox.add(manager, 'demands.bulk', { operationId: rows[0].id }, { key: `bulk/${rows[0].id}` });
      return rows[0].id;
    });
  }

  get(caller: EngineCaller, id: string): Promise<BulkOperationView> {
    if (!UUID.test(id)) return Promise.reject(notFound());
    return this.run(caller, async (manager) => {
      const rows: Record<string, unknown>[] = await manager.query(`SELECT * FROM "bulk_operation" WHERE "id" = $1`, [id]);
      if (!rows.length) throw notFound();
      const row = rows[0];
      const demandIds = row.demand_ids as string[];
      const codes: { id: string; tracking_code: string }[] = await manager.query(`SELECT "id", "tracking_code" FROM "demand" WHERE "id" = ANY ($1::uuid[])`, [demandIds]);
      return {
        id: row.id as string,
        kind: row.kind as BulkKind,
        params: row.params as Record<string, unknown>,
        status: row.status as BulkStatus,
        total: demandIds.length,
        done: row.done as number,
        failed: row.failed as number,
        results: row.results as BulkResult[],
        trackingCodes: Object.fromEntries(codes.map((c) => [c.id, c.tracking_code])),
      };
    });
  }

  private run<T>(caller: EngineCaller, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    requireAccess(caller, 'demands:read');
    if (caller.kind !== 'agent') return Promise.reject(notFound());
    return this.engine.transaction(agentScope(caller.collectivityIds), async (manager) => {
      requireTenantScope(manager, 'agent');
      await manager.query(`SELECT set_config('parvis.agent_sub', $1, true)`, [caller.sub]);
      return work(manager);
    });
  }
}

/**
 * `demands.bulk`: runs a bulk operation demand by demand, as its agent — within the collectivities where they
 * still hold a processing role (re-read now: a revoked role stops the rest) — through the same use cases as the
 * demand page (`AssignDemand`, `ActOnDemand` with the agent's workflow functions). Each demand's outcome (done, or
 * the French refusal) and the counters are written after it, so a retried job resumes after the last recorded
 * demand; a demand whose outcome was not recorded before a crash is tried again (an action already applied is then
 * refused by the workflow and recorded as such). Idempotent: a finished operation is left alone.
 */
@Injectable()
export class DemandsBulkJob implements JobHandler<'demands.bulk'> {
  readonly job = 'demands.bulk';
  private readonly assign: AssignDemand;
  private readonly inbox: AgentInboxQueries;

  constructor(
    private readonly engine: DemandEngine,
    private readonly act: ActOnDemand,
  ) {
    this.assign = new AssignDemand(engine);
    this.inbox = new AgentInboxQueries(engine);
  }

  async handle(payload: JobPayload<'demands.bulk'>, context: JobContext<'demands.bulk'>): Promise<void> {
    const scope = platformScope('opération groupée d’un agent');
    const rows: Record<string, unknown>[] = await this.engine.transaction(scope, (m) => m.query(`SELECT * FROM "bulk_operation" WHERE "id" = $1`, [payload.operationId]));
    const operation = rows[0];
    if (!operation || operation.status === 'done') return;
    const sub = operation.owner_sub as string;
    const held: { collectivity_id: string }[] = await this.engine.dataSource.query(
      `SELECT DISTINCT collectivity_id FROM "agent_role" WHERE account_sub = $1 AND revoked_at IS NULL AND role = ANY ($2::text[])`,
      [sub, PROCESSING_ROLES],
    );
    const collectivityIds = (operation.collectivity_ids as string[]).filter((id) => held.some((h) => h.collectivity_id === id));
    const caller: Extract<EngineCaller, { kind: 'agent' }> = { kind: 'agent', sub, collectivityIds, functions: [], permissions: ['demands:read', 'demands:write'] };
    const demandIds = operation.demand_ids as string[];
    const params = operation.params as Record<string, unknown>;
    let done = operation.done as number;
    let failed = operation.failed as number;
    for (const demandId of demandIds.slice(done + failed)) {
      let result: BulkResult;
      try {
        if (operation.kind === 'assign') {
          await this.assign.execute(AssignDemandCommand.create(caller, { demandId, to: params.to }));
        } else {
          const functions = await this.inbox.agentFunctionsFor(caller, demandId);
          // Only buttons the workflow allows in bulk, and available to the agent in the demand's current status.
          const view = await this.inbox.view({ ...caller, functions }, demandId);
          const action = view.actions.find((a) => a.actionId === params.actionId);
          if (!action?.bulkAllowed) {
            throw DomainError.forbidden('WORKFLOW_BULK_NOT_ALLOWED', 'Cette action n’est pas possible en lot sur cette demande dans son statut actuel.');
          }
          await this.act.execute(
            ActOnDemandCommand.create({ ...caller, functions }, { demandId, command: { kind: 'press', actionId: params.actionId, comment: params.comment, confirmed: true } }),
          );
        }
        result = { demandId, ok: true };
        done++;
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        result = { demandId, ok: false, message: error.fields?.length ? `${error.message} ${error.fields.map((f) => f.message).join(' ')}` : error.message };
        failed++;
      }
      await this.engine.transaction(scope, (m) =>
        m.query(`UPDATE "bulk_operation" SET "status" = 'running', "done" = $2, "failed" = $3, "results" = "results" || $4::jsonb, "updated_at" = $5 WHERE "id" = $1`, [
          payload.operationId,
          done,
          failed,
          JSON.stringify([result]),
          this.engine.clock.now(),
        ]),
      );
    }
    const now = this.engine.clock.now();
    await this.engine.transaction(scope, (m) => m.query(`UPDATE "bulk_operation" SET "status" = 'done', "finished_at" = $2, "updated_at" = $2 WHERE "id" = $1`, [payload.operationId, now]));
    context.logger.info({ operationId: payload.operationId, done, failed }, 'Opération groupée terminée');
  }
}
