import busboy from 'busboy';
import type { Request } from 'express';
import { DomainError } from '#core';
import { MULTIPART_INVALID } from '../multipart.js';

/** A submission typed in by an agent: text fields (repeated names kept as lists) and files by field name. */
export interface OnBehalfForm {
  fields: Record<string, string | string[]>;
  files: { fieldId: string; name: string; content: Buffer }[];
}

/** Per-file ceiling while reading; each file field's own limit is then checked by the engine. */
const MAX_FILE_BYTES = 20 * 1024 * 1024;
const MAX_FILES = 20;

/**
 * Reads the on-behalf form like `readMultipart` (apps/backoffice/multipart.ts), which is sized for messages
 * (20 fields, files without their field name): here a whole téléservice form arrives, and each file keeps the
 * name of its file field (`f.<fieldId>`). An empty file input is ignored.
 */
export function readOnBehalfMultipart(req: Request): Promise<OnBehalfForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: MAX_FILES, fileSize: MAX_FILE_BYTES, fields: 1000, fieldSize: 100 * 1024, parts: 1100 }, defParamCharset: 'utf8' });
    } catch {
      reject(DomainError.invalid(MULTIPART_INVALID, 'Le formulaire envoyé est illisible.'));
      return;
    }
    const form: OnBehalfForm = { fields: {}, files: [] };
    let failure: DomainError | null = null;
    const fail = (error: DomainError) => (failure ??= error);
    parser.on('field', (name, value) => {
      const previous = form.fields[name];
      form.fields[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(DomainError.invalid(MULTIPART_INVALID, `Un fichier dépasse la taille maximale (${MAX_FILE_BYTES / 1024 / 1024} Mo).`)));
      stream.on('end', () => {
        const content = Buffer.concat(chunks);
        if (info.filename && content.length > 0 && name.startsWith('f.')) form.files.push({ fieldId: name.slice(2), name: info.filename, content });
      });
    });
    parser.on('filesLimit', () => fail(DomainError.invalid(MULTIPART_INVALID, `${MAX_FILES} fichiers au plus.`)));
    parser.on('error', () => fail(DomainError.invalid(MULTIPART_INVALID, 'Le formulaire envoyé est illisible.')));
    parser.on('close', () => (failure ? reject(failure) : resolve(form)));
    req.pipe(parser);
  });
}
