import type { Account, FranceConnectLink } from '#accounts';

/** `acr` of a login with the local password. */
export const ACR_LOCAL = 'urn:parvis:acr:local';
/** `acr` of an identity certified by FranceConnect (eIDAS substantial-low level), for the federation to come. */
export const ACR_EIDAS1 = 'eidas1';

/**
 * Whether an authorization request demands an identity certified by FranceConnect: `acr_values` names only
 * `eidas1` (a list that also names the local level is a preference, which a password login satisfies).
 * The `claims` parameter is off, so an essential `acr` cannot be asked that way.
 */
export function requiresCertifiedIdentity(acrValues: unknown): boolean {
  const values = typeof acrValues === 'string' ? acrValues.split(' ').filter(Boolean) : [];
  return values.length > 0 && values.every((value) => value === ACR_EIDAS1);
}

/** Which claims each scope releases (OpenID Connect Core §5.4, plus `certification`). */
export const CLAIMS_BY_SCOPE = {
  auth_time: null,
  iss: null,
  sid: null,
  // `acr` with `openid`: every relying party learns how the person was identified (local password, FranceConnect).
  openid: ['sub', 'acr'],
  profile: ['given_name', 'family_name', 'preferred_username', 'birthdate', 'gender'],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
  certification: ['certification_level', 'certification_source'],
  // FranceConnect's `birth` scope: place and country of birth (INSEE codes), held only as certified by FranceConnect.
  birth: ['birthplace', 'birthcountry'],
};

/**
 * Every claim of an account; the provider keeps those of the granted scopes and replaces `sub` by the pairwise one.
 * Birth place and country come from the FranceConnect link (certified), only while it exists.
 */
export function accountClaims(account: Account, franceConnect?: Pick<FranceConnectLink, 'birthplace' | 'birthcountry'> | null): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    sub: account.id,
    email: account.email,
    email_verified: Boolean(account.emailVerifiedAt),
    certification_level: account.certificationLevel,
    certification_source: account.certificationSource,
  };
  const optional: [string, unknown][] = [
    ['given_name', account.givenName],
    ['family_name', account.familyName],
    ['preferred_username', account.preferredUsername],
    ['birthdate', account.birthdate],
    ['gender', account.gender],
    ['address', account.address],
    ['phone_number', account.phone],
  ];
  for (const [name, value] of optional) if (value !== null && value !== undefined) claims[name] = value;
  if (account.phone) claims.phone_number_verified = false;
  if (franceConnect) {
    // An empty birthplace means born abroad (FranceConnect's convention): released as is, with the country.
    claims.birthplace = franceConnect.birthplace;
    claims.birthcountry = franceConnect.birthcountry;
  }
  return claims;
}

/** French wording of each scope for the consent screen. */
export const SCOPE_LABELS: Record<string, { label: string; detail: string }> = {
  profile: { label: 'Votre identité', detail: 'prénom, nom, nom d’usage, date de naissance, genre' },
  email: { label: 'Votre adresse électronique', detail: 'et si elle a été confirmée' },
  address: { label: 'Votre adresse postale', detail: '' },
  phone: { label: 'Votre numéro de téléphone', detail: '' },
  certification: { label: 'Le niveau de vérification de votre identité', detail: 'et par qui elle a été vérifiée (par exemple FranceConnect)' },
  birth: { label: 'Votre lieu de naissance', detail: 'commune et pays de naissance (codes INSEE), certifiés par FranceConnect' },
};
