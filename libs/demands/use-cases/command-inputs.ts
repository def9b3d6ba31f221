import type { FieldError } from '#core';

/** A text typed by a person (comment, message, reason): line ends normalised, trimmed; '' when not a string. */
export function typedText(value: unknown): string {
  return typeof value === 'string' ? value.replace(/\r\n?/g, '\n').trim() : '';
}

/**
 * The demand version a command expects (optimistic locking), or null when none is given (absent, null or an
 * empty form field); anything but a positive integer adds an `expectedVersion` field error.
 */
export function expectedVersionOf(value: unknown, fields: FieldError[]): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = Number(value);
  if (Number.isSafeInteger(n) && n >= 1) return n;
  fields.push({ path: 'expectedVersion', code: 'INVALID_FORMAT', message: 'Version attendue : entier positif.' });
  return null;
}
