import type { Request } from 'express';
import { DomainError } from '#core';
import { MESSAGE_MAX_FILE_BYTES, MESSAGE_MAX_FILES } from '#demands';
import { MULTIPART_INVALID, readBufferedMultipart } from '#platform';

export interface MultipartForm {
  fields: Record<string, string>;
  files: { name: string; content: Buffer }[];
}

export { MULTIPART_INVALID };

/**
 * Reads a `multipart/form-data` message form (text fields + up to MESSAGE_MAX_FILES files) through the platform's
 * one reader. Files are kept in memory (PostMessage takes buffers); a file above MESSAGE_MAX_FILE_BYTES or too
 * many files is refused with a French message before anything is stored. An empty file input is ignored; a
 * repeated text field keeps its first value.
 */
export async function readMultipart(req: Request): Promise<MultipartForm> {
  const body = await readBufferedMultipart(req, { maxFiles: MESSAGE_MAX_FILES, maxFileBytes: MESSAGE_MAX_FILE_BYTES, maxFields: 20, maxFieldBytes: 64 * 1024 });
  if (body.files.some((file) => file.truncated)) {
    throw DomainError.invalid(MULTIPART_INVALID, `Un fichier dépasse la taille maximale (${MESSAGE_MAX_FILE_BYTES / 1024 / 1024} Mo).`, [
      { path: 'files', code: 'FILE_TOO_LARGE', message: 'Fichier trop volumineux.' },
    ]);
  }
  if (body.tooManyFiles) {
    throw DomainError.invalid(MULTIPART_INVALID, `${MESSAGE_MAX_FILES} fichiers au plus.`, [{ path: 'files', code: 'TOO_MANY_FILES', message: `${MESSAGE_MAX_FILES} fichiers au plus.` }]);
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body.fields)) fields[name] = Array.isArray(value) ? value[0] : value;
  return { fields, files: body.files.map(({ name, content }) => ({ name, content })) };
}
