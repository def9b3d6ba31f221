import type { DataSource } from 'typeorm';
import { TeleserviceRepository, type Teleservice, type TeleserviceVersion } from '#teleservices';
import type { Demand } from './entities/demand.entity.js';
import { DemandRepository, type NewDemand } from './repositories/demand.repository.js';
import { platformScope } from './tenancy/tenant-scope.js';
import { withTenant } from './tenancy/with-tenant.js';

/** Test data shared by the demands' integration tests: two communes, one mutualised téléservice, published. */
export interface EngineFixture {
  metropolisId: string;
  /** Givors (69091). */
  communeA: string;
  /** Vénissieux (69259). */
  communeB: string;
  teleservice: Teleservice;
  version: TeleserviceVersion;
  /** Inserts a demand in platform scope (as the submission use case will, in the tenant's scope). */
  demand(overrides: Partial<NewDemand> & { collectivityId: string }): Promise<Demand>;
}

export const T0 = new Date('2026-01-15T09:00:00.000Z');

export async function engineFixture(dataSource: DataSource): Promise<EngineFixture> {
  const idOf = async (insee: string) =>
    (await dataSource.query<{ id: string }[]>(`SELECT id FROM collectivity WHERE insee_code = $1`, [insee]))[0].id;
  const metropolisId = (await dataSource.query<{ id: string }[]>(`SELECT id FROM collectivity WHERE kind = 'metropolis'`))[0].id;
  const [instance] = await dataSource.query<{ id: string }[]>(
    `INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'metropole-de-lyon') RETURNING id`,
    [metropolisId],
  );
  const teleservices = new TeleserviceRepository(dataSource.manager);
  const teleservice = await teleservices.create({
    instanceId: instance.id,
    collectivityId: metropolisId,
    slug: 'signalement-anomalie',
    kind: 'mutualised',
    title: 'Signaler une anomalie sur l’espace public',
    summary: 'Nid-de-poule, dépôt sauvage, éclairage en panne…',
    anonymousAllowed: true,
    routingRule: { by: 'map_point', field: 'lieu' },
    now: T0,
  });
  await teleservices.createDraft(metropolisId, teleservice.id, T0, {
    form: { pages: [{ id: 'p1', fields: [{ id: 'lieu', type: 'map_point' }] }] },
    workflow: { statuses: ['new', 'done'] },
    dataSources: [],
  });
  const version = await teleservices.publish(metropolisId, teleservice.id, { publishedBy: 'system', now: T0 });
  let minutes = 0;
  return {
    metropolisId,
    communeA: await idOf('69091'),
    communeB: await idOf('69259'),
    teleservice,
    version,
    demand: (overrides) =>
      withTenant(dataSource, platformScope('données de test'), (manager) =>
        new DemandRepository(manager).insertDemand({
          teleserviceId: teleservice.id,
          versionId: version.id,
          channel: 'web',
          data: { lieu: { lat: 45.59, lon: 4.77 } },
          status: 'new',
          submittedAt: new Date(T0.getTime() + ++minutes * 60_000),
          ...overrides,
        }),
      ),
  };
}
