import type { EntityManager } from 'typeorm';
import type { CounterOffer } from '#territory';
import type { Teleservice } from '../teleservices/teleservice.entity.js';
import { TeleserviceRepository } from '../teleservices/teleservice.repository.js';
import type { TeleserviceSettings } from './authoring.types.js';

/** An active instance with what authoring needs of its collectivity. */
export interface InstanceInfo {
  id: string;
  slug: string;
  environment: 'production' | 'test';
  collectivityId: string;
  collectivityKind: 'metropolis' | 'commune';
  collectivityName: string;
  collectivitySlug: string;
}

/**
 * Writes of authoring that TeleserviceRepository does not cover (publication window, archive, settings) and
 * the reads of the territory it needs (instances, counter offer). Writes name the owning collectivity.
 */
export class AuthoringRepository {
  constructor(private readonly manager: EntityManager) {}

  get teleservices(): TeleserviceRepository {
    return new TeleserviceRepository(this.manager);
  }

  async findInstance(instanceId: string): Promise<InstanceInfo | null> {
    return this.oneInstance(`i."id" = $1`, [instanceId]);
  }

  async findInstanceBySlug(slug: string): Promise<InstanceInfo | null> {
    return this.oneInstance(`i."slug" = $1`, [slug]);
  }

  /** The collectivity's active instance in an environment. */
  async findActiveInstance(collectivityId: string, environment: 'production' | 'test'): Promise<InstanceInfo | null> {
    return this.oneInstance(`i."collectivity_id" = $1 AND i."environment" = $2`, [collectivityId, environment]);
  }

  /** Creates the collectivity's production instance when it has none (an Abonné commune deploying its first pack). */
  async ensureProductionInstance(collectivityId: string, slug: string, now: Date): Promise<InstanceInfo> {
    await this.manager.query(
      `INSERT INTO "instance" ("collectivity_id", "environment", "slug", "created_at")
       SELECT $1, 'production', $2, $3
        WHERE NOT EXISTS (SELECT 1 FROM "instance" WHERE "collectivity_id" = $1 AND "environment" = 'production' AND "status" = 'active')
       ON CONFLICT DO NOTHING`,
      [collectivityId, slug, now],
    );
    const instance = await this.findActiveInstance(collectivityId, 'production');
    if (!instance) throw new Error(`Instance de production impossible à créer pour ${collectivityId} (identifiant « ${slug} » pris ?)`);
    return instance;
  }

  async collectivityKind(collectivityId: string): Promise<{ kind: 'metropolis' | 'commune'; name: string; slug: string } | null> {
    const rows: { kind: 'metropolis' | 'commune'; name: string; slug: string }[] = await this.manager.query(
      `SELECT "kind", "name", "slug" FROM "collectivity" WHERE "id" = $1`,
      [collectivityId],
    );
    return rows[0] ?? null;
  }

  /** The collectivity's current counter offer, or null when it does not adhere. */
  async counterOffer(collectivityId: string): Promise<CounterOffer | null> {
    const rows: { offer: CounterOffer }[] = await this.manager.query(
      `SELECT "offer" FROM "membership" WHERE "collectivity_id" = $1 AND "service" = 'counter' AND "ends_on" IS NULL`,
      [collectivityId],
    );
    return rows[0]?.offer ?? null;
  }

  async setPublicationWindow(collectivityId: string, teleserviceId: string, opensAt: Date | null, closesAt: Date | null, now: Date): Promise<Teleservice | null> {
    return this.updateOwned(collectivityId, teleserviceId, `"opens_at" = $3, "closes_at" = $4, "updated_at" = $5`, [opensAt, closesAt, now]);
  }

  async archive(collectivityId: string, teleserviceId: string, now: Date): Promise<Teleservice | null> {
    return this.updateOwned(collectivityId, teleserviceId, `"archived_at" = COALESCE("archived_at", $3), "updated_at" = $3`, [now]);
  }

  async setSettings(collectivityId: string, teleserviceId: string, settings: TeleserviceSettings, now: Date): Promise<Teleservice | null> {
    return this.updateOwned(collectivityId, teleserviceId, `"settings" = $3::jsonb, "updated_at" = $4`, [JSON.stringify(settings), now]);
  }

  async setDescription(collectivityId: string, teleserviceId: string, description: string | null, now: Date): Promise<Teleservice | null> {
    return this.updateOwned(collectivityId, teleserviceId, `"description" = $3, "updated_at" = $4`, [description, now]);
  }

  /** What the catalogue shows of a téléservice (not versioned: takes effect at once). Used by the back office's builder. */
  async setPresentation(
    collectivityId: string,
    teleserviceId: string,
    presentation: { title: string; summary: string; description: string | null; theme: string | null; anonymousAllowed: boolean },
    now: Date,
  ): Promise<Teleservice | null> {
    return this.updateOwned(
      collectivityId,
      teleserviceId,
      `"title" = $3, "summary" = $4, "description" = $5, "theme" = $6, "anonymous_allowed" = $7, "updated_at" = $8`,
      [presentation.title, presentation.summary, presentation.description, presentation.theme, presentation.anonymousAllowed, now],
    );
  }

  /** Téléservices deployed from a pack by a collectivity (at most one per pack and instance, by slug). */
  async findDeployment(instanceId: string, packId: string): Promise<Teleservice | null> {
    const rows: { id: string }[] = await this.manager.query(`SELECT "id" FROM "teleservice" WHERE "instance_id" = $1 AND "pack_source_id" = $2`, [
      instanceId,
      packId,
    ]);
    return rows.length ? this.teleservices.findById(rows[0].id) : null;
  }

  async listPacks(): Promise<Teleservice[]> {
    const rows: { id: string }[] = await this.manager.query(
      `SELECT t."id" FROM "teleservice" t
        WHERE t."kind" = 'catalogue_pack' AND t."archived_at" IS NULL
          AND EXISTS (SELECT 1 FROM "teleservice_version" v WHERE v."teleservice_id" = t."id" AND v."state" = 'published')
        ORDER BY t."title", t."id"`,
    );
    const out: Teleservice[] = [];
    for (const row of rows) {
      const found = await this.teleservices.findById(row.id);
      if (found) out.push(found);
    }
    return out;
  }

  private async updateOwned(collectivityId: string, teleserviceId: string, set: string, params: unknown[]): Promise<Teleservice | null> {
    const [rows] = (await this.manager.query(`UPDATE "teleservice" SET ${set} WHERE "id" = $1 AND "collectivity_id" = $2 RETURNING "id"`, [
      teleserviceId,
      collectivityId,
      ...params,
    ])) as [{ id: string }[], number];
    return rows.length ? this.teleservices.findById(teleserviceId) : null;
  }

  private async oneInstance(where: string, params: unknown[]): Promise<InstanceInfo | null> {
    const rows: Record<string, unknown>[] = await this.manager.query(
      `SELECT i."id", i."slug", i."environment", i."collectivity_id", c."kind", c."name", c."slug" AS "collectivity_slug"
         FROM "instance" i JOIN "collectivity" c ON c."id" = i."collectivity_id"
        WHERE ${where} AND i."status" = 'active'`,
      params,
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id as string,
      slug: r.slug as string,
      environment: r.environment as InstanceInfo['environment'],
      collectivityId: r.collectivity_id as string,
      collectivityKind: r.kind as InstanceInfo['collectivityKind'],
      collectivityName: r.name as string,
      collectivitySlug: r.collectivity_slug as string,
    };
  }
}
