import { describe, expect, it } from '@jest/globals';
import { CONDITION_MAX_DEPTH, parseCondition, type ConditionScope } from './condition.js';

const scope: ConditionScope = {
  field: {
    motif: 'bruit',
    age: 12,
    montant: 10.5,
    accepte: true,
    refuse: false,
    vide: '',
    liste: ['a', 'b'],
    aucun: [],
    adresse: { postcode: '69001', commune: 'Lyon' },
    date: '2026-01-15',
  },
  profile: { certified: true, given_name: 'Camille' },
  item: { prenom: 'Léa', age: 7 },
};

function evaluate(source: string, s: ConditionScope = scope): boolean {
  const parsed = parseCondition(source);
  if (!parsed.ok) throw new Error(`parse failed: ${parsed.error.message}`);
  return parsed.condition.evaluate(s);
}

function refusal(source: unknown) {
  const parsed = parseCondition(source);
  if (parsed.ok) throw new Error(`expected a refusal for ${String(source).slice(0, 50)}`);
  return parsed.error;
}

describe('condition language — operators', () => {
  it.each([
    ["field.motif = 'bruit'", true],
    ["field.motif = 'autre'", false],
    ["field.motif == 'bruit'", true],
    ["field.motif != 'autre'", true],
    ["field.motif ≠ 'bruit'", false],
    ['field.age < 18', true],
    ['field.age <= 12', true],
    ['field.age ≤ 11', false],
    ['field.age > 12', false],
    ['field.age >= 12', true],
    ['field.age ≥ 13', false],
    ['field.montant > 10.4', true],
    ['field.montant = 10.5', true],
    ['field.age > -1', true],
    ["field.date < '2026-02-01'", true],
    ["field.motif in ['bruit', 'dechets']", true],
    ["field.motif in ['dechets']", false],
    ["field.motif not in ['dechets']", true],
    ['field.age in [1, 12, 20]', true],
    ['field.age in []', false],
    ["field.liste contains 'a'", true],
    ["field.liste contains 'z'", false],
    ["field.liste not contains 'z'", true],
    ["field.motif contains 'ru'", true],
    ['field.vide empty', true],
    ['field.aucun empty', true],
    ['field.absent empty', true],
    ['field.absent is empty', true],
    ['field.motif empty', false],
    ['field.motif not empty', true],
    ['field.motif is not empty', true],
    ['field.accepte', true],
    ['field.refuse', false],
    ['not field.refuse', true],
    ['field.accepte = true', true],
    ['field.refuse = false', true],
    ['field.absent = null', true],
    ['profile.certified', true],
    ["profile.given_name = 'Camille'", true],
    ["field.adresse.postcode = '69001'", true],
    ['item.age < 10', true],
    ["item.prenom = 'Léa'", true],
    ['true', true],
    ['false', false],
  ])('%s → %s', (source, expected) => {
    expect(evaluate(source as string)).toBe(expected);
  });

  it('keywords are case-insensitive', () => {
    expect(evaluate("field.age > 1 AND NOT field.motif IN ['x'] Or false")).toBe(true);
  });

  it('and binds tighter than or, not tighter than and, parentheses override', () => {
    // false and false or true → (false and false) or true = true
    expect(evaluate("field.age > 100 and field.age > 100 or field.motif = 'bruit'")).toBe(true);
    // true or false and false → true or (false and false) = true
    expect(evaluate("field.motif = 'bruit' or field.age > 100 and field.age > 100")).toBe(true);
    expect(evaluate("(field.motif = 'bruit' or field.age > 100) and field.age > 100")).toBe(false);
    // not applies to the next predicate only
    expect(evaluate("not field.motif = 'autre' and field.age = 12")).toBe(true);
    expect(evaluate("not (field.motif = 'bruit' and field.age = 12)")).toBe(false);
  });

  it('strings support both quotes and escapes', () => {
    expect(evaluate(`field.x = "l'été"`, { field: { x: "l'été" } })).toBe(true);
    expect(evaluate(`field.x = 'l\\'été'`, { field: { x: "l'été" } })).toBe(true);
  });

  it('type mismatches make ordering comparisons false, never throw', () => {
    expect(evaluate("field.age < 'abc'")).toBe(false);
    expect(evaluate("field.age > 'abc'")).toBe(false);
    expect(evaluate('field.motif > 3')).toBe(false);
    expect(evaluate("field.age = '12'")).toBe(false); // strict: no coercion
    expect(evaluate('field.adresse > 1')).toBe(false);
    expect(evaluate('field.liste < 1')).toBe(false);
    expect(evaluate("field.age contains '1'")).toBe(false);
    expect(evaluate('field.motif.length > 1')).toBe(false); // no property lookup on strings
    expect(evaluate('field.liste.length > 1')).toBe(false); // nor on arrays
    expect(evaluate('field.absent.deeper = 1')).toBe(false);
  });

  it('evaluates against a missing scope without throwing', () => {
    expect(evaluate('profile.certified', {})).toBe(false);
    expect(evaluate('item.age empty', {})).toBe(true);
  });

  it('parses once and evaluates many times with different data', () => {
    const parsed = parseCondition("field.motif in ['a', 'b']");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.condition.references).toEqual([{ scope: 'field', path: ['motif'] }]);
    expect(parsed.condition.evaluate({ field: { motif: 'a' } })).toBe(true);
    expect(parsed.condition.evaluate({ field: { motif: 'c' } })).toBe(false);
  });
});

describe('condition language — syntax errors', () => {
  it.each([
    ['(field.a = 1', 'CONDITION_SYNTAX'],
    ['field.a = 1)', 'CONDITION_SYNTAX'],
    ['field.a =', 'CONDITION_SYNTAX'],
    ['= 1', 'CONDITION_SYNTAX'],
    ["field.a = 'x", 'CONDITION_SYNTAX'],
    ['field.a in [1, field.b]', 'CONDITION_SYNTAX'],
    ['field.a in 1', 'CONDITION_SYNTAX'],
    ['field.a ! 1', 'CONDITION_SYNTAX'],
    ['field.a not 1', 'CONDITION_SYNTAX'],
    ['field.a & 1', 'CONDITION_SYNTAX'],
    ['field.a = 1 field.b = 2', 'CONDITION_SYNTAX'],
    ['1', 'CONDITION_SYNTAX'],
    ['', 'CONDITION_SYNTAX'],
    ['   ', 'CONDITION_SYNTAX'],
    ['motif = 1', 'CONDITION_UNKNOWN_SCOPE'],
    ['global.process = 1', 'CONDITION_UNKNOWN_SCOPE'],
    ['field = 1', 'CONDITION_UNKNOWN_SCOPE'],
    ['FIELD.motif empty', 'CONDITION_UNKNOWN_SCOPE'], // scopes and ids are case-sensitive
  ])('%s is refused with %s', (source, code) => {
    const error = refusal(source);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(/condition/i);
  });

  it('refuses non-strings', () => {
    expect(refusal(42).code).toBe('CONDITION_SYNTAX');
    expect(refusal({ toString: () => 'field.a' }).code).toBe('CONDITION_SYNTAX');
  });

  it('reports the position of the problem', () => {
    const error = refusal('field.a = 1 and )');
    expect(error.position).toBe(16);
    expect(error.message).toContain('position 17');
  });
});

describe('condition language — hostile input', () => {
  it('refuses a 10,000-deep nesting quickly, without a stack overflow', () => {
    const started = Date.now();
    const source = '('.repeat(10_000) + 'field.a = 1' + ')'.repeat(10_000);
    expect(refusal(source).code).toBe('CONDITION_TOO_LONG');
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('refuses nesting deeper than the cap even within the length cap', () => {
    const deep = '('.repeat(CONDITION_MAX_DEPTH + 1) + 'field.a = 1' + ')'.repeat(CONDITION_MAX_DEPTH + 1);
    expect(refusal(deep).code).toBe('CONDITION_TOO_DEEP');
    const ok = '('.repeat(CONDITION_MAX_DEPTH) + 'field.a = 1' + ')'.repeat(CONDITION_MAX_DEPTH);
    expect(parseCondition(ok).ok).toBe(true);
    expect(refusal('not '.repeat(CONDITION_MAX_DEPTH + 1) + 'field.a').code).toBe('CONDITION_TOO_DEEP');
    expect(refusal('('.repeat(500)).code).toBe('CONDITION_TOO_DEEP');
  });

  it('refuses a 1 MB expression without scanning it', () => {
    const started = Date.now();
    expect(refusal(`field.a = '${'x'.repeat(1_000_000)}'`).code).toBe('CONDITION_TOO_LONG');
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('compares against 1 MB data strings in bounded time; oversized strings never match', () => {
    const huge = 'x'.repeat(1_000_000);
    const started = Date.now();
    expect(evaluate("field.a = 'x'", { field: { a: huge } })).toBe(false);
    expect(evaluate("field.a contains 'y'", { field: { a: huge } })).toBe(false);
    expect(evaluate("field.a > 'a'", { field: { a: huge } })).toBe(false);
    expect(evaluate('field.a not empty', { field: { a: huge } })).toBe(true);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it.each(['field.__proto__', 'field.constructor', 'profile.constructor.name', 'field.a.prototype', 'item.__proto__.polluted', '__proto__.x'])(
    'refuses the prototype-chain reference %s',
    (ref) => {
      const error = refusal(`${ref} = 1`);
      expect(error.code).toBe('CONDITION_FORBIDDEN_PROPERTY');
    },
  );

  it('never reads inherited properties: toString, hasOwnProperty are unknown (empty)', () => {
    const s: ConditionScope = { field: {}, profile: {} };
    expect(evaluate('field.toString empty', s)).toBe(true);
    expect(evaluate('field.hasOwnProperty not empty', s)).toBe(false);
    expect(evaluate('profile.valueOf empty', s)).toBe(true);
  });

  it('does not follow a polluted prototype either', () => {
    const field = Object.create({ injected: true }) as Record<string, unknown>;
    expect(evaluate('field.injected', { field })).toBe(false);
    // JSON.parse creates an own "__proto__" key: unreachable anyway since the name is refused at parse time.
    const parsed = JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>;
    expect(evaluate('field.admin', { field: parsed })).toBe(false);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('is total even when a value getter throws', () => {
    const field = {};
    Object.defineProperty(field, 'boom', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(evaluate('field.boom = 1', { field })).toBe(false);
  });

  it('refuses long in-lists and long numbers', () => {
    expect(refusal(`field.a in [${Array.from({ length: 501 }, () => '1').join(',')}]`).code).toBe('CONDITION_SYNTAX');
    expect(refusal(`field.a = ${'9'.repeat(40)}`).code).toBe('CONDITION_SYNTAX');
  });

  it('a long flat chain of and/or stays within bounds and evaluates', () => {
    const chain = Array.from({ length: 120 }, (_, i) => `field.a = ${i}`).join(' or ');
    expect(chain.length).toBeLessThan(2_000);
    expect(evaluate(chain, { field: { a: 119 } })).toBe(true);
    expect(evaluate(chain, { field: { a: 120 } })).toBe(false);
  });
});
