import type { ReferenceCollectivity, ReferenceTerritory } from '#territory';
import { CommuneIndex, type CommuneIndexOptions, type LocatableCommune, type PointLocation } from './commune-index.js';
import { canonicalInsee, COMMUNE_NAME_ALIASES, normaliseName } from './names.js';
import type { RoutedCollectivity } from './routing.types.js';

/** A commune as routing knows it: what a decision records, plus what lookups need. */
export interface RoutingCommune extends RoutedCollectivity, LocatableCommune {
  kind: 'commune';
  inseeCode: string;
  postcodes: string[];
}

const POSTCODE = /^[0-9]{5}$/;

/** Reduces a commune or the metropolis to what a decision records. */
export function toRouted(c: RoutedCollectivity): RoutedCollectivity {
  return { kind: c.kind, inseeCode: c.inseeCode, siren: c.siren, name: c.name };
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, 'fr');

/**
 * Immutable lookups over the reference territory (pure data, no database): point → commune, postcode
 * → communes, code or name → commune. Built once per process (`RoutingTable.fromReference`).
 */
export class RoutingTable {
  readonly metropolis: RoutedCollectivity;
  /** The member communes, alphabetically. */
  readonly communes: readonly RoutingCommune[];
  readonly index: CommuneIndex<RoutingCommune>;
  private readonly byInsee: Map<string, RoutingCommune>;
  private readonly byPostcode: Map<string, RoutingCommune[]>;
  private readonly byName: Map<string, RoutingCommune>;

  constructor(territory: ReferenceTerritory, options: CommuneIndexOptions = {}) {
    const m = territory.metropolis;
    this.metropolis = { kind: 'metropolis', inseeCode: null, siren: m.siren, name: m.name };
    this.communes = territory.communes.map((c) => toRoutingCommune(c)).sort(byName);
    this.byInsee = new Map(this.communes.map((c) => [c.inseeCode, c]));
    this.byPostcode = new Map();
    for (const commune of this.communes) {
      for (const postcode of commune.postcodes) this.byPostcode.set(postcode, [...(this.byPostcode.get(postcode) ?? []), commune]);
    }
    this.byName = new Map(this.communes.map((c) => [normaliseName(c.name), c]));
    for (const [alias, code] of Object.entries(COMMUNE_NAME_ALIASES)) {
      const commune = this.byInsee.get(code);
      if (commune && !this.byName.has(normaliseName(alias))) this.byName.set(normaliseName(alias), commune);
    }
    this.index = new CommuneIndex(this.communes, options);
  }

  static fromReference(territory: ReferenceTerritory, options?: CommuneIndexOptions): RoutingTable {
    return new RoutingTable(territory, options);
  }

  /** See CommuneIndex.locate: commune (lowest INSEE code on a shared border), outside, or gap. */
  communeAt(lon: number, lat: number): PointLocation<RoutingCommune> {
    return this.index.locate(lon, lat);
  }

  /** The member commune a code designates (Lyon for 69381…69389), or undefined. */
  communeByInsee(code: string): RoutingCommune | undefined {
    return this.byInsee.get(canonicalInsee(code.trim().toUpperCase()));
  }

  /** Member communes a postcode serves, alphabetically; several for a shared postcode; none outside. */
  communesForPostcode(postcode: string): RoutingCommune[] {
    const normalised = normalisePostcode(postcode);
    return normalised ? [...(this.byPostcode.get(normalised) ?? [])] : [];
  }

  /** The commune with this name (accent/case-insensitive, former names such as Pierre-Bénite included). */
  communeNamed(name: string): RoutingCommune | undefined {
    return this.byName.get(normaliseName(name));
  }

  /** Every name routing recognises, normalised, with its commune (the offline geocoder scans them). */
  names(): IterableIterator<[string, RoutingCommune]> {
    return this.byName.entries();
  }
}

/** « 69 700 », « 69700 » → « 69700 »; anything else → null. */
export function normalisePostcode(value: string): string | null {
  const compact = value.replace(/\s+/g, '');
  return POSTCODE.test(compact) ? compact : null;
}

function toRoutingCommune(c: ReferenceCollectivity): RoutingCommune {
  if (c.kind !== 'commune' || !c.inseeCode || !c.boundary || !c.bbox) {
    throw new Error(`Commune de référence incomplète pour l'aiguillage : ${c.name}`);
  }
  return {
    kind: 'commune',
    inseeCode: c.inseeCode,
    siren: c.siren,
    name: c.name,
    postcodes: c.postcodes,
    boundary: c.boundary,
    bbox: c.bbox,
  };
}
