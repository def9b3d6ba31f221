import { DomainError, type FieldError } from '#core';

/** Stable codes of the demands' use cases. */
export const EngineErrorCodes = {
  DEMAND_REQUEST_INVALID: 'DEMAND_REQUEST_INVALID',
  DEMAND_DATA_INVALID: 'DEMAND_DATA_INVALID',
  TELESERVICE_NOT_FOUND: 'TELESERVICE_NOT_FOUND',
  TELESERVICE_CLOSED: 'TELESERVICE_CLOSED',
  TELESERVICE_ARCHIVED: 'TELESERVICE_ARCHIVED',
  TELESERVICE_NOT_PUBLISHED: 'TELESERVICE_NOT_PUBLISHED',
  ANONYMOUS_NOT_ALLOWED: 'DEMAND_ANONYMOUS_NOT_ALLOWED',
} as const;

export const engineErrors = {
  requestInvalid: (fields: FieldError[]) =>
    DomainError.invalid(EngineErrorCodes.DEMAND_REQUEST_INVALID, 'La requête est incomplète ou mal formée.', fields),
  dataInvalid: (fields: FieldError[]) =>
    DomainError.invalid(
      EngineErrorCodes.DEMAND_DATA_INVALID,
      fields.length === 1 ? 'Les données envoyées contiennent une erreur.' : `Les données envoyées contiennent ${fields.length} erreurs.`,
      fields,
    ),
  teleserviceNotFound: () => DomainError.notFound(EngineErrorCodes.TELESERVICE_NOT_FOUND, 'Téléservice introuvable.'),
  closed: (opensAt: Date | null) =>
    DomainError.conflict(
      EngineErrorCodes.TELESERVICE_CLOSED,
      opensAt
        ? `Ce téléservice n'est pas ouvert : dépôt possible à partir du ${frenchDate(opensAt)}.`
        : 'Ce téléservice est fermé : il ne reçoit plus de demandes.',
    ),
  archived: () => new DomainError(EngineErrorCodes.TELESERVICE_ARCHIVED, "Ce téléservice n'est plus proposé.", 'gone'),
  notPublished: () => DomainError.conflict(EngineErrorCodes.TELESERVICE_NOT_PUBLISHED, "Ce téléservice n'a pas encore de version publiée."),
  anonymousNotAllowed: () =>
    DomainError.forbidden(EngineErrorCodes.ANONYMOUS_NOT_ALLOWED, 'Ce téléservice demande de vous connecter à votre compte pour déposer une demande.'),
};

function frenchDate(at: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(at);
}
