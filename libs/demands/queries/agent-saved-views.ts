import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError } from '#core';
import { pgCode, SQLSTATE } from '#db';
import { DemandEngine } from '../engine/engine-context.js';
import { agentScope } from '../tenancy/tenant-scope.js';
import { requireTenantScope } from '../tenancy/with-tenant.js';
import { requireAccess, type EngineCaller } from '../use-cases/access.js';
import { SAVED_VIEW_VISIBILITIES, type SavedViewVisibility } from './agent-saved-view.entity.js';

export const SavedViewErrorCodes = {
  SAVED_VIEW_NOT_FOUND: 'SAVED_VIEW_NOT_FOUND',
  SAVED_VIEW_INVALID: 'SAVED_VIEW_INVALID',
  SAVED_VIEW_NAME_TAKEN: 'SAVED_VIEW_NAME_TAKEN',
} as const;

export interface SavedViewInfo {
  id: string;
  collectivityId: string;
  name: string;
  visibility: SavedViewVisibility;
  query: string;
  isDefault: boolean;
  /** Whether the caller owns it (may change, delete it, or make it their default). */
  mine: boolean;
}

export interface SaveViewInput {
  name: unknown;
  visibility: unknown;
  collectivityId: unknown;
  /** The listing's parameters, already checked by the caller (the back office's listing parser). */
  query: string;
  isDefault?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = () => DomainError.notFound(SavedViewErrorCodes.SAVED_VIEW_NOT_FOUND, 'Vue introuvable.');

/**
 * Saved views of the listings: an agent's private views and the views shared in their collectivities. Each call
 * runs in the agent's tenant transaction with the owner set (`parvis.agent_sub`, transaction-local): row-level
 * security shows another agent's view only when it is shared in one of the caller's collectivities, and lets only
 * its owner change or delete it (migration 1763801300000-backoffice-work).
 */
@Injectable()
export class AgentSavedViews {
  constructor(private readonly engine: DemandEngine) {}

  list(caller: EngineCaller): Promise<SavedViewInfo[]> {
    return this.run(caller, async (manager, sub) => {
      const rows: Row[] = await manager.query(`SELECT * FROM "saved_view" ORDER BY "name", "id"`);
      return rows.map((row) => info(row, sub));
    });
  }

  get(caller: EngineCaller, id: string): Promise<SavedViewInfo> {
    if (!UUID.test(id)) return Promise.reject(notFound());
    return this.run(caller, async (manager, sub) => {
      const rows: Row[] = await manager.query(`SELECT * FROM "saved_view" WHERE "id" = $1`, [id]);
      if (!rows.length) throw notFound();
      return info(rows[0], sub);
    });
  }

  /** The caller's default view, if any. */
  defaultView(caller: EngineCaller): Promise<SavedViewInfo | null> {
    return this.run(caller, async (manager, sub) => {
      const rows: Row[] = await manager.query(`SELECT * FROM "saved_view" WHERE "owner_sub" = $1 AND "is_default"`, [sub]);
      return rows.length ? info(rows[0], sub) : null;
    });
  }

  /** Saves a new view (private or shared with one of the caller's collectivities). */
  async save(caller: EngineCaller, input: SaveViewInput): Promise<SavedViewInfo> {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    const fields = [];
    if (!name || name.length > 100) fields.push({ path: 'name', code: 'REQUIRED', message: 'Donnez un nom à la vue (100 caractères au plus).' });
    if (!SAVED_VIEW_VISIBILITIES.includes(input.visibility as SavedViewVisibility))
      fields.push({ path: 'visibility', code: 'NOT_AN_OPTION', message: 'Choisissez « pour moi seul » ou « partagée avec ma collectivité ».' });
    const collectivityId = typeof input.collectivityId === 'string' ? input.collectivityId.toLowerCase() : '';
    if (caller.kind !== 'agent' || !caller.collectivityIds.includes(collectivityId))
      fields.push({ path: 'collectivityId', code: 'NOT_AN_OPTION', message: 'Choisissez une de vos collectivités.' });
    if (input.query.length > 4000) fields.push({ path: 'query', code: 'TOO_LONG', message: 'Trop de filtres pour une vue.' });
    if (fields.length) throw DomainError.invalid(SavedViewErrorCodes.SAVED_VIEW_INVALID, 'La vue n’a pas été enregistrée.', fields);
    try {
      return await this.run(caller, async (manager, sub) => {
        const now = this.engine.clock.now();
        if (input.isDefault) await manager.query(`UPDATE "saved_view" SET "is_default" = false WHERE "owner_sub" = $1 AND "is_default"`, [sub]);
        const rows: Row[] = await manager.query(
          `INSERT INTO "saved_view" ("collectivity_id", "owner_sub", "name", "visibility", "query", "is_default", "created_at", "updated_at")
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *`,
          [collectivityId, sub, name, input.visibility, input.query, input.isDefault === true, now],
        );
        return info(rows[0], sub);
      });
    } catch (error) {
      if (pgCode(error) === SQLSTATE.UNIQUE_VIOLATION) {
        throw new DomainError(SavedViewErrorCodes.SAVED_VIEW_NAME_TAKEN, `Vous avez déjà une vue nommée « ${name} ».`, 'conflict', [
          { path: 'name', code: 'TAKEN', message: 'Ce nom est déjà pris : choisissez-en un autre.' },
        ]);
      }
      throw error;
    }
  }

  /** Makes one of the caller's own views their default (null: no default). */
  setDefault(caller: EngineCaller, id: string | null): Promise<void> {
    if (id !== null && !UUID.test(id)) return Promise.reject(notFound());
    return this.run(caller, async (manager, sub) => {
      await manager.query(`UPDATE "saved_view" SET "is_default" = false WHERE "owner_sub" = $1 AND "is_default"`, [sub]);
      if (id === null) return;
      const [rows] = await manager.query(`UPDATE "saved_view" SET "is_default" = true WHERE "id" = $1 AND "owner_sub" = $2 RETURNING "id"`, [id, sub]);
      if (!(rows as unknown[]).length) throw notFound();
    });
  }

  /** Deletes one of the caller's own views (another's, even shared, is refused as not found). */
  remove(caller: EngineCaller, id: string): Promise<void> {
    if (!UUID.test(id)) return Promise.reject(notFound());
    return this.run(caller, async (manager) => {
      const [rows] = await manager.query(`DELETE FROM "saved_view" WHERE "id" = $1 RETURNING "id"`, [id]);
      if (!(rows as unknown[]).length) throw notFound();
    });
  }

  private run<T>(caller: EngineCaller, work: (manager: EntityManager, sub: string) => Promise<T>): Promise<T> {
    requireAccess(caller, 'demands:read');
    if (caller.kind !== 'agent') return Promise.reject(notFound());
    return this.engine.transaction(agentScope(caller.collectivityIds), async (manager) => {
      requireTenantScope(manager, 'agent');
      await manager.query(`SELECT set_config('parvis.agent_sub', $1, true)`, [caller.sub]);
      return work(manager, caller.sub);
    });
  }
}

interface Row {
  id: string;
  collectivity_id: string;
  owner_sub: string;
  name: string;
  visibility: SavedViewVisibility;
  query: string;
  is_default: boolean;
}

function info(row: Row, sub: string): SavedViewInfo {
  return {
    id: row.id,
    collectivityId: row.collectivity_id,
    name: row.name,
    visibility: row.visibility,
    query: row.query,
    isDefault: row.is_default,
    mine: row.owner_sub === sub,
  };
}
