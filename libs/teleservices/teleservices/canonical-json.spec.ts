import { describe, expect, it } from '@jest/globals';
import { canonicalChecksum, canonicalJson } from './canonical-json.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'é' } })).toBe('{"a":{"c":"é","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalChecksum({ x: 1, y: [1, 2] })).toBe(canonicalChecksum({ y: [1, 2], x: 1 }));
    expect(canonicalChecksum([1, 2])).not.toBe(canonicalChecksum([2, 1]));
    expect(canonicalChecksum({ x: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('drops undefined properties like JSON, refuses what JSON cannot hold', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/\$\.a/);
    expect(() => canonicalJson([() => 1])).toThrow(TypeError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(/circulaire/);
    // The same object twice (not a cycle) is fine.
    const shared = { k: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"k":1},{"k":1}]');
  });
});
