import { DomainError } from '#core';

/** Stable codes of the demands' domain errors. */
export const DemandErrorCodes = {
  DEMAND_NOT_FOUND: 'DEMAND_NOT_FOUND',
  DEMAND_CONCURRENT_UPDATE: 'DEMAND_CONCURRENT_UPDATE',
  DEMAND_OUT_OF_SCOPE: 'DEMAND_OUT_OF_SCOPE',
  DEMAND_HISTORY_APPEND_ONLY: 'DEMAND_HISTORY_APPEND_ONLY',
  TRACKING_ACCESS_REFUSED: 'DEMAND_TRACKING_ACCESS_REFUSED',
  TRACKING_CODE_EXHAUSTED: 'DEMAND_TRACKING_CODE_EXHAUSTED',
  CURSOR_INVALID: 'DEMAND_CURSOR_INVALID',
  TENANT_SCOPE_INVALID: 'TENANT_SCOPE_INVALID',
  DRAFT_NOT_FOUND: 'DRAFT_NOT_FOUND',
  ATTACHMENT_TOO_LARGE: 'ATTACHMENT_TOO_LARGE',
  ATTACHMENT_TYPE_REFUSED: 'ATTACHMENT_TYPE_REFUSED',
  ATTACHMENT_NOT_FOUND: 'ATTACHMENT_NOT_FOUND',
  STORAGE_KEY_INVALID: 'STORAGE_KEY_INVALID',
} as const;

export const demandErrors = {
  notFound: () => DomainError.notFound(DemandErrorCodes.DEMAND_NOT_FOUND, 'Demande introuvable.'),
  concurrentUpdate: () =>
    DomainError.conflict(
      DemandErrorCodes.DEMAND_CONCURRENT_UPDATE,
      'La demande a été modifiée entre-temps par quelqu’un d’autre : rechargez-la puis recommencez.',
    ),
  outOfScope: () =>
    DomainError.forbidden(DemandErrorCodes.DEMAND_OUT_OF_SCOPE, "Cette demande ne relève pas d'une collectivité qui vous est accessible."),
  historyAppendOnly: () =>
    DomainError.conflict(DemandErrorCodes.DEMAND_HISTORY_APPEND_ONLY, "L'historique d'une demande ne peut être ni modifié ni supprimé."),
  trackingRefused: () =>
    DomainError.forbidden(DemandErrorCodes.TRACKING_ACCESS_REFUSED, 'Code de suivi ou code secret incorrect.'),
  trackingCodeExhausted: () =>
    DomainError.unavailable(DemandErrorCodes.TRACKING_CODE_EXHAUSTED, 'Impossible d’attribuer un code de suivi pour le moment : réessayez.'),
  cursorInvalid: () =>
    DomainError.invalid(DemandErrorCodes.CURSOR_INVALID, 'Curseur de pagination invalide.', [
      { path: 'cursor', code: 'INVALID', message: 'Curseur invalide : reprenez la liste depuis le début.' },
    ]),
  scopeInvalid: (detail: string) => DomainError.invalid(DemandErrorCodes.TENANT_SCOPE_INVALID, `Périmètre d'accès invalide : ${detail}.`),
  draftNotFound: () => DomainError.notFound(DemandErrorCodes.DRAFT_NOT_FOUND, 'Brouillon introuvable.'),
  attachmentTooLarge: (maxBytes: number) =>
    DomainError.invalid(DemandErrorCodes.ATTACHMENT_TOO_LARGE, `Le fichier dépasse la taille maximale autorisée (${formatBytes(maxBytes)}).`),
  attachmentTypeRefused: (detected: string) =>
    DomainError.invalid(DemandErrorCodes.ATTACHMENT_TYPE_REFUSED, `Ce type de fichier n'est pas accepté (type détecté : ${detected}).`),
  attachmentNotFound: () => DomainError.notFound(DemandErrorCodes.ATTACHMENT_NOT_FOUND, 'Fichier introuvable.'),
  storageKeyInvalid: () => DomainError.invalid(DemandErrorCodes.STORAGE_KEY_INVALID, 'Clé de stockage invalide.'),
};

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`;
  if (bytes >= 1024) return `${(bytes / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Ko`;
  return `${bytes} octets`;
}
