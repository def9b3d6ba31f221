import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Request } from 'express';
import type { FieldError } from '#core';

/** Per file part (the field's own `maxSizeBytes`, usually far lower, is enforced again when the file is stored). */
export const MULTIPART_MAX_FILE_BYTES = 100 * 1024 * 1024;
export const MULTIPART_MAX_FILES = 50;
/** The `data` part (JSON text) and the other text parts. */
export const MULTIPART_MAX_FIELD_BYTES = 5 * 1024 * 1024;

export interface SpooledFile {
  /** The part's name: a file field id, or `<blockId>[<index>].<subFieldId>`. */
  field: string;
  name: string;
  open(): Readable;
}

export interface SpooledForm {
  fields: Map<string, string>;
  files: SpooledFile[];
  errors: FieldError[];
  /** Deletes the spooled files: call it once the submission is done, whatever its outcome. */
  cleanup(): Promise<void>;
}

/**
 * Reads a `multipart/form-data` submission **streaming**: each file part is written as it arrives to a private
 * temporary folder (never held in memory), bounded by `MULTIPART_MAX_FILE_BYTES`, at most `MULTIPART_MAX_FILES`
 * files; text parts are bounded by `MULTIPART_MAX_FIELD_BYTES`. Problems are returned as field errors (paths
 * `files.<part>`, `data`…), never thrown, except an unreadable body (a field error on the empty path). The
 * use case then streams each spooled file to the attachment storage.
 */
export async function readMultipartSubmission(req: Request): Promise<SpooledForm> {
  const dir = await mkdtemp(join(tmpdir(), 'parvis-upload-'));
  const form: SpooledForm = { fields: new Map(), files: [], errors: [], cleanup: () => rm(dir, { recursive: true, force: true }) };
  try {
    await new Promise<void>((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({
          headers: req.headers,
          limits: { files: MULTIPART_MAX_FILES, fileSize: MULTIPART_MAX_FILE_BYTES, fields: 10, fieldSize: MULTIPART_MAX_FIELD_BYTES, parts: MULTIPART_MAX_FILES + 10 },
          defParamCharset: 'utf8',
        });
      } catch {
        form.errors.push({ path: '', code: 'INVALID_FORMAT', message: 'Corps multipart/form-data illisible (frontière absente).' });
        resolve();
        return;
      }
      const writes: Promise<void>[] = [];
      // In arrival order (writes may finish in another order): the order of a field's files is kept.
      const arrived: (SpooledFile | null)[] = [];
      let count = 0;
      parser.on('field', (name, value, info) => {
        if (info.valueTruncated) form.errors.push({ path: name, code: 'TOO_LONG', message: `Partie texte trop longue (${MULTIPART_MAX_FIELD_BYTES} octets au plus).` });
        else if (form.fields.has(name)) form.errors.push({ path: name, code: 'DUPLICATE', message: 'Partie texte en double.' });
        else form.fields.set(name, value);
      });
      parser.on('file', (field, stream, info) => {
        const path = join(dir, String(count++));
        const slot = arrived.push(null) - 1;
        let truncated = false;
        stream.on('limit', () => (truncated = true));
        writes.push(
          pipeline(stream, createWriteStream(path, { mode: 0o600 })).then(() => {
            if (truncated) form.errors.push({ path: `files.${field}`, code: 'FILE_TOO_LARGE', message: `Fichier trop volumineux (${MULTIPART_MAX_FILE_BYTES / 1024 / 1024} Mo au plus).` });
            else if (!info.filename) form.errors.push({ path: `files.${field}`, code: 'INVALID_FORMAT', message: 'Nom de fichier attendu (filename de la partie).' });
            else arrived[slot] = { field, name: info.filename, open: () => createReadStream(path) };
          }),
        );
      });
      parser.on('filesLimit', () => form.errors.push({ path: 'files', code: 'TOO_MANY_FILES', message: `${MULTIPART_MAX_FILES} fichiers au plus.` }));
      parser.on('error', (error) => reject(error as Error));
      parser.on('close', () =>
        Promise.all(writes).then(() => {
          form.files = arrived.filter((file): file is SpooledFile => file !== null);
          resolve();
        }, reject),
      );
      req.pipe(parser);
    });
  } catch {
    form.errors.push({ path: '', code: 'INVALID_FORMAT', message: 'Corps multipart/form-data illisible ou incomplet.' });
  }
  return form;
}
