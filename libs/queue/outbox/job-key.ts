import { randomUUID } from 'node:crypto';
import { DomainError } from '#core';

/** A caller's idempotency key: letters, digits and `. _ - @ = + /`, 1 to 200 characters. Never personal data. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._@=+/-]{0,199}$/;

export const JOB_KEY_INVALID = 'JOB_KEY_INVALID';

/**
 * The job key (BullMQ job id) of a job: `<job name>/<caller's key>`, or `<job name>/<uuid>` when the caller
 * has no business key (the row is then the unit of idempotency: every replay of it carries that same key).
 * BullMQ refuses ids containing « : » and integer ids; neither can happen here.
 */
export function jobKeyFor(job: string, key?: string): string {
  if (key === undefined) return `${job}/${randomUUID()}`;
  if (!KEY.test(key)) {
    throw DomainError.invalid(
      JOB_KEY_INVALID,
      `Clé d'idempotence invalide pour la tâche « ${job} » : lettres, chiffres et « . _ - @ = + / » uniquement, 200 caractères au plus.`,
      [{ path: 'key', code: JOB_KEY_INVALID, message: 'clé invalide' }],
    );
  }
  return `${job}/${key}`;
}
