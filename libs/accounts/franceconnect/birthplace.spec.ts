import { describe, expect, it } from '@jest/globals';
import { birthcountryLabel, birthplaceLabel } from './birthplace.js';

describe('names of the birth place and country FranceConnect certifies', () => {
  it('names a current commune, a municipal arrondissement and a commune merged into another', () => {
    expect(birthplaceLabel('69266')).toBe('Villeurbanne (69266)');
    expect(birthplaceLabel('69383')).toBe('Lyon 3e Arrondissement (69383)');
    // 01340 (Arbignieu) merged into Arboys en Bugey (01015): the former code names the commune it became.
    expect(birthplaceLabel('01340')).toMatch(/^.+ \(01340\)$/);
  });

  it('shows an unknown code as it is, and nothing for a birth abroad', () => {
    expect(birthplaceLabel('99999')).toBe('99999');
    expect(birthplaceLabel('')).toBeNull();
  });

  it('names France and shows a foreign country by its code', () => {
    expect(birthcountryLabel('99100')).toBe('France');
    expect(birthcountryLabel('99134')).toBe('pays étranger, code INSEE 99134');
  });
});
