import { DomainError, type FieldError } from '#core';

/** Stable codes of the téléservices' domain errors. */
export const TeleserviceErrorCodes = {
  TELESERVICE_NOT_FOUND: 'TELESERVICE_NOT_FOUND',
  TELESERVICE_INVALID: 'TELESERVICE_INVALID',
  TELESERVICE_SLUG_TAKEN: 'TELESERVICE_SLUG_TAKEN',
  INSTANCE_NOT_FOUND: 'TELESERVICE_INSTANCE_NOT_FOUND',
  DRAFT_EXISTS: 'TELESERVICE_DRAFT_EXISTS',
  DRAFT_NOT_FOUND: 'TELESERVICE_DRAFT_NOT_FOUND',
  VERSION_IMMUTABLE: 'TELESERVICE_VERSION_IMMUTABLE',
  DEFINITION_INVALID: 'TELESERVICE_DEFINITION_INVALID',
  API_KEY_INVALID: 'API_KEY_INVALID',
  API_KEY_NOT_FOUND: 'API_KEY_NOT_FOUND',
  API_KEY_INPUT_INVALID: 'API_KEY_INPUT_INVALID',
} as const;

export const teleserviceErrors = {
  notFound: () => DomainError.notFound(TeleserviceErrorCodes.TELESERVICE_NOT_FOUND, 'Téléservice introuvable.'),
  invalid: (fields: FieldError[]) =>
    DomainError.invalid(TeleserviceErrorCodes.TELESERVICE_INVALID, 'Le téléservice est invalide.', fields),
  slugTaken: (slug: string) =>
    DomainError.conflict(TeleserviceErrorCodes.TELESERVICE_SLUG_TAKEN, `L'identifiant « ${slug} » est déjà utilisé sur cette instance.`),
  instanceNotFound: () =>
    DomainError.notFound(TeleserviceErrorCodes.INSTANCE_NOT_FOUND, "Instance introuvable, inactive ou d'une autre collectivité."),
  draftExists: () =>
    DomainError.conflict(TeleserviceErrorCodes.DRAFT_EXISTS, 'Une version brouillon existe déjà pour ce téléservice.'),
  draftNotFound: () =>
    DomainError.notFound(TeleserviceErrorCodes.DRAFT_NOT_FOUND, "Ce téléservice n'a pas de version brouillon."),
  versionImmutable: () =>
    DomainError.conflict(
      TeleserviceErrorCodes.VERSION_IMMUTABLE,
      'Une version publiée ne peut être ni modifiée ni supprimée : créez une nouvelle version brouillon.',
    ),
  definitionInvalid: (fields: FieldError[]) =>
    DomainError.invalid(TeleserviceErrorCodes.DEFINITION_INVALID, 'La définition du téléservice est invalide.', fields),
  apiKeyInvalid: () => new DomainError(TeleserviceErrorCodes.API_KEY_INVALID, "Clé d'API invalide ou révoquée.", 'unauthenticated'),
  apiKeyInputInvalid: (fields: FieldError[]) =>
    DomainError.invalid(TeleserviceErrorCodes.API_KEY_INPUT_INVALID, "La clé d'API est invalide.", fields),
  apiKeyNotFound: () => DomainError.notFound(TeleserviceErrorCodes.API_KEY_NOT_FOUND, "Clé d'API introuvable."),
};
