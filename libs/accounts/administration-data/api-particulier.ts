/**
 * API Particulier (https://particulier.api.gouv.fr), version 3, « identité » mode: the pure part of the adapter —
 * the request built from an identity certified by FranceConnect, and the parsing of the answers. No I/O here
 * (api-particulier.client.ts does the HTTP).
 *
 * Endpoints used (all `GET`, `Authorization: Bearer <jeton>`, JSON):
 * - `/v3/dss/quotient_familial/identite` → `{ data: { quotient_familial: { fournisseur: "CNAF"|"MSA", valeur,
 *   annee, mois, annee_calcul, mois_calcul }, allocataires: [...], enfants: [...], adresse: {...} } }`
 * - `/v3/dss/complementaire_sante_solidaire/identite` → `{ data: { est_beneficiaire, avec_participation, date_debut_droit } }`
 * - `/v3/dss/revenu_solidarite_active/identite` → `{ data: { est_beneficiaire, avec_majoration, date_debut_droit } }`
 * Query: `recipient` (SIRET of the administration asking), `nomNaissance`, `prenoms[]` (one per given name),
 * `anneeDateNaissance`, `moisDateNaissance`, `jourDateNaissance`, `sexeEtatCivil` (`F`/`M`),
 * `codeCogInseePaysNaissance`, and `codeCogInseeCommuneNaissance` when born in France.
 * Errors: `{ errors: [{ code, title, detail, source, meta: { provider } }] }`; 404 = the administration holds no
 * file for this person.
 *
 * Only what a service needs is kept (data minimisation): the family quotient's value, provider and month — never
 * the household's names, children or address that the quotient endpoint also returns.
 */

import type { PivotIdentity } from '../franceconnect/pivot-identity.js';

/** What Parvis can ask the administration for. */
export type AdministrationDataKind = 'quotient_familial' | 'complementaire_sante_solidaire' | 'revenu_solidarite_active';

export const ADMINISTRATION_DATA_KINDS: readonly AdministrationDataKind[] = ['quotient_familial', 'complementaire_sante_solidaire', 'revenu_solidarite_active'];

/** API Particulier's path of each kind. */
export const API_PARTICULIER_PATHS: Record<AdministrationDataKind, string> = {
  quotient_familial: '/v3/dss/quotient_familial/identite',
  complementaire_sante_solidaire: '/v3/dss/complementaire_sante_solidaire/identite',
  revenu_solidarite_active: '/v3/dss/revenu_solidarite_active/identite',
};

/** The identity FranceConnect certified (the account's certified attributes and its FranceConnect link). */
export type CertifiedIdentity = Pick<PivotIdentity, 'givenName' | 'familyName' | 'birthdate' | 'gender' | 'birthplace' | 'birthcountry'>;

/** The family quotient as a service receives it. */
export interface QuotientFamilial {
  valeur: number;
  /** Who computed it: the CAF (CNAF) or the MSA. */
  source: 'CAF' | 'MSA';
  /** Month the quotient applies to, `YYYY-MM`. */
  mois: string;
}

/** A social benefit (C2S, RSA): whether the person receives it, and since when. */
export interface SocialRight {
  beneficiaire: boolean;
  /** `YYYY-MM-DD`, or null when not a beneficiary. */
  depuis: string | null;
  /** C2S: with a financial participation (C2S « participative »); RSA: with the single-parent increase. */
  option: boolean | null;
}

export interface AdministrationValues {
  quotient_familial: QuotientFamilial;
  complementaire_sante_solidaire: SocialRight;
  revenu_solidarite_active: SocialRight;
}

/** The query string of an « identité » call (without `recipient`, added by the client). */
export function identityQuery(identity: CertifiedIdentity): URLSearchParams {
  const [year, month, day] = identity.birthdate.split('-').map(Number);
  const query = new URLSearchParams();
  query.set('nomNaissance', identity.familyName.toUpperCase());
  for (const name of identity.givenName.split(/\s+/).filter(Boolean)) query.append('prenoms[]', name.toUpperCase());
  query.set('anneeDateNaissance', String(year));
  query.set('moisDateNaissance', String(month));
  query.set('jourDateNaissance', String(day));
  query.set('sexeEtatCivil', identity.gender === 'female' ? 'F' : 'M');
  query.set('codeCogInseePaysNaissance', identity.birthcountry);
  if (identity.birthplace) query.set('codeCogInseeCommuneNaissance', identity.birthplace);
  return query;
}

/** An answer API Particulier sent that does not have the documented shape. */
export class UnexpectedAnswer extends Error {
  constructor(what: string) {
    super(`Réponse d’API Particulier inattendue : ${what}`);
    this.name = 'UnexpectedAnswer';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function dataOf(body: unknown): Record<string, unknown> {
  if (!isObject(body) || !isObject(body.data)) throw new UnexpectedAnswer('objet « data » absent');
  return body.data;
}

/** `{ data: { quotient_familial: {...} } }` → the family quotient. */
export function parseQuotientFamilial(body: unknown): QuotientFamilial {
  const qf = dataOf(body).quotient_familial;
  if (!isObject(qf)) throw new UnexpectedAnswer('« quotient_familial » absent');
  const { fournisseur, valeur, annee, mois } = qf;
  if (fournisseur !== 'CNAF' && fournisseur !== 'MSA') throw new UnexpectedAnswer('fournisseur inconnu');
  if (typeof valeur !== 'number' || !Number.isInteger(valeur) || valeur < 0) throw new UnexpectedAnswer('valeur invalide');
  if (typeof annee !== 'number' || typeof mois !== 'number' || !Number.isInteger(annee) || !Number.isInteger(mois) || mois < 1 || mois > 12) {
    throw new UnexpectedAnswer('mois du quotient invalide');
  }
  return { valeur, source: fournisseur === 'CNAF' ? 'CAF' : 'MSA', mois: `${annee}-${String(mois).padStart(2, '0')}` };
}

function parseRight(body: unknown, option: 'avec_participation' | 'avec_majoration'): SocialRight {
  const data = dataOf(body);
  if (typeof data.est_beneficiaire !== 'boolean') throw new UnexpectedAnswer('« est_beneficiaire » absent');
  const since = data.date_debut_droit;
  if (since !== null && since !== undefined && (typeof since !== 'string' || !ISO_DATE.test(since))) throw new UnexpectedAnswer('date de début de droit invalide');
  const flag = data[option];
  if (flag !== null && flag !== undefined && typeof flag !== 'boolean') throw new UnexpectedAnswer(`« ${option} » invalide`);
  return {
    beneficiaire: data.est_beneficiaire,
    depuis: data.est_beneficiaire ? (since ?? null) : null,
    option: data.est_beneficiaire ? (flag ?? null) : null,
  };
}

/** `{ data: { est_beneficiaire, avec_participation, date_debut_droit } }` → the C2S status. */
export function parseComplementaireSanteSolidaire(body: unknown): SocialRight {
  return parseRight(body, 'avec_participation');
}

/** `{ data: { est_beneficiaire, avec_majoration, date_debut_droit } }` → the RSA status. */
export function parseRevenuSolidariteActive(body: unknown): SocialRight {
  return parseRight(body, 'avec_majoration');
}

export const PARSERS: { [K in AdministrationDataKind]: (body: unknown) => AdministrationValues[K] } = {
  quotient_familial: parseQuotientFamilial,
  complementaire_sante_solidaire: parseComplementaireSanteSolidaire,
  revenu_solidarite_active: parseRevenuSolidariteActive,
};

/** The first error code of an API Particulier error body (`{ errors: [{ code }] }`), for logs; never personal data. */
export function errorCode(body: unknown): string | null {
  if (!isObject(body) || !Array.isArray(body.errors)) return null;
  const first: unknown = body.errors[0];
  return isObject(first) && typeof first.code === 'string' && /^[\w-]{1,20}$/.test(first.code) ? first.code : null;
}
