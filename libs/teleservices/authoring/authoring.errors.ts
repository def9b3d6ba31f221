import { DomainError, type FieldError } from '#core';

/** Stable codes of authoring, bundles and catalogue errors (next to TeleserviceErrorCodes). */
export const AuthoringErrorCodes = {
  COMMAND_INVALID: 'TELESERVICE_COMMAND_INVALID',
  FORBIDDEN: 'TELESERVICE_FORBIDDEN',
  KIND_NOT_ALLOWED: 'TELESERVICE_KIND_NOT_ALLOWED',
  ARCHIVED: 'TELESERVICE_ARCHIVED',
  VERSION_NOT_FOUND: 'TELESERVICE_VERSION_NOT_FOUND',
  NOT_PUBLISHED: 'TELESERVICE_NOT_PUBLISHED',
  BUNDLE_INVALID: 'TELESERVICE_BUNDLE_INVALID',
  PACK_NOT_FOUND: 'CATALOGUE_PACK_NOT_FOUND',
  PACK_NOT_ALLOWED: 'CATALOGUE_PACK_NOT_ALLOWED',
  PACK_UP_TO_DATE: 'CATALOGUE_PACK_UP_TO_DATE',
  PACK_FIXED: 'CATALOGUE_PACK_FIXED',
} as const;

export const authoringErrors = {
  commandInvalid: (fields: FieldError[]) => DomainError.invalid(AuthoringErrorCodes.COMMAND_INVALID, 'La demande est invalide.', fields),
  forbidden: () => DomainError.forbidden(AuthoringErrorCodes.FORBIDDEN, 'Seule la collectivité propriétaire peut modifier ou publier ce téléservice.'),
  kindNotAllowed: (fields: FieldError[]) =>
    DomainError.invalid(AuthoringErrorCodes.KIND_NOT_ALLOWED, "Ce type de téléservice n'est pas permis sur cette instance.", fields),
  archived: () => DomainError.conflict(AuthoringErrorCodes.ARCHIVED, 'Ce téléservice est archivé : il ne peut plus être modifié ni publié.'),
  versionNotFound: () => DomainError.notFound(AuthoringErrorCodes.VERSION_NOT_FOUND, 'Version introuvable pour ce téléservice.'),
  notPublished: () => DomainError.conflict(AuthoringErrorCodes.NOT_PUBLISHED, "Ce téléservice n'a aucune version publiée."),
  bundleInvalid: (fields: FieldError[]) =>
    DomainError.invalid(AuthoringErrorCodes.BUNDLE_INVALID, "Le paquet ne peut pas être importé : rien n'a été enregistré.", fields),
  packNotFound: () => DomainError.notFound(AuthoringErrorCodes.PACK_NOT_FOUND, 'Pack du catalogue introuvable.'),
  packNotAllowed: (reason: string) => DomainError.forbidden(AuthoringErrorCodes.PACK_NOT_ALLOWED, reason),
  packUpToDate: () => DomainError.conflict(AuthoringErrorCodes.PACK_UP_TO_DATE, 'Ce pack est déjà déployé dans sa dernière version.'),
  packFixed: () =>
    DomainError.forbidden(
      AuthoringErrorCodes.PACK_FIXED,
      'Le formulaire et le workflow d’un pack du catalogue sont fixés par la métropole : redéployez le pack pour suivre ses évolutions.',
    ),
};
