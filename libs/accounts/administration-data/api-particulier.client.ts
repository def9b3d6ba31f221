import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, Clock, LOGGER, type ApiParticulierConfig, type AppConfig } from '#core';
import { API_PARTICULIER_PATHS, errorCode, identityQuery, PARSERS, UnexpectedAnswer, type AdministrationDataKind, type AdministrationValues, type CertifiedIdentity } from './api-particulier.js';

/** Why a value could not be obtained (logged, and shown as « indisponible » to the person). */
export type UnavailableReason = 'disabled' | 'timeout' | 'network' | 'provider_error' | 'rate_limited' | 'refused' | 'invalid_answer';

/** The outcome of one question to API Particulier. */
export type Lookup<T> =
  | { status: 'found'; value: T; retrievedAt: Date }
  /** 404: the administration holds no file for this identity. */
  | { status: 'not_found' }
  | { status: 'unavailable'; reason: UnavailableReason };

/**
 * HTTP client of API Particulier (v3, « identité » mode): `GET <API_PARTICULIER_URL><path>?recipient=<SIRET>&…`
 * with `Authorization: Bearer <API_PARTICULIER_TOKEN>`, given up after API_PARTICULIER_TIMEOUT_MS. Never throws:
 * a 404 is « not found »; a timeout, a network error, a 5xx, a 429, a 401/403 (token refused) or a malformed
 * answer is « unavailable », logged as a warning with the endpoint, the status and API Particulier's error code
 * only — never the identity asked about nor the data received.
 */
@Injectable()
export class ApiParticulierClient {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.config.apiParticulier !== null;
  }

  async lookup<K extends AdministrationDataKind>(kind: K, identity: CertifiedIdentity): Promise<Lookup<AdministrationValues[K]>> {
    const settings: ApiParticulierConfig | null = this.config.apiParticulier;
    if (!settings) return { status: 'unavailable', reason: 'disabled' };
    const query = identityQuery(identity);
    query.set('recipient', settings.recipient);
    const url = `${settings.url}${API_PARTICULIER_PATHS[kind]}?${query.toString()}`;
    const unavailable = (reason: UnavailableReason, extra: Record<string, unknown> = {}): Lookup<AdministrationValues[K]> => {
      this.logger.warn({ apiParticulier: { endpoint: kind, reason, ...extra } }, 'API Particulier : donnée non obtenue');
      return { status: 'unavailable', reason };
    };
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${settings.token}`, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (error) {
      const name = errorName(error);
      return unavailable(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network');
    }
    let body: unknown = null;
    try {
      body = await response.json();
    } catch (error) {
      const name = errorName(error);
      if (name === 'TimeoutError' || name === 'AbortError') return unavailable('timeout');
      // Not JSON: a 200 is then an invalid answer, an error status keeps its meaning.
    }
    const status = response.status;
    if (status === 404) return { status: 'not_found' };
    if (status === 429) return unavailable('rate_limited', { status });
    if (status === 401 || status === 403) return unavailable('refused', { status, code: errorCode(body) });
    if (status !== 200) return unavailable('provider_error', { status, code: errorCode(body) });
    try {
      return { status: 'found', value: PARSERS[kind](body) as AdministrationValues[K], retrievedAt: this.clock.now() };
    } catch (error) {
      if (error instanceof UnexpectedAnswer) return unavailable('invalid_answer', { status, problem: error.message });
      throw error;
    }
  }
}

/** The name of a thrown value (fetch's DOMExceptions may come from another realm: no `instanceof`). */
function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string' ? error.name : '';
}
