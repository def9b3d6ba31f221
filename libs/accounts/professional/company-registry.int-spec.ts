import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DomainError } from '#core';
import { startCompanyRegistryDouble, type CompanyRegistryDouble } from '#testing';
import { CompanyRegistry } from './company-registry.js';

/** The registry adapter over real HTTP, against the double speaking the API Recherche d'entreprises' format. */
describe('CompanyRegistry (API Recherche d’entreprises format)', () => {
  let double: CompanyRegistryDouble;
  let registry: CompanyRegistry;
  let garbage: Server;
  let garbageUrl: string;

  beforeAll(async () => {
    double = await startCompanyRegistryDouble();
    // Generous for answers a loaded CI machine may be slow to give; the hanging case uses its own short timeout.
    registry = new CompanyRegistry({ url: `${double.url}/`, timeoutMs: 10_000 });
    garbage = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"resultats": "pas le format attendu"}');
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await double?.close();
    await new Promise((resolve) => garbage?.close(resolve));
  });

  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: unknown) => (error instanceof DomainError ? `${error.kind} ${error.code}` : String(error)),
    );

  it('finds a company by SIREN: head office, name, natural-person leaders only', async () => {
    const company = await registry.find({ siren: '903124659', siret: null });
    expect(company).toEqual({
      siren: '903124659',
      siret: '90312465900017',
      denomination: 'MERCIER TRANSPORTS (MT LOGISTIQUE)',
      active: true,
      leaders: [
        { familyName: 'MERCIER', givenNames: 'Pierre', birthYear: 1990, role: 'Président de SAS' },
        { familyName: 'BENALI', givenNames: 'Fatima', birthYear: 1985, role: 'Directeur général' },
      ],
    });
    expect(double.requests.at(-1)).toBe('903124659');
  });

  it('finds an establishment by SIRET, inactive when that establishment is closed; unknown numbers give null', async () => {
    expect(await registry.find({ siren: '903124659', siret: '90312465900025' })).toMatchObject({ siret: '90312465900025', active: false });
    expect(await registry.find({ siren: '814572269', siret: null })).toMatchObject({ active: false });
    expect(await registry.find({ siren: '852001338', siret: null })).toBeNull();
    expect(await registry.find({ siren: '903124659', siret: '90312465900033' })).toBeNull();
  });

  it('maps errors, rate limiting, timeouts and unreadable answers to PRO_REGISTRY_UNAVAILABLE', async () => {
    for (const status of [429, 500, 503]) {
      double.failing = status;
      expect(await codeOf(registry.find({ siren: '882417512', siret: null }))).toBe('unavailable PRO_REGISTRY_UNAVAILABLE');
    }
    double.failing = null;
    double.hanging = true;
    expect(await codeOf(new CompanyRegistry({ url: `${double.url}/`, timeoutMs: 500 }).find({ siren: '882417512', siret: null }))).toBe('unavailable PRO_REGISTRY_UNAVAILABLE');
    double.hanging = false;
    expect(await codeOf(new CompanyRegistry({ url: garbageUrl, timeoutMs: 500 }).find({ siren: '882417512', siret: null }))).toBe('unavailable PRO_REGISTRY_UNAVAILABLE');
    expect(await codeOf(new CompanyRegistry({ url: 'http://127.0.0.1:9', timeoutMs: 500 }).find({ siren: '882417512', siret: null }))).toBe('unavailable PRO_REGISTRY_UNAVAILABLE');
    expect(await codeOf(registry.find({ siren: '882417512', siret: null }))).toBe('ok');
  });
});
