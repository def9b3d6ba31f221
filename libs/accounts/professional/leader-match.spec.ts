import { describe, expect, it } from '@jest/globals';
import { matchesLeader, matchingLeaders, normaliseName } from './leader-match.js';
import { parseCompanyNumber } from './company-number.js';
import { DomainError } from '#core';

const angela = { familyName: 'Dubois', givenNames: 'Angela Claire Louise', birthdate: '1962-08-24' };

describe('leader matching (FranceConnect identity against the company registry)', () => {
  it('normalises accents, case, ligatures, hyphens and apostrophes', () => {
    expect(normaliseName('  Éloïse-Marie  d’Arc ')).toBe('ELOISE MARIE D ARC');
    expect(normaliseName('Œdipe Stéphane')).toBe('OEDIPE STEPHANE');
    expect(normaliseName(null)).toBe('');
  });

  it('matches the registry’s capitals and missing accents against the certified names', () => {
    expect(matchesLeader({ familyName: 'Lefèvre', givenNames: 'Hélène', birthdate: '1971-02-03' }, { familyName: 'LEFEVRE', givenNames: 'HELENE', birthYear: 1971 })).toBe(true);
    expect(matchesLeader({ familyName: 'LEFEVRE', givenNames: 'helene', birthdate: '1971-02-03' }, { familyName: 'Lefèvre', givenNames: 'Hélène', birthYear: 1971 })).toBe(true);
  });

  it('accepts the registry listing all given names or only the first, and refuses another first given name', () => {
    expect(matchesLeader(angela, { familyName: 'DUBOIS', givenNames: 'Angela Claire Louise', birthYear: 1962 })).toBe(true);
    expect(matchesLeader(angela, { familyName: 'DUBOIS', givenNames: 'Angela', birthYear: 1962 })).toBe(true);
    expect(matchesLeader(angela, { familyName: 'DUBOIS', givenNames: 'Angela Louise', birthYear: 1962 })).toBe(true);
    expect(matchesLeader(angela, { familyName: 'DUBOIS', givenNames: 'Claire', birthYear: 1962 })).toBe(false);
    expect(matchesLeader(angela, { familyName: 'DUBOIS', givenNames: 'Angela Marie', birthYear: 1962 })).toBe(false);
    expect(matchesLeader({ ...angela, givenNames: 'Angela' }, { familyName: 'DUBOIS', givenNames: 'Angela Claire', birthYear: 1962 })).toBe(false);
  });

  it('treats a hyphenated given name like the same names apart', () => {
    expect(matchesLeader({ familyName: 'Martin', givenNames: 'Jean-Pierre', birthdate: '1950-01-01' }, { familyName: 'MARTIN', givenNames: 'Jean Pierre', birthYear: 1950 })).toBe(true);
  });

  it('requires the same birth year and family name (or usage name)', () => {
    expect(matchesLeader(angela, { familyName: 'DUBOIS', givenNames: 'Angela', birthYear: 1963 })).toBe(false);
    expect(matchesLeader(angela, { familyName: 'DUBOIS', givenNames: 'Angela', birthYear: null })).toBe(false);
    expect(matchesLeader(angela, { familyName: 'DUPONT', givenNames: 'Angela', birthYear: 1962 })).toBe(false);
    const fatima = { familyName: 'Benali', givenNames: 'Fatima', birthdate: '1985-11-02', preferredUsername: 'Martin' };
    expect(matchesLeader(fatima, { familyName: 'MARTIN', givenNames: 'Fatima', birthYear: 1985 })).toBe(true);
  });

  it('never matches an empty identity', () => {
    expect(matchesLeader({ familyName: null, givenNames: null, birthdate: null }, { familyName: '', givenNames: '', birthYear: null })).toBe(false);
    expect(matchingLeaders(angela, [{ familyName: 'MERCIER', givenNames: 'Pierre', birthYear: 1990 }, { familyName: 'DUBOIS', givenNames: 'Angela', birthYear: 1962 }])).toHaveLength(1);
  });
});

describe('company numbers (SIREN/SIRET with their check key)', () => {
  const codeOf = (input: string) => {
    try {
      parseCompanyNumber(input);
      return 'ok';
    } catch (error) {
      return error instanceof DomainError ? `${error.code} ${error.fields?.[0]?.path} ${error.fields?.[0]?.code}` : 'other';
    }
  };
  it('reads a SIREN or a SIRET, spaces allowed', () => {
    expect(parseCompanyNumber('882 417 512')).toEqual({ siren: '882417512', siret: null });
    expect(parseCompanyNumber('882 417 512 00010')).toEqual({ siren: '882417512', siret: '88241751200010' });
  });
  it('refuses a wrong key, a wrong length and an empty value, naming the field', () => {
    expect(codeOf('882417513')).toBe('PRO_COMPANY_NUMBER_INVALID numero INVALID_FORMAT');
    expect(codeOf('88241751200011')).toBe('PRO_COMPANY_NUMBER_INVALID numero INVALID_FORMAT');
    expect(codeOf('12345')).toBe('PRO_COMPANY_NUMBER_INVALID numero INVALID_FORMAT');
    expect(codeOf('')).toBe('PRO_COMPANY_NUMBER_INVALID numero REQUIRED');
  });
});
