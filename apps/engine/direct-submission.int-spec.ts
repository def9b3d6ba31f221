import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '#testing';
import { takesDirectly } from './direct-submission.js';
import { engineApp } from './engine.app.js';
import { seedEngine, type EngineSeed } from './engine-test-fixture.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

const PATH = '/api/v1/teleservices/demande-simple/demands';
/** Headers whose value differs from one request to the next, by design. */
const PER_REQUEST = new Set(['date', 'location', 'x-correlation-id', 'ratelimit-remaining', 'content-length', 'connection', 'keep-alive']);

/**
 * The JSON submission is answered by a direct route before Express and Nest (direct-submission.ts) and, for what it
 * leaves (a compressed body, a charset parameter, another spelling of the path), by the Nest controller. A partner
 * must not be able to tell which: same status, same headers, same body, same error shapes.
 */
describe('direct JSON submission route: the same answers as the Nest route', () => {
  let app: TestApp;
  let seed: EngineSeed;
  let storageDir: string;
  let db: DataSource;

  /** A raw HTTP request (fetch would decide some headers itself, e.g. it refuses a Content-Length it did not compute). */
  const send = (path: string, body: Buffer | string, headers: Record<string, string>): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const url = new URL(path, app.url);
      const payload = typeof body === 'string' ? Buffer.from(body) : body;
      const req = request(url, { method: 'POST', headers: { 'content-length': String(payload.length), ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  const json = { 'content-type': 'application/json' };
  const auth = () => ({ authorization: `Bearer ${seed.key}` });
  const direct = (body: Buffer | string, headers: Record<string, string> = {}) => send(PATH, body, { ...json, ...auth(), ...headers });
  /** The same request as Nest receives it: gzip-compressed (only Express' body parser inflates). */
  const throughNest = (body: string, headers: Record<string, string> = {}) =>
    send(PATH, gzipSync(Buffer.from(body)), { ...json, ...auth(), 'content-encoding': 'gzip', ...headers });
  const valid = JSON.stringify({ data: { nom: 'Camille Martin', courriel: 'camille@example.org', motif: 'bruit' } });
  const demandCount = async () => Number((await db.query(`SELECT count(*)::int AS n FROM demand`))[0].n);
  /** Headers with their value, except those that change per request (kept by name only). */
  const comparable = (reply: Reply) =>
    Object.fromEntries(Object.entries(reply.headers).map(([name, value]) => [name, PER_REQUEST.has(name) ? '·' : value]));

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-direct-'));
    app = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = app.app.get(DataSource);
    seed = await seedEngine(db);
  });

  afterAll(async () => {
    await app?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('takes only plain JSON submissions with an API key; everything else goes to Express', () => {
    const base = { method: 'POST', url: PATH, headers: { 'content-type': 'application/json', authorization: 'Bearer pvk_x' } };
    expect(takesDirectly(base)).toBe('demande-simple');
    expect(takesDirectly({ ...base, url: `${PATH}?trace=1` })).toBe('demande-simple');
    expect(takesDirectly({ ...base, url: '/api/v1/teleservices/d%C3%A9marche/demands' })).toBe('démarche');
    expect(takesDirectly({ ...base, headers: { ...base.headers, 'content-type': 'application/json; charset=UTF-8' } })).toBe('demande-simple');
    for (const other of [
      { ...base, method: 'GET' },
      { ...base, url: `${PATH}/` },
      { ...base, url: PATH.toUpperCase() },
      { ...base, url: '/api/v1/teleservices/%E0%A4%A/demands' },
      { ...base, headers: { ...base.headers, 'content-type': 'multipart/form-data; boundary=x' } },
      { ...base, headers: { ...base.headers, 'content-type': 'application/json; charset=latin1' } },
      { ...base, headers: { ...base.headers, 'content-encoding': 'gzip' } },
      { ...base, headers: { ...base.headers, authorization: 'Basic eDp5' } },
      { ...base, headers: { 'content-type': 'application/json' } },
    ]) {
      expect(takesDirectly(other)).toBeUndefined();
    }
  });

  it('answers a submission with the same status, headers and body shape on both routes, and echoes the correlation id', async () => {
    const correlationId = 'corr-direct-0001';
    const fast = await direct(valid, { 'x-correlation-id': correlationId });
    const nest = await throughNest(valid, { 'x-correlation-id': 'corr-nest-00001' });
    // Another spelling of the path is Express' too: Express matches it, the direct route does not.
    const slash = await send(`${PATH}/`, valid, { ...json, ...auth() });
    for (const reply of [fast, nest, slash]) {
      expect(reply.status).toBe(201);
      expect(reply.headers.location).toBe(`/api/v1/demands/${(reply.body.demand as { id: string }).id}`);
      expect(reply.headers.etag).toBe('"1"');
      expect(reply.headers['cache-control']).toBe('no-store');
    }
    expect(fast.headers['x-correlation-id']).toBe(correlationId);
    expect(nest.headers['x-correlation-id']).toBe('corr-nest-00001');
    expect(comparable(fast)).toEqual(comparable(nest));
    expect(comparable(fast)).toEqual(comparable(slash));
    expect(fast.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const shape = (reply: Reply) => ({ keys: Object.keys(reply.body), demand: Object.keys(reply.body.demand as object) });
    expect(shape(fast)).toEqual(shape(nest));
    expect(fast.body.demand).toMatchObject({ status: { id: 'received' }, data: { nom: 'Camille Martin', courriel: 'camille@example.org', motif: 'bruit' } });
  });

  it('refuses bad bodies with the same status and error body on both routes, and stores nothing', async () => {
    const before = await demandCount();
    const cases: [string, number, Record<string, unknown>][] = [
      ['{"data": {', 400, { code: 'BAD_REQUEST', message: "Le contenu envoyé n'est pas un JSON valide." }],
      ['"une chaîne"', 400, { code: 'BAD_REQUEST', message: "Le contenu envoyé n'est pas un JSON valide." }],
      ['null', 400, { code: 'BAD_REQUEST', message: "Le contenu envoyé n'est pas un JSON valide." }],
      ['[1,2]', 422, { code: 'API_REQUEST_INVALID', fields: [{ path: '', code: 'INVALID_TYPE' }] }],
      ['', 422, { code: 'DEMAND_REQUEST_INVALID', fields: [{ path: 'data', code: 'INVALID_TYPE' }] }],
      ['{"data": {}, "extra": 1}', 422, { code: 'API_REQUEST_INVALID', fields: [{ path: 'extra', code: 'UNKNOWN_FIELD' }] }],
      ['{"data": {"nom": ""}}', 422, { code: 'DEMAND_DATA_INVALID' }],
    ];
    for (const [body, status, expected] of cases) {
      const fast = await direct(body);
      const nest = await throughNest(body);
      expect({ body, status: fast.status }).toEqual({ body, status });
      expect(fast.body).toMatchObject(expected);
      expect(nest.status).toBe(fast.status);
      expect(nest.body).toEqual(fast.body);
      expect(comparable(nest)).toEqual(comparable(fast));
    }
    const wrongKey = await direct(valid, { authorization: 'Bearer pvk_inconnue' });
    const wrongKeyNest = await throughNest(valid, { authorization: 'Bearer pvk_inconnue' });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body).toEqual({ code: 'API_KEY_INVALID', message: "Clé d'API invalide ou révoquée." });
    expect(wrongKey.headers['cache-control']).toBe('no-store');
    expect(wrongKeyNest.body).toEqual(wrongKey.body);
    expect(comparable(wrongKeyNest)).toEqual(comparable(wrongKey));
    expect(await demandCount()).toBe(before);
  });

  it('reads a body with a byte-order mark, and refuses one over the API limit with 413 (declared or streamed), the connection still usable', async () => {
    const withBom = await direct(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)]));
    expect(withBom.status).toBe(201);
    const huge = Buffer.alloc(20 * 1024 * 1024 + 16, 0x20);
    const declared = await direct(huge);
    expect(declared.status).toBe(413);
    expect(declared.body).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'Le contenu envoyé est trop volumineux.' });
    // Chunked, without a length: refused once the limit is crossed.
    const streamed = await new Promise<Reply>((resolve, reject) => {
      const req = request(new URL(PATH, app.url), { method: 'POST', headers: { ...json, ...auth(), 'transfer-encoding': 'chunked' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      req.on('error', reject);
      for (let i = 0; i < 21; i++) req.write(Buffer.alloc(1024 * 1024, 0x20));
      req.end();
    });
    expect(streamed.status).toBe(413);
    expect(streamed.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await direct(valid)).status).toBe(201);
  });
});
