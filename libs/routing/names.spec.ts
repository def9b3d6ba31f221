import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LYON_METROPOLIS_SIREN } from '#territory';
import { canonicalInsee, COMMUNE_NAME_ALIASES, INSEE_ALIASES, normaliseName } from './names.js';

interface CommuneRecord {
  code: string;
  nom: string;
  type: string;
  commune?: string;
  chefLieu?: string;
}

describe('codes and names designating a member commune', () => {
  const require = createRequire(import.meta.url);
  const read = (file: string) => JSON.parse(readFileSync(require.resolve(`@etalab/decoupage-administratif/data/${file}`), 'utf8'));
  const members = new Set<string>(
    (read('epci.json') as { code: string; membres: { code: string }[] }[]).find((e) => e.code === LYON_METROPOLIS_SIREN)!.membres.map((m) => m.code),
  );
  const records = read('communes.json') as CommuneRecord[];
  /** Arrondissements municipaux and communes déléguées/associées of a member commune. */
  const subdivisions = records.filter((r) => r.type !== 'commune-actuelle' && members.has(r.commune ?? r.chefLieu ?? ''));

  it('maps every subdivision code of a member commune to it, as in @etalab/decoupage-administratif', () => {
    const expected = Object.fromEntries(subdivisions.map((r) => [r.code, r.commune ?? r.chefLieu!]).filter(([code, parent]) => code !== parent));
    expect(INSEE_ALIASES).toEqual(expected);
    for (let n = 1; n <= 9; n++) expect(canonicalInsee(`6938${n}`)).toBe('69123');
    expect(canonicalInsee('69152')).toBe('69149');
    expect(canonicalInsee('69091')).toBe('69091');
  });

  it('knows the names of the communes déléguées, and recognises the arrondissements by their names', () => {
    const delegated = subdivisions.filter((r) => r.type !== 'arrondissement-municipal' && r.chefLieu);
    expect(Object.keys(COMMUNE_NAME_ALIASES).sort()).toEqual(delegated.map((r) => r.nom).sort());
    for (const r of subdivisions.filter((s) => s.type === 'arrondissement-municipal')) expect(normaliseName(r.nom)).toBe('lyon');
  });

  it('normalises accents, case, punctuation, saint abbreviations, arrondissements and CEDEX', () => {
    expect(normaliseName('Sainte-Foy-lès-Lyon')).toBe('sainte foy les lyon');
    expect(normaliseName('STE FOY LES LYON')).toBe('sainte foy les lyon');
    expect(normaliseName("St-Romain-au-Mont-d'Or")).toBe('saint romain au mont d or');
    expect(normaliseName('ÉCULLY')).toBe('ecully');
    expect(normaliseName('Lyon 2ème arrondissement')).toBe('lyon');
    expect(normaliseName('Lyon 1er')).toBe('lyon');
    expect(normaliseName('LYON CEDEX 03')).toBe('lyon');
  });
});
