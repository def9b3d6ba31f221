import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type { FieldError } from '#core';
import { readMultipartBody } from '#platform';

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
  let count = 0;
  try {
    const body = await readMultipartBody(
      req,
      { maxFiles: MULTIPART_MAX_FILES, maxFileBytes: MULTIPART_MAX_FILE_BYTES, maxFields: 10, maxFieldBytes: MULTIPART_MAX_FIELD_BYTES },
      async (part): Promise<SpooledFile | null> => {
        const path = join(dir, String(count++));
        await pipeline(part.stream, createWriteStream(path, { mode: 0o600 }));
        if (part.truncated()) {
          form.errors.push({ path: `files.${part.field}`, code: 'FILE_TOO_LARGE', message: `Fichier trop volumineux (${MULTIPART_MAX_FILE_BYTES / 1024 / 1024} Mo au plus).` });
          return null;
        }
        if (!part.filename) {
          form.errors.push({ path: `files.${part.field}`, code: 'INVALID_FORMAT', message: 'Nom de fichier attendu (filename de la partie).' });
          return null;
        }
        return { field: part.field, name: part.filename, open: () => createReadStream(path) };
      },
    );
    for (const [name, value] of Object.entries(body.fields)) {
      if (body.truncatedFields.includes(name)) form.errors.push({ path: name, code: 'TOO_LONG', message: `Partie texte trop longue (${MULTIPART_MAX_FIELD_BYTES} octets au plus).` });
      else if (Array.isArray(value)) form.errors.push({ path: name, code: 'DUPLICATE', message: 'Partie texte en double.' });
      else form.fields.set(name, value);
    }
    if (body.tooManyFiles) form.errors.push({ path: 'files', code: 'TOO_MANY_FILES', message: `${MULTIPART_MAX_FILES} fichiers au plus.` });
    // In arrival order (the writes may have finished in another order): the order of a field's files is kept.
    form.files = body.files.filter((file): file is SpooledFile => file !== null);
  } catch {
    // No boundary, a cut-off body or malformed parts: the body is unusable as a whole.
    form.errors.push({ path: '', code: 'INVALID_FORMAT', message: 'Corps multipart/form-data illisible (frontière absente, corps incomplet ou mal formé).' });
  }
  return form;
}
