import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '#core';
import {
  errorCode,
  identityQuery,
  parseComplementaireSanteSolidaire,
  parseQuotientFamilial,
  parseRevenuSolidariteActive,
  UnexpectedAnswer,
  type CertifiedIdentity,
} from './api-particulier.js';

const ANGELA: CertifiedIdentity = {
  givenName: 'Angela Claire Louise',
  familyName: 'Dubois',
  birthdate: '1962-08-24',
  gender: 'female',
  birthplace: '75107',
  birthcountry: '99100',
};

describe('API Particulier: the « identité » query built from a certified identity', () => {
  it('sends the birth name, each given name, the birth date in parts, the sex and the INSEE codes', () => {
    const query = identityQuery(ANGELA);
    expect(query.get('nomNaissance')).toBe('DUBOIS');
    expect(query.getAll('prenoms[]')).toEqual(['ANGELA', 'CLAIRE', 'LOUISE']);
    expect([query.get('anneeDateNaissance'), query.get('moisDateNaissance'), query.get('jourDateNaissance')]).toEqual(['1962', '8', '24']);
    expect(query.get('sexeEtatCivil')).toBe('F');
    expect(query.get('codeCogInseePaysNaissance')).toBe('99100');
    expect(query.get('codeCogInseeCommuneNaissance')).toBe('75107');
  });

  it('leaves the birth commune out for a person born abroad, and says M for male', () => {
    const query = identityQuery({ ...ANGELA, gender: 'male', birthplace: '', birthcountry: '99109' });
    expect(query.has('codeCogInseeCommuneNaissance')).toBe(false);
    expect(query.get('codeCogInseePaysNaissance')).toBe('99109');
    expect(query.get('sexeEtatCivil')).toBe('M');
  });
});

describe('API Particulier: parsing of the answers', () => {
  it('keeps only the value, the provider and the month of the family quotient (not the household)', () => {
    const body = {
      data: {
        allocataires: [{ nom_naissance: 'DUBOIS', prenoms: 'ANGELA CLAIRE LOUISE', date_naissance: '1962-08-24', sexe: 'F' }],
        enfants: [],
        adresse: { numero_libelle_voie: '19 RUE ARISTIDE BRIAND', code_postal_ville: '92330 SCEAUX' },
        quotient_familial: { fournisseur: 'CNAF', valeur: 4270, annee: 2023, mois: 6, annee_calcul: 2024, mois_calcul: 12 },
      },
      links: {},
      meta: {},
    };
    expect(parseQuotientFamilial(body)).toEqual({ valeur: 4270, source: 'CAF', mois: '2023-06' });
    expect(parseQuotientFamilial({ data: { quotient_familial: { fournisseur: 'MSA', valeur: 150, annee: 2023, mois: 11 } } })).toEqual({
      valeur: 150,
      source: 'MSA',
      mois: '2023-11',
    });
  });

  it('refuses a family quotient of an unexpected shape', () => {
    for (const body of [
      null,
      { data: null },
      { data: {} },
      { data: { quotient_familial: { fournisseur: 'CPAM', valeur: 1, annee: 2023, mois: 1 } } },
      { data: { quotient_familial: { fournisseur: 'CNAF', valeur: '4270', annee: 2023, mois: 1 } } },
      { data: { quotient_familial: { fournisseur: 'CNAF', valeur: -5, annee: 2023, mois: 1 } } },
      { data: { quotient_familial: { fournisseur: 'CNAF', valeur: 10, annee: 2023, mois: 13 } } },
    ]) {
      expect(() => parseQuotientFamilial(body)).toThrow(UnexpectedAnswer);
    }
  });

  it('reads the C2S status with or without participation, and its start date', () => {
    expect(parseComplementaireSanteSolidaire({ data: { est_beneficiaire: true, avec_participation: false, date_debut_droit: '2023-06-01' } })).toEqual({
      beneficiaire: true,
      depuis: '2023-06-01',
      option: false,
    });
    expect(parseComplementaireSanteSolidaire({ data: { est_beneficiaire: false, avec_participation: null, date_debut_droit: null } })).toEqual({
      beneficiaire: false,
      depuis: null,
      option: null,
    });
  });

  it('reads the RSA status with its increase, and refuses malformed ones', () => {
    expect(parseRevenuSolidariteActive({ data: { est_beneficiaire: true, avec_majoration: true, date_debut_droit: '2024-08-01' } })).toEqual({
      beneficiaire: true,
      depuis: '2024-08-01',
      option: true,
    });
    expect(() => parseRevenuSolidariteActive({ data: { est_beneficiaire: 'oui' } })).toThrow(UnexpectedAnswer);
    expect(() => parseRevenuSolidariteActive({ data: { est_beneficiaire: true, date_debut_droit: '01/08/2024' } })).toThrow(UnexpectedAnswer);
    expect(() => parseRevenuSolidariteActive({ data: { est_beneficiaire: true, avec_majoration: 'non' } })).toThrow(UnexpectedAnswer);
  });

  it('extracts the error code of an error body, and nothing else', () => {
    expect(errorCode({ errors: [{ code: '37003', title: 'Dossier allocataire absent MSA', detail: '…', meta: { provider: 'MSA' } }] })).toBe('37003');
    expect(errorCode({ errors: [{ code: 'DUBOIS ANGELA CLAIRE LOUISE 1962' }] })).toBeNull();
    expect(errorCode('<html>')).toBeNull();
  });
});

describe('API Particulier: configuration', () => {
  const base = { DATABASE_URL: 'postgres://localhost/parvis', REDIS_URL: 'redis://localhost' };

  it('is off without a URL, and typed when URL, token and SIRET are given', () => {
    expect(loadConfig(base).apiParticulier).toBeNull();
    expect(
      loadConfig({ ...base, API_PARTICULIER_URL: 'https://particulier.api.gouv.fr/', API_PARTICULIER_TOKEN: 'jeton', API_PARTICULIER_RECIPIENT: '20004697700019' }).apiParticulier,
    ).toEqual({ url: 'https://particulier.api.gouv.fr', token: 'jeton', recipient: '20004697700019', timeoutMs: 3000 });
  });

  it('names the missing or wrong variable at boot', () => {
    expect(() => loadConfig({ ...base, API_PARTICULIER_URL: 'https://particulier.api.gouv.fr' })).toThrow(/API_PARTICULIER_TOKEN[\s\S]*API_PARTICULIER_RECIPIENT/);
    expect(() => loadConfig({ ...base, API_PARTICULIER_URL: 'https://x.example', API_PARTICULIER_TOKEN: 't', API_PARTICULIER_RECIPIENT: '123' })).toThrow(/API_PARTICULIER_RECIPIENT/);
    expect(() =>
      loadConfig({ ...base, NODE_ENV: 'production', API_PARTICULIER_URL: 'http://x.example', API_PARTICULIER_TOKEN: 't', API_PARTICULIER_RECIPIENT: '20004697700019' }),
    ).toThrow(/API_PARTICULIER_URL : doit être en https en production/);
    expect(() => loadConfig({ ...base, API_PARTICULIER_TIMEOUT_MS: '10' })).toThrow(/API_PARTICULIER_TIMEOUT_MS/);
  });
});
