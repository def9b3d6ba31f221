import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ManualClock } from '#core';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { Account } from '../entities/account.entity.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { DEMO_ACCOUNTS, seedDemoAccounts } from './demo-accounts.seed.js';

describe('development accounts', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const clock = new ManualClock('2026-03-01T08:00:00.000Z');

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, applicationName: 'demo-accounts-test', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('creates verified accounts whose published passwords work, once', async () => {
    expect(await seedDemoAccounts(dataSource, clock)).toBe(DEMO_ACCOUNTS.length);
    expect(await seedDemoAccounts(dataSource, clock)).toBe(0);
    const hasher = new PasswordHasher();
    for (const demo of DEMO_ACCOUNTS) {
      const account = await dataSource.getRepository(Account).findOneByOrFail({ email: demo.email });
      expect(account.emailVerifiedAt?.toISOString()).toBe('2026-03-01T08:00:00.000Z');
      expect(account.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await hasher.verify(account.passwordHash ?? '', demo.password)).toBe(true);
      expect(account.certificationLevel).toBe('none');
    }
  });
});
