import { describe, expect, it } from '@jest/globals';
import { stagedFileKeys } from './drafts.use-case.js';

const file = (ref: string) => ({ name: `${ref}.png`, size: 10, mimeType: 'image/png', ref });

describe('stagedFileKeys (files a draft references, deleted with it and by the purge)', () => {
  it('finds the files of top-level fields and of the items of repeatable blocks', () => {
    const data = {
      nom: 'Durand',
      choix: ['a', 'b'],
      photo: [file('2026/11/photo')],
      enfants: [
        { prenom: 'Léa', certificat: [file('2026/11/lea-1'), file('2026/11/lea-2')], niveaux: ['cp'] },
        { prenom: 'Tom' },
        'pas un élément',
        { prenom: 'Zoé', certificat: [file('2026/11/zoe')] },
      ],
      adresse: { street: '1 rue de la République', ref: 'not-a-file' },
    };
    expect(stagedFileKeys(data).sort()).toEqual(['2026/11/lea-1', '2026/11/lea-2', '2026/11/photo', '2026/11/zoe']);
  });

  it('ignores values that only look like file descriptors (no type) and empty data', () => {
    expect(stagedFileKeys({ liste: [{ ref: 'x' }], enfants: [{ doc: [{ ref: 'y', mimeType: 3 }] }] })).toEqual([]);
    expect(stagedFileKeys({})).toEqual([]);
  });
});
