import type { Request } from 'express';
import busboy from 'busboy';
import { DomainError } from '#core';

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

export const MULTIPART_INVALID = 'MULTIPART_INVALID';

/**
 * Reads a `multipart/form-data` body (a form with a file input, sent without JavaScript). Text fields are bounded
 * (`maxFieldBytes` each, 30 fields); a file over `maxFileBytes` is cut and reported in `tooLarge` rather than
 * refused outright, so the page can say which file and keep what was typed. An empty file input (no file
 * chosen) gives no file. The CSRF token of such a form travels in the action's query string (web-session).
 */
export function readMultipart(req: Request, limits: { maxFiles: number; maxFileBytes: number; maxFieldBytes?: number }): Promise<MultipartForm> {
  if (!/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
    return Promise.reject(DomainError.invalid(MULTIPART_INVALID, 'Ce formulaire doit être envoyé avec ses fichiers (multipart/form-data).'));
  }
  return new Promise((resolve, reject) => {
    const form: MultipartForm = { fields: {}, files: [], tooLarge: [], tooMany: false };
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: limits.maxFiles, fileSize: limits.maxFileBytes, fields: 30, fieldSize: limits.maxFieldBytes ?? 64 * 1024, parts: 40 },
        defParamCharset: 'utf8',
      });
    } catch {
      reject(DomainError.invalid(MULTIPART_INVALID, 'Le formulaire envoyé est illisible.'));
      return;
    }
    // Resolve once the parser is done AND every file stream has ended (their 'close' may come after the parser's).
    let open = 0;
    let parsed = false;
    const settle = () => {
      if (parsed && open === 0) resolve(form);
    };
    parser.on('field', (name, value) => {
      if (!(name in form.fields)) form.fields[name] = value;
    });
    parser.on('file', (field, stream, info) => {
      open++;
      const chunks: Buffer[] = [];
      let truncated = false;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => (truncated = true));
      stream.on('close', () => {
        const content = Buffer.concat(chunks);
        if (truncated) form.tooLarge.push(field);
        else if (info.filename && content.length > 0) form.files.push({ field, name: info.filename, content });
        open--;
        settle();
      });
    });
    parser.on('filesLimit', () => (form.tooMany = true));
    parser.on('error', () => reject(DomainError.invalid(MULTIPART_INVALID, 'Le formulaire envoyé est illisible ou incomplet.')));
    parser.on('close', () => {
      parsed = true;
      settle();
    });
    req.pipe(parser);
  });
}
