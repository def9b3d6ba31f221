import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, DomainError, type AppConfig } from '#core';
import { demandErrors } from '../demands.errors.js';
import { DemandEngine } from '../engine/engine-context.js';
import type { Draft } from '../entities/draft.entity.js';
import { DraftRepository } from '../repositories/draft.repository.js';
import { citizenScope } from '../tenancy/tenant-scope.js';

export const DRAFT_LIMIT_REACHED = 'DRAFT_LIMIT_REACHED';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NewDraft {
  teleserviceId: string;
  versionId: string;
  data: Record<string, unknown>;
  currentPage: string | null;
}

/**
 * A logged-in citizen's forms in progress (`draft`, citizen scope: a draft of another account is "not found"):
 * at most `DRAFT_MAX_PER_ACCOUNT` per account, each kept `DRAFT_RETENTION_DAYS` after its last save (the
 * scheduled purge deletes expired rows).
 */
@Injectable()
export class CitizenDrafts {
  readonly maxPerAccount: number;
  readonly retentionDays: number;

  constructor(
    private readonly engine: DemandEngine,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxPerAccount = config.portalForms.draftMaxPerAccount;
    this.retentionDays = config.portalForms.draftRetentionDays;
  }

  private expiresAt(now: Date): Date {
    return new Date(now.getTime() + this.retentionDays * 24 * 3600 * 1000);
  }

  /** 409 DRAFT_LIMIT_REACHED: what a citizen at the limit is told. */
  limitReached(): DomainError {
    return DomainError.conflict(
      DRAFT_LIMIT_REACHED,
      `Vous avez déjà ${this.maxPerAccount} démarches en cours, le maximum. Terminez ou supprimez l’une d’elles depuis « Mes démarches » pour en commencer une nouvelle.`,
    );
  }

  list(sub: string): Promise<Draft[]> {
    const scope = citizenScope(sub);
    return this.engine.transaction(scope, (manager) => new DraftRepository(manager).listForAccount(scope));
  }

  /** The citizen's draft, or null (unknown id, another account's, malformed id). Expired ones are not returned. */
  async find(sub: string, id: string): Promise<Draft | null> {
    if (!UUID.test(id)) return null;
    const scope = citizenScope(sub);
    const draft = await this.engine.transaction(scope, (manager) => new DraftRepository(manager).find(scope, id));
    return draft && draft.expiresAt > this.engine.clock.now() ? draft : null;
  }

  /** Creates a draft; refuses (409 DRAFT_LIMIT_REACHED) beyond the per-account limit. */
  create(sub: string, input: NewDraft): Promise<Draft> {
    const scope = citizenScope(sub);
    const now = this.engine.clock.now();
    return this.engine.transaction(scope, async (manager) => {
      const repository = new DraftRepository(manager);
      // Serialises concurrent creations of one account (the count then the insert).
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('draft:' || $1))`, [sub]);
      if ((await repository.countForAccount(scope)) >= this.maxPerAccount) throw this.limitReached();
      return repository.create(scope, { ...input, now, expiresAt: this.expiresAt(now) });
    });
  }

  /** Saves a draft's data and page; its expiry moves to `DRAFT_RETENTION_DAYS` from now. */
  save(sub: string, id: string, input: { data: Record<string, unknown>; currentPage: string | null; versionId?: string }): Promise<Draft> {
    if (!UUID.test(id)) throw demandErrors.draftNotFound();
    const scope = citizenScope(sub);
    const now = this.engine.clock.now();
    return this.engine.transaction(scope, async (manager) => {
      const saved = await new DraftRepository(manager).save(scope, id, { data: input.data, currentPage: input.currentPage, now, expiresAt: this.expiresAt(now) });
      if (input.versionId && input.versionId !== saved.versionId) {
        await manager.query(`UPDATE "draft" SET "version_id" = $3 WHERE "id" = $1 AND "account_sub" = $2`, [id, sub, input.versionId]);
        saved.versionId = input.versionId;
      }
      return saved;
    });
  }

  /**
   * Deletes a draft and the files staged for it (uploads referenced by its data); false when there was none
   * (already deleted, another account's).
   */
  async delete(sub: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const scope = citizenScope(sub);
    const deleted = await this.engine.transaction(scope, async (manager) => {
      const repository = new DraftRepository(manager);
      const draft = await repository.find(scope, id);
      return draft && (await repository.delete(scope, id)) ? draft : null;
    });
    if (!deleted) return false;
    await this.engine.discardFiles(stagedFileKeys(deleted.data));
    return true;
  }
}

/**
 * Storage keys of the files a draft's data references: file fields hold descriptors `{ name, size, mimeType, ref }`
 * whose `ref` is the staged upload's key in the attachment storage, at the top level or inside the items of a
 * repeatable block (`{ enfants: [{ prenom, certificat: [descriptor] }] }`).
 */
export function stagedFileKeys(data: Record<string, unknown>): string[] {
  const keys: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (!Array.isArray(value) || depth > 2) return;
    for (const item of value as unknown[]) {
      if (!item || typeof item !== 'object' || Array.isArray(item)) continue;
      const file = item as { ref?: unknown; mimeType?: unknown };
      if (typeof file.ref === 'string' && typeof file.mimeType === 'string') keys.push(file.ref);
      // A block item: its own file fields.
      else for (const inner of Object.values(item)) visit(inner, depth + 1);
    }
  };
  for (const value of Object.values(data ?? {})) visit(value, 0);
  return keys;
}
