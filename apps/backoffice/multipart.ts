import busboy from 'busboy';
import type { Request } from 'express';
import { DomainError } from '#core';
import { MESSAGE_MAX_FILE_BYTES, MESSAGE_MAX_FILES } from '#demands';

export interface MultipartForm {
  fields: Record<string, string>;
  files: { name: string; content: Buffer }[];
}

export const MULTIPART_INVALID = 'MULTIPART_INVALID';

/**
 * Reads a `multipart/form-data` message form (text fields + up to MESSAGE_MAX_FILES files). Files are kept in
 * memory (PostMessage takes buffers); a file above MESSAGE_MAX_FILE_BYTES or too many files is refused with a
 * French message before anything is stored. An empty file input (no file chosen) is ignored.
 */
export function readMultipart(req: Request): Promise<MultipartForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: MESSAGE_MAX_FILES, fileSize: MESSAGE_MAX_FILE_BYTES, fields: 20, fieldSize: 64 * 1024, parts: 40 },
        defParamCharset: 'utf8',
      });
    } catch {
      reject(DomainError.invalid(MULTIPART_INVALID, 'Le formulaire envoyé est illisible.'));
      return;
    }
    const form: MultipartForm = { fields: {}, files: [] };
    let failure: DomainError | null = null;
    const fail = (error: DomainError) => (failure ??= error);
    parser.on('field', (name, value) => {
      if (!(name in form.fields)) form.fields[name] = value;
    });
    parser.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () =>
        fail(DomainError.invalid(MULTIPART_INVALID, `Un fichier dépasse la taille maximale (${MESSAGE_MAX_FILE_BYTES / 1024 / 1024} Mo).`, [{ path: 'files', code: 'FILE_TOO_LARGE', message: 'Fichier trop volumineux.' }])),
      );
      stream.on('end', () => {
        const content = Buffer.concat(chunks);
        if (info.filename && content.length > 0) form.files.push({ name: info.filename, content });
      });
    });
    parser.on('filesLimit', () =>
      fail(DomainError.invalid(MULTIPART_INVALID, `${MESSAGE_MAX_FILES} fichiers au plus.`, [{ path: 'files', code: 'TOO_MANY_FILES', message: `${MESSAGE_MAX_FILES} fichiers au plus.` }])),
    );
    parser.on('error', () => fail(DomainError.invalid(MULTIPART_INVALID, 'Le formulaire envoyé est illisible.')));
    parser.on('close', () => (failure ? reject(failure) : resolve(form)));
    req.pipe(parser);
  });
}
