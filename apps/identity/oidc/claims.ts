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
  // `parvis_sms_consent`: the choice « Recevoir les SMS de suivi de mes démarches », for Parvis' own portal only (accountClaims).
  phone: ['phone_number', 'phone_number_verified', 'parvis_sms_consent'],
  certification: ['certification_level', 'certification_source'],
  // FranceConnect's `birth` scope: place and country of birth (INSEE codes), held only as certified by FranceConnect.
  birth: ['birthplace', 'birthcountry'],
  // « Dites-le-nous une fois »: data the administration holds (API Particulier), for a certified identity only,
  // fetched at the userinfo endpoint (libs/accounts/administration-data, docs/tell-us-once.md).
  quotient_familial: ['quotient_familial'],
  droits_sociaux: ['droits_sociaux'],
  // Professional accounts: the person's active mandates to act for companies, apart from the personal profile
  // (libs/accounts/professional, docs/professional-accounts.md).
  mandats: ['mandats'],
};

/**
 * Every claim of an account; the provider keeps those of the granted scopes and replaces `sub` by the pairwise one.
 * Birth place and country come from the FranceConnect link (certified), only while it exists.
 */
export function accountClaims(
  account: Account,
  franceConnect?: Pick<FranceConnectLink, 'birthplace' | 'birthcountry'> | null,
  /** `parvisPortal`: the client is Parvis' own portal, which alone learns the SMS choice (with the `phone` scope). */
  audience: { parvisPortal?: boolean } = {},
): Record<string, unknown> {
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
  // The SMS choice (docs/worker.md § SMS): Parvis' portal only; partners granted `phone` get the number alone.
  if (audience.parvisPortal) claims.parvis_sms_consent = account.smsConsent === true;
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
  quotient_familial: {
    label: 'Votre quotient familial, détenu par la CAF ou la MSA',
    detail: 'son montant et le mois auquel il s’applique, demandés directement à votre caisse au lieu d’une attestation ; seulement si votre identité est certifiée par FranceConnect',
  },
  droits_sociaux: {
    label: 'Vos droits sociaux, détenus par l’Assurance maladie, la CAF ou la MSA',
    detail:
      'si vous bénéficiez de la Complémentaire santé solidaire ou du RSA, et depuis quand, pour vos droits à des tarifs réduits ou gratuits, au lieu d’un justificatif ; seulement si votre identité est certifiée par FranceConnect',
  },
  mandats: {
    label: 'Vos mandats professionnels',
    detail:
      'les entreprises pour lesquelles vous agissez (numéros SIREN et SIRET, dénomination), comme dirigeant ou comme mandataire, et depuis quand ; ces données professionnelles sont distinctes de vos données personnelles',
  },
};
