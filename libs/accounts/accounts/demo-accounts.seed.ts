import type { DataSource } from 'typeorm';
import type { Clock } from '#core';
import { Account } from '../entities/account.entity.js';
import { PasswordHasher } from '../passwords/password-hasher.js';

export interface DemoAccount {
  email: string;
  password: string;
  givenName: string;
  familyName: string;
}

/**
 * Development accounts, ready to log in (email verified). Their passwords are public: the launcher creates
 * them outside production only, and prints them.
 */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { email: 'usager@parvis.localhost', password: 'demo-usager-parvis', givenName: 'Camille', familyName: 'Usager' },
  { email: 'agent@parvis.localhost', password: 'demo-agent-parvis', givenName: 'Dominique', familyName: 'Agent' },
];

/** Creates the accounts that do not exist yet (idempotent: an existing account is left as it is). */
export async function seedDemoAccounts(dataSource: DataSource, clock: Clock, accounts: readonly DemoAccount[] = DEMO_ACCOUNTS): Promise<number> {
  const hasher = new PasswordHasher();
  const repository = dataSource.getRepository(Account);
  let created = 0;
  for (const demo of accounts) {
    if (await repository.existsBy({ email: demo.email })) continue;
    await repository.insert({
      email: demo.email,
      emailVerifiedAt: clock.now(),
      passwordHash: await hasher.hash(demo.password),
      givenName: demo.givenName,
      familyName: demo.familyName,
      certificationLevel: 'none',
      certificationSource: null,
      certifiedAttributes: [],
    });
    created += 1;
  }
  return created;
}
