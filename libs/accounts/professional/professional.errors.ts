/** Stable error codes of professional accounts (companies and mandates). */
export const ProfessionalErrors = {
  COMPANY_NUMBER_INVALID: 'PRO_COMPANY_NUMBER_INVALID',
  COMPANY_NOT_FOUND: 'PRO_COMPANY_NOT_FOUND',
  COMPANY_CLOSED: 'PRO_COMPANY_CLOSED',
  REGISTRY_UNAVAILABLE: 'PRO_REGISTRY_UNAVAILABLE',
  NOT_CERTIFIED: 'PRO_NOT_CERTIFIED',
  NOT_A_LEADER: 'PRO_NOT_A_LEADER',
  INVALID_INPUT: 'PRO_INVALID_INPUT',
  MANDATE_EXISTS: 'PRO_MANDATE_EXISTS',
  MANDATE_NOT_FOUND: 'PRO_MANDATE_NOT_FOUND',
  REQUEST_INVALID: 'PRO_REQUEST_INVALID',
  OWN_REQUEST: 'PRO_OWN_REQUEST',
  TOO_MANY_REQUESTS: 'PRO_TOO_MANY_REQUESTS',
} as const;

export const COMPANY_NUMBER_MESSAGE = 'Indiquez un numéro SIREN (9 chiffres) ou SIRET (14 chiffres) valide : le numéro saisi est mal formé ou sa clé de contrôle est fausse.';
export const REGISTRY_UNAVAILABLE_MESSAGE =
  'Le répertoire national des entreprises ne répond pas pour le moment : l’entreprise ne peut pas être vérifiée. Réessayez dans quelques minutes.';
export const NOT_CERTIFIED_MESSAGE =
  'Pour agir comme dirigeant, votre identité doit être certifiée par FranceConnect : reliez votre compte à FranceConnect (« Mon compte » → FranceConnect), puis recommencez.';
export const REQUEST_INVALID_MESSAGE =
  'Ce lien de demande de mandat n’est plus valable : la demande a déjà reçu une réponse, a été retirée, ou le délai pour y répondre est dépassé.';
