import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { DomainError } from '#core';

/** Stable code of an unreadable or non-multipart body. */
export const MULTIPART_INVALID = 'MULTIPART_INVALID';

export interface MultipartLimits {
  /** File parts read at most; later ones are dropped and `tooManyFiles` is set. */
  maxFiles: number;
  /** Bytes per file part: a longer part is cut there and its `truncated()` answers true. */
  maxFileBytes: number;
  /** Text parts read at most (later ones are dropped). */
  maxFields: number;
  /** Bytes per text part: a longer one is cut and listed in `truncatedFields`. */
  maxFieldBytes: number;
}

/** One file part as it arrives: the handler must consume `stream` (or call `part.skip()`). */
export interface MultipartFilePart {
  /** The part's name (the form field). */
  field: string;
  /** The file name the browser sent; empty when a file input was left empty. */
  filename: string;
  stream: Readable;
  /** Whether the part went over `maxFileBytes` (meaningful once the stream has ended). */
  truncated(): boolean;
  /** Drains the part without reading it. */
  skip(): void;
}

export interface MultipartBody<T> {
  /** Text parts; a name sent several times becomes a list, in order. `__proto__`-like names are dropped. */
  fields: Record<string, string | string[]>;
  /** Names of the text parts cut at `maxFieldBytes`. */
  truncatedFields: string[];
  /** What the file handler answered for each file part, in arrival order (whatever order they finished in). */
  files: T[];
  /** More than `maxFiles` file parts were sent. */
  tooManyFiles: boolean;
}

export interface BufferedFile {
  field: string;
  name: string;
  content: Buffer;
  /** Cut at `maxFileBytes`: the content is incomplete and must not be stored. */
  truncated: boolean;
}

const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Whether the request carries a `multipart/form-data` body. */
export function isMultipart(req: IncomingMessage): boolean {
  return /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
}

/**
 * Reads a `multipart/form-data` body with busboy — the one reader behind the portal's forms and messages, the
 * back office's forms and the engine's multipart API. Text parts are collected (bounded in number and size);
 * each file part is handed to `onFile` **as it arrives** (streamed: the handler buffers it, spools it to disk
 * or streams it to the storage), and the promise settles once the body is read and every handler is done.
 * A handler that throws has its part drained and its error becomes that part's outcome only if the handler
 * itself catches it; an uncaught handler error rejects the read. An unreadable body (no boundary, cut off,
 * malformed) rejects with a `DomainError` `MULTIPART_INVALID` carrying a French message.
 */
export function readMultipartBody<T>(
  req: IncomingMessage,
  limits: MultipartLimits,
  onFile: (part: MultipartFilePart) => Promise<T>,
): Promise<MultipartBody<T>> {
  if (!isMultipart(req)) {
    return Promise.reject(DomainError.invalid(MULTIPART_INVALID, 'Ce formulaire doit être envoyé avec ses fichiers (multipart/form-data).'));
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: {
          files: limits.maxFiles,
          fileSize: limits.maxFileBytes,
          fields: limits.maxFields,
          fieldSize: limits.maxFieldBytes,
          parts: limits.maxFiles + limits.maxFields,
        },
        defParamCharset: 'utf8',
      });
    } catch {
      reject(DomainError.invalid(MULTIPART_INVALID, 'Le formulaire envoyé est illisible.'));
      return;
    }
    const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
    const body: MultipartBody<T> = { fields, truncatedFields: [], files: [], tooManyFiles: false };
    const outcomes: Promise<T>[] = [];
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume();
      reject(error instanceof DomainError ? error : DomainError.invalid(MULTIPART_INVALID, 'Le formulaire envoyé est illisible ou incomplet.'));
    };
    parser.on('field', (name, value, info) => {
      if (FORBIDDEN_NAMES.has(name)) return;
      if (info.valueTruncated) body.truncatedFields.push(name);
      const previous = fields[name];
      fields[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
    });
    parser.on('file', (field, stream, info) => {
      let truncated = false;
      stream.on('limit', () => (truncated = true));
      const part: MultipartFilePart = {
        field,
        filename: info.filename ?? '',
        stream,
        truncated: () => truncated,
        skip: () => void stream.resume(),
      };
      outcomes.push(
        onFile(part).catch((error: unknown) => {
          stream.resume();
          throw error;
        }),
      );
    });
    parser.on('filesLimit', () => (body.tooManyFiles = true));
    parser.on('error', fail);
    parser.on('close', () => {
      Promise.all(outcomes).then((files) => {
        if (failed) return;
        body.files = files;
        resolve(body);
      }, fail);
    });
    req.pipe(parser);
  });
}

/** Reads a file part whole into memory (for small, bounded parts: messages, logos, bundles). */
export function bufferPart(part: MultipartFilePart): Promise<BufferedFile> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    part.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    part.stream.on('error', reject);
    part.stream.on('end', () => resolve({ field: part.field, name: part.filename, content: Buffer.concat(chunks), truncated: part.truncated() }));
  });
}

/**
 * Reads a body whose files are small enough to hold in memory: each file part with a name is buffered, empty
 * file inputs are ignored.
 */
export async function readBufferedMultipart(req: IncomingMessage, limits: MultipartLimits): Promise<MultipartBody<BufferedFile>> {
  const body = await readMultipartBody(req, limits, async (part) => {
    if (!part.filename) {
      part.skip();
      return null;
    }
    return bufferPart(part);
  });
  return { ...body, files: body.files.filter((file): file is BufferedFile => file !== null && (file.content.length > 0 || file.truncated)) };
}

/** The first value of a text part (a repeated name keeps its first value), or undefined. */
export function firstValue(fields: Record<string, string | string[]>, name: string): string | undefined {
  const value = fields[name];
  return Array.isArray(value) ? value[0] : value;
}
