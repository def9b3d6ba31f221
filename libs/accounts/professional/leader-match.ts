/**
 * Does a person whose identity FranceConnect certified match a leader (dirigeant) listed by the company
 * registry? The registry writes names its own way (family names in capitals, sometimes without accents, only
 * the first given name or all of them); FranceConnect gives the civil-status names (all given names, with
 * accents). So both sides are compared after normalisation, and:
 * - family names are equal (the registry's name may also be the person's usage name: `preferredUsername`);
 * - the first given names are equal, and every given name the registry lists is among the person's;
 * - the birth year is equal (the registry gives the year only; a leader without one never matches).
 */

export interface CertifiedPerson {
  familyName: string | null;
  givenNames: string | null;
  /** ISO date YYYY-MM-DD. */
  birthdate: string | null;
  /** Usage name (nom d’usage), if any. */
  preferredUsername?: string | null;
}

export interface LeaderIdentity {
  familyName: string;
  givenNames: string;
  birthYear: number | null;
}

/** Upper case, accents and ligatures removed, hyphens and apostrophes as spaces, spaces collapsed. */
export function normaliseName(value: string | null | undefined): string {
  return (value ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[œŒ]/g, 'OE')
    .replace(/[æÆ]/g, 'AE')
    .replace(/ß/g, 'SS')
    .toUpperCase()
    .replace(/[-‐‑'’ʼ`.,]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function givenNameList(value: string | null | undefined): string[] {
  return normaliseName(value).split(' ').filter(Boolean);
}

export function matchesLeader(person: CertifiedPerson, leader: LeaderIdentity): boolean {
  const family = normaliseName(leader.familyName);
  if (!family) return false;
  const familyNames = [normaliseName(person.familyName), normaliseName(person.preferredUsername)].filter(Boolean);
  if (!familyNames.includes(family)) return false;
  const theirs = givenNameList(leader.givenNames);
  const mine = givenNameList(person.givenNames);
  if (!theirs.length || !mine.length || theirs[0] !== mine[0]) return false;
  if (!theirs.every((name) => mine.includes(name))) return false;
  const year = person.birthdate && /^\d{4}-/.test(person.birthdate) ? Number(person.birthdate.slice(0, 4)) : null;
  return leader.birthYear !== null && year === leader.birthYear;
}

/** The leaders (index in the list given) the person matches. */
export function matchingLeaders<T extends LeaderIdentity>(person: CertifiedPerson, leaders: readonly T[]): T[] {
  return leaders.filter((leader) => matchesLeader(person, leader));
}
