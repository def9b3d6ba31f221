import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Writable } from 'node:stream';
import { APP_CONFIG, Clock, createLogger, LOGGER, loadConfig, ManualClock } from '#core';
import { loadReferenceTerritory } from '#territory';
import { BAN_KNOWN_ADDRESSES, startBanGeocoderDouble, type BanGeocoderDouble } from '#testing';
import { BanGeocoder } from './ban-geocoder.js';
import { FallbackGeocoder } from './geocoder.js';
import { OfflineGeocoder } from './offline-geocoder.js';
import { RoutingTable } from './routing-table.js';
import { RoutingModule, RoutingService } from './routing.service.js';
import { GeocoderUnavailableError } from './routing.errors.js';

/** A logger at debug level whose lines are kept, to prove what is (not) logged. */
function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', app: 'test', destination }) };
}

const table = RoutingTable.fromReference(loadReferenceTerritory());
const byAddress = { by: 'address', field: 'adresse' } as const;

describe('address routing through the BAN format (HTTP double of the national address API)', () => {
  let ban: BanGeocoderDouble;
  let clock: ManualClock;
  let captured: ReturnType<typeof capturingLogger>;

  function service(options: { timeoutMs?: number; retries?: number } = {}) {
    const geocoder = new FallbackGeocoder(
      new BanGeocoder({ baseUrl: ban.url, timeoutMs: options.timeoutMs ?? 2_000, retries: options.retries ?? 2, retryDelayMs: 10, clock, logger: captured.logger }),
      new OfflineGeocoder(table),
      captured.logger,
    );
    return new RoutingService(table, geocoder, captured.logger);
  }

  beforeAll(async () => {
    ban = await startBanGeocoderDouble();
  });
  afterEach(() => ban.reset());
  afterAll(() => ban.close());
  beforeEach(() => {
    clock = new ManualClock();
    captured = capturingLogger();
  });

  it('routes an address to the commune the BAN gives, an arrondissement of Lyon being Lyon', async () => {
    const routing = service();
    const lyon = await routing.decide(byAddress, { adresse: { street: 'Place Bellecour', postcode: '69002', commune: 'Lyon' } });
    expect(lyon).toMatchObject({ outcome: 'routed', collectivity: { inseeCode: '69123', name: 'Lyon' }, input: { geocoder: 'ban', postcode: '69002' }, flags: [] });
    const givors = await routing.decideValue(byAddress, '1 place Camille Vallin 69700 Givors');
    expect(givors).toMatchObject({
      outcome: 'routed',
      collectivity: { inseeCode: '69091', siren: '216900910', name: 'Givors' },
      reason: 'Votre demande a été transmise à la commune de Givors, compétente pour ce lieu.',
    });
    expect(ban.requests.map((r) => [r.path, r.q, r.postcode, r.limit])).toEqual([
      ['/search/', 'Place Bellecour 69002 Lyon', '69002', 5],
      ['/search/', '1 place Camille Vallin 69700 Givors', null, 5],
    ]);
  });

  it('asks for a choice for a street name found in two communes, and routes outside addresses to the metropolis', async () => {
    const routing = service();
    const ambiguous = await routing.decideValue(byAddress, 'Rue de la République');
    expect(ambiguous).toMatchObject({ outcome: 'needs_choice', flags: ['ambiguous_address'] });
    expect(ambiguous.candidates.map((c) => c.name)).toEqual(['Lyon', 'Vénissieux']);
    const outside = await routing.decideValue(byAddress, { street: "Place de l'Hôtel de Ville", postcode: '69400', commune: 'Villefranche-sur-Saône' });
    expect(outside).toMatchObject({ outcome: 'outside_territory', collectivity: { kind: 'metropolis' } });
  });

  it('routes an address of former Pierre-Bénite to Oullins-Pierre-Bénite although its point is in no boundary', async () => {
    const entry = BAN_KNOWN_ADDRESSES.find((a) => a.citycode === '69149')!;
    const decision = await service().decideValue(byAddress, {
      street: '2 place Jean Jaurès',
      postcode: '69310',
      commune: 'Oullins-Pierre-Bénite',
      lon: entry.coordinates[0],
      lat: entry.coordinates[1],
    });
    expect(decision).toMatchObject({ outcome: 'routed', collectivity: { inseeCode: '69149' }, flags: ['boundary_gap'] });
  });

  it('retries after a 500 and succeeds', async () => {
    ban.failNext(1, 500);
    const decision = await service().decideValue(byAddress, { street: 'Place Lazare Goujon', postcode: '69100', commune: 'Villeurbanne' });
    expect(decision).toMatchObject({ outcome: 'routed', collectivity: { name: 'Villeurbanne' }, input: { geocoder: 'ban' }, flags: [] });
    expect(ban.requests).toHaveLength(2);
  });

  it('gives up after the bounded retries, then falls back offline', async () => {
    ban.failing = 503;
    const decision = await service({ retries: 2 }).decideValue(byAddress, { street: 'Avenue Franklin Roosevelt', postcode: '69500', commune: 'Bron' });
    expect(ban.requests).toHaveLength(3);
    expect(decision).toMatchObject({ outcome: 'routed', collectivity: { name: 'Bron' }, input: { geocoder: 'offline' }, flags: ['geocoder_offline'] });
  });

  it('times out on a hanging BAN, then routes by postcode and commune name without network', async () => {
    ban.hanging = true;
    const started = Date.now();
    const decision = await service({ timeoutMs: 300 }).decideValue(byAddress, { street: '1 place Camille Vallin', postcode: '69700', commune: 'givors' });
    const elapsed = Date.now() - started;
    expect(decision).toMatchObject({ outcome: 'routed', collectivity: { name: 'Givors' }, input: { geocoder: 'offline' }, flags: ['geocoder_offline'] });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    expect(ban.requests).toHaveLength(1); // a timeout is not retried
  });

  it('falls back to a choice, never a guess, when the BAN hangs and the postcode is shared', async () => {
    ban.hanging = true;
    const decision = await service({ timeoutMs: 200 }).decideValue(byAddress, { street: '5 chemin des Pierres', postcode: '69330' });
    expect(decision).toMatchObject({ outcome: 'needs_choice', flags: ['geocoder_offline', 'ambiguous_address'] });
    expect(decision.candidates.map((c) => c.name)).toEqual(['Jonage', 'Meyzieu']);
  });

  it('throws GeocoderUnavailableError without fallback, its message free of the address', async () => {
    ban.failing = 500;
    const geocoder = new BanGeocoder({ baseUrl: ban.url, retries: 1, retryDelayMs: 5, clock });
    const error = await geocoder.geocode({ text: 'Place Bellecour 69002 Lyon' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GeocoderUnavailableError);
    expect(error).toMatchObject({ code: 'GEOCODER_UNAVAILABLE', kind: 'unavailable', failure: 'http_status', status: 500 });
    expect((error as Error).message).not.toMatch(/Bellecour/);
    expect(ban.requests).toHaveLength(2);
  });

  it('answers a repeated query from its cache until the entry expires', async () => {
    const routing = service();
    const query = { street: '1 place Ampère', postcode: '69250', commune: 'Neuville-sur-Saône' };
    const first = await routing.decideValue(byAddress, query);
    const second = await routing.decideValue(byAddress, query);
    expect(second).toEqual(first);
    expect(first.collectivity?.name).toBe('Neuville-sur-Saône');
    expect(ban.requests).toHaveLength(1);
    // Concurrent identical queries share one request.
    await Promise.all([routing.decideValue(byAddress, 'Place Bellecour'), routing.decideValue(byAddress, 'Place Bellecour')]);
    expect(ban.requests).toHaveLength(2);
    clock.advance(3_600_000);
    await routing.decideValue(byAddress, query);
    expect(ban.requests).toHaveLength(3);
  });

  it('treats a query the BAN refuses (400) as no result, without retry', async () => {
    const geocoder = new BanGeocoder({ baseUrl: ban.url, clock });
    expect(await geocoder.geocode({ text: '!!!?' })).toEqual([]);
    expect(ban.requests).toHaveLength(1);
    expect(await geocoder.geocode({ text: 'ab' })).toEqual([]); // too short: not even sent
    expect(ban.requests).toHaveLength(1);
  });

  it('never writes the address in the logs, whatever happens', async () => {
    const routing = service({ timeoutMs: 200, retries: 1 });
    await routing.decideValue(byAddress, { street: '1 place Camille Vallin', postcode: '69700', commune: 'Givors' });
    await routing.decideValue(byAddress, { street: '1 place Camille Vallin', postcode: '69700', commune: 'Givors' }); // cache
    ban.failNext(1, 502);
    await routing.decideValue(byAddress, 'Place Lazare Goujon 69100 Villeurbanne');
    ban.failing = 500;
    await routing.decideValue(byAddress, '14 Avenue Franklin Roosevelt 69500 Bron');
    ban.failing = null;
    ban.hanging = true;
    await routing.decideValue(byAddress, { street: '2 place Jean Jaurès', postcode: '69310', commune: 'Pierre-Bénite' });

    const text = captured.lines.join('\n');
    expect(captured.lines.length).toBeGreaterThanOrEqual(10);
    expect(text).toMatch(/Aiguillage décidé/);
    expect(text).toMatch(/"failure":"timeout"/);
    expect(text).toMatch(/"cache":"hit"/);
    for (const secret of ['Camille', 'Vallin', 'Lazare', 'Goujon', 'Roosevelt', 'Jean Jaur', 'Jaur%C3%A8s', 'Jaurès', 'q=', '/search/']) {
      expect(text).not.toContain(secret);
    }
  });

  it('is what RoutingModule provides, configured by GEOCODER_URL and GEOCODER_TIMEOUT_MS', async () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@127.0.0.1/x',
      REDIS_URL: 'redis://127.0.0.1:6379',
      GEOCODER_URL: ban.url,
      GEOCODER_TIMEOUT_MS: '250',
    });
    expect(config.geocoder).toEqual({ url: ban.url, timeoutMs: 250 });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1/x', REDIS_URL: 'redis://127.0.0.1:6379' }).geocoder).toEqual({
      url: 'https://api-adresse.data.gouv.fr',
      timeoutMs: 3_000,
    });

    @Global()
    @Module({
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: LOGGER, useValue: captured.logger },
        { provide: Clock, useValue: clock },
      ],
      exports: [APP_CONFIG, LOGGER, Clock],
    })
    class FakePlatform {}

    const moduleRef = await Test.createTestingModule({ imports: [FakePlatform, RoutingModule] }).compile();
    const routing = moduleRef.get(RoutingService);
    expect(await routing.decideValue(byAddress, 'Place Bellecour 69002 Lyon')).toMatchObject({ outcome: 'routed', collectivity: { name: 'Lyon' } });
    expect(ban.requests).toHaveLength(1);
    ban.hanging = true;
    expect(await routing.decideValue(byAddress, '1 place Camille Vallin 69700 Givors')).toMatchObject({
      collectivity: { name: 'Givors' },
      flags: ['geocoder_offline'],
    });
    expect(routing.candidatesForPostcode('69580').map((c) => c.name)).toEqual(['Sathonay-Camp', 'Sathonay-Village']);
    await moduleRef.close();
  });
});

describe('the BAN double’s table', () => {
  it('places each known address in the commune of its citycode (former Pierre-Bénite: in the gap; Villefranche: outside)', () => {
    for (const entry of BAN_KNOWN_ADDRESSES) {
      const where = table.communeAt(...entry.coordinates);
      const expected = entry.citycode === '69149' ? 'gap' : entry.citycode === '69264' ? 'outside' : table.communeByInsee(entry.citycode)!.inseeCode;
      expect([entry.label, where.kind === 'commune' ? where.commune.inseeCode : where.kind]).toEqual([entry.label, expected]);
    }
  });
});
