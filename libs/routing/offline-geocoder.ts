import type { AddressQuery, GeocodeResult, Geocoder } from './geocoder.js';
import { normaliseName } from './names.js';
import { normalisePostcode, type RoutingCommune, type RoutingTable } from './routing-table.js';

/**
 * Scores of the offline answers, on the BAN's 0–1 scale so the routing decision treats both alike.
 * Whenever the postcode and the name do not single out one commune, every candidate gets the same
 * score: the decision then sees a tie and asks the citizen — it never picks one.
 */
export const OFFLINE_SCORES = {
  /** The name and the postcode agree on one commune. */
  nameAndPostcode: 1,
  /** Only a name, matching one commune exactly. */
  name: 0.8,
  /** Only a postcode, served by one commune. */
  postcode: 0.8,
  /** Several communes remain (shared postcode, name and postcode disagreeing, partial name). */
  tie: 0.5,
} as const;

/**
 * Geocoder of last resort, without network: it finds the commune (not the street) from the postcode
 * and the commune's name in the reference data, accent- and case-insensitively, former names included
 * (« Pierre-Bénite » → Oullins-Pierre-Bénite, « Lyon 3e » → Lyon). Results have no position.
 */
export class OfflineGeocoder implements Geocoder {
  constructor(private readonly table: RoutingTable) {}

  async geocode(address: AddressQuery): Promise<GeocodeResult[]> {
    return this.lookup(address);
  }

  lookup(address: AddressQuery): GeocodeResult[] {
    const { postcode, city } = this.parts(address);
    const byPostcode = postcode ? this.table.communesForPostcode(postcode) : [];
    const byName = city ? this.communesNamed(city) : { exact: [], partial: [] };
    const named = byName.exact.length ? byName.exact : byName.partial;

    if (byPostcode.length && named.length) {
      const both = named.filter((c) => byPostcode.includes(c));
      if (both.length === 1) return [this.result(both[0], postcode, OFFLINE_SCORES.nameAndPostcode)];
      const tied = both.length ? both : unique([...named, ...byPostcode]);
      return tied.map((c) => this.result(c, postcode, OFFLINE_SCORES.tie));
    }
    if (named.length) {
      const score = named.length === 1 && byName.exact.length ? OFFLINE_SCORES.name : OFFLINE_SCORES.tie;
      return named.map((c) => this.result(c, postcode, score));
    }
    const score = byPostcode.length === 1 ? OFFLINE_SCORES.postcode : OFFLINE_SCORES.tie;
    return byPostcode.map((c) => this.result(c, postcode, score));
  }

  /** Postcode and city from the structured parts, else from the free text (« … 69700 Givors »). */
  private parts(address: AddressQuery): { postcode: string | null; city: string | null } {
    let postcode = address.postcode ? normalisePostcode(address.postcode) : null;
    let city = address.city?.trim() || null;
    const text = address.text?.trim();
    if (text && (!postcode || !city)) {
      const found = [...text.matchAll(/(?:^|\D)(\d{2}\s?\d{3})(?!\d)/g)].at(-1);
      if (found) {
        postcode ??= normalisePostcode(found[1]);
        const after = text.slice((found.index ?? 0) + found[0].length).trim();
        if (!city && after) city = after;
      }
      if (!city) city = this.trailingName(text);
    }
    return { postcode, city };
  }

  /** A commune name ending the free text (« 3 rue X Villeurbanne »), the longest one. */
  private trailingName(text: string): string | null {
    const normalised = normaliseName(text);
    let best: string | null = null;
    for (const [name] of this.table.names()) {
      if ((normalised === name || normalised.endsWith(` ${name}`)) && (!best || name.length > best.length)) best = name;
    }
    return best;
  }

  /** Exact matches (normalised), else communes whose name starts with the given words (« Sainte-Foy »). */
  private communesNamed(city: string): { exact: RoutingCommune[]; partial: RoutingCommune[] } {
    const exact = this.table.communeNamed(city);
    if (exact) return { exact: [exact], partial: [] };
    const prefix = normaliseName(city);
    if (prefix.length < 3) return { exact: [], partial: [] };
    const partial: RoutingCommune[] = [];
    for (const [name, commune] of this.table.names()) if (name.startsWith(`${prefix} `)) partial.push(commune);
    return { exact: [], partial: unique(partial) };
  }

  private result(commune: RoutingCommune, postcode: string | null, score: number): GeocodeResult {
    const served = postcode && commune.postcodes.includes(postcode) ? postcode : commune.postcodes.length === 1 ? commune.postcodes[0] : null;
    return {
      label: served ? `${served} ${commune.name}` : commune.name,
      score,
      type: 'municipality',
      citycode: commune.inseeCode,
      inseeCode: commune.inseeCode,
      postcode: served,
      city: commune.name,
      position: null,
      source: 'offline',
    };
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
