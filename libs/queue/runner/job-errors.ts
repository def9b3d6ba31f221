import { UnrecoverableError } from 'bullmq';
import { DomainError, type ErrorKind } from '#core';

/** Kinds of domain error worth another attempt: the dependency may come back, the rate limit may lift. */
const RETRYABLE_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['unavailable', 'too_many']);

/**
 * How the worker transport reads a handler's error: a `DomainError` of a retryable kind (or any unknown error)
 * is rethrown as is, so BullMQ retries with the catalogue's backoff; any other `DomainError` (invalid, not
 * found, forbidden, gone, conflict…) fails the job at once, without retries.
 */
export function toWorkerError(error: unknown): Error {
  if (error instanceof UnrecoverableError) return error;
  if (error instanceof DomainError && !RETRYABLE_KINDS.has(error.kind)) {
    const permanent = new UnrecoverableError(`${error.code} : ${error.message}`);
    permanent.cause = error;
    return permanent;
  }
  return error instanceof Error ? error : new Error(String(error));
}

export function isPermanentFailure(error: unknown): boolean {
  return error instanceof UnrecoverableError || (error instanceof Error && error.name === 'UnrecoverableError');
}
