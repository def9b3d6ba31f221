import type { DataSource } from 'typeorm';
import { SystemClock, type Clock } from '#core';
import { loadReferenceTerritory, type ReferenceTerritory } from './reference-data.js';
import { territoryErrors } from './territory.errors.js';
import { TerritoryRepository } from './territory.repository.js';
import type { CounterOffer, InstanceEnvironment } from './territory.types.js';

export interface ReferenceSeedResult {
  /** Collectivities in the reference data (the metropolis and its communes). */
  collectivities: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface DemoSeedResult {
  membershipsCreated: number;
  instancesCreated: number;
  /** What the demo set holds in all (created now or before). */
  memberships: number;
  instances: number;
}

/** Demo adhesions to the counter: three Partenaire communes, one Abonné, one Connecté. */
export const DEMO_COUNTER_MEMBERSHIPS: readonly { inseeCode: string; offer: CounterOffer }[] = [
  { inseeCode: '69029', offer: 'partenaire' }, // Bron
  { inseeCode: '69091', offer: 'partenaire' }, // Givors
  { inseeCode: '69072', offer: 'partenaire' }, // Dardilly
  { inseeCode: '69204', offer: 'abonne' }, // Saint-Genis-Laval
  { inseeCode: '69259', offer: 'connecte' }, // Vénissieux
];

const ENVIRONMENTS: readonly InstanceEnvironment[] = ['production', 'test'];

/** `givors` in production, `givors-test` in test. */
export function instanceSlug(collectivitySlug: string, environment: InstanceEnvironment): string {
  return environment === 'production' ? collectivitySlug : `${collectivitySlug}-${environment}`;
}

/** The calendar day (YYYY-MM-DD) of an instant in France, where agreements are signed. */
export function calendarDay(at: Date, timeZone = 'Europe/Paris'): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/**
 * Inserts or refreshes the metropolis and its communes, keyed by SIREN, in one transaction. Safe to
 * re-run: rows keep their ids; only changed reference values are rewritten (then `updated_at` moves).
 */
export async function seedReferenceData(
  dataSource: DataSource,
  options: { clock?: Clock; territory?: ReferenceTerritory } = {},
): Promise<ReferenceSeedResult> {
  const territory = options.territory ?? loadReferenceTerritory();
  const now = (options.clock ?? new SystemClock()).now();
  return dataSource.transaction(async (manager) => {
    const repository = new TerritoryRepository(manager);
    await repository.lockForSeed();
    const result: ReferenceSeedResult = { collectivities: 1 + territory.communes.length, inserted: 0, updated: 0, unchanged: 0 };
    result[await repository.upsertReference(territory.metropolis, null, now)] += 1;
    const metropolis = await repository.findBySiren(territory.metropolis.siren);
    if (!metropolis) throw territoryErrors.referenceDataMissing(`métropole ${territory.metropolis.siren}`);
    for (const commune of territory.communes) {
      result[await repository.upsertReference(commune, metropolis.id, now)] += 1;
    }
    return result;
  });
}

/**
 * Adds the demo set, only what is absent, in one transaction: Bron, Givors and Dardilly as Partenaire
 * (each with a production and a test instance), Saint-Genis-Laval as Abonné, Vénissieux as Connecté, and
 * the metropolis' own production and test instances (it owns the metropolitan and mutualised
 * téléservices). A commune that already has a current counter membership keeps it, and gets instances
 * only if that membership is Partenaire. Needs the reference data.
 */
export async function seedDemo(dataSource: DataSource, clock: Clock): Promise<DemoSeedResult> {
  const now = clock.now();
  const today = calendarDay(now);
  return dataSource.transaction(async (manager) => {
    const repository = new TerritoryRepository(manager);
    await repository.lockForSeed();
    const result: DemoSeedResult = { membershipsCreated: 0, instancesCreated: 0, memberships: 0, instances: 0 };

    const addInstances = async (collectivityId: string, slug: string) => {
      for (const environment of ENVIRONMENTS) {
        result.instances += 1;
        if (await repository.insertInstanceIfAbsent({ collectivityId, environment, slug: instanceSlug(slug, environment), createdAt: now })) {
          result.instancesCreated += 1;
        }
      }
    };

    const metropolis = await repository.findMetropolis();
    if (!metropolis) throw territoryErrors.referenceDataMissing('métropole');
    await addInstances(metropolis.id, metropolis.slug);

    for (const { inseeCode, offer } of DEMO_COUNTER_MEMBERSHIPS) {
      const commune = await repository.findByInsee(inseeCode);
      if (!commune) throw territoryErrors.referenceDataMissing(`commune ${inseeCode}`);
      result.memberships += 1;
      const created = await repository.insertMembershipIfNoCurrent({
        collectivityId: commune.id,
        service: 'counter',
        offer,
        startsOn: today,
        signedOn: today,
        createdAt: now,
      });
      if (created) result.membershipsCreated += 1;
      // Instances follow the commune's actual offer: one that became Abonné since keeps no instance.
      const current = await repository.currentMembership(commune.id, 'counter');
      if (current?.offer === 'partenaire') await addInstances(commune.id, commune.slug);
    }
    return result;
  });
}
