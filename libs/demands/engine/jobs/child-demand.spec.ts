import { describe, expect, it } from '@jest/globals';
import type { FormDefinition } from '#forms';
import { typedData } from './child-demand.job.js';

const FORM = {
  schemaVersion: 1,
  title: 'Fille',
  pages: [
    {
      id: 'p',
      title: 'P',
      fields: [
        { id: 'nom', type: 'text', label: 'Nom' },
        { id: 'nombre', type: 'number', label: 'Nombre' },
        { id: 'urgent', type: 'yes_no', label: 'Urgent' },
        { id: 'accord', type: 'checkbox', label: 'Accord' },
        { id: 'services', type: 'multiple_choice', label: 'Services', options: [{ value: 'a', label: 'A' }] },
        { id: 'lieu', type: 'map_point', label: 'Lieu' },
      ],
    },
  ],
} as unknown as FormDefinition;

describe('typedData: rendered mapping text → the child form’s field types', () => {
  it('converts numbers, yes/no, checkboxes, lists and JSON; leaves text, unknown fields and unreadable values to validation; drops empty values', () => {
    expect(
      typedData(
        { nom: ' Camille ', nombre: '1 234,5', urgent: 'oui', accord: 'false', services: 'a, b,', lieu: '{"lat":45.7,"lon":4.8}', inconnu: 'x', vide: '  ' },
        FORM,
      ),
    ).toEqual({ nom: 'Camille', nombre: 1234.5, urgent: true, accord: false, services: ['a', 'b'], lieu: { lat: 45.7, lon: 4.8 }, inconnu: 'x' });
    expect(typedData({ nombre: 'beaucoup', urgent: 'peut-être', lieu: '{cassé' }, FORM)).toEqual({ nombre: 'beaucoup', urgent: 'peut-être', lieu: '{cassé' });
  });
});
