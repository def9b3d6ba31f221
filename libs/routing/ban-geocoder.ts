import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SystemClock, type Clock } from '#core';
import type { AddressQuery, GeocodeResult, Geocoder } from './geocoder.js';
import { LruCache } from './lru-cache.js';
import { canonicalInsee } from './names.js';
import { GeocoderUnavailableError } from './routing.errors.js';

export interface BanGeocoderOptions {
  /** Origin of the API (GEOCODER_URL), e.g. https://api-adresse.data.gouv.fr; `/search/` is appended. */
  baseUrl: string;
  /** Deadline of one HTTP attempt, body included. Default 3000 ms. */
  timeoutMs?: number;
  /** Further attempts after a 5xx, a 429 or a network error (never after a timeout). Default 2. */
  retries?: number;
  /** Delay before the first retry, doubled at each one. Default 200 ms. */
  retryDelayMs?: number;
  /** Results asked for. Default 5. */
  limit?: number;
  /** Cached queries (LRU). Default 1000. */
  cacheSize?: number;
  /** Lifetime of a cached answer. Default 1 hour. */
  cacheTtlMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Injected for tests; the global fetch by default. */
  fetch?: typeof fetch;
}

/** The fields of the BAN's GeoJSON answer that routing uses; anything else is ignored. */
const banFeature = z.object({
  geometry: z.object({ coordinates: z.tuple([z.number(), z.number()]).rest(z.number()) }),
  properties: z.object({
    label: z.string(),
    score: z.number(),
    type: z.string(),
    citycode: z.string(),
    postcode: z.string().optional(),
    city: z.string(),
  }),
});
const banAnswer = z.object({ type: z.literal('FeatureCollection'), features: z.array(z.unknown()) });

/** BAN limits `q` to 200 characters and refuses fewer than 3. */
const MAX_QUERY = 200;
const MIN_QUERY = 3;

/**
 * Geocoder speaking the HTTP format of the national address API (Base Adresse Nationale,
 * api-adresse.data.gouv.fr): GET /search/?q=…&postcode=…&limit=…&autocomplete=0, answer a GeoJSON
 * FeatureCollection whose features carry `properties.citycode` (INSEE), `postcode`, `city`, `label`,
 * `score`, `type`, and `geometry.coordinates` [lon, lat].
 *
 * - Each attempt has a deadline (AbortController); a timeout is not retried (a hanging service rarely
 *   recovers within the citizen's wait): it fails at once so the caller can fall back.
 * - 5xx, 429 and network errors are retried `retries` times with exponential backoff.
 * - A 4xx other than 429 means the query itself is refused (too short, malformed): no result.
 * - Answers are cached (LRU with TTL) and identical concurrent queries share one request.
 * - Logs carry status, attempt, duration and counts — never the query, the URL or a label:
 *   an address is personal data.
 */
export class BanGeocoder implements Geocoder {
  private readonly searchUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly limit: number;
  private readonly cache: LruCache<GeocodeResult[]>;
  private readonly inFlight = new Map<string, Promise<GeocodeResult[]>>();
  private readonly fetchFn: typeof fetch;
  private readonly logger?: Logger;

  constructor(options: BanGeocoderOptions) {
    this.searchUrl = `${options.baseUrl.replace(/\/+$/, '')}/search/`;
    this.timeoutMs = options.timeoutMs ?? 3_000;
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.limit = options.limit ?? 5;
    this.cache = new LruCache(options.cacheSize ?? 1_000, options.cacheTtlMs ?? 3_600_000, options.clock ?? new SystemClock());
    this.fetchFn = options.fetch ?? fetch;
    this.logger = options.logger;
  }

  async geocode(address: AddressQuery): Promise<GeocodeResult[]> {
    const q = queryText(address);
    if (q.length < MIN_QUERY) return [];
    const postcode = address.postcode?.replace(/\s+/g, '');
    const params = new URLSearchParams({ q, limit: String(this.limit), autocomplete: '0' });
    if (postcode && /^[0-9]{5}$/.test(postcode)) params.set('postcode', postcode);
    const key = params.toString();

    const cached = this.cache.get(key);
    if (cached) {
      this.logger?.debug({ geocoder: 'ban', cache: 'hit', results: cached.length }, 'Géocodage servi par le cache');
      return cached;
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const request = this.request(params).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    const results = await request;
    this.cache.set(key, results);
    return results;
  }

  private async request(params: URLSearchParams): Promise<GeocodeResult[]> {
    const url = `${this.searchUrl}?${params}`;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const outcome = await this.attempt(url);
      const durationMs = Math.round(performance.now() - started);
      if (outcome.ok) {
        this.logger?.debug({ geocoder: 'ban', attempt, status: 200, durationMs, results: outcome.results.length }, 'Adresse géocodée');
        return outcome.results;
      }
      const { error, retryable } = outcome;
      const log = { geocoder: 'ban', attempt, failure: error.failure, status: error.status, durationMs };
      if (!retryable || attempt > this.retries) {
        this.logger?.warn(log, "Service national d'adresses en échec");
        throw error;
      }
      this.logger?.info(log, "Service national d'adresses en échec : nouvelle tentative");
      await sleep(this.retryDelayMs * 2 ** (attempt - 1));
    }
  }

  private async attempt(url: string): Promise<{ ok: true; results: GeocodeResult[] } | { ok: false; error: GeocoderUnavailableError; retryable: boolean }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const response = await this.fetchFn(url, { signal: controller.signal, headers: { accept: 'application/json' } });
      if (response.status >= 500 || response.status === 429) {
        await response.body?.cancel().catch(() => undefined);
        return { ok: false, error: new GeocoderUnavailableError('http_status', response.status), retryable: true };
      }
      if (response.status >= 400) {
        // The query is refused as such (BAN: 400 for a too short or malformed q): nothing to find.
        await response.body?.cancel().catch(() => undefined);
        this.logger?.warn({ geocoder: 'ban', status: response.status }, "Requête refusée par le service national d'adresses");
        return { ok: true, results: [] };
      }
      const body = banAnswer.safeParse(await response.json());
      if (!response.ok || !body.success) {
        return { ok: false, error: new GeocoderUnavailableError('invalid_response', response.status), retryable: false };
      }
      return { ok: true, results: body.data.features.flatMap(toResult) };
    } catch (cause) {
      if (controller.signal.aborted) return { ok: false, error: new GeocoderUnavailableError('timeout', undefined, cause), retryable: false };
      if (cause instanceof SyntaxError) return { ok: false, error: new GeocoderUnavailableError('invalid_response', undefined, cause), retryable: false };
      return { ok: false, error: new GeocoderUnavailableError('network', undefined, cause), retryable: true };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The text sent as `q`: the free text when given, else street, postcode and city, spaces collapsed. */
export function queryText(address: AddressQuery): string {
  const raw = address.text?.trim() ? address.text : [address.street, address.postcode, address.city].filter(Boolean).join(' ');
  return raw.replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY);
}

function toResult(raw: unknown): GeocodeResult[] {
  const feature = banFeature.safeParse(raw);
  if (!feature.success) return [];
  const { properties: p, geometry } = feature.data;
  return [
    {
      label: p.label,
      score: p.score,
      type: p.type,
      citycode: p.citycode,
      inseeCode: canonicalInsee(p.citycode),
      postcode: p.postcode ?? null,
      city: p.city,
      position: [geometry.coordinates[0], geometry.coordinates[1]],
      source: 'ban',
    },
  ];
}
