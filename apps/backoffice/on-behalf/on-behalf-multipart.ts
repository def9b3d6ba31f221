import type { Request } from 'express';
import { DomainError } from '#core';
import { MULTIPART_INVALID, readBufferedMultipart } from '#platform';

/** A submission typed in by an agent: text fields (repeated names kept as lists) and files by field name. */
export interface OnBehalfForm {
  fields: Record<string, string | string[]>;
  files: { fieldId: string; name: string; content: Buffer }[];
}

/** Per-file ceiling while reading; each file field's own limit is then checked by the engine. */
const MAX_FILE_BYTES = 20 * 1024 * 1024;
const MAX_FILES = 20;

/**
 * Reads the on-behalf form through the platform's one reader, sized for a whole téléservice form (1,000 text
 * fields, repeated names kept as lists); each file keeps the name of its file field (`f.<fieldId>`). A file over
 * the ceiling or too many files is refused before anything is stored; an empty file input is ignored.
 */
export async function readOnBehalfMultipart(req: Request): Promise<OnBehalfForm> {
  const body = await readBufferedMultipart(req, { maxFiles: MAX_FILES, maxFileBytes: MAX_FILE_BYTES, maxFields: 1000, maxFieldBytes: 100 * 1024 });
  if (body.files.some((file) => file.truncated)) throw DomainError.invalid(MULTIPART_INVALID, `Un fichier dépasse la taille maximale (${MAX_FILE_BYTES / 1024 / 1024} Mo).`);
  if (body.tooManyFiles) throw DomainError.invalid(MULTIPART_INVALID, `${MAX_FILES} fichiers au plus.`);
  return {
    fields: { ...body.fields },
    files: body.files.filter((file) => file.field.startsWith('f.')).map((file) => ({ fieldId: file.field.slice(2), name: file.name, content: file.content })),
  };
}
