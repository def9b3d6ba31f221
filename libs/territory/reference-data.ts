import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { fromRoot } from '#core';
import { boundingBox, type BoundaryGeometry, type BoundingBox, type Position } from './geometry.js';
import { slugify } from './slug.js';
import type { CollectivityKind } from './territory.types.js';

/** SIREN of the Métropole de Lyon (its EPCI code in @etalab/decoupage-administratif). */
export const LYON_METROPOLIS_SIREN = '200046977';

/** Repository copy of the communes' boundaries (IGN Admin Express COG, Licence Ouverte, via france-geojson). */
export const BOUNDARIES_FILE = 'metropole-lyon-communes.geojson';

/** One collectivity as official data describes it, before it is stored. */
export interface ReferenceCollectivity {
  kind: CollectivityKind;
  /** null for the metropolis. */
  inseeCode: string | null;
  siren: string;
  name: string;
  slug: string;
  population: number;
  postcodes: string[];
  boundary: BoundaryGeometry | null;
  bbox: BoundingBox | null;
}

export interface ReferenceTerritory {
  metropolis: ReferenceCollectivity;
  /** Member communes, ordered by INSEE code. */
  communes: ReferenceCollectivity[];
}

/** The reference data contradicts itself (a commune without boundary, a missing SIREN…): nothing can be seeded. */
export class ReferenceDataError extends Error {
  constructor(readonly problems: string[]) {
    super(`Données de référence du territoire incohérentes :\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ReferenceDataError';
  }
}

// --- Shapes of the sources (only the fields used) -------------------------------------------------

const epciSchema = z.object({
  code: z.string(),
  nom: z.string(),
  membres: z.array(z.object({ code: z.string(), nom: z.string() })),
});

const communeSchema = z.object({
  code: z.string(),
  nom: z.string(),
  type: z.string(),
  siren: z.string().optional(),
  codesPostaux: z.array(z.string()).optional(),
  population: z.number().optional(),
});

const position = z
  .array(z.number().finite())
  .min(2)
  .refine(([lon, lat]) => lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90, 'coordonnées hors WGS 84')
  .transform(([lon, lat]): Position => [lon, lat]);
const ring = z
  .array(position)
  .min(4, 'un anneau a au moins 4 positions')
  .refine((r) => r[0][0] === r[r.length - 1][0] && r[0][1] === r[r.length - 1][1], 'anneau non fermé');
const polygon = z.array(ring).min(1);
const geometrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Polygon'), coordinates: polygon }),
  z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(polygon).min(1) }),
]);
const boundariesSchema = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(
    z.object({
      type: z.literal('Feature'),
      properties: z.object({ code: z.string(), nom: z.string().optional() }),
      geometry: z.unknown(),
    }),
  ),
});

export interface TerritorySources {
  /** `data/epci.json` of @etalab/decoupage-administratif. */
  epci: unknown[];
  /** `data/communes.json` of @etalab/decoupage-administratif. */
  communes: unknown[];
  /** GeoJSON FeatureCollection of the member communes' boundaries (property `code` = INSEE code). */
  boundaries: unknown;
}

/**
 * Builds the metropolis and its member communes from official data, checking that the sources agree:
 * every member commune exists with a SIREN, postcodes and a population, and has exactly one valid
 * boundary; no boundary belongs to a non-member. Every problem is listed in one ReferenceDataError.
 *
 * The metropolis' population is the sum of its communes' (one vintage for all), its postcodes are empty
 * (postcodes locate communes) and it has no boundary of its own (the union of its communes').
 */
export function buildReferenceTerritory(sources: TerritorySources, metropolisSiren = LYON_METROPOLIS_SIREN): ReferenceTerritory {
  const problems: string[] = [];

  const epciRecord = sources.epci.find((e) => (e as { code?: unknown }).code === metropolisSiren);
  const epci = epciSchema.safeParse(epciRecord);
  if (!epci.success) {
    throw new ReferenceDataError([`EPCI ${metropolisSiren} introuvable ou illisible dans epci.json`]);
  }

  const memberCodes = new Set(epci.data.membres.map((m) => m.code));
  const currentCommunes = new Map<string, z.infer<typeof communeSchema>>();
  for (const raw of sources.communes) {
    if (!memberCodes.has((raw as { code?: string }).code ?? '')) continue;
    const parsed = communeSchema.safeParse(raw);
    if (parsed.success && parsed.data.type === 'commune-actuelle') currentCommunes.set(parsed.data.code, parsed.data);
  }

  const collection = boundariesSchema.safeParse(sources.boundaries);
  if (!collection.success) {
    throw new ReferenceDataError([`${BOUNDARIES_FILE} n'est pas une FeatureCollection GeoJSON lisible : ${z.prettifyError(collection.error)}`]);
  }
  const boundariesByCode = new Map<string, unknown[]>();
  for (const feature of collection.data.features) {
    const list = boundariesByCode.get(feature.properties.code) ?? [];
    list.push(feature.geometry);
    boundariesByCode.set(feature.properties.code, list);
  }

  const communes: ReferenceCollectivity[] = [];
  for (const member of epci.data.membres) {
    const label = `${member.code} (${member.nom})`;
    const record = currentCommunes.get(member.code);
    if (!record) {
      problems.push(`commune membre ${label} absente de communes.json`);
      continue;
    }
    if (!record.siren || !/^[0-9]{9}$/.test(record.siren)) problems.push(`commune ${label} : SIREN manquant ou invalide`);
    if (!record.codesPostaux?.length) problems.push(`commune ${label} : aucun code postal`);
    if (record.population === undefined || !Number.isInteger(record.population) || record.population < 0) {
      problems.push(`commune ${label} : population manquante ou invalide`);
    }

    const shapes = boundariesByCode.get(member.code) ?? [];
    let boundary: BoundaryGeometry | null = null;
    if (shapes.length !== 1) {
      problems.push(`commune ${label} : ${shapes.length} contour(s) dans ${BOUNDARIES_FILE}, exactement 1 attendu`);
    } else {
      const geometry = geometrySchema.safeParse(shapes[0]);
      if (geometry.success) boundary = geometry.data;
      else problems.push(`commune ${label} : contour invalide (${z.prettifyError(geometry.error).replace(/\n/g, ' ')})`);
    }

    communes.push({
      kind: 'commune',
      inseeCode: record.code,
      siren: record.siren ?? '',
      name: record.nom,
      slug: slugify(record.nom),
      population: record.population ?? 0,
      postcodes: [...new Set(record.codesPostaux ?? [])].sort(),
      boundary,
      bbox: boundary ? boundingBox(boundary) : null,
    });
  }
  for (const code of boundariesByCode.keys()) {
    if (!memberCodes.has(code)) problems.push(`contour ${code} dans ${BOUNDARIES_FILE} : pas une commune membre de ${epci.data.nom}`);
  }

  const metropolis: ReferenceCollectivity = {
    kind: 'metropolis',
    inseeCode: null,
    siren: epci.data.code,
    name: epci.data.nom,
    slug: slugify(epci.data.nom),
    population: communes.reduce((sum, c) => sum + c.population, 0),
    postcodes: [],
    boundary: null,
    bbox: null,
  };

  const slugs = new Map<string, string>();
  for (const c of [metropolis, ...communes]) {
    const other = slugs.get(c.slug);
    if (other) problems.push(`identifiant « ${c.slug} » partagé par ${other} et ${c.name}`);
    slugs.set(c.slug, c.name);
  }

  if (problems.length) throw new ReferenceDataError(problems);
  communes.sort((a, b) => (a.inseeCode! < b.inseeCode! ? -1 : 1));
  return { metropolis, communes };
}

let cached: ReferenceTerritory | undefined;

/**
 * The Lyon metropolis from @etalab/decoupage-administratif and the repository's boundaries file.
 * Read once per process (the 8 MB communes file is parsed, used and let go).
 */
export function loadReferenceTerritory(): ReferenceTerritory {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
  cached = buildReferenceTerritory({
    epci: readJson(require.resolve('@etalab/decoupage-administratif/data/epci.json')) as unknown[],
    communes: readJson(require.resolve('@etalab/decoupage-administratif/data/communes.json')) as unknown[],
    boundaries: readJson(fromRoot('data', BOUNDARIES_FILE)),
  });
  return cached;
}
