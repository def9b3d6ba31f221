import { DomainError, type FieldError } from '#core';

export const EngineApiErrorCodes = { API_REQUEST_INVALID: 'API_REQUEST_INVALID' } as const;

export const engineErrorsForApi = {
  requestInvalid: (fields: FieldError[]) =>
    DomainError.invalid(EngineApiErrorCodes.API_REQUEST_INVALID, 'La requête est incomplète ou mal formée.', fields),
};
