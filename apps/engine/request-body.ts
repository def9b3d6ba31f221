import { UnsupportedMediaTypeException } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { FieldError } from '#core';
import { engineErrorsForApi } from './engine-api.errors.js';
import type { Logger } from 'pino';
import { sendJsonError } from '#platform';

/** Largest JSON body of the partner API (files travel base64-encoded inside it). */
export const API_BODY_LIMIT_BYTES = 20 * 1024 * 1024;

const parseJson = express.json({ limit: API_BODY_LIMIT_BYTES });

/** Requests whose body the API reads: those carrying an API key (the others get their 401 without it being read). */
export const API_KEY_BEARER = /^Bearer\s+pvk_/i;

/**
 * JSON parser of /api/v1 (the platform's 1 MB parser is skipped there): larger limit for base64 files, run
 * only for requests carrying an API key (others get their 401 without their body being read). Malformed JSON
 * answers 400, too large 413, in the API's error shape (the platform's, as the direct route answers them).
 */
export function apiJsonBody(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!API_KEY_BEARER.test(req.headers.authorization ?? '')) return next();
    parseJson(req, res, (error?: unknown) => {
      if (!error) return next();
      sendJsonError(res, error, { logger, method: req.method, path: req.path });
    });
  };
}

/** The JSON object of a write request; 415 for another content type, 422 for a JSON that is not an object. */
export function jsonObject(req: Request): Record<string, unknown> {
  if (!req.is('application/json')) throw new UnsupportedMediaTypeException();
  return asJsonObject(req.body);
}

/** 422 for a JSON that is not an object. */
export function asJsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw engineErrorsForApi.requestInvalid([{ path: '', code: 'INVALID_TYPE', message: 'Un objet JSON est attendu.' }]);
  }
  return body as Record<string, unknown>;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes `{ name, contentBase64 }` items; errors carry their path. */
export function decodeFiles(raw: unknown, path: string, errors: FieldError[]): { name: string; content: Buffer }[] {
  if (!Array.isArray(raw)) {
    errors.push({ path, code: 'INVALID_TYPE', message: 'Liste de fichiers attendue : [{ name, contentBase64 }].' });
    return [];
  }
  const files: { name: string; content: Buffer }[] = [];
  raw.forEach((item: unknown, i) => {
    const file = item as { name?: unknown; contentBase64?: unknown } | null;
    const at = `${path}[${i}]`;
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      errors.push({ path: at, code: 'INVALID_TYPE', message: 'Fichier attendu : { name, contentBase64 }.' });
      return;
    }
    for (const key of Object.keys(file)) {
      if (key !== 'name' && key !== 'contentBase64') errors.push({ path: `${at}.${key}`, code: 'UNKNOWN_FIELD', message: 'Propriété inconnue.' });
    }
    if (typeof file.name !== 'string' || file.name.trim() === '' || file.name.length > 255) {
      errors.push({ path: `${at}.name`, code: 'INVALID_FORMAT', message: 'Nom de fichier attendu (255 caractères au plus).' });
    }
    const content = typeof file.contentBase64 === 'string' ? file.contentBase64.replace(/\s+/g, '') : null;
    if (content === null || content.length % 4 !== 0 || !BASE64.test(content)) {
      errors.push({ path: `${at}.contentBase64`, code: 'INVALID_FORMAT', message: 'Contenu attendu encodé en base64.' });
      return;
    }
    if (typeof file.name === 'string') files.push({ name: file.name, content: Buffer.from(content, 'base64') });
  });
  return files;
}
