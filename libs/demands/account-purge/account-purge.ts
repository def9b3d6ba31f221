import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '#core';
import type { DemandEngine } from '../engine/engine-context.js';
import { rowsOf, StagedUploads } from '../storage/storage-sweep.js';
import { allowHistoryRewrite } from '../tenancy/with-tenant.js';
import { platformScope } from '../tenancy/tenant-scope.js';
import { stagedFileKeys } from '../use-cases/drafts.use-case.js';

/** Pages read per run at most (500 accounts each): a backlog is read over the next runs. */
const MAX_PAGES_PER_RUN = 20;
const REQUEST_TIMEOUT_MS = 10_000;

/** What a demand linked to a deleted account is linked to afterwards: nothing anyone can log in as. */
export const DELETED_ACCOUNT_SUB_PREFIX = 'compte-supprime:';

export interface AccountPurgeOutcome {
  drafts: number;
  notifications: number;
  demands: number;
  files: number;
}

interface DeletedAccountsPage {
  comptes: { sub: string; supprime_le: string }[];
  suite: string | null;
}

/**
 * The portal's side of an account deletion (RGPD): the territorial account publishes the deleted accounts with the
 * pairwise `sub` of each client (`GET /api/comptes-supprimes`, HTTP Basic with the portal's client id and secret,
 * paged by `apres`); for each one the portal's copies go:
 * - drafts, and the files staged for them (storage and `staged_upload` rows);
 * - portal notifications;
 * - the demands' link to the account: `demand.account_sub` becomes `compte-supprime:<demand id>` (no one can log
 *   in as it, and it stays non-null so that the demand does not open with its tracking code alone as an agent-typed
 *   one would), and the `sub` leaves the citizen actor/author of its history events and messages.
 *   The demands themselves are administrative records of the collectivities: their data, history and files stay,
 *   under their téléservice's retention (anonymisation and deletion by the workflow), visible to agents only.
 * The position in the service (`suite` of the last page) is stored per client id (`account_purge_cursor`), moved in
 * the transaction that purges the page: a run resumes where the last one stopped, two runs at once purge each page
 * once (the cursor row is locked and compared), and purging an account twice changes nothing.
 */
export class AccountPurge {
  constructor(
    private readonly engine: DemandEngine,
    private readonly config: AppConfig,
    private readonly logger?: Logger,
  ) {}

  /** The identity's deleted-accounts service, as the worker reaches it. */
  endpoint(): URL {
    const host = this.config.host === '0.0.0.0' || this.config.host === '::' ? '127.0.0.1' : this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    const origin = this.config.identity.publicUrl ?? `http://${host}:${this.config.ports.identity}`;
    return new URL(`${origin}/api/comptes-supprimes`);
  }

  /** Reads the new deletions and purges them, page by page; returns what was purged. */
  async run(): Promise<AccountPurgeOutcome & { accounts: number }> {
    const { oidcClientId: clientId } = this.config.webApps.portal;
    const total = { accounts: 0, drafts: 0, notifications: 0, demands: 0, files: 0 };
    for (let pages = 0; pages < MAX_PAGES_PER_RUN; pages++) {
      const after = await this.cursor(clientId);
      const page = await this.fetchPage(after);
      if (!page.comptes.length || !page.suite) return total;
      const files: string[] = [];
      const outcome = await this.engine.transaction(platformScope('purge des comptes supprimés'), async (manager) => {
        await manager.query(`INSERT INTO "account_purge_cursor" ("client_id", "after", "updated_at") VALUES ($1, NULL, $2) ON CONFLICT DO NOTHING`, [clientId, this.engine.clock.now()]);
        const [row] = await manager.query<{ after: string | null }[]>(`SELECT "after" FROM "account_purge_cursor" WHERE "client_id" = $1 FOR UPDATE`, [clientId]);
        if ((row?.after ?? null) !== after) return null; // another run purged this page meanwhile
        const purged = await this.purge(manager, page.comptes.map((c) => c.sub), files);
        await manager.query(`UPDATE "account_purge_cursor" SET "after" = $2, "purged_accounts" = "purged_accounts" + $3, "updated_at" = $4 WHERE "client_id" = $1`, [
          clientId,
          page.suite,
          page.comptes.length,
          this.engine.clock.now(),
        ]);
        return purged;
      });
      if (!outcome) continue;
      await new StagedUploads(this.engine).discard(files);
      total.accounts += page.comptes.length;
      total.drafts += outcome.drafts;
      total.notifications += outcome.notifications;
      total.demands += outcome.demands;
      total.files += outcome.files;
    }
    return total;
  }

  /** Purges these accounts' data in the transaction; the staged files to delete after the commit go to `files`. */
  async purge(manager: EntityManager, subs: readonly string[], files: string[]): Promise<AccountPurgeOutcome> {
    const list = [...new Set(subs.filter((s) => typeof s === 'string' && s.length > 0 && s.length <= 255))];
    if (!list.length) return { drafts: 0, notifications: 0, demands: 0, files: 0 };
    const drafts = rowsOf<{ data: Record<string, unknown> }>(await manager.query(`DELETE FROM "draft" WHERE "account_sub" = ANY($1::text[]) RETURNING "data"`, [list]));
    const keys = drafts.flatMap((d) => stagedFileKeys(d.data));
    files.push(...keys);
    const notifications = rowsOf(await manager.query(`DELETE FROM "notification" WHERE "account_sub" = ANY($1::text[]) RETURNING "id"`, [list]));
    const demands = rowsOf<{ id: string }>(
      await manager.query(`UPDATE "demand" SET "account_sub" = $2 || "id"::text WHERE "account_sub" = ANY($1::text[]) RETURNING "id"`, [list, DELETED_ACCOUNT_SUB_PREFIX]),
    );
    if (demands.length) {
      const ids = demands.map((d) => d.id);
      await allowHistoryRewrite(manager);
      await manager.query(`UPDATE "demand_event" SET "actor" = "actor" - 'sub' WHERE "demand_id" = ANY($1::uuid[]) AND "actor"->>'sub' = ANY($2::text[])`, [ids, list]);
      await manager.query(`UPDATE "demand_message" SET "author" = "author" - 'sub' WHERE "demand_id" = ANY($1::uuid[]) AND "author"->>'sub' = ANY($2::text[])`, [ids, list]);
    }
    return { drafts: drafts.length, notifications: notifications.length, demands: demands.length, files: keys.length };
  }

  private async cursor(clientId: string): Promise<string | null> {
    const [row] = await this.engine.dataSource.query<{ after: string | null }[]>(`SELECT "after" FROM "account_purge_cursor" WHERE "client_id" = $1`, [clientId]);
    return row?.after ?? null;
  }

  private async fetchPage(after: string | null): Promise<DeletedAccountsPage> {
    const { oidcClientId, oidcClientSecret } = this.config.webApps.portal;
    const url = this.endpoint();
    if (after) url.searchParams.set('apres', after);
    const credentials = Buffer.from(`${encodeURIComponent(oidcClientId)}:${encodeURIComponent(oidcClientSecret)}`).toString('base64');
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Basic ${credentials}`, accept: 'application/json' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new Error(`Service des comptes supprimés injoignable (${url.origin}) : ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`Service des comptes supprimés : réponse ${response.status}${response.status === 401 ? ' (identifiant ou secret du client du portail refusé)' : ''}`);
    }
    const body = (await response.json()) as Partial<DeletedAccountsPage>;
    if (!Array.isArray(body.comptes) || (body.suite !== null && typeof body.suite !== 'string')) throw new Error('Service des comptes supprimés : réponse illisible');
    const comptes = body.comptes.filter((c): c is { sub: string; supprime_le: string } => typeof c?.sub === 'string');
    this.logger?.debug({ accounts: comptes.length }, 'Page du service des comptes supprimés lue');
    return { comptes, suite: body.suite ?? null };
  }
}
