import { Injectable } from '@nestjs/common';
import type { SummaryEntry } from '#forms';
import type { CitizenStatusView } from '#workflow';
import { demandErrors } from '../demands.errors.js';
import type { Attachment } from '../entities/attachment.entity.js';
import type { DemandEvent } from '../entities/demand-event.entity.js';
import type { DemandMessage } from '../entities/demand-message.entity.js';
import type { Demand } from '../entities/demand.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { decodeCursor, encodeCursor } from '../repositories/cursor.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import { citizenScope } from '../tenancy/tenant-scope.js';
import { requireTenantScope } from '../tenancy/with-tenant.js';
import { requireAccess, scopeOf, type EngineCaller } from '../use-cases/access.js';
import { loadDemandFor } from '../use-cases/demand-access.js';
import { workflowStateOf } from '../use-cases/workflow-outcome.js';

/**
 * The citizen's side of demands (portal « Mes démarches », demand page, anonymous follow-up), each read in the
 * caller's own tenant transaction: a citizen scope sees only the account's demands, drafts and the
 * citizen-visible history and messages; a tracking scope sees one demand. Another account's demand, an unknown
 * id and a malformed id all give DEMAND_NOT_FOUND.
 */

export type CitizenDemandState = 'open' | 'closed' | 'all';

export interface CitizenDemandRow {
  id: string;
  trackingCode: string;
  teleserviceTitle: string;
  /** The collectivity handling the demand (the competent one once routed). */
  collectivityName: string;
  citizenStatus: CitizenStatusView;
  closed: boolean;
  submittedAt: Date;
  updatedAt: Date;
}

export interface CitizenDemandPage {
  items: CitizenDemandRow[];
  /** Cursor of the older rows, null on the last page. */
  next: string | null;
}

export interface CitizenDraftRow {
  id: string;
  teleserviceTitle: string;
  instanceSlug: string;
  teleserviceSlug: string;
  collectivityName: string;
  updatedAt: Date;
  expiresAt: Date;
}

export interface PendingInformationRequest {
  /** The agent's question as the workflow rendered it for the citizen. */
  question: string;
  label: string;
  requestedAt: Date;
}

export interface CitizenDemandView {
  demand: Demand;
  teleserviceTitle: string;
  instanceSlug: string;
  teleserviceSlug: string;
  collectivityName: string;
  citizenStatus: CitizenStatusView;
  closed: boolean;
  /** The submitted answers, formatted in French by the pinned version's form. */
  summary: SummaryEntry[];
  /** Citizen-visible history only, oldest first. */
  history: DemandEvent[];
  /** Labels of the workflow's citizen-visible statuses, by id. */
  statusLabels: Record<string, string>;
  /** Files given with the form. */
  fieldAttachments: Attachment[];
  /** Files the workflow issued to the citizen (neither a form answer nor a message's). */
  documents: Attachment[];
  /** Citizen-visible messages, oldest first, with their files. */
  messages: { message: DemandMessage; attachments: Attachment[] }[];
  pendingRequest: PendingInformationRequest | null;
}

/** Help requests go to this téléservice slug of the competent collectivity (the demo catalogue has one per collectivity). */
export const HELP_TELESERVICE_SLUG = 'aide-contact';
const METROPOLIS_KIND = 'metropolis';

export interface HelpTarget {
  teleserviceId: string;
  collectivityId: string;
  collectivityName: string;
  /** Title of the téléservice the citizen came from, when known. */
  originTitle: string | null;
}

export interface HelpOrigin {
  /** `/demarches/<instance>/<slug>…`: the téléservice the citizen came from. */
  instanceSlug?: string;
  teleserviceSlug?: string;
  /** `/mes-demarches/<id>` (logged in) or the anonymous follow-up: the demand the citizen came from. */
  demandCollectivityId?: string;
}

const PAGE_MAX = 100;

interface DashboardRow {
  id: string;
  tracking_code: string;
  version_id: string;
  status: string;
  status_entered_at: Date;
  workflow_state: Record<string, unknown> | null;
  closed_at: Date | null;
  submitted_at: Date;
  updated_at: Date;
  cursor_at: string;
  teleservice_title: string;
  collectivity_name: string;
}

@Injectable()
export class CitizenDemandQueries {
  constructor(private readonly engine: DemandEngine) {}

  /**
   * The account's demands across every collectivity, most recently updated first, keyset-paginated on
   * (updated_at, id) — `demand_account_idx`. One query (téléservice and collectivity joined); the status labels
   * come from the compiled definitions, cached by version.
   */
  async demands(sub: string, options: { state?: CitizenDemandState; after?: string | null; limit?: number } = {}): Promise<CitizenDemandPage> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 20), 1), PAGE_MAX);
    const cursor = options.after ? decodeCursor(options.after) : null;
    const scope = citizenScope(sub);
    const rows = await this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'citizen');
      const params: unknown[] = [scope.accountSub];
      const where = [`d."account_sub" = $1`];
      if (options.state === 'open') where.push(`d."closed_at" IS NULL`);
      if (options.state === 'closed') where.push(`d."closed_at" IS NOT NULL`);
      if (cursor) {
        params.push(cursor.at, cursor.id);
        where.push(`(d."updated_at", d."id") < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
      }
      params.push(limit + 1);
      return manager.query<DashboardRow[]>(
        `SELECT d."id", d."tracking_code", d."version_id", d."status", d."status_entered_at", d."workflow_state", d."closed_at",
                d."submitted_at", d."updated_at", to_json(d."updated_at") #>> '{}' AS "cursor_at",
                t."title" AS "teleservice_title", c."name" AS "collectivity_name"
           FROM "demand" d
           JOIN "teleservice" t ON t."id" = d."teleservice_id"
           JOIN "collectivity" c ON c."id" = d."collectivity_id"
          WHERE ${where.join(' AND ')}
          ORDER BY d."updated_at" DESC, d."id" DESC
          LIMIT $${params.length}`,
        params,
      );
    });
    const shown = rows.slice(0, limit);
    const items: CitizenDemandRow[] = [];
    for (const row of shown) {
      items.push({
        id: row.id,
        trackingCode: row.tracking_code,
        teleserviceTitle: row.teleservice_title,
        collectivityName: row.collectivity_name,
        citizenStatus: await this.citizenStatusOf(row.version_id, { status: row.status, statusEnteredAt: row.status_entered_at, workflowState: row.workflow_state }),
        closed: row.closed_at !== null,
        submittedAt: row.submitted_at,
        updatedAt: row.updated_at,
      });
    }
    const last = shown.at(-1);
    return { items, next: rows.length > limit && last ? encodeCursor(last.cursor_at, last.id) : null };
  }

  /** The account's drafts not yet expired, most recently saved first, with their téléservice and provider. */
  drafts(sub: string): Promise<CitizenDraftRow[]> {
    const scope = citizenScope(sub);
    return this.engine.transaction(scope, async (manager) => {
      requireTenantScope(manager, 'citizen');
      const rows: {
        id: string;
        updated_at: Date;
        expires_at: Date;
        title: string;
        slug: string;
        instance_slug: string;
        collectivity_name: string;
      }[] = await manager.query(
        `SELECT dr."id", dr."updated_at", dr."expires_at", t."title", t."slug", i."slug" AS "instance_slug", c."name" AS "collectivity_name"
           FROM "draft" dr
           JOIN "teleservice" t ON t."id" = dr."teleservice_id"
           JOIN "instance" i ON i."id" = t."instance_id"
           JOIN "collectivity" c ON c."id" = t."collectivity_id"
          WHERE dr."account_sub" = $1 AND dr."expires_at" > $2
          ORDER BY dr."updated_at" DESC, dr."id"`,
        [scope.accountSub, this.engine.clock.now()],
      );
      return rows.map((r) => ({
        id: r.id,
        teleserviceTitle: r.title,
        teleserviceSlug: r.slug,
        instanceSlug: r.instance_slug,
        collectivityName: r.collectivity_name,
        updatedAt: r.updated_at,
        expiresAt: r.expires_at,
      }));
    });
  }

  /**
   * Everything the citizen's demand page shows, for a `citizen` or `tracking` caller (anyone else: not found):
   * answers, files, citizen-visible history and messages, documents issued, the pending request for information.
   */
  async detail(caller: EngineCaller, id: string): Promise<CitizenDemandView> {
    if (caller.kind !== 'citizen' && caller.kind !== 'tracking') throw demandErrors.notFound();
    requireAccess(caller, 'demands:read');
    return this.engine.transaction(scopeOf(caller), async (manager) => {
      const demand = await loadDemandFor(manager, caller, id);
      const repository = new DemandRepository(manager);
      // Row-level security already hides internal rows from these scopes; the filters say so again.
      const history = (await repository.listEvents(demand.id)).filter((e) => e.visibility === 'citizen');
      const messages = (await repository.listMessages(demand.id)).filter((m) => m.visibility === 'citizen');
      const attachments = await repository.listAttachments(demand.id);
      const definition = await this.engine.definitions.get(demand.versionId).catch(() => null);
      const state = workflowStateOf(demand);
      const [teleservice] = await manager.query<{ title: string; slug: string; instance_slug: string }[]>(
        `SELECT t."title", t."slug", i."slug" AS "instance_slug" FROM "teleservice" t JOIN "instance" i ON i."id" = t."instance_id" WHERE t."id" = $1`,
        [demand.teleserviceId],
      );
      let pendingRequest: PendingInformationRequest | null = null;
      if (state.pendingInfoRequest) {
        const asked = [...history].reverse().find((e) => e.kind === 'info_requested' && e.payload?.actionId === state.pendingInfoRequest!.actionId);
        pendingRequest = {
          question: typeof asked?.payload?.text === 'string' ? asked.payload.text : '',
          label: typeof asked?.payload?.label === 'string' ? asked.payload.label : 'Demande de complément',
          requestedAt: new Date(state.pendingInfoRequest.requestedAt),
        };
      }
      return {
        demand,
        teleserviceTitle: teleservice?.title ?? '',
        teleserviceSlug: teleservice?.slug ?? '',
        instanceSlug: teleservice?.instance_slug ?? '',
        collectivityName: await this.engine.directory.nameOf(demand.collectivityId),
        citizenStatus: definition ? definition.workflow.citizenStatus(state) : { statusId: null, label: 'Demande en cours de traitement', colour: null },
        closed: demand.closedAt !== null,
        summary: safely<SummaryEntry[]>(() => (definition ? definition.form.summary(demand.data) : []), []),
        history,
        statusLabels: Object.fromEntries((definition?.workflow.definition.statuses ?? []).filter((s) => s.visibility === 'citizen').map((s) => [s.id, s.label])),
        fieldAttachments: attachments.filter((a) => a.fieldId !== null),
        documents: attachments.filter((a) => a.fieldId === null && a.messageId === null),
        messages: messages.map((message) => ({ message, attachments: attachments.filter((a) => a.messageId === message.id) })),
        pendingRequest,
      };
    });
  }

  /**
   * The help téléservice (`aide-contact`) of the collectivity competent for where the citizen asked for help:
   * the owner of the téléservice they came from (a mutualised one belongs to the metropolis), the collectivity
   * handling the demand they came from; the metropolis' when unknown or when that collectivity offers none
   * online (not published, closed, archived, no active production instance).
   */
  async helpTarget(origin: HelpOrigin): Promise<HelpTarget | null> {
    const manager = this.engine.dataSource.manager;
    let collectivityId: string | null = origin.demandCollectivityId ?? null;
    let originTitle: string | null = null;
    if (origin.instanceSlug && origin.teleserviceSlug) {
      const [row] = await manager.query<{ collectivity_id: string; title: string }[]>(
        `SELECT t."collectivity_id", t."title" FROM "teleservice" t JOIN "instance" i ON i."id" = t."instance_id" WHERE i."slug" = $1 AND t."slug" = $2`,
        [origin.instanceSlug, origin.teleserviceSlug],
      );
      collectivityId ??= row?.collectivity_id ?? null;
      originTitle = row?.title ?? null;
    }
    const now = this.engine.clock.now();
    const find = async (where: string, param: unknown) => {
      const [row] = await manager.query<{ id: string; collectivity_id: string; name: string }[]>(
        `SELECT t."id", t."collectivity_id", c."name"
           FROM "teleservice" t
           JOIN "instance" i ON i."id" = t."instance_id" AND i."environment" = 'production' AND i."status" = 'active'
           JOIN "collectivity" c ON c."id" = t."collectivity_id"
          WHERE t."slug" = $1 AND ${where} AND t."archived_at" IS NULL
            AND (t."opens_at" IS NULL OR t."opens_at" <= $3) AND (t."closes_at" IS NULL OR t."closes_at" > $3)
            AND EXISTS (SELECT 1 FROM "teleservice_version" v WHERE v."teleservice_id" = t."id" AND v."state" = 'published')
          ORDER BY t."created_at" LIMIT 1`,
        [HELP_TELESERVICE_SLUG, param, now],
      );
      return row ? { teleserviceId: row.id, collectivityId: row.collectivity_id, collectivityName: row.name, originTitle } : null;
    };
    return (
      (collectivityId ? await find(`t."collectivity_id" = $2`, collectivityId) : null) ??
      (await find(`c."kind" = $2`, METROPOLIS_KIND))
    );
  }

  /** The collectivity handling a demand the caller may see, or null (the help form's « depuis » a demand page). */
  async demandCollectivity(caller: EngineCaller, id: string): Promise<string | null> {
    if (caller.kind !== 'citizen' && caller.kind !== 'tracking') return null;
    return this.engine.transaction(scopeOf(caller), (manager) => loadDemandFor(manager, caller, id).then((d) => d.collectivityId, () => null));
  }

  private async citizenStatusOf(versionId: string, demand: Pick<Demand, 'status' | 'statusEnteredAt' | 'workflowState'>): Promise<CitizenStatusView> {
    const definition = await this.engine.definitions.get(versionId).catch(() => null);
    if (!definition) return { statusId: null, label: 'Demande en cours de traitement', colour: null };
    return safely(() => definition.workflow.citizenStatus(workflowStateOf(demand)), { statusId: null, label: 'Demande en cours de traitement', colour: null });
  }
}

/** Display helpers never fail a page: data that no longer fits its form shows nothing rather than an error. */
function safely<T>(compute: () => T, fallback: T): T {
  try {
    return compute();
  } catch {
    return fallback;
  }
}
