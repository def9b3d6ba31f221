import { describe, expect, it } from '@jest/globals';
import { compileForm } from '../compile/compile-form.js';
import type { FormDefinition } from '../definition/definition.schema.js';
import { errorKey, pageView, readPage, shownIds, visibility } from './form-fields.js';

const definition = compileForm({
  schemaVersion: 1,
  pages: [
    {
      id: 'p1',
      title: 'Page',
      fields: [
        { id: 'genre', type: 'choice', label: 'Genre', display: 'radio', required: true, options: [{ value: 'a', label: 'A' }, { value: 'autre', label: 'Autre' }] },
        { id: 'precision', type: 'text', label: 'Précision', required: true, condition: "field.genre = 'autre'" },
        { id: 'age', type: 'number', label: 'Âge' },
        { id: 'majeur_info', type: 'comment', label: 'Majeur', condition: 'field.age >= 18' },
        { id: 'ok', type: 'yes_no', label: 'D’accord ?' },
        { id: 'services', type: 'multiple_choice', label: 'Services', options: [{ value: 's1', label: 'S1' }, { value: 's2', label: 'S2' }] },
        { id: 'adresse', type: 'address', label: 'Adresse' },
        {
          id: 'enfants',
          type: 'block',
          label: 'Enfants',
          itemLabel: 'Enfant',
          fields: [
            { id: 'prenom', type: 'text', label: 'Prénom', required: true },
            { id: 'allergie', type: 'yes_no', label: 'Allergie ?' },
            { id: 'pai', type: 'text', label: 'PAI', condition: 'item.allergie = true' },
          ],
        },
      ],
    },
  ],
}).definition as FormDefinition;
const page = definition.pages[0];

describe('portal form fields', () => {
  it('reads a posted page into form data: booleans, lists, address parts, block items in index order', () => {
    const data = readPage(
      page,
      {
        'f.genre': 'autre',
        'f.precision': ' x ',
        'f.age': '',
        'f.ok': 'false',
        'f.services': ['s1', 's2'],
        'f.adresse.street': '1 rue A',
        'f.adresse.postcode': '69500',
        'f.adresse.inseeCode': '69029',
        'f.enfants.3.prenom': 'Zoé',
        'f.enfants.0.prenom': 'Léo',
        'f.enfants.0.allergie': 'true',
        'f.enfants.0.pai': 'Arachide',
      },
      [{ inseeCode: '69029', name: 'Bron' }],
    );
    expect(data).toEqual({
      genre: 'autre',
      precision: ' x ',
      ok: false,
      services: ['s1', 's2'],
      adresse: { street: '1 rue A', postcode: '69500', inseeCode: '69029', commune: 'Bron' },
      enfants: [{ prenom: 'Léo', allergie: true, pai: 'Arachide' }, { prenom: 'Zoé' }],
    });
  });

  it('evaluates display conditions over typed-in values, per block item', () => {
    const shown = visibility(definition, { genre: 'autre', age: '19', enfants: [{ allergie: true }, { allergie: 'false' }] });
    expect(shownIds(page, shown)).toEqual(
      expect.arrayContaining(['genre', 'precision', 'majeur_info', 'enfants', 'enfants.0.pai', 'enfants.1.prenom']),
    );
    expect(shownIds(page, shown)).not.toContain('enfants.1.pai');
    const hidden = visibility(definition, { genre: 'a', age: '12,5' });
    expect(hidden.fields.has('precision')).toBe(false);
    expect(hidden.fields.has('majeur_info')).toBe(false);
  });

  it('maps error paths to fields and builds the error summary in page order, hidden fields left out', () => {
    expect(errorKey('data.enfants[1].prenom')).toBe('enfants.1.prenom');
    expect(errorKey('data.photo[0]')).toBe('photo.0');
    const values = { genre: 'a', enfants: [{ prenom: '' }] };
    const view = pageView(page, {
      definition,
      values,
      errors: new Map([
        ['enfants.0.prenom', 'Ce champ est obligatoire.'],
        ['genre', 'Choisissez.'],
      ]),
      visible: visibility(definition, values),
      locked: new Set(),
      communes: [],
      communeChoices: new Map(),
      options: (field) => (field.type === 'choice' ? field.options : undefined),
      tilesUrl: 'https://tiles.example/{z}/{x}/{y}.png',
      uploadMaxBytes: 1024,
    });
    expect(view.summary).toEqual([
      { id: 'f-genre-0', message: 'Genre : Choisissez.' },
      { id: 'f-enfants-0-prenom', message: 'Enfant 1 — Prénom : Ce champ est obligatoire.' },
    ]);
    expect(view.fields.find((f) => f.key === 'precision')?.hidden).toBe(true);
  });
});
