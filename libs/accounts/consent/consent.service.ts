import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, MoreThan } from 'typeorm';
import { Clock, DomainError } from '#core';
import { AccountErrors } from '../accounts/accounts.errors.js';
import { Consent } from '../entities/consent.entity.js';

/** A consent as the account area shows it. */
export interface ConsentView {
  id: string;
  clientId: string;
  clientName: string;
  collectivityId: string | null;
  scopes: string[];
  grantedAt: Date;
  expiresAt: Date;
}

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

  /** The person's active (unrevoked, unexpired) consents, newest first, with the client's name. */
  async listActive(accountId: string): Promise<ConsentView[]> {
    const consents = await this.dataSource.getRepository(Consent).find({
      where: { accountId, revokedAt: IsNull(), expiresAt: MoreThan(this.clock.now()) },
      relations: { client: true },
      order: { grantedAt: 'DESC' },
    });
    return consents.map((consent) => ({
      id: consent.id,
      clientId: consent.clientId,
      clientName: consent.client?.name ?? consent.clientId,
      collectivityId: consent.client?.collectivityId ?? null,
      scopes: consent.scopes,
      grantedAt: consent.grantedAt,
      expiresAt: consent.expiresAt,
    }));
  }

  /**
   * Withdraws the person's consent to a client, and in the same transaction destroys every grant of the
   * provider for this account and client with what was issued under it (codes, access and refresh tokens):
   * the client loses access at once, and its next authorization asks for consent again. Rows are those of
   * `PostgresOidcAdapter` (`identity.oidc_artifact`), the provider's storage.
   */
  async revoke(accountId: string, clientId: string): Promise<void> {
    const now = this.clock.now();
    await this.dataSource.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(Consent)
        .set({ revokedAt: now })
        .where('account_id = :accountId AND client_id = :clientId AND revoked_at IS NULL', { accountId, clientId })
        .execute();
      if (!result.affected) throw DomainError.notFound(AccountErrors.CONSENT_NOT_FOUND, 'Ce service n’a pas ou plus accès à vos données.');
      await manager.query(
        `WITH grants AS (
           SELECT id FROM "identity"."oidc_artifact"
            WHERE model = 'Grant' AND payload->>'accountId' = $1 AND payload->>'clientId' = $2
         )
         DELETE FROM "identity"."oidc_artifact"
          WHERE grant_id IN (SELECT id FROM grants) OR (model = 'Grant' AND id IN (SELECT id FROM grants))`,
        [accountId, clientId],
      );
    });
  }
}
