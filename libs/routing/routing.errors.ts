import { DomainError } from '#core';

/** Stable codes of routing's domain errors. */
export const RoutingErrorCodes = {
  INPUT_MISSING: 'ROUTING_INPUT_MISSING',
  INPUT_INVALID: 'ROUTING_INPUT_INVALID',
  COMMUNE_UNKNOWN: 'ROUTING_COMMUNE_UNKNOWN',
  GEOCODER_UNAVAILABLE: 'GEOCODER_UNAVAILABLE',
} as const;

export const routingErrors = {
  inputMissing: (field: string) =>
    DomainError.invalid(RoutingErrorCodes.INPUT_MISSING, 'Le lieu de la demande est manquant : la commune compétente ne peut pas être déterminée.', [
      { path: field, code: 'REQUIRED', message: 'Ce champ est obligatoire.' },
    ]),
  inputInvalid: (field: string, expected: string) =>
    DomainError.invalid(RoutingErrorCodes.INPUT_INVALID, `Le lieu de la demande est illisible : ${expected} attendu.`, [
      { path: field, code: 'INVALID_FORMAT', message: `${expected[0].toUpperCase()}${expected.slice(1)} attendu.` },
    ]),
  communeUnknown: (field: string, code: string) =>
    DomainError.invalid(RoutingErrorCodes.COMMUNE_UNKNOWN, `La commune « ${code} » ne fait pas partie du territoire.`, [
      { path: field, code: 'NOT_AN_OPTION', message: 'Cette commune ne fait pas partie des communes proposées.' },
    ]),
};

/** Why the national address API did not answer usefully. */
export type GeocoderFailure = 'timeout' | 'http_status' | 'network' | 'invalid_response';

/**
 * The geocoder could not answer (timeout, 5xx after retries, network, unreadable body). Its message
 * never contains the address. Callers fall back (see FallbackGeocoder); a DomainError of kind
 * `unavailable` if it escapes.
 */
export class GeocoderUnavailableError extends DomainError {
  constructor(
    readonly failure: GeocoderFailure,
    readonly status?: number,
    cause?: unknown,
  ) {
    super(
      RoutingErrorCodes.GEOCODER_UNAVAILABLE,
      "Le service national d'adresses ne répond pas : réessayez plus tard ou choisissez la commune.",
      'unavailable',
      undefined,
      { cause },
    );
    this.name = 'GeocoderUnavailableError';
  }
}
