import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig, ManualClock, type AppConfig } from '#core';
import { startApiParticulierDouble, type ApiParticulierDouble } from '#testing';
import type { CertifiedIdentity } from './api-particulier.js';
import { ApiParticulierClient } from './api-particulier.client.js';

const ANGELA: CertifiedIdentity = { givenName: 'Angela Claire Louise', familyName: 'Dubois', birthdate: '1962-08-24', gender: 'female', birthplace: '75107', birthcountry: '99100' };
const PIERRE: CertifiedIdentity = { givenName: 'Pierre', familyName: 'Mercier', birthdate: '1990-03-12', gender: 'male', birthplace: '69123', birthcountry: '99100' };
const LUCAS: CertifiedIdentity = { givenName: 'Lucas', familyName: 'Schmidt', birthdate: '1978-06-30', gender: 'male', birthplace: '', birthcountry: '99109' };

/** The HTTP client of API Particulier against the double (real HTTP on 127.0.0.1). */
describe('ApiParticulierClient (against the API Particulier double)', () => {
  let double: ApiParticulierDouble;
  let logs: string[];
  const clock = new ManualClock(new Date('2026-11-22T10:00:00Z'));

  const client = (overrides: Record<string, string> = {}) => {
    const config: AppConfig = loadConfig({
      DATABASE_URL: 'postgres://localhost/parvis',
      REDIS_URL: 'redis://localhost',
      API_PARTICULIER_URL: double.url,
      API_PARTICULIER_TOKEN: double.token,
      API_PARTICULIER_RECIPIENT: '20004697700019',
      // Generous for the answers a loaded CI machine may be slow to give; the timeout case sets its own short one.
      API_PARTICULIER_TIMEOUT_MS: '10000',
      ...overrides,
    });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    return new ApiParticulierClient(config, pino({ level: 'info' }, sink), clock);
  };

  beforeAll(async () => {
    double = await startApiParticulierDouble();
  });
  afterAll(async () => {
    await double?.close();
  });
  beforeEach(() => {
    double.reset();
    logs = [];
  });

  it('gets the family quotient of a certified identity, with the SIRET as recipient and the time it was obtained', async () => {
    const result = await client().lookup('quotient_familial', ANGELA);
    expect(result).toEqual({ status: 'found', value: { valeur: 4270, source: 'CAF', mois: '2023-06' }, retrievedAt: new Date('2026-11-22T10:00:00Z') });
    expect(double.requests).toEqual([{ path: '/v3/dss/quotient_familial/identite', status: 200, recipient: '20004697700019' }]);
  });

  it('gets the C2S and RSA statuses', async () => {
    expect(await client().lookup('complementaire_sante_solidaire', PIERRE)).toMatchObject({ status: 'found', value: { beneficiaire: true, depuis: '2025-03-01', option: false } });
    expect(await client().lookup('revenu_solidarite_active', PIERRE)).toMatchObject({ status: 'found', value: { beneficiaire: true, depuis: '2025-01-01', option: false } });
  });

  it('says « not found » on a 404 (no file for this person), born abroad included', async () => {
    expect(await client().lookup('quotient_familial', LUCAS)).toEqual({ status: 'not_found' });
    expect(await client().lookup('complementaire_sante_solidaire', ANGELA)).toEqual({ status: 'not_found' });
    expect(double.requests.map((r) => r.status)).toEqual([404, 404]);
  });

  it('says « unavailable » on a 5xx, a timeout or a refused token, and logs no personal data', async () => {
    double.failing = 503;
    expect(await client().lookup('quotient_familial', ANGELA)).toEqual({ status: 'unavailable', reason: 'provider_error' });
    double.failing = 502;
    expect(await client().lookup('revenu_solidarite_active', ANGELA)).toEqual({ status: 'unavailable', reason: 'provider_error' });
    double.failing = null;
    double.hanging = true;
    expect(await client({ API_PARTICULIER_TIMEOUT_MS: '300' }).lookup('quotient_familial', ANGELA)).toEqual({ status: 'unavailable', reason: 'timeout' });
    double.hanging = false;
    expect(await client({ API_PARTICULIER_TOKEN: 'mauvais-jeton' }).lookup('quotient_familial', ANGELA)).toEqual({ status: 'unavailable', reason: 'refused' });
    expect(await client({ API_PARTICULIER_URL: 'http://127.0.0.1:1' }).lookup('quotient_familial', ANGELA)).toEqual({ status: 'unavailable', reason: 'network' });

    const logged = logs.join('\n');
    expect(logs).toHaveLength(5);
    expect(logged).toContain('"endpoint":"quotient_familial"');
    expect(logged).toContain('"status":503');
    expect(logged).toContain('"code":"37999"');
    for (const personal of ['DUBOIS', 'Dubois', 'ANGELA', 'Angela', '1962', '75107', double.token, 'mauvais-jeton']) expect(logged).not.toContain(personal);
  });

  it('is off without configuration', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://localhost/parvis', REDIS_URL: 'redis://localhost' });
    const off = new ApiParticulierClient(config, pino({ level: 'silent' }), clock);
    expect(off.enabled).toBe(false);
    expect(await off.lookup('quotient_familial', ANGELA)).toEqual({ status: 'unavailable', reason: 'disabled' });
  });
});
