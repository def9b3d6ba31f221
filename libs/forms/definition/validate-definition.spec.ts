import { describe, expect, it } from '@jest/globals';
import { DomainError } from '#core';
import { compileForm } from '../compile/compile-form.js';
import { INSCRIPTION_SCOLAIRE } from '../fixtures/inscription-scolaire.fixture.js';
import { FIELD_TYPES, FORM_DEFINITION_JSON_SCHEMA } from './definition.schema.js';
import { validateFormDefinition } from './validate-definition.js';

const form = (fields: unknown[], extra: Record<string, unknown> = {}) => ({
  schemaVersion: 1,
  pages: [{ id: 'p1', title: 'Page', fields }],
  ...extra,
});

function errorsOf(json: unknown) {
  const result = validateFormDefinition(json);
  if (result.ok) throw new Error('expected the definition to be refused');
  return result.errors;
}

describe('validateFormDefinition', () => {
  it('accepts the README example and returns the typed definition', () => {
    const result = validateFormDefinition(INSCRIPTION_SCOLAIRE);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.definition.pages.map((p) => p.id)).toEqual(['responsable', 'enfants_page', 'restauration', 'pieces']);
  });

  it('lists every error at once, each with its JSON path and a stable code', () => {
    const errors = errorsOf({
      schemaVersion: 2,
      colour: 'blue',
      summaryTemplate: '{{ field.inconnu }}',
      pages: [
        {
          id: 'p1',
          title: 'Page 1',
          fields: [
            { id: 'nom', type: 'text', label: 'Nom' },
            { id: 'nom', type: 'text', label: 'Nom bis' },
            { id: 'Age', type: 'number', label: 'Âge', min: 10, max: 5 },
            { id: 'x', type: 'rainbow', label: 'X' },
            { id: 'motif', type: 'choice', label: 'Motif', options: [] },
            { id: 'code', type: 'text', label: 'Code', format: 'regex', pattern: '(a+)+$' },
            { id: 'code2', type: 'text', label: 'Code 2', format: 'regex', pattern: '[a-' },
            { id: 'calc', type: 'computed', label: 'Calc', template: '{{ field.fantome }}' },
            { id: 'cond', type: 'text', label: 'Cond', condition: 'field.absent = 1' },
            { id: 'mal', type: 'text', label: 'Mal', condition: "field.nom = 'x" },
            { id: 'a', type: 'text', label: 'A', condition: "field.b = 'x'" },
            { id: 'b', type: 'text', label: 'B', condition: "field.a = 'x'" },
            { id: 'c', type: 'text', label: 'C', color: 'red' },
            { id: 'd', type: 'email' },
          ],
        },
      ],
    });
    const pairs = errors.map((e) => `${e.path} ${e.code}`);
    expect(pairs).toEqual(
      expect.arrayContaining([
        '/schemaVersion UNSUPPORTED_SCHEMA_VERSION',
        '/colour UNKNOWN_PROPERTY',
        '/summaryTemplate UNKNOWN_REFERENCE',
        '/pages/0/fields/1/id DUPLICATE_ID',
        '/pages/0/fields/2/id INVALID_FORMAT',
        '/pages/0/fields/2/max MIN_GREATER_THAN_MAX',
        '/pages/0/fields/3/type UNKNOWN_FIELD_TYPE',
        '/pages/0/fields/4/options TOO_SHORT',
        '/pages/0/fields/5/pattern UNSAFE_REGEX',
        '/pages/0/fields/6/pattern INVALID_REGEX',
        '/pages/0/fields/7/template UNKNOWN_REFERENCE',
        '/pages/0/fields/8/condition UNKNOWN_REFERENCE',
        '/pages/0/fields/9/condition CONDITION_SYNTAX',
        '/pages/0/fields/10/condition DEPENDENCY_CYCLE',
        '/pages/0/fields/11/condition DEPENDENCY_CYCLE',
        '/pages/0/fields/12/color UNKNOWN_PROPERTY',
        '/pages/0/fields/13/label MISSING',
      ]),
    );
    for (const e of errors) expect(e.message).toMatch(/[a-zàéèêç]/i);
    expect(errors.find((e) => e.code === 'UNKNOWN_FIELD_TYPE')!.message).toContain('« rainbow »');
    expect(errors.find((e) => e.code === 'DEPENDENCY_CYCLE')!.message).toMatch(/a → b → a|b → a → b/);
    expect(errors.find((e) => e.code === 'UNKNOWN_PROPERTY' && e.path === '/colour')!.message).toBe('Propriété inconnue « colour ».');
  });

  it('checks references: display fields, sub-properties, item. outside blocks, forward references without cycles', () => {
    const errors = errorsOf(
      form([
        { id: 'titre', type: 'title', label: 'Titre' },
        { id: 'adresse', type: 'address', label: 'Adresse' },
        { id: 'a', type: 'text', label: 'A', condition: 'field.titre empty' },
        { id: 'b', type: 'text', label: 'B', condition: "field.adresse.postcode = '69001' and field.adresse.pays = 'FR'" },
        { id: 'c', type: 'text', label: 'C', condition: 'item.x = 1' },
        { id: 'd', type: 'text', label: 'D', condition: "field.e = 'oui'" }, // forward reference: fine
        { id: 'e', type: 'text', label: 'E' },
        { id: 'f', type: 'text', label: 'F', condition: "field.f = 'x'" }, // self reference: cycle
      ]),
    );
    expect(errors.map((e) => `${e.path} ${e.code}`).sort()).toEqual([
      '/pages/0/fields/2/condition UNKNOWN_REFERENCE',
      '/pages/0/fields/3/condition UNKNOWN_REFERENCE',
      '/pages/0/fields/4/condition UNKNOWN_REFERENCE',
      '/pages/0/fields/7/condition DEPENDENCY_CYCLE',
    ]);
  });

  it('detects a cycle through a page condition', () => {
    const errors = errorsOf({
      schemaVersion: 1,
      pages: [
        { id: 'p1', title: 'P1', condition: "field.x = 'oui'", fields: [{ id: 'x', type: 'text', label: 'X' }] },
      ],
    });
    expect(errors.map((e) => e.code)).toEqual(['DEPENDENCY_CYCLE', 'DEPENDENCY_CYCLE']);
    expect(errors.map((e) => e.path).sort()).toEqual(['/pages/0/condition', '/pages/0/fields/0/condition']);
  });

  it('checks blocks: sibling references, nested blocks, duplicate sub-ids, prefill, min/max items', () => {
    const errors = errorsOf(
      form([
        { id: 'age_min', type: 'number', label: 'Âge minimum' },
        {
          id: 'enfants',
          type: 'block',
          label: 'Enfants',
          minItems: 5,
          maxItems: 2,
          fields: [
            { id: 'prenom', type: 'text', label: 'Prénom', prefill: { from: 'profile', attribute: 'given_name' } },
            { id: 'prenom', type: 'text', label: 'Prénom bis' },
            { id: 'age', type: 'number', label: 'Âge', condition: 'item.inconnu > 1 and field.age_min < 3' },
            { id: 'sub', type: 'block', label: 'Sous-bloc', fields: [] },
            { id: 'x', type: 'text', label: 'X', condition: 'item.y not empty' },
            { id: 'y', type: 'text', label: 'Y', condition: 'item.x not empty' },
          ],
        },
      ]),
    );
    const pairs = errors.map((e) => `${e.path} ${e.code}`);
    expect(pairs).toEqual(
      expect.arrayContaining([
        '/pages/0/fields/1/maxItems MIN_GREATER_THAN_MAX',
        '/pages/0/fields/1/fields/0/prefill PREFILL_INCOMPATIBLE',
        '/pages/0/fields/1/fields/1/id DUPLICATE_ID',
        '/pages/0/fields/1/fields/2/condition UNKNOWN_REFERENCE',
        '/pages/0/fields/1/fields/3/type UNKNOWN_FIELD_TYPE',
        '/pages/0/fields/1/fields/4/condition DEPENDENCY_CYCLE',
        '/pages/0/fields/1/fields/5/condition DEPENDENCY_CYCLE',
      ]),
    );
    expect(errors.find((e) => e.path === '/pages/0/fields/1/fields/3/type')!.message).toBe('Un bloc répétable ne peut pas contenir un autre bloc.');
  });

  it('accepts the administration’s and the mandate’s prefill attributes on their field types only', () => {
    const errors = errorsOf(
      form([
        { id: 'qf', type: 'number', label: 'QF', prefill: { from: 'profile', attribute: 'quotient_familial', lockedWhenCertified: true } },
        { id: 'c2s', type: 'yes_no', label: 'C2S', prefill: { from: 'profile', attribute: 'droits_sociaux.c2s' } },
        { id: 'siret', type: 'text', label: 'SIRET', prefill: { from: 'profile', attribute: 'company.siret', lockedWhenCertified: true } },
        { id: 'qf_texte', type: 'text', label: 'QF', prefill: { from: 'profile', attribute: 'quotient_familial' } },
        { id: 'rsa', type: 'checkbox', label: 'RSA', prefill: { from: 'profile', attribute: 'droits_sociaux.rsa' } },
      ]),
    );
    expect(errors.map((e) => `${e.path} ${e.code}`)).toEqual(['/pages/0/fields/3/prefill/attribute PREFILL_INCOMPATIBLE', '/pages/0/fields/4/prefill/attribute PREFILL_INCOMPATIBLE']);
  });

  it('checks options and prefill compatibility, dates, files, data sources', () => {
    const errors = errorsOf(
      form([
        { id: 'c', type: 'choice', label: 'C', options: [{ value: 'a', label: 'A' }, { value: 'a', label: 'A bis' }] },
        { id: 'n', type: 'date', label: 'N', prefill: { from: 'profile', attribute: 'email' }, past: true, future: true, min: '2026-02-30' },
        { id: 'f', type: 'file', label: 'F', accept: ['pdf'], maxFiles: 50 },
        { id: 's', type: 'data_source', label: 'S', source: { kind: 'url', url: 'javascript:alert(1)', valuePath: 'a.__proto__', labelPath: 'nom' } },
        { id: 't', type: 'data_source', label: 'T', source: { kind: 'ldap' } },
        { id: 'm', type: 'multiple_choice', label: 'M', minSelections: 3, options: [{ value: 'a', label: 'A' }] },
        { id: 'r', type: 'text', label: 'R', pattern: '\\d+' },
        { id: 'q', type: 'text', label: 'Q', format: 'regex' },
      ]),
    );
    expect(errors.map((e) => `${e.path} ${e.code}`)).toEqual(
      expect.arrayContaining([
        '/pages/0/fields/0/options/1/value DUPLICATE_OPTION',
        '/pages/0/fields/1/prefill/attribute PREFILL_INCOMPATIBLE',
        '/pages/0/fields/1/future INCOMPATIBLE_OPTIONS',
        '/pages/0/fields/1/min INVALID_VALUE',
        '/pages/0/fields/2/accept/0 INVALID_FORMAT',
        '/pages/0/fields/2/maxFiles OUT_OF_RANGE',
        '/pages/0/fields/3/source/url INVALID_FORMAT',
        '/pages/0/fields/3/source/valuePath INVALID_VALUE',
        '/pages/0/fields/4/source/kind INVALID_VALUE',
        '/pages/0/fields/5/minSelections OUT_OF_RANGE',
        '/pages/0/fields/6/pattern INCOMPATIBLE_OPTIONS',
        '/pages/0/fields/7/pattern MISSING',
      ]),
    );
  });

  it('refuses non-objects and empty forms', () => {
    expect(errorsOf(null)[0]).toMatchObject({ path: '/', code: 'INVALID_TYPE' });
    expect(errorsOf('{}')[0]).toMatchObject({ path: '/', code: 'INVALID_TYPE' });
    expect(errorsOf({ schemaVersion: 1, pages: [] })).toEqual([expect.objectContaining({ path: '/pages', code: 'TOO_SHORT' })]);
    expect(errorsOf({ schemaVersion: 1 })).toEqual([expect.objectContaining({ path: '/pages', code: 'MISSING' })]);
  });

  it('refuses duplicate page ids and too many fields', () => {
    const errors = errorsOf({
      schemaVersion: 1,
      pages: [
        { id: 'p', title: 'A', fields: Array.from({ length: 260 }, (_, i) => ({ id: `f${i}`, type: 'text', label: 'F' })) },
        { id: 'p', title: 'B', fields: Array.from({ length: 260 }, (_, i) => ({ id: `g${i}`, type: 'text', label: 'G' })) },
      ],
    });
    expect(errors.map((e) => `${e.path} ${e.code}`)).toEqual(expect.arrayContaining(['/pages/1/id DUPLICATE_ID', '/pages OUT_OF_RANGE']));
  });

  it('compileForm refuses an invalid definition with a DomainError carrying the field errors', () => {
    let caught: unknown;
    try {
      compileForm(form([{ id: 'a', type: 'text', label: 'A', condition: 'field.zz = 1' }]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(caught).toMatchObject({ code: 'FORM_DEFINITION_INVALID', kind: 'invalid', fields: [{ path: '/pages/0/fields/0/condition', code: 'UNKNOWN_REFERENCE' }] });
  });
});

describe('FORM_DEFINITION_JSON_SCHEMA', () => {
  it('is a draft 2020-12 JSON Schema describing every field type', () => {
    expect(FORM_DEFINITION_JSON_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const text = JSON.stringify(FORM_DEFINITION_JSON_SCHEMA);
    for (const type of FIELD_TYPES) expect(text).toContain(`"const":"${type}"`);
    expect(FORM_DEFINITION_JSON_SCHEMA).toMatchObject({ type: 'object', required: expect.arrayContaining(['schemaVersion', 'pages']), additionalProperties: false });
  });
});
