import type { Request } from 'express';
import { readBufferedMultipart } from '#platform';

/** A file part of a multipart form, read into memory (the use cases bound the sizes again and sniff the type). */
export interface FormFile {
  field: string;
  name: string;
  content: Buffer;
}

export interface MultipartForm {
  fields: Record<string, string>;
  files: FormFile[];
  /** Fields whose file went over `maxFileBytes` (its bytes are dropped). */
  tooLarge: string[];
  /** Files beyond `maxFiles` were dropped. */
  tooMany: boolean;
}

/**
 * Reads a `multipart/form-data` body (a form with a file input, sent without JavaScript) through the platform's
 * one reader. Text fields are bounded (`maxFieldBytes` each, 30 fields; a repeated name keeps its first value); a
 * file over `maxFileBytes` is cut and reported in `tooLarge` rather than refused outright, so the page can say
 * which file and keep what was typed. An empty file input gives no file. The CSRF token of such a form travels
 * in the action's query string (web-session).
 */
export async function readMultipart(req: Request, limits: { maxFiles: number; maxFileBytes: number; maxFieldBytes?: number }): Promise<MultipartForm> {
  const body = await readBufferedMultipart(req, { maxFiles: limits.maxFiles, maxFileBytes: limits.maxFileBytes, maxFields: 30, maxFieldBytes: limits.maxFieldBytes ?? 64 * 1024 });
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body.fields)) fields[name] = Array.isArray(value) ? value[0] : value;
  return {
    fields,
    files: body.files.filter((file) => !file.truncated).map(({ field, name, content }) => ({ field, name, content })),
    tooLarge: body.files.filter((file) => file.truncated).map((file) => file.field),
    tooMany: body.tooManyFiles,
  };
}
