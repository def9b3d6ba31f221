import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ExternalDataSource } from '#forms';
import { DataSourceOptions, optionsFrom } from './data-source-options.js';
import { isPrivateAddress, OutboundHttp, OutboundHttpError } from './outbound-http.js';

/** A local HTTP server standing for a partner's JSON list; each test sets how it answers. */
let server: Server;
let base: string;
let answer: (req: IncomingMessage, res: ServerResponse) => void;
let hits = 0;

const SCHOOLS = { data: { items: [{ code: 'E1', nom: 'École Jean Jaurès' }, { code: 2, nom: 'École Victor Hugo' }, { code: 'E3' }, { code: 'E1', nom: 'Doublon' }] } };
const json = (body: unknown, status = 200) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const source = (path: string, extra: Partial<Extract<ExternalDataSource, { kind: 'url' }>> = {}): ExternalDataSource => ({
  kind: 'url',
  url: `${base}${path}`,
  itemsPath: 'data.items',
  valuePath: 'code',
  labelPath: 'nom',
  ...extra,
});
const formWith = (...sources: ExternalDataSource[]) => ({ externalSources: () => sources.map((s, i) => ({ key: `f${i}`, source: s })) });

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  hits = 0;
  answer = json(SCHOOLS);
});

describe('DataSourceOptions (url sources from a local HTTP server, collectivities)', () => {
  let now = 0;
  const collectivities = { collectivities: async () => [{ slug: 'metropole-de-lyon', name: 'Métropole de Lyon' }, { slug: 'givors', name: 'Givors' }] };
  const make = () => new DataSourceOptions(new OutboundHttp(['127.0.0.1']), collectivities, () => now);

  it('reads the options at itemsPath with valuePath/labelPath: numbers become strings, incomplete items and duplicates are skipped', async () => {
    const resolve = await make().resolverFor(formWith(source('/ecoles')));
    expect(resolve('f0', source('/ecoles'))).toEqual([
      { value: 'E1', label: 'École Jean Jaurès' },
      { value: '2', label: 'École Victor Hugo' },
    ]);
    expect(resolve('other', source('/ecoles'))).toBeUndefined();
  });

  it('lists the metropolis then the communes for a `collectivities` source (value = slug)', async () => {
    const resolve = await make().resolverFor(formWith({ kind: 'collectivities' }));
    expect(resolve('f0', { kind: 'collectivities' })).toEqual([
      { value: 'metropole-de-lyon', label: 'Métropole de Lyon' },
      { value: 'givors', label: 'Givors' },
    ]);
  });

  it('keeps a copy for cacheSeconds, then asks again', async () => {
    const options = make();
    now = 1_000_000;
    const src = source('/cache', { cacheSeconds: 60 });
    await options.resolverFor(formWith(src));
    await options.resolverFor(formWith(src));
    expect(hits).toBe(1);
    now += 61_000;
    answer = json({ data: { items: [{ code: 'N', nom: 'Nouvelle' }] } });
    const resolve = await options.resolverFor(formWith(src));
    expect(hits).toBe(2);
    expect(resolve('f0', src)).toEqual([{ value: 'N', label: 'Nouvelle' }]);
  });

  it('serves the stale copy when the source fails (HTTP 500, then bad JSON), and does not hammer it', async () => {
    const options = make();
    now = 5_000_000;
    const src = source('/stale', { cacheSeconds: 10 });
    await options.resolverFor(formWith(src));
    now += 11_000;
    answer = json({ error: 'down' }, 500);
    expect((await options.resolverFor(formWith(src)))('f0', src)).toHaveLength(2);
    expect(hits).toBe(2);
    // Within the back-off after a failure, the source is not asked again.
    await options.resolverFor(formWith(src));
    expect(hits).toBe(2);
    now += 31_000;
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data": [oops');
    };
    expect((await options.resolverFor(formWith(src)))('f0', src)).toEqual([
      { value: 'E1', label: 'École Jean Jaurès' },
      { value: '2', label: 'École Victor Hugo' },
    ]);
    expect(hits).toBe(3);
  });

  it('gives no options (SOURCE_UNAVAILABLE for #forms) on a timeout, bad JSON, an empty list or an oversized body without a copy', async () => {
    answer = () => undefined; // never answers
    const slow = source('/lent', { timeoutMs: 150 });
    expect((await make().resolverFor(formWith(slow)))('f0', slow)).toBeUndefined();

    answer = (_req, res) => res.end('pas du JSON');
    const bad = source('/mauvais');
    expect((await make().resolverFor(formWith(bad)))('f0', bad)).toBeUndefined();

    answer = json({ data: { items: [{ autre: 1 }] } });
    const empty = source('/vide');
    expect((await make().resolverFor(formWith(empty)))('f0', empty)).toBeUndefined();

    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { items: Array.from({ length: 40_000 }, (_, i) => ({ code: `C${i}`, nom: `Élément numéro ${i}` })) } }));
    };
    const big = source('/enorme');
    expect((await make().resolverFor(formWith(big)))('f0', big)).toBeUndefined();
  });

  it('shares one fetch between concurrent resolutions of the same source', async () => {
    const options = make();
    now = 9_000_000;
    const src = source('/partage');
    await Promise.all([options.resolverFor(formWith(src)), options.resolverFor(formWith(src)), options.resolverFor(formWith(src))]);
    expect(hits).toBe(1);
  });

  it('never reaches a private network unless the host is allowed: 127.0.0.1, localhost, 10.x, IPv6 loopback are refused', async () => {
    const guarded = new DataSourceOptions(new OutboundHttp([]), collectivities, () => now);
    const src = source('/prive');
    expect((await guarded.resolverFor(formWith(src)))('f0', src)).toBeUndefined();
    expect(hits).toBe(0);
    const http = new OutboundHttp([]);
    for (const url of [`${base}/x`, base.replace('127.0.0.1', 'localhost') + '/x', 'http://10.1.2.3/x', 'http://[::1]/x', 'http://169.254.169.254/latest/meta-data']) {
      await expect(http.request({ url, timeoutMs: 2_000, maxBytes: 1_000 })).rejects.toMatchObject({ reason: 'refused_host' });
    }
    expect(hits).toBe(0);
    await expect(http.request({ url: 'ftp://example.org/x', timeoutMs: 2_000, maxBytes: 1_000 })).rejects.toBeInstanceOf(OutboundHttpError);
    // Redirections are not followed (they could lead anywhere).
    answer = (_req, res) => {
      res.writeHead(302, { location: 'http://10.0.0.1/' });
      res.end();
    };
    await expect(new OutboundHttp(['127.0.0.1']).request({ url: `${base}/redirige`, timeoutMs: 2_000, maxBytes: 1_000 })).rejects.toMatchObject({ reason: 'redirect' });
  });
});

describe('isPrivateAddress and optionsFrom', () => {
  it('classifies addresses', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', 'pas-une-ip']) {
      expect({ a, private: isPrivateAddress(a) }).toEqual({ a, private: true });
    }
    for (const a of ['8.8.8.8', '193.51.24.1', '2001:4860:4860::8888']) expect({ a, private: isPrivateAddress(a) }).toEqual({ a, private: false });
  });

  it('reads a top-level array without itemsPath, ignores prototype keys, caps at 1,000 options', () => {
    expect(optionsFrom([{ v: 'a', l: 'A' }], { valuePath: 'v', labelPath: 'l' })).toEqual([{ value: 'a', label: 'A' }]);
    expect(optionsFrom(JSON.parse('[{"__proto__": {"v": "x"}, "l": "L"}]'), { valuePath: '__proto__.v', labelPath: 'l' })).toEqual([{ value: 'x', label: 'L' }]);
    expect(optionsFrom([{ v: 'a' }], { valuePath: 'constructor', labelPath: 'v' })).toEqual([]);
    expect(optionsFrom({ a: 1 }, { itemsPath: 'a', valuePath: 'v', labelPath: 'l' })).toEqual([]);
    expect(optionsFrom(Array.from({ length: 1_500 }, (_, i) => ({ v: `v${i}`, l: 'x' })), { valuePath: 'v', labelPath: 'l' })).toHaveLength(1_000);
  });
});
