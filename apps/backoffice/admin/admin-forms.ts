import type { Request } from 'express';
import { DomainError } from '#core';
import type { AdminActor } from './admin-access.js';

/** The body of a urlencoded form. */
export function formOf(req: Request): Record<string, unknown> {
  return (req.body ?? {}) as Record<string, unknown>;
}

export function text(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}

/** A checkbox group: one value or several. */
export function list(body: Record<string, unknown>, name: string): string[] {
  const value = body[name] ?? body[`${name}[]`];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Comma- or space-separated ids. */
export function ids(value: string): string[] {
  return value.split(/[\s,;]+/).map((v) => v.trim()).filter(Boolean);
}

export function actorOf(req: Request): AdminActor {
  return { sub: req.agent!.sub, email: req.webSession?.user?.email ?? null };
}

/** Field errors of a domain error as the error summary lists them (`id` = the field's input id). */
export function errorsOf(error: DomainError, idOf: (path: string) => string): { id?: string; message: string }[] {
  if (error.fields?.length) return error.fields.map((f) => ({ id: idOf(f.path), message: f.message }));
  return [{ message: error.message }];
}

/** Errors a person can fix or a state that refuses the change: shown on the page, everything else goes to the error filter. */
export function isShownOnPage(error: unknown): error is DomainError {
  return error instanceof DomainError && (error.kind === 'invalid' || error.kind === 'conflict');
}

const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });
export const when = (at: Date) => DATE_TIME.format(at);
/** A calendar day `YYYY-MM-DD` as French readers write it: `01/07/2026`. */
export const frenchDay = (day: string) => day.split('-').reverse().join('/');

export const SUB = /^[A-Za-z0-9_-]{1,128}$/;
