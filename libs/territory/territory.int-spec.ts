import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module, type DynamicModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { createTestDatabase, ManualClock, type TestDatabase } from '#testing';
import { loadReferenceTerritory } from './reference-data.js';
import { seedDemo, seedReferenceData } from './territory.seed.js';
import { TerritoryModule } from './territory.module.js';
import { TerritoryService } from './territory.service.js';

interface Row {
  id: string;
  insee_code: string | null;
  siren: string;
  updated_at: Date;
}

describe('territory in PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let territory: TerritoryService;

  const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => dataSource.query<T[]>(sql, params);
  const idOf = async (insee: string) => (await q<{ id: string }>(`SELECT id FROM collectivity WHERE insee_code = $1`, [insee]))[0].id;
  const snapshot = () => q<Row>(`SELECT id, insee_code, siren, updated_at FROM collectivity ORDER BY siren`);

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({
      url: database.url,
      applicationName: 'parvis-test-territory',
      entities: ALL_ENTITIES,
      migrations: ALL_MIGRATIONS,
      poolSize: 3,
    });
    await dataSource.initialize();
    // The DataSource as PlatformModule provides it to every app: global.
    const platformStandIn: DynamicModule = {
      module: class PlatformStandIn {},
      global: true,
      providers: [{ provide: DataSource, useValue: dataSource }],
      exports: [DataSource],
    };
    @Module({ imports: [platformStandIn, TerritoryModule] })
    class AppStandIn {}
    const moduleRef = await Test.createTestingModule({ imports: [AppStandIn] }).compile();
    territory = moduleRef.get(TerritoryService);
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  describe('reference data', () => {
    it('is in the template: the metropolis and its 58 communes, each commune attached to it with its boundary', async () => {
      const rows = await q<{ kind: string; n: number; attached: number; bounded: number }>(
        `SELECT c.kind, count(*)::int AS n,
                count(*) FILTER (WHERE c.parent_id = m.id)::int AS attached,
                count(*) FILTER (WHERE c.boundary IS NOT NULL AND c.min_lon < c.max_lon AND c.min_lat < c.max_lat)::int AS bounded
           FROM collectivity c CROSS JOIN (SELECT id FROM collectivity WHERE kind = 'metropolis') m
          GROUP BY c.kind ORDER BY c.kind`,
      );
      expect(rows).toEqual([
        { kind: 'commune', n: 58, attached: 58, bounded: 58 },
        { kind: 'metropolis', n: 1, attached: 0, bounded: 0 },
      ]);
      const givors = await territory.getByInsee('69091');
      const reference = loadReferenceTerritory().communes.find((c) => c.inseeCode === '69091')!;
      expect(givors).toMatchObject({
        kind: 'commune',
        siren: '216900910',
        slug: 'givors',
        postcodes: ['69700'],
        population: reference.population,
        boundary: reference.boundary,
        minLon: reference.bbox!.minLon,
        maxLat: reference.bbox!.maxLat,
        contactEmail: null,
      });
    });

    it('changes nothing when seeded again: same rows, same ids, same timestamps', async () => {
      const before = await snapshot();
      const first = await seedReferenceData(dataSource);
      const second = await seedReferenceData(dataSource);
      expect(first).toEqual({ collectivities: 59, inserted: 0, updated: 0, unchanged: 59 });
      expect(second).toEqual(first);
      expect(await snapshot()).toEqual(before);
    });

    it('restores changed reference values in place, keeping the id and the contact email', async () => {
      const id = await idOf('69091');
      await q(`UPDATE collectivity SET population = 1, name = 'Givors (ancien)', postcodes = '{69999}', contact_email = $2 WHERE id = $1`, [
        id,
        'mairie@givors.example',
      ]);
      const clock = new ManualClock('2026-02-01T10:00:00Z');
      expect(await seedReferenceData(dataSource, { clock })).toEqual({ collectivities: 59, inserted: 0, updated: 1, unchanged: 58 });
      const [row] = await q<{ id: string; name: string; population: number; postcodes: string[]; contact_email: string; updated_at: Date }>(
        `SELECT id, name, population, postcodes, contact_email, updated_at FROM collectivity WHERE insee_code = '69091'`,
      );
      expect(row).toMatchObject({ id, name: 'Givors', postcodes: ['69700'], contact_email: 'mairie@givors.example' });
      expect(row.population).toBeGreaterThan(15_000);
      expect(row.updated_at).toEqual(clock.now());
      expect(await q(`SELECT 1 FROM collectivity`)).toHaveLength(59);
    });

    it('fills an empty table', async () => {
      const empty = await createTestDatabase();
      const other = createDataSource({ url: empty.url, applicationName: 'parvis-test-territory-empty', entities: ALL_ENTITIES, migrations: [], poolSize: 1 });
      await other.initialize();
      try {
        await other.query(`DELETE FROM collectivity WHERE kind = 'commune'`);
        await other.query(`DELETE FROM collectivity`);
        expect(await seedReferenceData(other)).toEqual({ collectivities: 59, inserted: 59, updated: 0, unchanged: 0 });
        expect(await seedReferenceData(other)).toEqual({ collectivities: 59, inserted: 0, updated: 0, unchanged: 59 });
        const [{ n }] = await other.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM collectivity WHERE parent_id IS NOT NULL`);
        expect(n).toBe(58);
      } finally {
        await other.destroy();
        await empty.drop();
      }
    });
  });

  describe('demo set', () => {
    // 22:30 UTC on 31 March is already 1 April in France (summer time).
    const clock = new ManualClock('2026-03-31T22:30:00Z');

    it('is created once: five counter memberships, production and test instances for the Partenaire communes and the metropolis', async () => {
      expect(await seedDemo(dataSource, clock)).toEqual({ membershipsCreated: 5, instancesCreated: 8, memberships: 5, instances: 8 });
      clock.advance(60_000);
      expect(await seedDemo(dataSource, clock)).toEqual({ membershipsCreated: 0, instancesCreated: 0, memberships: 5, instances: 8 });

      const memberships = await q(
        `SELECT c.insee_code, m.service, m.offer, m.starts_on::text, m.signed_on::text, m.ends_on, m.created_at
           FROM membership m JOIN collectivity c ON c.id = m.collectivity_id ORDER BY c.insee_code`,
      );
      const at = new Date('2026-03-31T22:30:00Z');
      const counter = (insee: string, offer: string) => ({
        insee_code: insee,
        service: 'counter',
        offer,
        starts_on: '2026-04-01',
        signed_on: '2026-04-01',
        ends_on: null,
        created_at: at,
      });
      expect(memberships).toEqual([
        counter('69029', 'partenaire'),
        counter('69072', 'partenaire'),
        counter('69091', 'partenaire'),
        counter('69204', 'abonne'),
        counter('69259', 'connecte'),
      ]);

      const instances = await q<{ slug: string; environment: string; status: string; owner: string }>(
        `SELECT i.slug, i.environment, i.status, c.slug AS owner FROM instance i JOIN collectivity c ON c.id = i.collectivity_id ORDER BY i.slug`,
      );
      expect(instances).toEqual([
        { slug: 'bron', environment: 'production', status: 'active', owner: 'bron' },
        { slug: 'bron-test', environment: 'test', status: 'active', owner: 'bron' },
        { slug: 'dardilly', environment: 'production', status: 'active', owner: 'dardilly' },
        { slug: 'dardilly-test', environment: 'test', status: 'active', owner: 'dardilly' },
        { slug: 'givors', environment: 'production', status: 'active', owner: 'givors' },
        { slug: 'givors-test', environment: 'test', status: 'active', owner: 'givors' },
        { slug: 'metropole-de-lyon', environment: 'production', status: 'active', owner: 'metropole-de-lyon' },
        { slug: 'metropole-de-lyon-test', environment: 'test', status: 'active', owner: 'metropole-de-lyon' },
      ]);
    });

    it('is seen through the service: current membership by offer, none for a commune that does not adhere', async () => {
      const givors = await territory.getBySlug('givors');
      expect(await territory.currentMembership(givors.id, 'counter')).toMatchObject({ offer: 'partenaire', startsOn: '2026-04-01', endsOn: null });
      expect(await territory.currentMembership(givors.id, 'school_workspace')).toBeNull();
      const venissieux = await territory.getByInsee('69259');
      expect((await territory.currentMembership(venissieux.id, 'counter'))?.offer).toBe('connecte');
      const lyon = await territory.getByInsee('69123');
      expect(await territory.currentMembership(lyon.id, 'counter')).toBeNull();
    });
  });

  describe('integrity enforced by the database', () => {
    const insertMembership = (collectivityId: string, service: string, offer: string | null, startsOn = '2026-01-01', endsOn: string | null = null) =>
      q(`INSERT INTO membership (collectivity_id, service, offer, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5)`, [
        collectivityId,
        service,
        offer,
        startsOn,
        endsOn,
      ]);
    const membershipsOf = async (id: string) =>
      q<{ service: string; offer: string | null }>(`SELECT service, offer FROM membership WHERE collectivity_id = $1 ORDER BY service, starts_on`, [id]);

    it('refuses a second current counter membership, and stores nothing of the transaction that tried', async () => {
      const villeurbanne = await idOf('69266');
      await insertMembership(villeurbanne, 'counter', 'abonne');
      await expect(
        dataSource.transaction(async (manager) => {
          await manager.query(`INSERT INTO membership (collectivity_id, service, starts_on) VALUES ($1, 'school_workspace', '2026-01-01')`, [villeurbanne]);
          await manager.query(`INSERT INTO membership (collectivity_id, service, offer, starts_on) VALUES ($1, 'counter', 'connecte', '2026-02-01')`, [
            villeurbanne,
          ]);
        }),
      ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23505', constraint: 'membership_current_key' }) });
      expect(await membershipsOf(villeurbanne)).toEqual([{ service: 'counter', offer: 'abonne' }]);
    });

    it('accepts a new current membership once the previous one has ended (history is kept)', async () => {
      const caluire = await idOf('69034');
      await insertMembership(caluire, 'counter', 'abonne', '2025-01-01', '2026-01-01');
      await insertMembership(caluire, 'counter', 'partenaire', '2026-01-01');
      await insertMembership(caluire, 'school_workspace', null, '2026-01-01');
      expect(await membershipsOf(caluire)).toEqual([
        { service: 'counter', offer: 'abonne' },
        { service: 'counter', offer: 'partenaire' },
        { service: 'school_workspace', offer: null },
      ]);
      expect((await territory.currentMembership(caluire, 'counter'))?.offer).toBe('partenaire');
    });

    it('refuses a counter membership without offer, an offer on the schools workspace, an unknown offer and an end before the start', async () => {
      const ecully = await idOf('69081');
      const refused = (promise: Promise<unknown>, constraint: string | RegExp) =>
        expect(promise).rejects.toMatchObject({
          driverError: expect.objectContaining({ code: '23514', constraint: typeof constraint === 'string' ? constraint : expect.stringMatching(constraint) }),
        });
      await refused(insertMembership(ecully, 'counter', null), 'membership_offer_check');
      await refused(insertMembership(ecully, 'school_workspace', 'partenaire'), 'membership_offer_check');
      await refused(insertMembership(ecully, 'counter', 'premium'), 'membership_offer_check');
      await refused(insertMembership(ecully, 'library', null), /^membership_(service|offer)_check$/);
      await refused(insertMembership(ecully, 'counter', 'abonne', '2026-01-01', '2026-01-01'), 'membership_dates_check');
      expect(await membershipsOf(ecully)).toEqual([]);
    });

    it('allows one active instance per collectivity and environment, another once it is decommissioned', async () => {
      const bron = await idOf('69029');
      await expect(q(`INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'bron-2')`, [bron])).rejects.toMatchObject({
        driverError: expect.objectContaining({ code: '23505', constraint: 'instance_active_key' }),
      });
      await expect(
        q(`UPDATE instance SET status = 'decommissioned' WHERE slug = 'bron'`),
      ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23514', constraint: 'instance_decommissioned_check' }) });
      await q(`UPDATE instance SET status = 'decommissioned', decommissioned_at = now() WHERE slug = 'bron'`);
      await q(`INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'bron-2')`, [bron]);
      const rows = await q(`SELECT slug, status FROM instance WHERE collectivity_id = $1 AND environment = 'production' ORDER BY slug`, [bron]);
      expect(rows).toEqual([
        { slug: 'bron', status: 'decommissioned' },
        { slug: 'bron-2', status: 'active' },
      ]);
    });

    it('refuses a commune without INSEE code or metropolis, a malformed SIREN and a duplicate SIREN', async () => {
      const metropolis = (await q<{ id: string }>(`SELECT id FROM collectivity WHERE kind = 'metropolis'`))[0].id;
      const insert = (insee: string | null, siren: string, parent: string | null, slug: string) =>
        q(`INSERT INTO collectivity (kind, insee_code, siren, name, slug, population, postcodes, parent_id) VALUES ('commune', $1, $2, 'X', $3, 1, '{69000}', $4)`, [
          insee,
          siren,
          slug,
          parent,
        ]);
      const refused = (promise: Promise<unknown>, code: string, constraint: string) =>
        expect(promise).rejects.toMatchObject({ driverError: expect.objectContaining({ code, constraint }) });
      await refused(insert(null, '123456789', metropolis, 'x1'), '23514', 'collectivity_shape_check');
      await refused(insert('69998', '123456789', null, 'x2'), '23514', 'collectivity_shape_check');
      await refused(insert('69998', '12345', metropolis, 'x3'), '23514', 'collectivity_siren_check');
      await refused(insert('69998', '216900910', metropolis, 'x4'), '23505', 'collectivity_siren_key');
      expect(await q(`SELECT 1 FROM collectivity`)).toHaveLength(59);
    });
  });

  describe('TerritoryService', () => {
    it('lists the 58 communes in alphabetical order', async () => {
      const communes = await territory.listCommunes();
      expect(communes).toHaveLength(58);
      expect(communes.every((c) => c.kind === 'commune')).toBe(true);
      const slugs = communes.map((c) => c.slug);
      expect(slugs).toEqual([...slugs].sort());
      expect(slugs.indexOf('ecully')).toBeLessThan(slugs.indexOf('feyzin'));
    });

    it('finds the communes of a postcode: several for 69250, one for 69700, none outside the territory', async () => {
      const shared = await territory.communesForPostcode('69250');
      expect(shared.length).toBeGreaterThan(1);
      expect(shared.map((c) => c.inseeCode)).toContain('69143');
      expect(shared.every((c) => c.postcodes.includes('69250'))).toBe(true);
      expect((await territory.communesForPostcode(' 69700 ')).map((c) => c.name)).toEqual(['Givors']);
      expect((await territory.communesForPostcode('69003')).map((c) => c.name)).toEqual(['Lyon']);
      expect(await territory.communesForPostcode('75001')).toEqual([]);
    });

    it('answers with stable error codes and French messages', async () => {
      await expect(territory.communesForPostcode('692')).rejects.toMatchObject({ code: 'POSTCODE_INVALID', kind: 'invalid' });
      await expect(territory.findByInsee('6909')).rejects.toMatchObject({ code: 'INSEE_CODE_INVALID', fields: [expect.objectContaining({ path: 'inseeCode' })] });
      const notFound = territory.getByInsee('69999');
      await expect(notFound).rejects.toMatchObject({ code: 'COLLECTIVITY_NOT_FOUND', kind: 'not_found' });
      await expect(notFound).rejects.toThrow('Aucune collectivité ne correspond au code INSEE 69999.');
      await expect(territory.getBySlug('paris')).rejects.toThrow("Aucune collectivité ne correspond à l'identifiant « paris ».");
      expect(await territory.findByInsee('69999')).toBeNull();
      expect((await territory.findBySlug('metropole-de-lyon'))?.kind).toBe('metropolis');
    });
  });
});
