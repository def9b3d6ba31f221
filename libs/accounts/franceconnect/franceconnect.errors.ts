/** Stable error codes of the FranceConnect federation. */
export const FranceConnectErrors = {
  DISABLED: 'FC_DISABLED',
  FLOW_INVALID: 'FC_FLOW_INVALID',
  RESPONSE_INVALID: 'FC_RESPONSE_INVALID',
  INVALID_IDENTITY: 'FC_INVALID_IDENTITY',
  SUB_ALREADY_LINKED: 'FC_SUB_ALREADY_LINKED',
  ACCOUNT_ALREADY_LINKED: 'FC_ACCOUNT_ALREADY_LINKED',
  EMAIL_TAKEN: 'FC_EMAIL_TAKEN',
  EMAIL_MISSING: 'FC_EMAIL_MISSING',
  CERTIFICATION_REQUIRED: 'FC_CERTIFICATION_REQUIRED',
  NOT_LINKED: 'FC_NOT_LINKED',
  PASSWORD_NEEDED: 'FC_PASSWORD_NEEDED',
} as const;

export const SUB_ALREADY_LINKED_MESSAGE =
  'Cette identité FranceConnect est déjà reliée à un autre compte territorial. Connectez-vous à ce compte avec FranceConnect, ou contactez le support si vous ne le reconnaissez pas.';

export const CERTIFICATION_REQUIRED_MESSAGE =
  'Ce service demande une identité certifiée : identifiez-vous avec FranceConnect. Votre mot de passe seul ne suffit pas ici.';
