/**
 * What kind of failure a domain error is. Transports map kinds to their own vocabulary
 * (HTTP statuses in the web filter, failed/retry in the worker); the domain knows nothing of HTTP.
 */
export type ErrorKind =
  | 'invalid' // the input is wrong: the person can fix it
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict' // the state does not allow it (already done, version mismatch)
  | 'gone'
  | 'too_many' // rate limited
  | 'unavailable'; // a dependency is down; retry later

export interface FieldError {
  /** JSON path of the offending field, e.g. `data.adresse.codePostal` or `/pages/0/fields/2/label`. */
  path: string;
  /** Stable code, e.g. `REQUIRED`, `TOO_LONG`. */
  code: string;
  /** Message in French, for people. */
  message: string;
}

/** A failure the domain expects and can describe: a stable code, a French message, optional field errors. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: ErrorKind,
    readonly fields?: FieldError[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }

  static invalid(code: string, message: string, fields?: FieldError[]) {
    return new DomainError(code, message, 'invalid', fields);
  }
  static notFound(code: string, message: string) {
    return new DomainError(code, message, 'not_found');
  }
  static forbidden(code: string, message: string) {
    return new DomainError(code, message, 'forbidden');
  }
  static conflict(code: string, message: string) {
    return new DomainError(code, message, 'conflict');
  }
  static unavailable(code: string, message: string, cause?: unknown) {
    return new DomainError(code, message, 'unavailable', undefined, { cause });
  }
}

/** Codes used by the platform itself (domain libs define their own next to their errors). */
export const ErrorCodes = {
  NOT_FOUND: 'NOT_FOUND',
  INTERNAL: 'INTERNAL',
  BAD_REQUEST: 'BAD_REQUEST',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
