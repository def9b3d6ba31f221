import { DomainError } from '#core';

/** Stable codes of the territory's domain errors. */
export const TerritoryErrorCodes = {
  COLLECTIVITY_NOT_FOUND: 'COLLECTIVITY_NOT_FOUND',
  INSEE_CODE_INVALID: 'INSEE_CODE_INVALID',
  POSTCODE_INVALID: 'POSTCODE_INVALID',
  REFERENCE_DATA_MISSING: 'TERRITORY_REFERENCE_DATA_MISSING',
} as const;

export const INSEE_CODE_PATTERN = /^[0-9][0-9AB][0-9]{3}$/;
export const POSTCODE_PATTERN = /^[0-9]{5}$/;

export const territoryErrors = {
  /** `criterion` completes the sentence: « au code INSEE 69999 », « à l'identifiant « paris » ». */
  collectivityNotFound: (criterion: string) =>
    DomainError.notFound(TerritoryErrorCodes.COLLECTIVITY_NOT_FOUND, `Aucune collectivité ne correspond ${criterion}.`),
  inseeCodeInvalid: (code: string) =>
    DomainError.invalid(TerritoryErrorCodes.INSEE_CODE_INVALID, `« ${code} » n'est pas un code INSEE de commune (5 caractères, ex. 69091).`, [
      { path: 'inseeCode', code: 'PATTERN', message: 'Code INSEE attendu sur 5 caractères, ex. 69091.' },
    ]),
  postcodeInvalid: (postcode: string) =>
    DomainError.invalid(TerritoryErrorCodes.POSTCODE_INVALID, `« ${postcode} » n'est pas un code postal (5 chiffres, ex. 69700).`, [
      { path: 'postcode', code: 'PATTERN', message: 'Code postal attendu sur 5 chiffres, ex. 69700.' },
    ]),
  referenceDataMissing: (what: string) =>
    DomainError.conflict(
      TerritoryErrorCodes.REFERENCE_DATA_MISSING,
      `Données de référence du territoire absentes (${what}) : chargez-les d'abord (npm run seed).`,
    ),
};
