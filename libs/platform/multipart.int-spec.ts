import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DomainError } from '#core';
import { bufferPart, readBufferedMultipart, readMultipartBody, type MultipartLimits } from './multipart.js';

/** The one multipart reader, driven over real HTTP by fetch's FormData (what browsers and API clients send). */
describe('readMultipartBody (busboy behind every multipart form and API)', () => {
  const limits: MultipartLimits = { maxFiles: 2, maxFileBytes: 10, maxFields: 5, maxFieldBytes: 8 };
  let server: Server;
  let url: string;
  let handler: (req: IncomingMessage) => Promise<unknown>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      handler(req).then(
        (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        (error: unknown) =>
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(error instanceof DomainError ? { code: error.code, message: error.message } : { code: 'OTHER', message: String(error) })),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = async (body: FormData | string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', body, headers });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it('gives text parts (repeated names as lists), buffered files in order, and ignores empty file inputs', async () => {
    handler = async (req) => {
      // An empty file input is a file part too: it counts towards maxFiles.
      const body = await readBufferedMultipart(req, { ...limits, maxFiles: 3 });
      return { ...body, files: body.files.map((file) => ({ field: file.field, name: file.name, text: file.content.toString(), truncated: file.truncated })) };
    };
    const form = new FormData();
    form.append('nom', 'Dupont');
    form.append('choix', 'a');
    form.append('choix', 'b');
    form.append('__proto__', 'x');
    form.append('piece', new Blob(['bonjour']), 'lettre été.txt');
    form.append('vide', new Blob([]), '');
    form.append('photo', new Blob(['12345']), 'photo.jpg');
    const { status, json } = await post(form);
    expect(status).toBe(200);
    expect(json).toEqual({
      fields: { nom: 'Dupont', choix: ['a', 'b'] },
      truncatedFields: [],
      tooManyFiles: false,
      files: [
        { field: 'piece', name: 'lettre été.txt', text: 'bonjour', truncated: false },
        { field: 'photo', name: 'photo.jpg', text: '12345', truncated: false },
      ],
    });
  });

  it('reports a file cut at the size limit, a text part cut at its limit and files beyond the count', async () => {
    handler = async (req) => {
      const body = await readBufferedMultipart(req, limits);
      return { truncatedFields: body.truncatedFields, tooManyFiles: body.tooManyFiles, files: body.files.map((file) => ({ field: file.field, bytes: file.content.length, truncated: file.truncated })) };
    };
    const form = new FormData();
    form.append('long', 'beaucoup trop long');
    form.append('gros', new Blob(['x'.repeat(50)]), 'gros.bin');
    form.append('petit', new Blob(['ok']), 'petit.txt');
    form.append('trop', new Blob(['de trop']), 'trop.txt');
    const { json } = await post(form);
    expect(json).toEqual({
      truncatedFields: ['long'],
      tooManyFiles: true,
      files: [
        { field: 'gros', bytes: 10, truncated: true },
        { field: 'petit', bytes: 2, truncated: false },
      ],
    });
  });

  it('keeps the arrival order of file outcomes when a later part finishes first', async () => {
    handler = async (req) => {
      const body = await readMultipartBody(req, limits, async (part) => {
        const file = await bufferPart(part);
        if (part.field === 'lent') await new Promise((resolve) => setTimeout(resolve, 30));
        return part.field + ':' + file.content.toString();
      });
      return body.files;
    };
    const form = new FormData();
    form.append('lent', new Blob(['1']), 'a.txt');
    form.append('rapide', new Blob(['2']), 'b.txt');
    expect((await post(form)).json).toEqual(['lent:1', 'rapide:2']);
  });

  it('refuses a body that is not multipart, or has no boundary, or is cut off, with MULTIPART_INVALID in French', async () => {
    handler = (req) => readBufferedMultipart(req, limits);
    const notMultipart = await post('a=b', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(notMultipart).toEqual({ status: 400, json: { code: 'MULTIPART_INVALID', message: 'Ce formulaire doit être envoyé avec ses fichiers (multipart/form-data).' } });
    const noBoundary = await post('x', { 'content-type': 'multipart/form-data' });
    expect(noBoundary).toEqual({ status: 400, json: { code: 'MULTIPART_INVALID', message: 'Le formulaire envoyé est illisible.' } });
    const cut = await post('--b\r\ncontent-disposition: form-data; name="piece"; filename="a.txt"\r\n\r\nincomplet', { 'content-type': 'multipart/form-data; boundary=b' });
    expect(cut).toEqual({ status: 400, json: { code: 'MULTIPART_INVALID', message: 'Le formulaire envoyé est illisible ou incomplet.' } });
  });

  it('rejects with the file handler’s own error, the rest of the body drained', async () => {
    handler = (req) =>
      readMultipartBody(req, limits, async (part) => {
        part.skip();
        throw DomainError.invalid('FILE_TYPE', 'Type de fichier refusé.');
      });
    const form = new FormData();
    form.append('piece', new Blob(['MZ']), 'virus.exe');
    expect(await post(form)).toEqual({ status: 400, json: { code: 'FILE_TYPE', message: 'Type de fichier refusé.' } });
  });
});
