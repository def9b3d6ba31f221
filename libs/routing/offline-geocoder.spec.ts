import { describe, expect, it } from '@jest/globals';
import { loadReferenceTerritory } from '#territory';
import { OfflineGeocoder } from './offline-geocoder.js';
import { RoutingTable } from './routing-table.js';

const offline = new OfflineGeocoder(RoutingTable.fromReference(loadReferenceTerritory()));
const found = (query: Parameters<OfflineGeocoder['lookup']>[0]) => offline.lookup(query).map((r) => [r.inseeCode, r.score]);

describe('offline geocoder (postcode + commune name)', () => {
  it('finds the commune from its postcode and name, whatever the accents and case', () => {
    expect(offline.lookup({ street: '1 place Camille Vallin', postcode: '69700', city: 'GIVORS' })).toEqual([
      {
        label: '69700 Givors',
        score: 1,
        type: 'municipality',
        citycode: '69091',
        inseeCode: '69091',
        postcode: '69700',
        city: 'Givors',
        position: null,
        source: 'offline',
      },
    ]);
    expect(found({ postcode: '69130', city: 'ecully' })).toEqual([['69081', 1]]);
    expect(found({ postcode: '69110', city: 'Ste Foy les Lyon' })).toEqual([['69202', 1]]);
  });

  it('settles a shared postcode with the name', () => {
    expect(found({ postcode: '69250', city: 'Neuville sur Saone' })).toEqual([['69143', 1]]);
  });

  it('leaves a shared postcode without name as a tie of all its communes', () => {
    expect(found({ postcode: '69330' })).toEqual([
      ['69279', 0.5],
      ['69282', 0.5],
    ]);
  });

  it('understands Lyon’s arrondissements and former Pierre-Bénite', () => {
    expect(found({ postcode: '69003', city: 'Lyon 3e Arrondissement' })).toEqual([['69123', 1]]);
    expect(found({ postcode: '69310', city: 'Pierre-Bénite' })).toEqual([['69149', 1]]);
  });

  it('reads the postcode and the commune from free text', () => {
    expect(found({ text: '1 place Camille Vallin 69700 Givors' })).toEqual([['69091', 1]]);
    expect(found({ text: '3 avenue Henri Barbusse Villeurbanne' })).toEqual([['69266', 0.8]]);
  });

  it('turns a postcode/name disagreement into a tie rather than a guess', () => {
    expect(found({ postcode: '69700', city: 'Bron' })).toEqual([
      ['69029', 0.5],
      ['69091', 0.5],
    ]);
  });

  it('returns nothing for a place it does not know', () => {
    expect(found({ postcode: '75001', city: 'Paris' })).toEqual([]);
    expect(found({ street: '12 rue des Tilleuls' })).toEqual([]);
  });
});
