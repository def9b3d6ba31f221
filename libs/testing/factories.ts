import type { DataSource } from 'typeorm';
import { instanceSlug, type CounterOffer, type InstanceEnvironment } from '#territory';

/**
 * Test data on top of the reference territory every test database starts with (the metropolis and its
 * 58 communes). Communes are named by INSEE code; `'metropolis'` names the Métropole de Lyon.
 */
export type CollectivityRef = string | 'metropolis';

export interface CollectivityRow {
  id: string;
  name: string;
  slug: string;
  inseeCode: string | null;
}

export async function collectivity(dataSource: DataSource, ref: CollectivityRef): Promise<CollectivityRow> {
  const rows = await dataSource.query<CollectivityRow[]>(
    `SELECT id, name, slug, insee_code AS "inseeCode" FROM collectivity WHERE ${ref === 'metropolis' ? "kind = 'metropolis'" : 'insee_code = $1'}`,
    ref === 'metropolis' ? [] : [ref],
  );
  if (!rows[0]) throw new Error(`Collectivité de test inconnue : ${ref}`);
  return rows[0];
}

/** Makes a commune adhere to the counter with an offer (current membership, from `startsOn`). */
export async function givenMembership(
  dataSource: DataSource,
  ref: CollectivityRef,
  offer: CounterOffer,
  startsOn = '2026-01-01',
): Promise<{ membershipId: string; collectivityId: string }> {
  const { id } = await collectivity(dataSource, ref);
  const [row] = await dataSource.query<{ id: string }[]>(
    `INSERT INTO membership (collectivity_id, service, offer, starts_on) VALUES ($1, 'counter', $2, $3) RETURNING id`,
    [id, offer, startsOn],
  );
  return { membershipId: row.id, collectivityId: id };
}

/** The active instance of a collectivity for an environment, created when missing. */
export async function givenInstance(
  dataSource: DataSource,
  ref: CollectivityRef,
  environment: InstanceEnvironment = 'production',
): Promise<{ instanceId: string; collectivityId: string; slug: string }> {
  const target = await collectivity(dataSource, ref);
  const slug = instanceSlug(target.slug, environment);
  const existing = await dataSource.query<{ id: string }[]>(
    `SELECT id FROM instance WHERE collectivity_id = $1 AND environment = $2 AND status = 'active'`,
    [target.id, environment],
  );
  const id =
    existing[0]?.id ??
    (
      await dataSource.query<{ id: string }[]>(
        `INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, $2, $3) RETURNING id`,
        [target.id, environment, slug],
      )
    )[0].id;
  return { instanceId: id, collectivityId: target.id, slug };
}
