import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { DomainError } from '#core';

export interface MultipartResult {
  fields: Record<string, string | string[]>;
  /** What the file handler answered for each file part, in order. */
  files: { field: string; outcome: unknown }[];
}

const MAX_FIELDS = 2_000;
const MAX_FILES = 20;

/**
 * Reads a multipart/form-data body with busboy: text fields into an object (repeated names → arrays), each file
 * part handed to `onFile` as it arrives (streamed, never buffered whole). `maxFileBytes` bounds every part;
 * the handler's own limit (the field's) is checked by the storage while streaming.
 */
export function readMultipart(
  req: Request,
  maxFileBytes: number,
  onFile: (field: string, name: string, stream: Readable) => Promise<unknown>,
): Promise<MultipartResult> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fields: MAX_FIELDS, files: MAX_FILES, fileSize: maxFileBytes + 1, fieldSize: 200_000 }, defParamCharset: 'utf8' });
    } catch {
      reject(DomainError.invalid('MULTIPART_INVALID', 'Le formulaire envoyé est mal formé.'));
      return;
    }
    const fields: Record<string, string | string[]> = Object.create(null);
    const files: { field: string; outcome: unknown }[] = [];
    const pending: Promise<void>[] = [];
    parser.on('field', (name, value) => {
      if (name === '__proto__' || name === 'constructor' || name === 'prototype') return;
      const previous = fields[name];
      fields[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
    });
    parser.on('file', (field, stream, info) => {
      if (!info.filename) {
        stream.resume(); // an empty file input
        return;
      }
      const entry = { field, outcome: undefined as unknown };
      files.push(entry);
      pending.push(
        onFile(field, info.filename, stream).then(
          (outcome) => void (entry.outcome = outcome),
          (error: unknown) => {
            stream.resume();
            entry.outcome = error;
          },
        ),
      );
    });
    parser.on('error', () => reject(DomainError.invalid('MULTIPART_INVALID', 'Le formulaire envoyé est mal formé ou a été interrompu.')));
    parser.on('close', () => {
      Promise.all(pending).then(() => resolve({ fields: { ...fields }, files }), reject);
    });
    req.pipe(parser);
  });
}

export function isMultipart(req: Request): boolean {
  return /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
}
