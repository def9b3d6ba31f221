import { describe, expect, it } from '@jest/globals';
import { generateApiKey, parseApiKey, secretMatchesHash, sha256Hex } from './api-key-format.js';

describe('API key format', () => {
  it('is pvk_<prefix>_<secret> with a 32-byte secret, and only its hash is kept', () => {
    const generated = generateApiKey();
    expect(generated.key).toMatch(/^pvk_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiKey(generated.key)!;
    expect(parsed.prefix).toBe(generated.prefix);
    expect(Buffer.from(parsed.secret, 'base64url')).toHaveLength(32);
    expect(generated.secretHash).toBe(sha256Hex(parsed.secret));
    expect(generated.secretHash).not.toContain(parsed.secret);
    expect(generateApiKey().key).not.toBe(generated.key);
  });

  it('parses only well-formed keys, and compares secrets to hashes', () => {
    expect(parseApiKey('pvk_short_x')).toBeNull();
    expect(parseApiKey('pvk_ABCDEFGHIJ_' + 'a'.repeat(43))).toBeNull();
    expect(parseApiKey('x'.repeat(1000))).toBeNull();
    const { key, secretHash } = generateApiKey();
    const { secret } = parseApiKey(key)!;
    expect(secretMatchesHash(secret, secretHash)).toBe(true);
    expect(secretMatchesHash(secret + 'x', secretHash)).toBe(false);
    expect(secretMatchesHash(secret, null)).toBe(false);
  });
});
