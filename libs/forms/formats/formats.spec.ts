import { describe, expect, it } from '@jest/globals';
import {
  isInseeCode,
  isIsoDate,
  luhnValid,
  normaliseEmail,
  normaliseIban,
  normaliseNir,
  normalisePhoneFr,
  normalisePostcodeFr,
  normaliseSiren,
  normaliseSiret,
} from './formats.js';
import { compileSafeRegex } from './safe-regex.js';

describe('SIREN / SIRET', () => {
  it('accepts valid Luhn numbers, with spaces, and normalises them', () => {
    expect(normaliseSiren('216 901 231')).toBe('216901231'); // Ville de Lyon
    expect(normaliseSiret('216 901 231 00011')).toBe('21690123100011');
    expect(luhnValid('216901231')).toBe(true);
  });

  it('refuses a wrong checksum or length', () => {
    expect(normaliseSiren('216901232')).toBeNull();
    expect(normaliseSiret('21690123100012')).toBeNull();
    expect(normaliseSiret('2169012310001')).toBeNull();
    expect(normaliseSiren('21690123A')).toBeNull();
  });

  it('applies La Poste’s exception (SIREN 356000000: digit sum multiple of 5)', () => {
    expect(luhnValid('35600000000060')).toBe(false);
    expect(normaliseSiret('35600000000060')).toBe('35600000000060'); // sum 20
    expect(normaliseSiret('35600000049837')).toBe('35600000049837'); // sum 45
    expect(normaliseSiret('35600000000061')).toBeNull(); // sum 21
    expect(normaliseSiren('356000000')).toBe('356000000'); // the SIREN itself passes Luhn
  });
});

describe('IBAN', () => {
  it('accepts FR76… with spaces and lower case, normalised without spaces', () => {
    expect(normaliseIban('fr76 3000 6000 0112 3456 7890 189')).toBe('FR7630006000011234567890189');
    expect(normaliseIban('DE89370400440532013000')).toBe('DE89370400440532013000');
  });
  it('refuses a wrong check digit, a wrong country length, garbage', () => {
    expect(normaliseIban('FR7630006000011234567890188')).toBeNull();
    expect(normaliseIban('FR763000600001123456789018')).toBeNull();
    expect(normaliseIban('FR76-3000')).toBeNull();
    expect(normaliseIban('')).toBeNull();
  });
});

describe('NIR', () => {
  it('accepts a valid number with its key, with or without spaces', () => {
    expect(normaliseNir('1 85 05 78 006 048 30')).toBe('185057800604830');
  });
  it('handles Corsica: 2A counts as 19 and 2B as 18 in the key', () => {
    expect(normaliseNir('2 90 05 2A 004 012 66')).toBe('290052A00401266');
    expect(normaliseNir('2 90 05 2b 004 012 93')).toBe('290052B00401293');
    expect(normaliseNir('2 90 05 2A 004 012 93')).toBeNull(); // 2B's key on a 2A number
  });
  it('refuses a wrong key, a bad sex digit, a bad month, a short number', () => {
    expect(normaliseNir('185057800604831')).toBeNull();
    expect(normaliseNir('585057800604830')).toBeNull();
    expect(normaliseNir('185137800604830')).toBeNull();
    expect(normaliseNir('1850578006048')).toBeNull();
  });
});

describe('phone (France)', () => {
  it.each([
    ['06 12 34 56 78', '+33612345678'],
    ['06.12.34.56.78', '+33612345678'],
    ['0612345678', '+33612345678'],
    ['+33 6 12 34 56 78', '+33612345678'],
    ['+33 (0)6 12 34 56 78', '+33612345678'],
    ['0033 4 72 10 30 30', '+33472103030'],
    ['0692 12 34 56', '+262692123456'], // La Réunion mobile
    ['+596 696 12 34 56', '+596696123456'], // Martinique
  ])('%s → %s', (input, expected) => {
    expect(normalisePhoneFr(input)).toBe(expected);
  });
  it('can output the national format', () => {
    expect(normalisePhoneFr('+33 6 12 34 56 78', 'national')).toBe('0612345678');
    expect(normalisePhoneFr('+262 692 12 34 56', 'national')).toBe('0692123456');
  });
  it.each(['0012345678', '061234567', '06123456789', '+44 20 7946 0958', '+33 692 12 34 56', '06-12-34-56-7a', '1234567890'])('refuses %s', (input) => {
    expect(normalisePhoneFr(input)).toBeNull();
  });
});

describe('postcode, INSEE code, email, ISO date', () => {
  it('postcode: 5 digits in a real department range', () => {
    expect(normalisePostcodeFr('69001')).toBe('69001');
    expect(normalisePostcodeFr(' 20000 ')).toBe('20000');
    expect(normalisePostcodeFr('97400')).toBe('97400');
    expect(normalisePostcodeFr('6900')).toBeNull();
    expect(normalisePostcodeFr('00100')).toBeNull();
    expect(normalisePostcodeFr('99000')).toBeNull();
    expect(normalisePostcodeFr('690011')).toBeNull();
  });
  it('INSEE code: 5 digits or 2A/2B', () => {
    expect(isInseeCode('69123')).toBe(true);
    expect(isInseeCode('2A004')).toBe(true);
    expect(isInseeCode('6912')).toBe(false);
    expect(isInseeCode(69123)).toBe(false);
  });
  it('email: lower-cases the domain, refuses malformed addresses', () => {
    expect(normaliseEmail(' Camille.Martin@Lyon.FR ')).toBe('Camille.Martin@lyon.fr');
    expect(normaliseEmail('a+b@sub.example.org')).toBe('a+b@sub.example.org');
    for (const bad of ['a@b', 'a@@b.fr', '@b.fr', 'a@.fr', 'a..b@c.fr', 'a b@c.fr', 'a@-b.fr', `${'a'.repeat(65)}@b.fr`, 'a@b.c1']) {
      expect(normaliseEmail(bad)).toBeNull();
    }
  });
  it('ISO date: real calendar dates only', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2000-02-29')).toBe(true);
    expect(isIsoDate('1900-02-29')).toBe(false);
    expect(isIsoDate('2026-04-31')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('15/01/2026')).toBe(false);
    expect(isIsoDate('2026-1-15')).toBe(false);
  });
});

describe('author regexes', () => {
  it('accepts ordinary patterns and anchors them to the whole value', () => {
    const check = compileSafeRegex('[A-Z]{2}-\\d{3}');
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.regex.test('AB-123')).toBe(true);
    expect(check.regex.test('xAB-123')).toBe(false);
    expect(check.regex.test('AB-1234')).toBe(false);
    expect(compileSafeRegex('(?:abc)?\\d+(?<suffix>[a-z]{1,3})').ok).toBe(true);
    expect(compileSafeRegex('(ab)+').ok).toBe(true); // repeated group without inner quantifier: linear
  });

  it.each(['(a+)+', '(a*)*b', '(\\d+-?)*', '(a|aa)+', '((ab)*c)+', '(?:x+y?){2,}', '([a-z]+)*$', '(a|b)*'])('refuses the catastrophic pattern %s', (pattern) => {
    const check = compileSafeRegex(pattern);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.code).toBe('UNSAFE_REGEX');
  });

  it('refuses backreferences, invalid syntax and oversized patterns', () => {
    const back = compileSafeRegex('(a)\\1');
    expect(!back.ok && back.code).toBe('UNSAFE_REGEX');
    const invalid = compileSafeRegex('[a-');
    expect(!invalid.ok && invalid.code).toBe('INVALID_REGEX');
    const long = compileSafeRegex('a'.repeat(501));
    expect(!long.ok && long.code).toBe('INVALID_REGEX');
  });

  it('a group quantified with ? or {1} is not a repetition', () => {
    expect(compileSafeRegex('(a+)?').ok).toBe(true);
    expect(compileSafeRegex('(a+){1}').ok).toBe(true);
    expect(compileSafeRegex('(a+){2}').ok).toBe(false);
  });
});
