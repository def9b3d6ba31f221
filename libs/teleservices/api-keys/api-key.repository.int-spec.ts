import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { TeleserviceErrorCodes } from '../teleservices/teleservice.errors.js';
import { ApiKeyRepository } from './api-key.repository.js';

const T0 = new Date('2026-01-15T09:00:00.000Z');

describe('ApiKeyRepository in PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let repo: ApiKeyRepository;
  let givors: string;
  let venissieux: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, applicationName: 'parvis-test-api-keys', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 2 });
    await dataSource.initialize();
    repo = new ApiKeyRepository(dataSource.manager);
    const id = async (insee: string) => (await dataSource.query<{ id: string }[]>(`SELECT id FROM collectivity WHERE insee_code = $1`, [insee]))[0].id;
    givors = await id('69091');
    venissieux = await id('69259');
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  it('shows the key once, stores only a hash of its secret, and verifies it to its collectivity and scopes', async () => {
    const { key, info } = await repo.create(givors, 'Connecteur GRU de Givors', ['demands:read', 'demands:write'], T0);
    expect(key).toMatch(/^pvk_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
    expect(info).toEqual(expect.objectContaining({ collectivityId: givors, keyPrefix: key.slice(4, 14), scopes: ['demands:read', 'demands:write'], revokedAt: null }));
    expect(info).not.toHaveProperty('secretHash');
    const secret = key.slice(15);
    const [stored] = await dataSource.query<{ row: string }[]>(`SELECT row_to_json(k)::text AS row FROM api_key k WHERE id = $1`, [info.id]);
    expect(stored.row).not.toContain(secret);
    expect(stored.row).toContain(info.keyPrefix);
    expect(await repo.list(givors)).toEqual([expect.objectContaining({ id: info.id, lastUsedAt: null })]);
    expect(JSON.stringify(await repo.list(givors))).not.toContain(secret);

    expect(await repo.verify(key, T0)).toEqual({ apiKeyId: info.id, collectivityId: givors, scopes: ['demands:read', 'demands:write'] });
    expect((await repo.list(givors))[0].lastUsedAt).toEqual(T0);
  });

  it('refuses a wrong, unknown, malformed or revoked key with the same error', async () => {
    const { key, info } = await repo.create(givors, 'Portail', ['teleservices:read'], T0);
    const refusal = (candidate: string) => repo.verify(candidate, T0).then(() => 'accepted', (e: { code: string }) => e.code);
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect(await refusal(flipped)).toBe(TeleserviceErrorCodes.API_KEY_INVALID);
    expect(await refusal(`pvk_zzzzzzzzzz_${key.slice(15)}`)).toBe(TeleserviceErrorCodes.API_KEY_INVALID);
    expect(await refusal('Bearer nonsense')).toBe(TeleserviceErrorCodes.API_KEY_INVALID);
    expect(await refusal(key)).toBe('accepted');
    // Only its collectivity revokes it.
    await expect(repo.revoke(venissieux, info.id, T0)).rejects.toMatchObject({ code: TeleserviceErrorCodes.API_KEY_NOT_FOUND });
    expect(await refusal(key)).toBe('accepted');
    expect((await repo.revoke(givors, info.id, T0)).revokedAt).toEqual(T0);
    expect(await refusal(key)).toBe(TeleserviceErrorCodes.API_KEY_INVALID);
  });

  it('refuses a key without a name or with unknown scopes, listing both', async () => {
    await expect(repo.create(givors, ' ', ['admin' as never], T0)).rejects.toMatchObject({
      code: TeleserviceErrorCodes.API_KEY_INPUT_INVALID,
      fields: [expect.objectContaining({ path: 'name' }), expect.objectContaining({ path: 'scopes' })],
    });
  });
});
