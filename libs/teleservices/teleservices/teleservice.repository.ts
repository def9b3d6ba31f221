import type { EntityManager } from 'typeorm';
import { canonicalChecksum } from './canonical-json.js';
import { CHECK_VIOLATION, IMMUTABLE_VERSION, pgCode, pgConstraint, UNIQUE_VIOLATION } from './pg-errors.js';
import { TeleserviceVersion } from './teleservice-version.entity.js';
import { Teleservice } from './teleservice.entity.js';
import { teleserviceErrors } from './teleservice.errors.js';
import type { DefinitionValidator, RoutingRule, TeleserviceKind, VersionContent } from './teleservice.types.js';

export interface NewTeleservice {
  instanceId: string;
  /** The owner: must be the instance's collectivity. */
  collectivityId: string;
  slug: string;
  kind: TeleserviceKind;
  title: string;
  summary: string;
  description?: string | null;
  theme?: string | null;
  anonymousAllowed?: boolean;
  routingRule?: RoutingRule | null;
  packSourceId?: string | null;
  opensAt?: Date | null;
  closesAt?: Date | null;
  now: Date;
}

export interface PublishOptions {
  /** Who publishes (an agent's `sub`, or `system`). */
  publishedBy: string;
  now: Date;
  /** Checks the definitions first (libs/forms + libs/workflow); every error is returned to the person. */
  validator?: DefinitionValidator;
}

/** A version without its (large) definitions, for version lists. */
export type VersionSummary = Pick<TeleserviceVersion, 'id' | 'teleserviceId' | 'number' | 'state' | 'checksum' | 'createdAt' | 'publishedAt' | 'publishedBy'>;

/** Which field a CHECK constraint guards, for the person's error. */
const CHECK_FIELDS: Record<string, { path: string; message: string }> = {
  teleservice_slug_check: { path: 'slug', message: 'Minuscules, chiffres et tirets uniquement (ex. « inscription-scolaire »).' },
  teleservice_kind_check: { path: 'kind', message: 'Type de téléservice inconnu.' },
  teleservice_routing_rule_check: {
    path: 'routingRule',
    message: 'Un téléservice mutualisé, et lui seul, précise le champ qui décide de la commune compétente et comment (point, adresse, code postal, commune).',
  },
  teleservice_pack_source_check: { path: 'packSourceId', message: "Un pack du catalogue ne peut pas provenir d'un autre pack." },
  teleservice_dates_check: { path: 'closesAt', message: "La date de fermeture doit suivre la date d'ouverture." },
};

/**
 * The only code that touches `teleservice` and `teleservice_version`. Writes name the owning collectivity,
 * so a téléservice of another collectivity is "not found" rather than edited. A draft carries the number it
 * will be published under; `publish` freezes it (PostgreSQL then refuses any change to it).
 */
export class TeleserviceRepository {
  constructor(private readonly manager: EntityManager) {}

  async create(input: NewTeleservice): Promise<Teleservice> {
    try {
      const rows: Record<string, unknown>[] = await this.manager.query(
        `INSERT INTO "teleservice" ("instance_id", "collectivity_id", "slug", "kind", "title", "summary", "description", "theme",
            "anonymous_allowed", "routing_rule", "pack_source_id", "opens_at", "closes_at", "created_at", "updated_at")
         SELECT i."id", i."collectivity_id", $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $14
           FROM "instance" i
          WHERE i."id" = $1 AND i."collectivity_id" = $2 AND i."status" = 'active'
         RETURNING *`,
        [
          input.instanceId,
          input.collectivityId,
          input.slug,
          input.kind,
          input.title,
          input.summary,
          input.description ?? null,
          input.theme ?? null,
          input.anonymousAllowed ?? false,
          input.routingRule ? JSON.stringify(input.routingRule) : null,
          input.packSourceId ?? null,
          input.opensAt ?? null,
          input.closesAt ?? null,
          input.now,
        ],
      );
      if (rows.length === 0) throw teleserviceErrors.instanceNotFound();
      return toTeleservice(rows[0]);
    } catch (error) {
      if (pgCode(error) === UNIQUE_VIOLATION && pgConstraint(error) === 'teleservice_instance_id_slug_key') throw teleserviceErrors.slugTaken(input.slug);
      const field = pgCode(error) === CHECK_VIOLATION ? CHECK_FIELDS[pgConstraint(error) ?? ''] : undefined;
      if (field) throw teleserviceErrors.invalid([{ path: field.path, code: 'INVALID', message: field.message }]);
      throw error;
    }
  }

  async findById(id: string): Promise<Teleservice | null> {
    const rows = await this.manager.query(`SELECT * FROM "teleservice" WHERE "id" = $1`, [id]);
    return rows.length ? toTeleservice(rows[0]) : null;
  }

  async findBySlug(instanceId: string, slug: string): Promise<Teleservice | null> {
    const rows = await this.manager.query(`SELECT * FROM "teleservice" WHERE "instance_id" = $1 AND "slug" = $2`, [instanceId, slug]);
    return rows.length ? toTeleservice(rows[0]) : null;
  }

  async listForCollectivity(collectivityId: string): Promise<Teleservice[]> {
    const rows = await this.manager.query(`SELECT * FROM "teleservice" WHERE "collectivity_id" = $1 ORDER BY "title", "id"`, [collectivityId]);
    return rows.map(toTeleservice);
  }

  /**
   * Opens the next version as a draft: `content`, or a copy of the latest published version. At most one draft
   * (TELESERVICE_DRAFT_EXISTS, also when two editors race: the partial unique index decides).
   */
  async createDraft(collectivityId: string, teleserviceId: string, now: Date, content?: VersionContent): Promise<TeleserviceVersion> {
    return this.atomically(async (manager) => {
      await lockOwned(manager, collectivityId, teleserviceId);
      const existing = await manager.query(`SELECT 1 FROM "teleservice_version" WHERE "teleservice_id" = $1 AND "state" = 'draft'`, [teleserviceId]);
      if (existing.length) throw teleserviceErrors.draftExists();
      let source = content;
      if (!source) {
        const latest = await new TeleserviceRepository(manager).latestPublished(teleserviceId);
        if (!latest) {
          throw teleserviceErrors.definitionInvalid([
            { path: 'form', code: 'REQUIRED', message: 'Aucune version publiée à recopier : fournissez une définition.' },
          ]);
        }
        source = { form: latest.form, workflow: latest.workflow, dataSources: latest.dataSources };
      }
      try {
        const rows: Record<string, unknown>[] = await manager.query(
          `INSERT INTO "teleservice_version" ("teleservice_id", "number", "state", "form", "workflow", "data_sources", "checksum", "created_at")
           SELECT $1, COALESCE(max("number"), 0) + 1, 'draft', $2::jsonb, $3::jsonb, $4::jsonb, $5, $6
             FROM "teleservice_version" WHERE "teleservice_id" = $1
           RETURNING *`,
          [teleserviceId, json(source.form), json(source.workflow), json(source.dataSources), checksumOf(source), now],
        );
        return toVersion(rows[0]);
      } catch (error) {
        if (pgCode(error) === UNIQUE_VIOLATION) throw teleserviceErrors.draftExists();
        throw error;
      }
    });
  }

  /** Replaces the draft's definitions (and checksum). TELESERVICE_DRAFT_NOT_FOUND when there is no draft. */
  async updateDraft(collectivityId: string, teleserviceId: string, content: VersionContent): Promise<TeleserviceVersion> {
    const [rows] = (await this.manager.query(
      `UPDATE "teleservice_version" v
          SET "form" = $3::jsonb, "workflow" = $4::jsonb, "data_sources" = $5::jsonb, "checksum" = $6
         FROM "teleservice" t
        WHERE v."teleservice_id" = t."id" AND t."id" = $1 AND t."collectivity_id" = $2 AND v."state" = 'draft'
        RETURNING v.*`,
      [teleserviceId, collectivityId, json(content.form), json(content.workflow), json(content.dataSources), checksumOf(content)],
    )) as [Record<string, unknown>[], number];
    if (rows.length === 0) throw teleserviceErrors.draftNotFound();
    return toVersion(rows[0]);
  }

  /**
   * Publishes the draft: validated first (every error listed), then frozen under its number with its checksum.
   * New demands use it from now on; demands already made keep the version they were made on.
   */
  async publish(collectivityId: string, teleserviceId: string, options: PublishOptions): Promise<TeleserviceVersion> {
    return this.atomically(async (manager) => {
      await lockOwned(manager, collectivityId, teleserviceId);
      const drafts: Record<string, unknown>[] = await manager.query(
        `SELECT * FROM "teleservice_version" WHERE "teleservice_id" = $1 AND "state" = 'draft' FOR UPDATE`,
        [teleserviceId],
      );
      if (drafts.length === 0) throw teleserviceErrors.draftNotFound();
      const draft = toVersion(drafts[0]);
      const content: VersionContent = { form: draft.form, workflow: draft.workflow, dataSources: draft.dataSources };
      const errors = options.validator ? await options.validator.validate(content) : [];
      if (errors.length > 0) throw teleserviceErrors.definitionInvalid(errors);
      const [rows] = (await manager.query(
        `UPDATE "teleservice_version" SET "state" = 'published', "published_at" = $2, "published_by" = $3, "checksum" = $4
          WHERE "id" = $1 AND "state" = 'draft' RETURNING *`,
        [draft.id, options.now, options.publishedBy, checksumOf(content)],
      )) as [Record<string, unknown>[], number];
      await manager.query(`UPDATE "teleservice" SET "updated_at" = $2 WHERE "id" = $1`, [teleserviceId, options.now]);
      return toVersion(rows[0]);
    });
  }

  /**
   * The version new demands use: the published one with the highest number. Published versions never change,
   * so the result may be cached by version id for ever (see PublishedVersionCache); only "which one is latest"
   * changes, at publication.
   */
  async latestPublished(teleserviceId: string): Promise<TeleserviceVersion | null> {
    const rows = await this.manager.query(
      `SELECT * FROM "teleservice_version" WHERE "teleservice_id" = $1 AND "state" = 'published' ORDER BY "number" DESC LIMIT 1`,
      [teleserviceId],
    );
    return rows.length ? toVersion(rows[0]) : null;
  }

  async findVersion(id: string): Promise<TeleserviceVersion | null> {
    const rows = await this.manager.query(`SELECT * FROM "teleservice_version" WHERE "id" = $1`, [id]);
    return rows.length ? toVersion(rows[0]) : null;
  }

  async findDraft(collectivityId: string, teleserviceId: string): Promise<TeleserviceVersion | null> {
    const rows = await this.manager.query(
      `SELECT v.* FROM "teleservice_version" v JOIN "teleservice" t ON t."id" = v."teleservice_id"
        WHERE t."id" = $1 AND t."collectivity_id" = $2 AND v."state" = 'draft'`,
      [teleserviceId, collectivityId],
    );
    return rows.length ? toVersion(rows[0]) : null;
  }

  /** Every version, newest first, without definitions. */
  async listVersions(teleserviceId: string): Promise<VersionSummary[]> {
    const rows: Record<string, unknown>[] = await this.manager.query(
      `SELECT "id", "teleservice_id", "number", "state", "checksum", "created_at", "published_at", "published_by"
         FROM "teleservice_version" WHERE "teleservice_id" = $1 ORDER BY "number" DESC`,
      [teleserviceId],
    );
    return rows.map((r) => ({
      id: r.id as string,
      teleserviceId: r.teleservice_id as string,
      number: r.number as number,
      state: r.state as VersionSummary['state'],
      checksum: r.checksum as string,
      createdAt: r.created_at as Date,
      publishedAt: r.published_at as Date | null,
      publishedBy: r.published_by as string | null,
    }));
  }

  /** In the caller's transaction if there is one, else in a new one. */
  private atomically<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const run = async (manager: EntityManager) => {
      try {
        return await work(manager);
      } catch (error) {
        if (pgCode(error) === IMMUTABLE_VERSION) throw teleserviceErrors.versionImmutable();
        throw error;
      }
    };
    return this.manager.queryRunner?.isTransactionActive ? run(this.manager) : this.manager.transaction(run);
  }
}

/** Locks the téléservice row (serialising draft creation and publication) after checking its owner. */
async function lockOwned(manager: EntityManager, collectivityId: string, teleserviceId: string): Promise<void> {
  const rows = await manager.query(`SELECT 1 FROM "teleservice" WHERE "id" = $1 AND "collectivity_id" = $2 FOR UPDATE`, [
    teleserviceId,
    collectivityId,
  ]);
  if (rows.length === 0) throw teleserviceErrors.notFound();
}

export function checksumOf(content: VersionContent): string {
  return canonicalChecksum({ form: content.form ?? null, workflow: content.workflow ?? null, dataSources: content.dataSources ?? null });
}

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function toTeleservice(r: Record<string, unknown>): Teleservice {
  return Object.assign(new Teleservice(), {
    id: r.id,
    instanceId: r.instance_id,
    collectivityId: r.collectivity_id,
    slug: r.slug,
    kind: r.kind,
    title: r.title,
    summary: r.summary,
    description: r.description,
    theme: r.theme,
    anonymousAllowed: r.anonymous_allowed,
    routingRule: r.routing_rule,
    packSourceId: r.pack_source_id,
    opensAt: r.opens_at,
    closesAt: r.closes_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    archivedAt: r.archived_at,
    settings: r.settings ?? null,
  } as Partial<Teleservice>);
}

function toVersion(r: Record<string, unknown>): TeleserviceVersion {
  return Object.assign(new TeleserviceVersion(), {
    id: r.id,
    teleserviceId: r.teleservice_id,
    number: r.number,
    state: r.state,
    form: r.form,
    workflow: r.workflow,
    dataSources: r.data_sources,
    checksum: r.checksum,
    createdAt: r.created_at,
    publishedAt: r.published_at,
    publishedBy: r.published_by,
  } as Partial<TeleserviceVersion>);
}
