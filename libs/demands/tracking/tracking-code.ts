import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Tracking codes: 10 characters from a 31-symbol alphabet without the look-alikes 0/O, 1/I/L
 * (digits 2–9, letters A–Z but I, L, O), drawn with `crypto.randomInt` (uniform, no modulo bias):
 * 31^10 ≈ 8.2 × 10^14 codes, about 49.5 bits. Stored canonical (`K7F93MX2QH`), shown grouped 3-4-3
 * (`K7F-93MX-2QH`) so it reads well on the phone; parsing accepts lower case, spaces and dashes.
 */
export const TRACKING_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const TRACKING_CODE_LENGTH = 10;
const CANONICAL = /^[2-9A-HJKMNP-Z]{10}$/;

export function generateTrackingCode(): string {
  let code = '';
  for (let i = 0; i < TRACKING_CODE_LENGTH; i++) code += TRACKING_ALPHABET[randomInt(TRACKING_ALPHABET.length)];
  return code;
}

/** `K7F93MX2QH` → `K7F-93MX-2QH`. */
export function formatTrackingCode(code: string): string {
  return `${code.slice(0, 3)}-${code.slice(3, 7)}-${code.slice(7)}`;
}

/** What a person typed → the canonical code, or null when it cannot be one (never queried then). */
export function parseTrackingCode(input: string): string | null {
  if (typeof input !== 'string' || input.length > 40) return null;
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  return CANONICAL.test(code) ? code : null;
}

/** A secret for an anonymous demand: 20 random bytes, base64url (27 characters). Given once, stored hashed. */
export function generateAccessSecret(): string {
  return randomBytes(20).toString('base64url');
}

/** sha-256 (hex) of a high-entropy secret: enough for random secrets (no password stretching needed). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Constant-time check of `secret` against a stored sha-256 hex. Compares digests of equal length, so the
 * time depends neither on the secret's length nor on where it differs; `null` (nothing stored) still costs
 * one comparison against a dummy digest and returns false.
 */
export function secretMatches(secret: string, storedHash: string | null): boolean {
  const given = createHash('sha256').update(typeof secret === 'string' ? secret : '', 'utf8').digest();
  const stored = storedHash !== null && /^[0-9a-f]{64}$/.test(storedHash) ? Buffer.from(storedHash, 'hex') : DUMMY_DIGEST;
  return timingSafeEqual(given, stored) && stored !== DUMMY_DIGEST;
}

const DUMMY_DIGEST = createHash('sha256').update('parvis-no-secret').digest();
