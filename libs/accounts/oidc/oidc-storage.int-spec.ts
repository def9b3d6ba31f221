import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig, ManualClock, type AppConfig } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { createTestDatabase, testEnvironment, type TestDatabase } from '#testing';
import { ClientService } from '../clients/client.service.js';
import { seedIdentityClients, DEV_CLIENT_SECRETS } from '../clients/identity-seed.js';
import { OidcClient } from '../entities/oidc-client.entity.js';
import { PostgresOidcAdapter, purgeExpiredArtifacts } from './postgres-adapter.js';
import { SIGNING_KEY_OVERLAP_MS, SigningKeys } from './signing-keys.js';

describe('identity storage: provider artefacts, signing keys, clients', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let config: AppConfig;
  const clock = new ManualClock();

  beforeAll(async () => {
    database = await createTestDatabase();
    config = loadConfig(testEnvironment(database));
    dataSource = createDataSource({ url: database.url, applicationName: 'parvis-test-identity', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 2 });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  describe('PostgresOidcAdapter', () => {
    it('stores, finds by id and by uid, and honours expiry on read', async () => {
      const sessions = new PostgresOidcAdapter(dataSource, 'Session');
      await sessions.upsert('s1', { uid: 'u1', accountId: 'a1' }, 3600);
      expect(await sessions.find('s1')).toEqual({ uid: 'u1', accountId: 'a1' });
      expect(await sessions.findByUid('u1')).toEqual({ uid: 'u1', accountId: 'a1' });
      expect(await new PostgresOidcAdapter(dataSource, 'Interaction').find('s1')).toBeUndefined(); // another model
      await dataSource.query(`UPDATE identity.oidc_artifact SET expires_at = now() - interval '1 second' WHERE id = 's1'`);
      expect(await sessions.find('s1')).toBeUndefined();
      expect(await sessions.findByUid('u1')).toBeUndefined();
      expect(await purgeExpiredArtifacts(dataSource)).toBeGreaterThanOrEqual(1);
      expect(await dataSource.query(`SELECT 1 FROM identity.oidc_artifact WHERE id = 's1'`)).toEqual([]);
    });

    it('marks a code consumed (kept across a later upsert), and revokes everything of a grant', async () => {
      const codes = new PostgresOidcAdapter(dataSource, 'AuthorizationCode');
      const tokens = new PostgresOidcAdapter(dataSource, 'AccessToken');
      const grants = new PostgresOidcAdapter(dataSource, 'Grant');
      await grants.upsert('g1', { accountId: 'a1' }, 3600);
      await codes.upsert('c1', { grantId: 'g1' }, 60);
      await tokens.upsert('t1', { grantId: 'g1' }, 600);
      await tokens.upsert('t2', { grantId: 'g2' }, 600);
      await codes.consume('c1');
      expect((await codes.find('c1'))?.consumed).toEqual(expect.any(Number));
      await codes.upsert('c1', { grantId: 'g1' }, 60);
      expect((await codes.find('c1'))?.consumed).toEqual(expect.any(Number));
      await codes.revokeByGrantId('g1');
      expect(await codes.find('c1')).toBeUndefined();
      expect(await tokens.find('t1')).toBeUndefined();
      expect(await grants.find('g1')).toBeUndefined();
      expect(await tokens.find('t2')).toEqual({ grantId: 'g2' });
    });
  });

  it('generates the first signing key once, and keeps the previous key in the JWKS during the overlap after a rotation', async () => {
    const keys = new SigningKeys(dataSource, clock, config);
    const [first] = (await keys.jwks()).keys;
    expect(first).toEqual(expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', d: expect.any(String) }));
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([first!.kid]);
    const stored = await dataSource.query<{ private_jwk_encrypted: string }[]>(`SELECT private_jwk_encrypted FROM identity.signing_key`);
    expect(stored[0]!.private_jwk_encrypted).not.toContain(String(first!.d));

    clock.advance(1000);
    const second = await keys.rotate();
    const published = await keys.publicKeys();
    expect(published.map((k) => k.kid)).toEqual([second, first!.kid]); // the new signer first
    expect(published.every((k) => k.d === undefined)).toBe(true);
    expect((await keys.jwks()).keys[0]!.kid).toBe(second);

    clock.advance(SIGNING_KEY_OVERLAP_MS + 1000);
    expect((await keys.publicKeys()).map((k) => k.kid)).toEqual([second]);
  });

  it('validates partner clients: https, one host per client, no fragment, known scopes', async () => {
    const clients = new ClientService(dataSource, clock, { ...config, env: 'production' });
    const base = { clientId: 'mairie-bron', name: 'Portail de Bron', allowedScopes: ['openid'], consentRequired: true };
    const problems = async (redirectUris: string[], extra = {}) => {
      try {
        await clients.create({ ...base, redirectUris, ...extra });
        return [];
      } catch (error) {
        return ((error as { fields?: { path: string; code: string }[] }).fields ?? []).map((f) => `${f.path}:${f.code}`);
      }
    };
    expect(await problems(['http://www.bron.fr/retour'])).toEqual(['redirectUris.0:INVALID']);
    expect(await problems(['javascript:alert(1)'])).toEqual(['redirectUris.0:INVALID']);
    expect(await problems(['https://www.bron.fr/retour#x'])).toEqual(['redirectUris.0:INVALID']);
    expect(await problems(['https://www.bron.fr/a', 'https://autre.example/b'])).toEqual(['redirectUris:MULTIPLE_HOSTS']);
    expect(await problems(['https://www.bron.fr/retour'], { allowedScopes: ['openid', 'nir'] })).toEqual(['allowedScopes:UNKNOWN']);
    expect(await problems(['https://www.bron.fr/retour'])).toEqual([]);
    const row = await dataSource.getRepository(OidcClient).findOneByOrFail({ clientId: 'mairie-bron' });
    expect(row.secretEncrypted).toMatch(/^v1\./);
    const metadata = await clients.providerMetadata('mairie-bron');
    expect(metadata).toEqual(expect.objectContaining({ client_secret: expect.any(String), subject_type: 'pairwise', scope: 'openid' }));
    const rotated = await clients.rotateSecret('mairie-bron');
    expect((await clients.providerMetadata('mairie-bron'))?.client_secret).toBe(rotated);
  });

  it('seeds the portal and back-office clients idempotently', async () => {
    const clients = new ClientService(dataSource, clock, config);
    const urls = { portal: 'http://127.0.0.1:3000', backoffice: 'http://127.0.0.1:3001' };
    await seedIdentityClients(clients, urls);
    const again = await seedIdentityClients(clients, urls);
    expect(again.map((c) => c.clientId)).toEqual(['parvis-portal', 'parvis-backoffice']);
    expect(again[0]).toEqual(expect.objectContaining({ redirectUris: ['http://127.0.0.1:3000/auth/callback'], consentRequired: false }));
    expect((await clients.providerMetadata('parvis-portal'))?.client_secret).toBe(DEV_CLIENT_SECRETS['parvis-portal']);
  });
});
