import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Partner API keys: `pvk_<prefix>_<secret>`. The prefix (10 lower-case letters and digits) is public: it names
 * the key in lists and finds its row; the secret is 32 random bytes (base64url, 43 characters) of which only a
 * sha-256 is stored — enough for a high-entropy secret, no password stretching needed.
 */
export const API_KEY_SCOPES = ['teleservices:read', 'teleservices:write', 'demands:read', 'demands:write'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const KEY = /^pvk_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  key: string;
  prefix: string;
  secretHash: string;
}

export function generateApiKey(): GeneratedKey {
  let prefix = '';
  for (let i = 0; i < 10; i++) prefix += PREFIX_ALPHABET[randomInt(PREFIX_ALPHABET.length)];
  const secret = randomBytes(32).toString('base64url');
  return { key: `pvk_${prefix}_${secret}`, prefix, secretHash: sha256Hex(secret) };
}

/** The prefix and secret of a well-formed key, or null. */
export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  if (typeof key !== 'string' || key.length > 100) return null;
  const match = KEY.exec(key.trim());
  return match ? { prefix: match[1], secret: match[2] } : null;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

const DUMMY = createHash('sha256').update('parvis-no-api-key').digest();

/** Constant-time comparison of a secret with a stored hash; a missing hash still costs one comparison. */
export function secretMatchesHash(secret: string, storedHash: string | null): boolean {
  const given = createHash('sha256').update(secret, 'utf8').digest();
  const stored = storedHash && /^[0-9a-f]{64}$/.test(storedHash) ? Buffer.from(storedHash, 'hex') : DUMMY;
  return timingSafeEqual(given, stored) && stored !== DUMMY;
}
