import type { Logger } from 'pino';
import { GeocoderUnavailableError } from './routing.errors.js';

/** An address as a form gives it: structured parts, or one free text, or both. */
export interface AddressQuery {
  street?: string;
  postcode?: string;
  city?: string;
  /** Free text (« 1 place Camille Vallin 69700 Givors »); used as is when given. */
  text?: string;
}

/** One candidate location of an address. */
export interface GeocodeResult {
  /** Full label as the source writes it. Personal data: never log it. */
  label: string;
  /** 0 to 1, how well the result matches the query. */
  score: number;
  /** housenumber, street, locality or municipality (BAN vocabulary). */
  type: string;
  /** The code the source gave (a Lyon arrondissement: 69381…69389). */
  citycode: string;
  /** The commune's code for routing (arrondissements → Lyon 69123, Pierre-Bénite 69152 → 69149). */
  inseeCode: string;
  postcode: string | null;
  city: string;
  /** [longitude, latitude]; null for the offline fallback, which only knows communes. */
  position: [number, number] | null;
  source: 'ban' | 'offline';
}

export interface Geocoder {
  /** Candidates, best first. Throws GeocoderUnavailableError when the service cannot answer. */
  geocode(address: AddressQuery): Promise<GeocodeResult[]>;
}

/**
 * The national address API first; when it is unavailable (timeout, 5xx after retries, network), the
 * offline geocoder (postcode + commune name from the reference data), whose results say `offline`.
 */
export class FallbackGeocoder implements Geocoder {
  constructor(
    private readonly primary: Geocoder,
    private readonly fallback: Geocoder,
    private readonly logger?: Logger,
  ) {}

  async geocode(address: AddressQuery): Promise<GeocodeResult[]> {
    try {
      return await this.primary.geocode(address);
    } catch (error) {
      if (!(error instanceof GeocoderUnavailableError)) throw error;
      this.logger?.warn(
        { geocoder: 'ban', failure: error.failure, status: error.status },
        "Service national d'adresses indisponible : repli sur le code postal et le nom de la commune",
      );
      return this.fallback.geocode(address);
    }
  }
}
