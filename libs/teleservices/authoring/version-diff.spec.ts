import { describe, expect, it } from '@jest/globals';
import { SIMPLE_REQUEST_WORKFLOW } from '#workflow';
import { diffVersions } from './version-diff.js';

const v1 = {
  form: {
    schemaVersion: 1,
    pages: [
      {
        id: 'p1',
        title: 'Demandeur',
        fields: [
          { id: 'nom', type: 'text', label: 'Nom', required: true },
          { id: 'fax', type: 'text', label: 'Télécopie' },
          { id: 'enfants', type: 'block', label: 'Enfants', fields: [{ id: 'prenom', type: 'text', label: 'Prénom' }] },
        ],
      },
    ],
  },
  workflow: SIMPLE_REQUEST_WORKFLOW,
  dataSources: [],
};

const v2 = {
  form: {
    schemaVersion: 1,
    pages: [
      {
        id: 'p1',
        title: 'Demandeur',
        fields: [
          { id: 'nom', type: 'text', label: 'Nom de famille', required: true, maxLength: 100 },
          { id: 'courriel', type: 'email', label: 'Courriel', required: true },
          { id: 'enfants', type: 'block', label: 'Enfants', fields: [{ id: 'prenom', type: 'text', label: 'Prénom usuel' }] },
        ],
      },
    ],
  },
  workflow: {
    ...SIMPLE_REQUEST_WORKFLOW,
    statuses: [
      ...SIMPLE_REQUEST_WORKFLOW.statuses,
      { id: 'archived', label: 'Archivée', colour: '#3A3A3A', visibility: 'internal', final: true, actions: [{ id: 'purge', kind: 'delete', delay: 'P1Y' }] },
    ],
  },
  dataSources: [],
};

describe('diffVersions', () => {
  it('says which fields were added, removed and changed (with labels and properties), and which statuses were added', () => {
    const diff = diffVersions(v1, v2);
    expect(diff.identical).toBe(false);
    expect(diff.form.fields.added).toEqual([{ id: 'courriel', label: 'Courriel', type: 'email', page: 'p1' }]);
    expect(diff.form.fields.removed).toEqual([{ id: 'fax', label: 'Télécopie', type: 'text', page: 'p1' }]);
    expect(diff.form.fields.changed).toEqual([
      {
        item: { id: 'nom', label: 'Nom de famille', type: 'text', page: 'p1' },
        changes: [
          { property: 'label', before: 'Nom', after: 'Nom de famille' },
          { property: 'maxLength', before: undefined, after: 100 },
        ],
      },
      { item: { id: 'enfants.prenom', label: 'Prénom usuel', type: 'text', page: 'p1' }, changes: [{ property: 'label', before: 'Prénom', after: 'Prénom usuel' }] },
    ]);
    expect(diff.workflow.statuses.added).toEqual([{ id: 'archived', label: 'Archivée' }]);
    expect(diff.workflow.statuses.removed).toEqual([]);
    expect(diff.workflow.actions.added).toEqual([{ status: 'archived', id: 'purge', kind: 'delete' }]);
    expect(diff.summary).toEqual(
      expect.arrayContaining([
        'Champ ajouté : « Courriel » (courriel, email) page p1.',
        'Champ supprimé : « Télécopie » (fax, text).',
        'Champ nom : libellé « Nom » → « Nom de famille ».',
        'Statut ajouté : « Archivée » (archived).',
      ]),
    );
  });

  it('gives a JSON-patch-like list with pointers into the version', () => {
    const { patch } = diffVersions(v1, v2);
    expect(patch).toEqual(
      expect.arrayContaining([
        { op: 'remove', path: '/form/pages/0/fields/1', previous: v1.form.pages[0].fields[1] },
        { op: 'add', path: '/form/pages/0/fields/1', value: v2.form.pages[0].fields[1] },
        { op: 'replace', path: '/form/pages/0/fields/0/label', value: 'Nom de famille', previous: 'Nom' },
        { op: 'add', path: '/form/pages/0/fields/0/maxLength', value: 100 },
        { op: 'replace', path: '/form/pages/0/fields/2/fields/0/label', value: 'Prénom usuel', previous: 'Prénom' },
        { op: 'add', path: `/workflow/statuses/${SIMPLE_REQUEST_WORKFLOW.statuses.length}`, value: v2.workflow.statuses.at(-1) },
      ]),
    );
    expect(patch).toHaveLength(6);
  });

  it('finds nothing between equal versions whatever their key order, and treats a moved field as changed, not re-created', () => {
    const reordered = JSON.parse(JSON.stringify({ dataSources: v1.dataSources, workflow: v1.workflow, form: v1.form }));
    expect(diffVersions(v1, reordered)).toMatchObject({ identical: true, patch: [], summary: [] });
    const moved = {
      ...v1,
      form: { ...v1.form, pages: [{ id: 'p1', title: 'Demandeur', fields: [v1.form.pages[0].fields[0]] }, { id: 'p2', title: 'Suite', fields: v1.form.pages[0].fields.slice(1) }] },
    };
    const diff = diffVersions(v1, moved);
    expect(diff.form.pages.added).toEqual([{ id: 'p2', label: 'Suite' }]);
    expect(diff.form.fields.added).toEqual([]);
    expect(diff.form.fields.changed.map((c) => [c.item.id, c.changes.map((x) => x.property)])).toEqual([
      ['fax', ['page']],
      ['enfants', ['page']],
      ['enfants.prenom', ['page']],
    ]);
  });
});
