/** Stable error codes of the accounts domain. */
export const AccountErrors = {
  INVALID_INPUT: 'ACCOUNT_INVALID_INPUT',
  INVALID_CREDENTIALS: 'ACCOUNT_INVALID_CREDENTIALS',
  EMAIL_NOT_VERIFIED: 'ACCOUNT_EMAIL_NOT_VERIFIED',
  TOKEN_INVALID: 'ACCOUNT_TOKEN_INVALID',
  THROTTLED: 'ACCOUNT_THROTTLED',
  CERTIFIED_ATTRIBUTE: 'ACCOUNT_CERTIFIED_ATTRIBUTE',
  EMAIL_TAKEN: 'ACCOUNT_EMAIL_TAKEN',
  CONSENT_NOT_FOUND: 'ACCOUNT_CONSENT_NOT_FOUND',
  CLIENT_INVALID: 'OIDC_CLIENT_INVALID',
  CLIENT_NOT_FOUND: 'OIDC_CLIENT_NOT_FOUND',
  CLIENT_EXISTS: 'OIDC_CLIENT_EXISTS',
} as const;

/** The one message for a failed login, whatever failed (unknown email, wrong password): no enumeration. */
export const INVALID_CREDENTIALS_MESSAGE = 'Adresse électronique ou mot de passe incorrect.';
export const TOKEN_INVALID_MESSAGE = "Ce lien n'est plus valable : il a déjà servi ou il a expiré. Vous pouvez en demander un nouveau.";
