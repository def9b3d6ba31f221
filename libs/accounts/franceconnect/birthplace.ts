import { createRequire } from 'node:module';

/**
 * Names for the INSEE codes FranceConnect certifies (`birthplace`: the commune of birth as coded in the
 * Code officiel géographique, `birthcountry`: 99100 for France, 99xxx abroad), so that the citizen reads
 * « Villeurbanne (69266) » rather than a bare code. Communes come from @etalab/decoupage-administratif:
 * current communes, their former codes (merged communes), communes déléguées and associées and municipal
 * arrondissements. A code the reference data does not know (a commune that disappeared long ago, a foreign
 * country) is shown as its code: never guessed.
 */

interface CommuneRecord {
  code: string;
  nom: string;
  type: string;
  anciensCodes?: string[];
}

let names: Map<string, string> | undefined;

function communeNames(): Map<string, string> {
  if (names) return names;
  const require = createRequire(import.meta.url);
  const communes = require('@etalab/decoupage-administratif/data/communes.json') as CommuneRecord[];
  const map = new Map<string, string>();
  // Own codes first (a current commune, then delegated/associated ones and arrondissements), former codes
  // of merged communes only where no record carries that code itself.
  for (const commune of communes) if (commune.type === 'commune-actuelle') map.set(commune.code, commune.nom);
  for (const commune of communes) if (!map.has(commune.code)) map.set(commune.code, commune.nom);
  for (const commune of communes) for (const former of commune.anciensCodes ?? []) if (!map.has(former)) map.set(former, commune.nom);
  names = map;
  return map;
}

/** « Villeurbanne (69266) », or the code alone when unknown; null for an empty code (born abroad). */
export function birthplaceLabel(code: string): string | null {
  if (!code) return null;
  const name = communeNames().get(code);
  return name ? `${name} (${code})` : code;
}

/** « France » for 99100; other countries by their INSEE code (« pays étranger, code INSEE 99134 »). */
export function birthcountryLabel(code: string): string {
  if (code === '99100') return 'France';
  return `pays étranger, code INSEE ${code}`;
}
