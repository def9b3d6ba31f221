import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { DemandErrorCodes } from '../demands.errors.js';
import { LocalDiskStorage } from './local-disk-storage.js';
import { MIME } from './mime-sniff.js';
import { SAMPLES } from './mime-samples.test-helper.js';

/** Every file under a folder, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

describe('LocalDiskStorage', () => {
  let sandbox: string;
  let root: string;
  let storage: LocalDiskStorage;

  beforeAll(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'parvis-storage-'));
    root = join(sandbox, 'files');
    storage = new LocalDiskStorage(root, () => new Date('2026-01-15T09:00:00Z'));
    // A secret next to the root that no key may reach.
    await writeFile(join(sandbox, 'secret.txt'), 'ne doit pas sortir');
  });

  afterAll(async () => {
    await rm(sandbox, { recursive: true, force: true });
  });

  it('stores under a key of its own, with size, sha-256 and the type detected from the content', async () => {
    const bytes = Buffer.concat([SAMPLES.png, Buffer.alloc(50_000, 7)]);
    const stored = await storage.put(Readable.from([bytes.subarray(0, 3), bytes.subarray(3, 20_000), bytes.subarray(20_000)]), { maxBytes: 100_000 });
    expect(stored.key).toMatch(/^2026\/01\/[0-9a-f-]{36}$/);
    expect(stored).toMatchObject({ sizeBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), mimeType: MIME.PNG });
    const back = await storage.get(stored.key);
    const chunks: Buffer[] = [];
    for await (const chunk of back) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(await readFile(join(root, stored.key))).toEqual(bytes);
  });

  it('takes the type from the bytes, never from a name: PNG bytes sent as « facture.pdf » are image/png', async () => {
    // The storage never sees the name; the caller keeps it for display only.
    const stored = await storage.put(SAMPLES.png, { maxBytes: 1000, acceptedTypes: [MIME.PDF, MIME.PNG] });
    expect(stored.mimeType).toBe(MIME.PNG);
    await expect(storage.put(SAMPLES.png, { maxBytes: 1000, acceptedTypes: [MIME.PDF] })).rejects.toMatchObject({
      code: DemandErrorCodes.ATTACHMENT_TYPE_REFUSED,
    });
  });

  it('aborts beyond the size limit while streaming and leaves no file behind', async () => {
    const before = await filesUnder(root);
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 1));
      },
    });
    await expect(storage.put(endless, { maxBytes: 1024 * 1024 })).rejects.toMatchObject({ code: DemandErrorCodes.ATTACHMENT_TOO_LARGE });
    expect(produced).toBeLessThan(4 * 1024 * 1024); // stopped early, not read to the end
    expect(await filesUnder(root)).toEqual(before);
    await expect(storage.put(Buffer.alloc(11), { maxBytes: 10 })).rejects.toMatchObject({ code: DemandErrorCodes.ATTACHMENT_TOO_LARGE });
    expect(await filesUnder(root)).toEqual(before);
  });

  it('refuses keys that are not its own, so no path can escape the root', async () => {
    for (const key of ['../../etc/passwd', '../secret.txt', '/etc/passwd', '2026/01/../../../secret.txt', '2026/01/%2e%2e', '', '2026\\01\\x']) {
      await expect(storage.get(key)).rejects.toMatchObject({ code: DemandErrorCodes.STORAGE_KEY_INVALID });
      await expect(storage.delete(key)).rejects.toMatchObject({ code: DemandErrorCodes.STORAGE_KEY_INVALID });
    }
    expect(await readFile(join(sandbox, 'secret.txt'), 'utf8')).toBe('ne doit pas sortir');
    await expect(storage.get('2026/01/00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: DemandErrorCodes.ATTACHMENT_NOT_FOUND });
  });

  it('deletes a file by its key', async () => {
    const stored = await storage.put(Buffer.from('bonjour'), { maxBytes: 100 });
    expect(await text(await storage.get(stored.key))).toBe('bonjour');
    await storage.delete(stored.key);
    await expect(storage.get(stored.key)).rejects.toMatchObject({ code: DemandErrorCodes.ATTACHMENT_NOT_FOUND });
  });

  it('needs an absolute root', () => {
    expect(() => new LocalDiskStorage('relative/files')).toThrow(/absolu/);
  });
});
