import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { Clock } from '#core';
import { Consent } from '../entities/consent.entity.js';

/** A consent is asked again after this time. */
export const CONSENT_TTL_MS = 365 * 24 * 3600_000;

/** Scopes that never need a consent screen: identifying the person to the service itself and keeping the session. */
export const SCOPES_WITHOUT_CONSENT = new Set(['openid', 'offline_access']);

@Injectable()
export class ConsentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** The scopes the person has consented to for this client and that are still valid. */
  async consentedScopes(accountId: string, clientId: string): Promise<string[]> {
    const consent = await this.dataSource.getRepository(Consent).findOneBy({ accountId, clientId, revokedAt: IsNull() });
    if (!consent || consent.expiresAt <= this.clock.now()) return [];
    return consent.scopes;
  }

  /** Records (or widens and renews) the person's consent to these scopes. */
  async record(accountId: string, clientId: string, scopes: string[]): Promise<Consent> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + CONSENT_TTL_MS);
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(Consent);
      const current = await repo.findOne({ where: { accountId, clientId, revokedAt: IsNull() }, lock: { mode: 'pessimistic_write' } });
      if (current) {
        const previous = current.expiresAt > now ? current.scopes : [];
        current.scopes = [...new Set([...previous, ...scopes])].sort();
        current.grantedAt = now;
        current.expiresAt = expiresAt;
        return repo.save(current);
      }
      return repo.save(repo.create({ accountId, clientId, scopes: [...new Set(scopes)].sort(), grantedAt: now, expiresAt, revokedAt: null }));
    });
  }
}
