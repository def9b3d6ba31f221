import { Injectable } from '@nestjs/common';
import type { Account } from '../entities/account.entity.js';
import type { FranceConnectLink } from '../franceconnect/franceconnect-link.entity.js';
import { type AdministrationDataKind, type AdministrationValues, type CertifiedIdentity, type QuotientFamilial, type SocialRight } from './api-particulier.js';
import { ApiParticulierClient, type Lookup } from './api-particulier.client.js';

/**
 * « Dites-le-nous une fois »: the OIDC scopes releasing data the administration holds, and what each asks
 * API Particulier for. `quotient_familial` → the family quotient (CAF or MSA); `droits_sociaux` → the
 * Complémentaire santé solidaire and RSA statuses (rights to reduced or free fares).
 */
export const TELL_US_ONCE_SCOPES: Record<'quotient_familial' | 'droits_sociaux', readonly AdministrationDataKind[]> = {
  quotient_familial: ['quotient_familial'],
  droits_sociaux: ['complementaire_sante_solidaire', 'revenu_solidarite_active'],
};

/** The administration holding each kind of data, as the claims and the pages name it. */
export const DATA_HOLDERS: Record<AdministrationDataKind, string> = {
  quotient_familial: 'CAF ou MSA',
  complementaire_sante_solidaire: 'Assurance maladie',
  revenu_solidarite_active: 'CAF ou MSA',
};

/** An account's data at the administration, each kind looked up live. */
export type AdministrationOverview =
  | { status: 'disabled' }
  | { status: 'not_certified' }
  | { status: 'certified'; lookups: { [K in AdministrationDataKind]: Lookup<AdministrationValues[K]> } };

type CertifiedAccount = Pick<Account, 'certificationLevel' | 'certificationSource' | 'givenName' | 'familyName' | 'birthdate' | 'gender'>;
type LinkAttributes = Pick<FranceConnectLink, 'birthplace' | 'birthcountry'>;

/**
 * Data the administration already holds about a person, shared with a service instead of a paper proof. Asked
 * only with the identity certified by FranceConnect (API Particulier matches a person on it): an account not
 * certified, or no longer linked, gets nothing. Nothing is stored: each question goes to API Particulier.
 */
@Injectable()
export class AdministrationData {
  constructor(private readonly client: ApiParticulierClient) {}

  get enabled(): boolean {
    return this.client.enabled;
  }

  /** The certified identity API Particulier is asked with, or null (not certified by FranceConnect, or not linked any more). */
  certifiedIdentity(account: CertifiedAccount, link: LinkAttributes | null | undefined): CertifiedIdentity | null {
    if (!link || account.certificationLevel !== 'eidas1' || account.certificationSource !== 'franceconnect') return null;
    const { givenName, familyName, birthdate, gender } = account;
    if (!givenName || !familyName || !birthdate || (gender !== 'male' && gender !== 'female')) return null;
    return { givenName, familyName, birthdate, gender, birthplace: link.birthplace, birthcountry: link.birthcountry };
  }

  /**
   * The claims of the granted tell-us-once scopes among `scopes`: `quotient_familial` and `droits_sociaux`, each
   * with its source and the time it was obtained. A claim is left out when the account is not certified, when the
   * administration holds nothing, or when API Particulier does not answer in time (the login goes on without it).
   */
  async claims(account: CertifiedAccount, link: LinkAttributes | null | undefined, scopes: Iterable<string>): Promise<Record<string, unknown>> {
    const granted = new Set(scopes);
    const kinds = (Object.keys(TELL_US_ONCE_SCOPES) as (keyof typeof TELL_US_ONCE_SCOPES)[]).filter((scope) => granted.has(scope)).flatMap((scope) => TELL_US_ONCE_SCOPES[scope]);
    if (!kinds.length || !this.enabled) return {};
    const identity = this.certifiedIdentity(account, link);
    if (!identity) return {};
    const lookups = new Map(await Promise.all(kinds.map(async (kind) => [kind, await this.client.lookup(kind, identity)] as const)));
    const claims: Record<string, unknown> = {};
    const qf = lookups.get('quotient_familial') as Lookup<QuotientFamilial> | undefined;
    if (qf?.status === 'found') claims.quotient_familial = { ...qf.value, date: qf.retrievedAt.toISOString() };
    const rights: Record<string, unknown> = {};
    const c2s = lookups.get('complementaire_sante_solidaire') as Lookup<SocialRight> | undefined;
    if (c2s?.status === 'found') rights.complementaire_sante_solidaire = rightClaim(c2s.value, 'avec_participation', DATA_HOLDERS.complementaire_sante_solidaire, c2s.retrievedAt);
    const rsa = lookups.get('revenu_solidarite_active') as Lookup<SocialRight> | undefined;
    if (rsa?.status === 'found') rights.revenu_solidarite_active = rightClaim(rsa.value, 'avec_majoration', DATA_HOLDERS.revenu_solidarite_active, rsa.retrievedAt);
    if (Object.keys(rights).length) claims.droits_sociaux = rights;
    return claims;
  }

  /** Every kind of data, looked up live, for the account area's « Mes justificatifs partagés ». */
  async overview(account: CertifiedAccount, link: LinkAttributes | null | undefined): Promise<AdministrationOverview> {
    if (!this.enabled) return { status: 'disabled' };
    const identity = this.certifiedIdentity(account, link);
    if (!identity) return { status: 'not_certified' };
    const [quotient_familial, complementaire_sante_solidaire, revenu_solidarite_active] = await Promise.all([
      this.client.lookup('quotient_familial', identity),
      this.client.lookup('complementaire_sante_solidaire', identity),
      this.client.lookup('revenu_solidarite_active', identity),
    ]);
    return { status: 'certified', lookups: { quotient_familial, complementaire_sante_solidaire, revenu_solidarite_active } };
  }
}

function rightClaim(right: SocialRight, optionName: string, source: string, retrievedAt: Date): Record<string, unknown> {
  return { beneficiaire: right.beneficiaire, [optionName]: right.option, depuis: right.depuis, source, date: retrievedAt.toISOString() };
}
