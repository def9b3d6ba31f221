import { IsNull, type EntityManager } from 'typeorm';
import { Collectivity } from './collectivity.entity.js';
import { Instance } from './instance.entity.js';
import { Membership } from './membership.entity.js';
import type { ReferenceCollectivity } from './reference-data.js';
import type { CounterOffer, InstanceEnvironment, MembershipService } from './territory.types.js';

export type UpsertOutcome = 'inserted' | 'updated' | 'unchanged';

export interface NewMembership {
  collectivityId: string;
  service: MembershipService;
  offer: CounterOffer | null;
  startsOn: string;
  signedOn: string | null;
  createdAt: Date;
}

export interface NewInstance {
  collectivityId: string;
  environment: InstanceEnvironment;
  slug: string;
  createdAt: Date;
}

/**
 * The only code that touches the territory's tables. Built on an EntityManager so the same named
 * queries run on the DataSource's manager or inside a transaction.
 */
export class TerritoryRepository {
  constructor(private readonly manager: EntityManager) {}

  private get collectivities() {
    return this.manager.getRepository(Collectivity);
  }

  /** Member communes, by slug (accent-insensitive alphabetical order). */
  listCommunes(): Promise<Collectivity[]> {
    return this.collectivities.find({ where: { kind: 'commune' }, order: { slug: 'ASC' } });
  }

  findMetropolis(): Promise<Collectivity | null> {
    return this.collectivities.findOne({ where: { kind: 'metropolis' }, order: { createdAt: 'ASC' } });
  }

  findById(id: string): Promise<Collectivity | null> {
    return this.collectivities.findOneBy({ id });
  }

  findByInsee(inseeCode: string): Promise<Collectivity | null> {
    return this.collectivities.findOneBy({ inseeCode });
  }

  findBySiren(siren: string): Promise<Collectivity | null> {
    return this.collectivities.findOneBy({ siren });
  }

  findBySlug(slug: string): Promise<Collectivity | null> {
    return this.collectivities.findOneBy({ slug });
  }

  /** Communes served by a postcode: several for shared postcodes (69250 serves six communes). */
  communesForPostcode(postcode: string): Promise<Collectivity[]> {
    return this.collectivities
      .createQueryBuilder('c')
      .where(`c.kind = 'commune'`)
      .andWhere(':postcode = ANY(c.postcodes)', { postcode })
      .orderBy('c.slug', 'ASC')
      .getMany();
  }

  countCollectivities(): Promise<number> {
    return this.collectivities.count();
  }

  /** The membership without end date, if any (at most one per collectivity and service). */
  currentMembership(collectivityId: string, service: MembershipService): Promise<Membership | null> {
    return this.manager.getRepository(Membership).findOneBy({ collectivityId, service, endsOn: IsNull() });
  }

  listInstances(collectivityId: string): Promise<Instance[]> {
    return this.manager.getRepository(Instance).find({ where: { collectivityId }, order: { environment: 'ASC', createdAt: 'ASC' } });
  }

  /**
   * Inserts or refreshes one collectivity's reference columns, keyed by SIREN. The row (and its id) is
   * kept; it is rewritten only when a reference value changed. `contact_email` is never touched.
   */
  async upsertReference(collectivity: ReferenceCollectivity, parentId: string | null, now: Date): Promise<UpsertOutcome> {
    const rows: { inserted: boolean }[] = await this.manager.query(
      `INSERT INTO "collectivity" AS c
         ("kind", "insee_code", "siren", "name", "slug", "population", "postcodes", "parent_id", "boundary",
          "min_lon", "min_lat", "max_lon", "max_lat", "created_at", "updated_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8, $9::jsonb, $10, $11, $12, $13, $14, $14)
       ON CONFLICT ("siren") DO UPDATE SET
         "kind" = EXCLUDED."kind", "insee_code" = EXCLUDED."insee_code", "name" = EXCLUDED."name",
         "slug" = EXCLUDED."slug", "population" = EXCLUDED."population", "postcodes" = EXCLUDED."postcodes",
         "parent_id" = EXCLUDED."parent_id", "boundary" = EXCLUDED."boundary",
         "min_lon" = EXCLUDED."min_lon", "min_lat" = EXCLUDED."min_lat",
         "max_lon" = EXCLUDED."max_lon", "max_lat" = EXCLUDED."max_lat",
         "updated_at" = EXCLUDED."updated_at"
       WHERE (c."kind", c."insee_code", c."name", c."slug", c."population", c."postcodes", c."parent_id", c."boundary",
              c."min_lon", c."min_lat", c."max_lon", c."max_lat")
         IS DISTINCT FROM
             (EXCLUDED."kind", EXCLUDED."insee_code", EXCLUDED."name", EXCLUDED."slug", EXCLUDED."population",
              EXCLUDED."postcodes", EXCLUDED."parent_id", EXCLUDED."boundary",
              EXCLUDED."min_lon", EXCLUDED."min_lat", EXCLUDED."max_lon", EXCLUDED."max_lat")
       RETURNING (c.xmax = 0) AS "inserted"`,
      [
        collectivity.kind,
        collectivity.inseeCode,
        collectivity.siren,
        collectivity.name,
        collectivity.slug,
        collectivity.population,
        collectivity.postcodes,
        parentId,
        collectivity.boundary === null ? null : JSON.stringify(collectivity.boundary),
        collectivity.bbox?.minLon ?? null,
        collectivity.bbox?.minLat ?? null,
        collectivity.bbox?.maxLon ?? null,
        collectivity.bbox?.maxLat ?? null,
        now,
      ],
    );
    if (rows.length === 0) return 'unchanged';
    return rows[0].inserted ? 'inserted' : 'updated';
  }

  /** Adds the membership unless the collectivity already has a current one for that service. True when added. */
  async insertMembershipIfNoCurrent(membership: NewMembership): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      `INSERT INTO "membership" ("collectivity_id", "service", "offer", "starts_on", "signed_on", "created_at")
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ("collectivity_id", "service") WHERE ends_on IS NULL DO NOTHING
       RETURNING "id"`,
      [membership.collectivityId, membership.service, membership.offer, membership.startsOn, membership.signedOn, membership.createdAt],
    );
    return rows.length === 1;
  }

  /** Adds an active instance unless its slug is taken or the collectivity has an active one in that environment. True when added. */
  async insertInstanceIfAbsent(instance: NewInstance): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      `INSERT INTO "instance" ("collectivity_id", "environment", "slug", "status", "created_at")
       VALUES ($1, $2, $3, 'active', $4)
       ON CONFLICT DO NOTHING
       RETURNING "id"`,
      [instance.collectivityId, instance.environment, instance.slug, instance.createdAt],
    );
    return rows.length === 1;
  }

  /** Serialises concurrent seeds (several processes starting at once) until the transaction ends. */
  async lockForSeed(): Promise<void> {
    await this.manager.query(`SELECT pg_advisory_xact_lock(hashtext('parvis:territory-seed'))`);
  }
}
