/**
 * Codes and names that designate a member commune without being its own, as the national address API
 * (BAN) or a citizen may write them. Checked against @etalab/decoupage-administratif by
 * names.spec.ts, so a new vintage of the reference data that adds a case makes the test fail.
 */

/**
 * INSEE codes → the member commune's code:
 * - Lyon's nine arrondissements municipaux (the BAN answers citycode 69381…69389, never 69123);
 * - communes déléguées: Pierre-Bénite (69152) and Oullins (69149 itself), merged in 2024 into
 *   Oullins-Pierre-Bénite (69149). Addresses of former Pierre-Bénite may still carry 69152.
 */
export const INSEE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  '69381': '69123',
  '69382': '69123',
  '69383': '69123',
  '69384': '69123',
  '69385': '69123',
  '69386': '69123',
  '69387': '69123',
  '69388': '69123',
  '69389': '69123',
  '69152': '69149',
});

/** Former or delegated names still written in addresses → the member commune's code. */
export const COMMUNE_NAME_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  Oullins: '69149',
  'Pierre-Bénite': '69149',
});

/** The member commune a code designates (itself when it is no alias). */
export function canonicalInsee(code: string): string {
  return INSEE_ALIASES[code] ?? code;
}

/**
 * Accent-, case- and punctuation-insensitive form of a commune name as people write it:
 * « Sainte-Foy-lès-Lyon », « STE FOY LES LYON », « Ste-Foy-les-Lyon » → « sainte foy les lyon »;
 * the arrondissement or CEDEX suffix is dropped (« Lyon 2e », « Lyon 2ème arrondissement »,
 * « LYON CEDEX 03 » → « lyon »).
 */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .replace(/\s+cedex(\s+\d+)?$/, '')
    .replace(/\s+\d{1,2}\s*(er|e|eme|ieme)?(\s+arr(ondissement)?)?$/, '')
    .split(' ')
    .map((word) => (word === 'st' ? 'saint' : word === 'ste' ? 'sainte' : word))
    .join(' ');
}
