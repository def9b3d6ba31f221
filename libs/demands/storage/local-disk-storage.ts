import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { demandErrors } from '../demands.errors.js';
import type { AttachmentStorage, PutOptions, StoredFile } from './attachment-storage.js';
import { detectMimeType, SNIFF_BYTES } from './mime-sniff.js';

/** `2026/01/<uuid v4>`: year and month spread the files over directories. */
const KEY = /^[0-9]{4}\/[0-9]{2}\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

class TooLarge extends Error {}

/**
 * Attachments on the local disk under `root` (STORAGE_DIR). A file is written to `root/.incoming/`, counted,
 * hashed and sniffed on the way, and moved into place only when it passed every check: a refused or aborted
 * upload leaves nothing behind. Keys are validated against their format and resolved paths must stay inside
 * `root`, so no key can reach elsewhere.
 */
export class LocalDiskStorage implements AttachmentStorage {
  private readonly root: string;

  constructor(
    root: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!isAbsolute(root)) throw new Error(`Le dossier de stockage doit être un chemin absolu : ${root}`);
    this.root = resolve(root);
  }

  async put(source: Readable | Buffer, options: PutOptions): Promise<StoredFile> {
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) throw new Error('maxBytes invalide');
    const at = this.now();
    const key = `${at.getUTCFullYear()}/${String(at.getUTCMonth() + 1).padStart(2, '0')}/${randomUUID()}`;
    const incoming = this.within('.incoming');
    await mkdir(incoming, { recursive: true });
    const temporary = join(incoming, `${randomUUID()}.part`);

    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let headBytes = 0;
    let size = 0;
    const inspect = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        size += chunk.length;
        if (size > options.maxBytes) return callback(new TooLarge());
        hash.update(chunk);
        if (headBytes < SNIFF_BYTES) {
          head.push(chunk.subarray(0, SNIFF_BYTES - headBytes));
          headBytes += Math.min(chunk.length, SNIFF_BYTES - headBytes);
        }
        callback(null, chunk);
      },
    });
    const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
    try {
      await pipeline(input, inspect, createWriteStream(temporary, { flags: 'wx', mode: 0o600 }));
      const mimeType = detectMimeType(Buffer.concat(head));
      if (options.acceptedTypes && !options.acceptedTypes.includes(mimeType)) throw demandErrors.attachmentTypeRefused(mimeType);
      const target = this.pathOf(key);
      await mkdir(resolve(target, '..'), { recursive: true });
      await rename(temporary, target);
      return { key, sizeBytes: size, sha256: hash.digest('hex'), mimeType };
    } catch (error) {
      await rm(temporary, { force: true });
      if (error instanceof TooLarge) {
        if (!Buffer.isBuffer(source)) source.destroy();
        throw demandErrors.attachmentTooLarge(options.maxBytes);
      }
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      if (!info.isFile()) throw demandErrors.attachmentNotFound();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw demandErrors.attachmentNotFound();
      throw error;
    }
    return createReadStream(path);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** The file of a key: the key must have the server's format, and the path stay under the root. */
  private pathOf(key: string): string {
    if (typeof key !== 'string' || !KEY.test(key)) throw demandErrors.storageKeyInvalid();
    return this.within(...key.split('/'));
  }

  private within(...segments: string[]): string {
    const path = resolve(this.root, ...segments);
    if (!path.startsWith(this.root + sep)) throw demandErrors.storageKeyInvalid();
    return path;
  }
}
