import { describe, expect, it } from '@jest/globals';
import {
  formatTrackingCode,
  generateAccessSecret,
  generateTrackingCode,
  hashSecret,
  parseTrackingCode,
  secretMatches,
  TRACKING_ALPHABET,
  TRACKING_CODE_LENGTH,
} from './tracking-code.js';

describe('tracking codes', () => {
  it('use 31 symbols without the look-alikes 0, O, 1, I, L', () => {
    expect(TRACKING_ALPHABET).toHaveLength(31);
    for (const ambiguous of '0O1IL') expect(TRACKING_ALPHABET).not.toContain(ambiguous);
    expect(new Set(TRACKING_ALPHABET).size).toBe(31);
  });

  it('are 10 symbols of the alphabet, unique over many draws, every symbol used', () => {
    const draws = Array.from({ length: 20_000 }, generateTrackingCode);
    for (const code of draws.slice(0, 1000)) {
      expect(code).toHaveLength(TRACKING_CODE_LENGTH);
      expect([...code].every((c) => TRACKING_ALPHABET.includes(c))).toBe(true);
    }
    expect(new Set(draws).size).toBe(draws.length);
    const used = new Set(draws.join(''));
    expect(used.size).toBe(31);
    // Roughly uniform: each symbol near 1/31 of 200,000 draws (≈ 6,452; a biased draw would be far off).
    const counts = [...TRACKING_ALPHABET].map((c) => draws.join('').split(c).length - 1);
    expect(Math.min(...counts)).toBeGreaterThan(6000);
    expect(Math.max(...counts)).toBeLessThan(6900);
  });

  it('show grouped 3-4-3 and parse back from what a person types', () => {
    expect(formatTrackingCode('K7F93MX2QH')).toBe('K7F-93MX-2QH');
    expect(parseTrackingCode('k7f-93mx-2qh')).toBe('K7F93MX2QH');
    expect(parseTrackingCode(' K7F 93MX 2QH ')).toBe('K7F93MX2QH');
    expect(parseTrackingCode('K7F-93MX-2Q')).toBeNull(); // too short
    expect(parseTrackingCode('K7F-93MX-2Q0')).toBeNull(); // 0 is not in the alphabet
    expect(parseTrackingCode("K7F'; DROP TABLE demand")).toBeNull();
    expect(parseTrackingCode('x'.repeat(1000))).toBeNull();
  });
});

describe('access secrets', () => {
  it('are random, stored as sha-256, and checked in constant time', () => {
    const secret = generateAccessSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(generateAccessSecret()).not.toBe(secret);
    const stored = hashSecret(secret);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(secretMatches(secret, stored)).toBe(true);
    expect(secretMatches(secret.slice(0, -1), stored)).toBe(false);
    expect(secretMatches('', stored)).toBe(false);
    expect(secretMatches(secret, null)).toBe(false);
    expect(secretMatches(secret, 'not-a-hash')).toBe(false);
  });
});
