import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authoringWorld, type AuthoringWorld } from '../authoring/authoring.test-helper.js';
import { DefinitionValidationService } from '../authoring/definition-validation.service.js';
import { TeleserviceRepository } from '../teleservices/teleservice.repository.js';
import { DEMO_TELESERVICES, seedDemoCatalogue } from './demo-catalogue.seed.js';

interface Row {
  id: string;
  slug: string;
  kind: string;
  instance: string;
  collectivity: string;
  routing_rule: { by: 'map_point'; field: string } | null;
  pack_source_id: string | null;
  anonymous_allowed: boolean;
  updated_at: Date;
}

describe('seedDemoCatalogue', () => {
  let world: AuthoringWorld;
  const rows = () =>
    world.dataSource.query<Row[]>(
      `SELECT t.id, t.slug, t.kind, i.slug AS instance, c.name AS collectivity, t.routing_rule, t.pack_source_id, t.anonymous_allowed, t.updated_at
         FROM teleservice t JOIN instance i ON i.id = t.instance_id JOIN collectivity c ON c.id = t.collectivity_id ORDER BY i.slug, t.slug`,
    );

  beforeAll(async () => {
    world = await authoringWorld('demo-catalogue');
  });
  afterAll(() => world?.close());

  it('publishes a realistic catalogue across the metropolis and communes, every version valid', async () => {
    const result = await seedDemoCatalogue(world.dataSource, world.clock);
    expect(result).toEqual({ teleservices: DEMO_TELESERVICES.length + 2, created: DEMO_TELESERVICES.length + 2, published: DEMO_TELESERVICES.length + 2, deployments: 1 });
    const all = await rows();
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(new Set(all.map((row) => row.collectivity))).toEqual(new Set(['Métropole de Lyon', 'Bron', 'Givors', 'Dardilly', 'Saint-Genis-Laval']));
    expect(all.map((row) => `${row.instance}/${row.slug}:${row.kind}`)).toEqual(
      expect.arrayContaining([
        'metropole-de-lyon/signalement-anomalie:mutualised',
        'metropole-de-lyon/rendez-vous:metropolitan',
        'metropole-de-lyon/pass-decheterie:catalogue_pack',
        'metropole-de-lyon/subvention-association:metropolitan',
        'metropole-de-lyon/aide-contact:metropolitan',
        'givors/acte-etat-civil:communal',
        'givors-test/acte-etat-civil:communal',
        'bron/inscription-scolaire:communal',
        'dardilly/occupation-domaine-public:communal',
        'saint-genis-laval/pass-decheterie:communal',
      ]),
    );
    expect(all.find((row) => row.slug === 'signalement-anomalie')).toMatchObject({ routing_rule: { by: 'map_point', field: 'lieu' }, anonymous_allowed: true });
    const pack = all.find((row) => row.instance === 'metropole-de-lyon' && row.slug === 'pass-decheterie')!;
    expect(all.find((row) => row.instance === 'saint-genis-laval')).toMatchObject({ pack_source_id: pack.id });
    expect(all.filter((row) => row.slug === 'aide-contact').every((row) => row.anonymous_allowed)).toBe(true);

    const repository = new TeleserviceRepository(world.dataSource.manager);
    const validator = new DefinitionValidationService();
    for (const row of all) {
      const version = await repository.latestPublished(row.id);
      expect(version).not.toBeNull();
      expect({ slug: `${row.instance}/${row.slug}`, errors: validator.validate(version!, { kind: row.kind as never, routingRule: row.routing_rule }) }).toEqual({ slug: `${row.instance}/${row.slug}`, errors: [] });
    }
    // The test instance holds the next version of Givors' état civil, not yet in production.
    const prod = await repository.latestPublished(all.find((row) => row.instance === 'givors' && row.slug === 'acte-etat-civil')!.id);
    const test = await repository.latestPublished(all.find((row) => row.instance === 'givors-test' && row.slug === 'acte-etat-civil')!.id);
    expect(test!.checksum).not.toBe(prod!.checksum);
    expect(JSON.stringify(test!.form)).toContain('pays_destination');
  });

  it('is idempotent: re-running changes nothing', async () => {
    const before = { rows: await rows(), count: await world.count() };
    world.clock.advance(86_400_000);
    const again = await seedDemoCatalogue(world.dataSource, world.clock);
    expect(again).toMatchObject({ created: 0, published: 0 });
    expect(await rows()).toEqual(before.rows);
    expect(await world.count()).toEqual(before.count);
  });
});
