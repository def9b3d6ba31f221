import { describe, expect, it } from '@jest/globals';
import type { FieldError } from '#core';
import { compileForm } from './compile-form.js';
import type { ValidationContext } from './field-validators.js';

const TODAY = '2026-01-15';
const base: ValidationContext = { today: TODAY };

/** Validates `{ f: value }` against a one-field form and returns the cleaned value or the errors. */
function check(field: Record<string, unknown>, value: unknown, context: ValidationContext = base): { value?: unknown; errors?: FieldError[] } {
  const form = compileForm({ schemaVersion: 1, pages: [{ id: 'p', title: 'P', fields: [{ id: 'f', label: 'Champ', ...field }] }] });
  const result = form.validate(value === undefined ? {} : { f: value }, context);
  return result.ok ? { value: result.data.f } : { errors: result.errors };
}
const valueOf = (field: Record<string, unknown>, value: unknown, context?: ValidationContext) => {
  const r = check(field, value, context);
  if (r.errors) throw new Error(`unexpected errors: ${JSON.stringify(r.errors)}`);
  return r.value;
};
const codeOf = (field: Record<string, unknown>, value: unknown, context?: ValidationContext) => {
  const r = check(field, value, context);
  if (!r.errors) throw new Error(`expected an error for ${JSON.stringify(value)?.slice(0, 80)}, got ${JSON.stringify(r.value)}`);
  return r.errors.map((e) => `${e.path} ${e.code}`).join(' | ');
};

describe('required and blank values', () => {
  it('a blank value is absent; required refuses it', () => {
    for (const blank of [undefined, null, '', '   ', []]) {
      expect(check({ type: 'text' }, blank)).toEqual({ value: undefined });
      expect(codeOf({ type: 'text', required: true }, blank === undefined ? null : blank)).toBe('data.f REQUIRED');
    }
    expect(codeOf({ type: 'text', required: true }, undefined)).toBe('data.f REQUIRED');
  });
  it('the required message is in French', () => {
    expect(check({ type: 'text', required: true }, '')).toEqual({ errors: [{ path: 'data.f', code: 'REQUIRED', message: 'Ce champ est obligatoire.' }] });
  });
});

describe('display fields', () => {
  it.each(['title', 'subtitle', 'comment'])('%s takes no value: a value sent is an unknown field', (type) => {
    expect(codeOf({ type }, 'x')).toBe('data.f UNKNOWN_FIELD');
    expect(check({ type }, undefined)).toEqual({ value: undefined });
  });
});

describe('short text', () => {
  it('trims, flattens line breaks, accepts numbers as text', () => {
    expect(valueOf({ type: 'text' }, '  Lyon \n 1er  ')).toBe('Lyon 1er');
    expect(valueOf({ type: 'text' }, 42)).toBe('42');
  });
  it('caps the length (default 255) and refuses other types and control characters', () => {
    expect(valueOf({ type: 'text' }, 'a'.repeat(255))).toHaveLength(255);
    expect(codeOf({ type: 'text' }, 'a'.repeat(256))).toBe('data.f TOO_LONG');
    expect(codeOf({ type: 'text', maxLength: 5 }, 'abcdef')).toBe('data.f TOO_LONG');
    expect(codeOf({ type: 'text', minLength: 3 }, 'ab')).toBe('data.f TOO_SHORT');
    expect(codeOf({ type: 'text' }, { a: 1 })).toBe('data.f INVALID_TYPE');
    expect(codeOf({ type: 'text' }, true)).toBe('data.f INVALID_TYPE');
    expect(codeOf({ type: 'text' }, 'a\u0000b')).toBe('data.f INVALID_FORMAT');
  });
  it('refuses a 1 MB string quickly', () => {
    const started = Date.now();
    expect(codeOf({ type: 'text' }, 'x'.repeat(1_000_000))).toBe('data.f TOO_LONG');
    expect(Date.now() - started).toBeLessThan(200);
  });
  it('digits', () => {
    expect(valueOf({ type: 'text', format: 'digits' }, '0123')).toBe('0123');
    expect(codeOf({ type: 'text', format: 'digits' }, '12a')).toBe('data.f INVALID_FORMAT');
  });
  it('phone FR: normalised to E.164 by default, national on request', () => {
    expect(valueOf({ type: 'text', format: 'phone_fr' }, '06 12 34 56 78')).toBe('+33612345678');
    expect(valueOf({ type: 'text', format: 'phone_fr', phoneOutput: 'national' }, '+33 6 12 34 56 78')).toBe('0612345678');
    expect(codeOf({ type: 'text', format: 'phone_fr' }, '06 12 34 56')).toBe('data.f INVALID_FORMAT');
  });
  it('postcode FR: 69001 yes, 6900 no, a number input becomes a string', () => {
    expect(valueOf({ type: 'text', format: 'postcode_fr' }, '69001')).toBe('69001');
    expect(valueOf({ type: 'text', format: 'postcode_fr' }, 69001)).toBe('69001');
    expect(codeOf({ type: 'text', format: 'postcode_fr' }, '6900')).toBe('data.f INVALID_FORMAT');
    expect(codeOf({ type: 'text', format: 'postcode_fr' }, 1000)).toBe('data.f INVALID_FORMAT'); // leading zero lost: refused
  });
  it('SIRET (Luhn, La Poste) and SIREN', () => {
    expect(valueOf({ type: 'text', format: 'siret' }, '216 901 231 00011')).toBe('21690123100011');
    expect(valueOf({ type: 'text', format: 'siret' }, '35600000000060')).toBe('35600000000060');
    expect(codeOf({ type: 'text', format: 'siret' }, '21690123100012')).toBe('data.f INVALID_FORMAT');
    expect(valueOf({ type: 'text', format: 'siren' }, '216901231')).toBe('216901231');
    expect(codeOf({ type: 'text', format: 'siren' }, '216901232')).toBe('data.f INVALID_FORMAT');
  });
  it('IBAN without spaces, upper case', () => {
    expect(valueOf({ type: 'text', format: 'iban' }, 'fr76 3000 6000 0112 3456 7890 189')).toBe('FR7630006000011234567890189');
    expect(codeOf({ type: 'text', format: 'iban' }, 'FR76 3000 6000 0112 3456 7890 188')).toBe('data.f INVALID_FORMAT');
  });
  it('NIR with key, Corsica included', () => {
    expect(valueOf({ type: 'text', format: 'nir' }, '1 85 05 78 006 048 30')).toBe('185057800604830');
    expect(valueOf({ type: 'text', format: 'nir' }, '2 90 05 2A 004 012 66')).toBe('290052A00401266');
    expect(codeOf({ type: 'text', format: 'nir' }, '1 85 05 78 006 048 31')).toBe('data.f INVALID_FORMAT');
  });
  it('regex: whole-value match, custom message, input capped by maxLength before matching', () => {
    const field = { type: 'text', format: 'regex', pattern: '[A-Z]{2}\\d{3}', patternMessage: 'Format attendu : AB123.' };
    expect(valueOf(field, 'AB123')).toBe('AB123');
    expect(check(field, 'AB1234')).toEqual({ errors: [{ path: 'data.f', code: 'INVALID_FORMAT', message: 'Format attendu : AB123.' }] });
    const started = Date.now();
    expect(codeOf({ type: 'text', format: 'regex', pattern: 'a+b', maxLength: 100 }, 'a'.repeat(100_000))).toBe('data.f TOO_LONG');
    expect(Date.now() - started).toBeLessThan(100);
  });
});

describe('long text and email', () => {
  it('long text keeps line breaks (CRLF → LF), caps at maxLength (default 10,000)', () => {
    expect(valueOf({ type: 'long_text' }, ' ligne 1\r\nligne 2 ')).toBe('ligne 1\nligne 2');
    expect(valueOf({ type: 'long_text' }, 'a'.repeat(10_000))).toHaveLength(10_000);
    expect(codeOf({ type: 'long_text' }, 'a'.repeat(10_001))).toBe('data.f TOO_LONG');
    expect(codeOf({ type: 'long_text', maxLength: 10 }, 'a'.repeat(11))).toBe('data.f TOO_LONG');
  });
  it('email', () => {
    expect(valueOf({ type: 'email' }, ' Camille@Lyon.FR ')).toBe('Camille@lyon.fr');
    expect(codeOf({ type: 'email' }, 'camille@')).toBe('data.f INVALID_FORMAT');
    expect(codeOf({ type: 'email' }, `${'a'.repeat(300)}@lyon.fr`)).toBe('data.f TOO_LONG');
  });
});

describe('number', () => {
  it('decimal by default; numeric strings (decimal comma) become numbers', () => {
    expect(valueOf({ type: 'number' }, 12.5)).toBe(12.5);
    expect(valueOf({ type: 'number' }, '12,5')).toBe(12.5);
    expect(valueOf({ type: 'number' }, ' 1 200 ')).toBe(1200);
    expect(valueOf({ type: 'number' }, '-3')).toBe(-3);
  });
  it('integer mode refuses decimals', () => {
    expect(valueOf({ type: 'number', mode: 'integer' }, '42')).toBe(42);
    expect(codeOf({ type: 'number', mode: 'integer' }, 4.2)).toBe('data.f INVALID_FORMAT');
  });
  it('min / max / step', () => {
    const field = { type: 'number', min: 0, max: 10, step: 0.5 };
    expect(valueOf(field, 0)).toBe(0);
    expect(valueOf(field, 10)).toBe(10);
    expect(valueOf(field, 2.5)).toBe(2.5);
    expect(codeOf(field, -0.5)).toBe('data.f OUT_OF_RANGE');
    expect(codeOf(field, 10.5)).toBe('data.f OUT_OF_RANGE');
    expect(codeOf(field, 2.3)).toBe('data.f INVALID_FORMAT');
    expect(check(field, 11).errors![0].message).toBe('La valeur doit être comprise entre 0 et 10.');
  });
  it('refuses NaN-like input, Infinity, exponents, objects', () => {
    for (const bad of ['abc', '1e5', 'Infinity', '12.', '0x10', {}, [1], true]) expect(codeOf({ type: 'number' }, bad)).toBe('data.f INVALID_TYPE');
  });
});

describe('date', () => {
  it('ISO dates only, real calendar', () => {
    expect(valueOf({ type: 'date' }, '2024-02-29')).toBe('2024-02-29');
    expect(codeOf({ type: 'date' }, '2025-02-29')).toBe('data.f INVALID_FORMAT');
    expect(codeOf({ type: 'date' }, '15/01/2026')).toBe('data.f INVALID_FORMAT');
    expect(codeOf({ type: 'date' }, 20260115)).toBe('data.f INVALID_FORMAT');
  });
  it('min / max', () => {
    const field = { type: 'date', min: '2026-01-01', max: '2026-12-31' };
    expect(valueOf(field, '2026-01-01')).toBe('2026-01-01');
    expect(codeOf(field, '2025-12-31')).toBe('data.f OUT_OF_RANGE');
    expect(codeOf(field, '2027-01-01')).toBe('data.f OUT_OF_RANGE');
  });
  it('past / future are relative to the today the caller passes', () => {
    expect(valueOf({ type: 'date', past: true }, '2026-01-14')).toBe('2026-01-14');
    expect(valueOf({ type: 'date', past: true }, TODAY)).toBe(TODAY);
    expect(codeOf({ type: 'date', past: true }, '2026-01-16')).toBe('data.f OUT_OF_RANGE');
    expect(codeOf({ type: 'date', past: true, allowToday: false }, TODAY)).toBe('data.f OUT_OF_RANGE');
    expect(valueOf({ type: 'date', future: true }, '2026-01-16')).toBe('2026-01-16');
    expect(codeOf({ type: 'date', future: true }, '2026-01-14')).toBe('data.f OUT_OF_RANGE');
    expect(codeOf({ type: 'date', future: true, allowToday: false }, TODAY)).toBe('data.f OUT_OF_RANGE');
    // Same value, another day: the result follows the caller's clock.
    expect(valueOf({ type: 'date', future: true }, '2026-01-16', { today: '2026-01-16' })).toBe('2026-01-16');
    expect(codeOf({ type: 'date', future: true }, '2026-01-16', { today: '2026-01-17' })).toBe('data.f OUT_OF_RANGE');
  });
  it('refuses to run without a valid today (a caller bug, not a data error)', () => {
    expect(() => check({ type: 'date' }, '2026-01-01', { today: 'demain' })).toThrow(TypeError);
  });
});

describe('checkbox and yes/no', () => {
  it('checkbox: booleans and HTML form words; required means checked', () => {
    expect(valueOf({ type: 'checkbox' }, true)).toBe(true);
    expect(valueOf({ type: 'checkbox' }, 'on')).toBe(true);
    expect(valueOf({ type: 'checkbox' }, false)).toBe(false);
    expect(codeOf({ type: 'checkbox', required: true }, false)).toBe('data.f REQUIRED');
    expect(codeOf({ type: 'checkbox' }, 'peut-être')).toBe('data.f INVALID_TYPE');
  });
  it('yes/no: oui/non, yes/no, booleans; required means answered', () => {
    expect(valueOf({ type: 'yes_no' }, 'oui')).toBe(true);
    expect(valueOf({ type: 'yes_no' }, 'Non')).toBe(false);
    expect(valueOf({ type: 'yes_no', required: true }, false)).toBe(false);
    expect(codeOf({ type: 'yes_no', required: true }, null)).toBe('data.f REQUIRED');
    expect(codeOf({ type: 'yes_no' }, 2)).toBe('data.f INVALID_TYPE');
  });
});

const OPTIONS = [
  { value: 'a', label: 'Option A' },
  { value: 'b', label: 'Option B' },
  { value: 'c', label: 'Option C' },
];

describe('choices', () => {
  it('single choice: one of the options', () => {
    for (const display of ['list', 'radio', 'autocomplete']) expect(valueOf({ type: 'choice', display, options: OPTIONS }, 'b')).toBe('b');
    expect(codeOf({ type: 'choice', options: OPTIONS }, 'z')).toBe('data.f NOT_AN_OPTION');
    expect(codeOf({ type: 'choice', options: OPTIONS }, ['a'])).toBe('data.f INVALID_TYPE');
    expect(codeOf({ type: 'choice', options: OPTIONS }, 'Option A')).toBe('data.f NOT_AN_OPTION'); // labels are not values
  });
  it('multiple choice: options only, duplicates merged, min/max selections', () => {
    const field = { type: 'multiple_choice', options: OPTIONS, minSelections: 2, maxSelections: 2 };
    expect(valueOf(field, ['a', 'c', 'a'])).toEqual(['a', 'c']);
    expect(codeOf(field, ['a'])).toBe('data.f TOO_FEW_ITEMS');
    expect(codeOf(field, ['a', 'b', 'c'])).toBe('data.f TOO_MANY_ITEMS');
    expect(codeOf(field, ['a', 'z', 7])).toBe('data.f[1] NOT_AN_OPTION | data.f[2] NOT_AN_OPTION');
    expect(valueOf({ type: 'multiple_choice', options: OPTIONS }, 'a')).toEqual(['a']);
    expect(codeOf(field, [])).toBe('data.f TOO_FEW_ITEMS');
    expect(valueOf({ type: 'multiple_choice', options: OPTIONS }, [])).toBeUndefined();
    expect(codeOf({ type: 'multiple_choice', options: OPTIONS }, Array(1000).fill('a'))).toBe('data.f TOO_MANY_ITEMS');
  });
  it('data source, static', () => {
    const field = { type: 'data_source', source: { kind: 'static', options: OPTIONS } };
    expect(valueOf(field, 'a')).toBe('a');
    expect(codeOf(field, 'z')).toBe('data.f NOT_AN_OPTION');
  });
  it('data source, url and collectivities: options come from the caller’s resolver', () => {
    const url = { type: 'data_source', source: { kind: 'url', url: 'https://data.example.org/ecoles.json', valuePath: 'code', labelPath: 'nom', cacheSeconds: 600, timeoutMs: 2000 } };
    const calls: string[] = [];
    const context: ValidationContext = {
      today: TODAY,
      resolveOptions: (key, source) => {
        calls.push(`${key}:${source.kind}`);
        return source.kind === 'url' ? [{ value: 'E1', label: 'École Jean Macé' }] : [{ value: 'givors', label: 'Givors' }];
      },
    };
    expect(valueOf(url, 'E1', context)).toBe('E1');
    expect(codeOf(url, 'E2', context)).toBe('data.f NOT_AN_OPTION');
    expect(valueOf({ type: 'data_source', source: { kind: 'collectivities' } }, 'givors', context)).toBe('givors');
    expect(calls).toEqual(['f:url', 'f:url', 'f:collectivities']);
    expect(codeOf(url, 'E1')).toBe('data.f SOURCE_UNAVAILABLE'); // no resolver, or the source is down
  });
});

const COMMUNES = [
  { inseeCode: '69123', name: 'Lyon' },
  { inseeCode: '69091', name: 'Givors' },
];
const withCommunes: ValidationContext = { today: TODAY, communes: COMMUNES };

describe('address, map point, commune', () => {
  const address = { street: ' 1 place de la Comédie ', postcode: 69001, commune: 'Lyon', inseeCode: '69123' };
  it('address: structured, trimmed, postcode as a string, optional point', () => {
    expect(valueOf({ type: 'address' }, address)).toEqual({ street: '1 place de la Comédie', postcode: '69001', commune: 'Lyon', inseeCode: '69123' });
    expect(valueOf({ type: 'address' }, { ...address, lat: '45.767', lon: 4.836 })).toMatchObject({ lat: 45.767, lon: 4.836 });
  });
  it('address: every sub-error with its own path', () => {
    expect(codeOf({ type: 'address' }, { street: '', postcode: '6900', commune: 'Lyon', inseeCode: 'xx', lat: 100, lon: 4, pays: 'FR' })).toBe(
      'data.f.pays UNKNOWN_FIELD | data.f.street REQUIRED | data.f.postcode INVALID_FORMAT | data.f.inseeCode INVALID_FORMAT | data.f.lat OUT_OF_RANGE',
    );
    expect(codeOf({ type: 'address' }, '1 place de la Comédie, Lyon')).toBe('data.f INVALID_TYPE');
    expect(codeOf({ type: 'address', requirePoint: true }, address)).toBe('data.f.lat REQUIRED');
  });
  it('address within the communes the caller supplies', () => {
    expect(valueOf({ type: 'address', withinCommunes: true }, address, withCommunes)).toMatchObject({ inseeCode: '69123' });
    expect(codeOf({ type: 'address', withinCommunes: true }, { ...address, inseeCode: '75056' }, withCommunes)).toBe('data.f.inseeCode NOT_AN_OPTION');
  });
  it('map point: lat/lon in range and within the bounding box', () => {
    const field = { type: 'map_point', bounds: { south: 45.55, west: 4.65, north: 46.0, east: 5.1 } };
    expect(valueOf(field, { lat: 45.76, lon: 4.84 })).toEqual({ lat: 45.76, lon: 4.84 });
    expect(codeOf(field, { lat: 48.85, lon: 2.35 })).toBe('data.f OUT_OF_RANGE');
    expect(codeOf({ type: 'map_point' }, { lat: 91, lon: 0 })).toBe('data.f.lat OUT_OF_RANGE');
    expect(codeOf({ type: 'map_point' }, { lat: 'x', lon: 0 })).toBe('data.f.lat OUT_OF_RANGE');
    expect(codeOf({ type: 'map_point' }, { lat: 1, lon: 2, alt: 3 })).toBe('data.f.alt UNKNOWN_FIELD');
    expect(codeOf({ type: 'map_point' }, [45, 4])).toBe('data.f INVALID_TYPE');
  });
  it('commune: an INSEE code among those supplied', () => {
    expect(valueOf({ type: 'commune' }, '69091', withCommunes)).toBe('69091');
    expect(codeOf({ type: 'commune' }, '75056', withCommunes)).toBe('data.f NOT_AN_OPTION');
    expect(codeOf({ type: 'commune' }, 'Lyon', withCommunes)).toBe('data.f INVALID_FORMAT');
    expect(codeOf({ type: 'commune' }, '69091')).toBe('data.f SOURCE_UNAVAILABLE');
  });
});

describe('file', () => {
  const field = { type: 'file', accept: ['application/pdf', 'image/*'], maxSizeBytes: 1000, maxFiles: 2 };
  const pdf = { name: 'justificatif.pdf', size: 1000, mimeType: 'application/pdf', ref: 'tmp/abc' };
  it('accepts descriptors within count, size and type; wildcards match', () => {
    expect(valueOf(field, [pdf, { name: 'photo.jpg', size: 10, mimeType: 'image/jpeg' }])).toEqual([pdf, { name: 'photo.jpg', size: 10, mimeType: 'image/jpeg' }]);
    expect(valueOf({ ...field, maxFiles: 1 }, pdf)).toEqual([pdf]); // a single descriptor is a list of one
  });
  it('refuses too many files, too large, refused type (detected type, not the name)', () => {
    expect(codeOf(field, [pdf, pdf, pdf])).toBe('data.f TOO_MANY_FILES');
    expect(codeOf(field, [{ ...pdf, size: 1001 }])).toBe('data.f[0] FILE_TOO_LARGE');
    expect(codeOf(field, [{ ...pdf, mimeType: 'application/x-msdownload' }])).toBe('data.f[0] FILE_TYPE_REFUSED');
    expect(codeOf(field, [{ name: 'virus.pdf', size: 10, mimeType: 'text/html' }])).toBe('data.f[0] FILE_TYPE_REFUSED');
    expect(codeOf({ ...field, minFiles: 2 }, [pdf])).toBe('data.f TOO_FEW_ITEMS');
    expect(codeOf({ ...field, required: true }, [])).toBe('data.f REQUIRED');
  });
  it('keeps only the base name of a path and refuses malformed descriptors', () => {
    expect(valueOf(field, [{ ...pdf, name: '../../etc/passwd.pdf' }])).toEqual([{ ...pdf, name: 'passwd.pdf' }]);
    expect(codeOf(field, [{ ...pdf, size: -1 }])).toBe('data.f[0].size INVALID_TYPE');
    expect(codeOf(field, [{ ...pdf, name: '' }])).toBe('data.f[0].name INVALID_FORMAT');
    expect(codeOf(field, [{ ...pdf, owner: 'x' }])).toBe('data.f[0].owner UNKNOWN_FIELD');
    expect(codeOf(field, ['justificatif.pdf'])).toBe('data.f[0] INVALID_TYPE');
  });
});

describe('repeatable block', () => {
  const block = {
    type: 'block',
    minItems: 1,
    maxItems: 3,
    fields: [
      { id: 'prenom', type: 'text', label: 'Prénom', required: true },
      { id: 'age', type: 'number', label: 'Âge', mode: 'integer', min: 0, max: 18 },
      { id: 'ecole', type: 'text', label: 'École', condition: 'item.age >= 3', required: true },
      { id: 'resume', type: 'computed', label: 'Résumé', template: '{{ item.prenom }} ({{ item.age }} ans)' },
    ],
  };
  it('validates each item with paths like data.f[1].prenom; sibling conditions inside an item', () => {
    expect(valueOf(block, [{ prenom: 'Léa', age: 2 }, { prenom: 'Tom', age: '7', ecole: 'Jean Macé' }])).toEqual([
      { prenom: 'Léa', age: 2, resume: 'Léa (2 ans)' },
      { prenom: 'Tom', age: 7, ecole: 'Jean Macé', resume: 'Tom (7 ans)' },
    ]);
    expect(codeOf(block, [{ prenom: 'Léa', age: 2 }, { age: 20, ecole: '' }])).toBe('data.f[1].prenom REQUIRED | data.f[1].age OUT_OF_RANGE');
    expect(codeOf(block, [{ prenom: 'Tom', age: 7 }])).toBe('data.f[0].ecole REQUIRED');
  });
  it('clears a sub-field hidden in its item even if sent', () => {
    expect(valueOf(block, [{ prenom: 'Léa', age: 1, ecole: 'Jean Macé' }])).toEqual([{ prenom: 'Léa', age: 1, resume: 'Léa (1 ans)' }]);
  });
  it('min / max items, item type, unknown keys in items', () => {
    expect(codeOf(block, [])).toBe('data.f TOO_FEW_ITEMS'); // minItems applies to a visible block even when empty
    expect(codeOf({ ...block, required: true }, [])).toBe('data.f REQUIRED');
    expect(valueOf({ ...block, minItems: 0 }, [])).toBeUndefined();
    expect(codeOf({ ...block, required: false, minItems: 2 }, [{ prenom: 'A' }])).toBe('data.f TOO_FEW_ITEMS');
    expect(codeOf(block, Array(4).fill({ prenom: 'A' }))).toBe('data.f TOO_MANY_ITEMS');
    expect(codeOf(block, ['A'])).toBe('data.f[0] INVALID_TYPE');
    expect(codeOf(block, [{ prenom: 'A', nom: 'B' }])).toBe('data.f[0].nom UNKNOWN_FIELD');
    expect(codeOf(block, { prenom: 'A' })).toBe('data.f INVALID_TYPE');
    expect(codeOf(block, Array(1_000_000).fill({}))).toBe('data.f TOO_MANY_ITEMS');
  });
});
