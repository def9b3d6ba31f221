import { describe, expect, it } from '@jest/globals';
import { parseCondition } from '../condition/condition.js';
import { validateFormDefinition } from '../definition/validate-definition.js';
import { INSCRIPTION_SCOLAIRE } from '../fixtures/inscription-scolaire.fixture.js';
import { compileForm } from './compile-form.js';

/** mulberry32: a small seeded PRNG, so a failure is reproducible from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELD_IDS = ['prenom', 'nom', 'email', 'telephone', 'adresse', 'commune', 'nom_complet', 'enfants', 'services', 'regime', 'quotient', 'justificatif', 'attestation', 'intro'];
const SUB_KEYS = ['prenom', 'naissance', 'niveau', 'allergies', 'pai', 'street', 'postcode', 'commune', 'inseeCode', 'lat', 'lon', 'name', 'size', 'mimeType'];
const STRINGS = ['', ' ', 'oui', 'non', 'true', 'cantine', 'standard', 'gs', '69123', '69001', '2019-05-02', '2026-02-30', '06 12 34 56 78', 'a@b.fr', 'application/pdf', '__proto__', 'constructor', '{{ field.nom }}', "' or 1=1 --", '\u0000', '💥', '1e400', 'NaN'];

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 3 || r < 0.35) {
    const k = Math.floor(rand() * 9);
    switch (k) {
      case 0:
        return null;
      case 1:
        return rand() < 0.5;
      case 2:
        return Math.floor(rand() * 200) - 50;
      case 3:
        return [Infinity, -Infinity, NaN, 1e308, -0, 0.1 + 0.2, Number.MAX_SAFE_INTEGER + 2][Math.floor(rand() * 7)];
      case 4:
        return 'x'.repeat(Math.floor(rand() * 3000));
      case 5:
        return String.fromCharCode(...Array.from({ length: Math.floor(rand() * 20) }, () => Math.floor(rand() * 0xffff)));
      default:
        return STRINGS[Math.floor(rand() * STRINGS.length)];
    }
  }
  if (r < 0.65) return Array.from({ length: Math.floor(rand() * 5) }, () => randomValue(rand, depth + 1));
  const obj: Record<string, unknown> = {};
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) {
    const key = rand() < 0.8 ? SUB_KEYS[Math.floor(rand() * SUB_KEYS.length)] : `k${Math.floor(rand() * 100)}`;
    obj[key] = randomValue(rand, depth + 1);
  }
  return obj;
}

function randomData(rand: () => number): unknown {
  if (rand() < 0.05) return randomValue(rand, 0);
  const data: Record<string, unknown> = {};
  for (const id of FIELD_IDS) if (rand() < 0.6) data[id] = randomValue(rand, 1);
  if (rand() < 0.1) data[`inconnu_${Math.floor(rand() * 10)}`] = 1;
  if (rand() < 0.05) Object.assign(data, JSON.parse('{"__proto__": {"polluted": true}}'));
  return data;
}

describe('fuzz (seeded, bounded)', () => {
  it('validate never throws on 5,000 random submissions and always answers ok or errors', () => {
    const form = compileForm(INSCRIPTION_SCOLAIRE);
    const context = { today: '2026-01-15', communes: [{ inseeCode: '69123', name: 'Lyon' }], profile: { certified: true, given_name: 'Camille' } };
    const known = new Set(FIELD_IDS);
    let oks = 0;
    for (let seed = 1; seed <= 5_000; seed++) {
      const rand = prng(seed);
      const data = randomData(rand);
      let result;
      try {
        result = form.validate(data, context);
      } catch (error) {
        throw new Error(`seed ${seed}: validate threw ${String(error)}`, { cause: error });
      }
      if (result.ok) {
        oks++;
        expect(Object.keys(result.data).every((k) => known.has(k))).toBe(true);
      } else {
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors) {
          expect(typeof e.path === 'string' && e.path.startsWith('data')).toBe(true);
          expect(typeof e.code).toBe('string');
          expect(typeof e.message).toBe('string');
        }
      }
      // The other entry points must hold too.
      form.visiblePages(data, context);
      form.validatePage('enfants_page', data, context);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(oks).toBeLessThan(5_000); // random data is mostly refused…
    expect(form.validate({ ...JSON.parse(JSON.stringify(INSCRIPTION_SCOLAIRE_SAMPLE)) }, context).ok).toBe(true); // …while real data passes
  });

  it('parseCondition never throws on 5,000 random token soups', () => {
    const tokens = ['field.a', 'item.b', 'profile.c', '(', ')', '[', ']', ',', '=', '!=', '≠', '<', '<=', '≥', 'and', 'or', 'not', 'in', 'contains', 'empty', 'is', "'x'", '"y"', '1', '-2.5', 'true', 'null', '__proto__', 'field.constructor', '!', '&', "'"];
    for (let seed = 1; seed <= 5_000; seed++) {
      const rand = prng(seed);
      const source = Array.from({ length: Math.floor(rand() * 30) }, () => tokens[Math.floor(rand() * tokens.length)]).join(rand() < 0.5 ? ' ' : '');
      const parsed = parseCondition(source);
      if (parsed.ok) expect(typeof parsed.condition.evaluate({ field: { a: rand() < 0.5 ? 1 : 'x' }, item: { b: [] } })).toBe('boolean');
      else expect(parsed.error.code).toMatch(/^CONDITION_/);
    }
  });

  it('validateFormDefinition never throws on 1,000 random definitions', () => {
    for (let seed = 1; seed <= 1_000; seed++) {
      const rand = prng(seed);
      const def = JSON.parse(JSON.stringify(INSCRIPTION_SCOLAIRE)) as { pages: { fields: Record<string, unknown>[] }[] };
      // Mutate a few properties of random fields with random values.
      for (let i = 0; i < 3; i++) {
        const page = def.pages[Math.floor(rand() * def.pages.length)];
        const field = page.fields[Math.floor(rand() * page.fields.length)];
        const keys = ['type', 'id', 'condition', 'options', 'min', 'max', 'fields', 'template', 'prefill', 'pattern', 'format'];
        field[keys[Math.floor(rand() * keys.length)]] = randomValue(rand, 1);
      }
      const result = validateFormDefinition(def);
      if (!result.ok) for (const e of result.errors) expect(e.path.startsWith('/')).toBe(true);
      else expect(() => compileForm(result.definition)).not.toThrow();
    }
  });
});

const INSCRIPTION_SCOLAIRE_SAMPLE = {
  prenom: 'Camille',
  nom: 'Martin',
  email: 'c@example.org',
  adresse: { street: '1 rue A', postcode: '69001', commune: 'Lyon', inseeCode: '69123' },
  commune: '69123',
  enfants: [{ prenom: 'Léa', naissance: '2019-05-02', niveau: 'gs' }],
  justificatif: [{ name: 'a.pdf', size: 10, mimeType: 'application/pdf' }],
  attestation: true,
};
