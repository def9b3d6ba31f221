import type { Response } from 'express';
import { DomainError, type FieldError } from '#core';

/** What a form page needs to show errors accessibly: a summary on top, each message linked to its field. */
export interface FormErrors {
  summary: { id: string; message: string }[];
  byField: Record<string, string>;
  message?: string;
}

export function formErrors(error: DomainError, ids: Record<string, string> = {}): FormErrors {
  const fields: FieldError[] = error.fields ?? [];
  const byField: Record<string, string> = {};
  for (const field of fields) byField[field.path] ??= field.message;
  return {
    message: error.message,
    byField,
    summary: fields.length
      ? Object.entries(byField).map(([path, message]) => ({ id: ids[path] ?? path, message }))
      : [{ id: ids._form ?? '', message: error.message }],
  };
}

/** Sensitive pages (forms, interactions) are never cached, by the browser or by a proxy. */
export function noStore(res: Response): Response {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  return res;
}

export const STATUS_OF_KIND: Record<string, number> = {
  invalid: 422,
  unauthenticated: 401,
  forbidden: 403,
  gone: 410,
  too_many: 429,
  conflict: 409,
  not_found: 404,
  unavailable: 503,
};
