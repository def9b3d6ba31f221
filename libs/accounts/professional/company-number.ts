import { DomainError } from '#core';
import { normaliseSiren, normaliseSiret } from '#forms';
import { COMPANY_NUMBER_MESSAGE, ProfessionalErrors } from './professional.errors.js';

/** A company number as entered: a SIREN (the legal unit) or a SIRET (one of its establishments). */
export interface CompanyNumber {
  siren: string;
  /** Set when a SIRET was entered. */
  siret: string | null;
}

/**
 * Reads a SIREN (9 digits) or a SIRET (14 digits), spaces allowed, checking the Luhn key (La Poste's SIRETs
 * follow their own rule: #forms). Refuses anything else with a field error on `field`.
 */
export function parseCompanyNumber(input: string, field = 'numero'): CompanyNumber {
  const compact = (input ?? '').replace(/[\s.]/g, '');
  if (!compact) {
    throw DomainError.invalid(ProfessionalErrors.COMPANY_NUMBER_INVALID, 'Le formulaire contient des erreurs.', [
      { path: field, code: 'REQUIRED', message: 'Indiquez le numéro SIREN ou SIRET de l’entreprise.' },
    ]);
  }
  if (compact.length === 9) {
    const siren = normaliseSiren(compact);
    if (siren) return { siren, siret: null };
  } else if (compact.length === 14) {
    const siret = normaliseSiret(compact);
    if (siret) return { siren: siret.slice(0, 9), siret };
  }
  throw DomainError.invalid(ProfessionalErrors.COMPANY_NUMBER_INVALID, 'Le formulaire contient des erreurs.', [
    { path: field, code: 'INVALID_FORMAT', message: COMPANY_NUMBER_MESSAGE },
  ]);
}
