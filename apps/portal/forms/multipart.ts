import type { Readable } from 'node:stream';
import type { Request } from 'express';
import { readMultipartBody } from '#platform';

export { isMultipart } from '#platform';

export interface MultipartResult {
  fields: Record<string, string | string[]>;
  /** What the file handler answered for each file part, in order (an error it threw is its outcome). */
  files: { field: string; outcome: unknown }[];
}

const MAX_FIELDS = 2_000;
const MAX_FILES = 20;

/**
 * Reads a form page's multipart/form-data body through the platform's one reader: text fields into an object
 * (repeated names → arrays), each file part handed to `onFile` as it arrives (streamed, never buffered whole).
 * `maxFileBytes` bounds every part (one byte more is let through so that the storage, which checks the field's
 * own limit while streaming, sees the excess and says so); an empty file input is skipped.
 */
export async function readMultipart(
  req: Request,
  maxFileBytes: number,
  onFile: (field: string, name: string, stream: Readable) => Promise<unknown>,
): Promise<MultipartResult> {
  const body = await readMultipartBody(req, { maxFiles: MAX_FILES, maxFileBytes: maxFileBytes + 1, maxFields: MAX_FIELDS, maxFieldBytes: 200_000 }, async (part) => {
    if (!part.filename) {
      part.skip();
      return null;
    }
    const outcome = await onFile(part.field, part.filename, part.stream).catch((error: unknown) => {
      part.skip();
      return error;
    });
    return { field: part.field, outcome };
  });
  return { fields: { ...body.fields }, files: body.files.filter((file): file is { field: string; outcome: unknown } => file !== null) };
}
