import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id (the library's default algorithm) with the OWASP parameters: 19 MiB, 2 passes, 1 lane.
 * `verifyOrDummy` spends the same time when there is no account, so timing does not reveal accounts.
 */
@Injectable()
export class PasswordHasher {
  private readonly options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
  private dummy?: Promise<string>;

  hash(password: string): Promise<string> {
    return hash(password, this.options);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /** Verifies against the account's hash, or against a dummy hash when there is none (same cost, always false). */
  async verifyOrDummy(passwordHash: string | null | undefined, password: string): Promise<boolean> {
    if (passwordHash) return this.verify(passwordHash, password);
    this.dummy ??= this.hash('parvis-dummy-password-for-constant-time');
    await this.verify(await this.dummy, password);
    return false;
  }
}
