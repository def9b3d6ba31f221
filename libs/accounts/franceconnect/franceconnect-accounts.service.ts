import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock, DomainError } from '#core';
import { OutboxService } from '#queue';
import { normalizeEmail } from '../accounts/account.service.js';
import { franceConnectUnlinkedMail } from '../accounts/mails.js';
import { revokeAccountAccess } from '../oidc/postgres-adapter.js';
import { Account } from '../entities/account.entity.js';
import { FranceConnectErrors, SUB_ALREADY_LINKED_MESSAGE } from './franceconnect.errors.js';
import { FranceConnectLink } from './franceconnect-link.entity.js';
import { CERTIFIED_ATTRIBUTES, type PivotIdentity } from './pivot-identity.js';

function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driver = (error as { driverError?: { code?: string; constraint?: string } }).driverError ?? (error as { code?: string; constraint?: string });
  return driver.code === '23505' && (!constraint || driver.constraint === constraint);
}

/**
 * Accounts and FranceConnect identities: find the account of a FranceConnect `sub`, create an account from a
 * pivot identity, link an existing account (the caller has checked that account's own login). Linking or
 * logging in stores the pivot identity as certified: level `eidas1`, source `franceconnect`, the certified
 * attribute names; those attributes become read-only (AccountService.updateProfile refuses them).
 */
@Injectable()
export class FranceConnectAccounts {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
  ) {}

  findLink(fcSub: string): Promise<FranceConnectLink | null> {
    return this.dataSource.getRepository(FranceConnectLink).findOneBy({ fcSub });
  }

  findLinkOfAccount(accountId: string): Promise<FranceConnectLink | null> {
    return this.dataSource.getRepository(FranceConnectLink).findOneBy({ accountId });
  }

  /** A login through FranceConnect of a linked identity: refreshes the certified attributes, returns the account. */
  async logIn(pivot: PivotIdentity): Promise<Account | null> {
    return this.dataSource.transaction(async (manager) => {
      const link = await manager.getRepository(FranceConnectLink).findOneBy({ fcSub: pivot.sub });
      if (!link) return null;
      const account = await this.certify(manager, link.accountId, pivot);
      await manager.getRepository(FranceConnectLink).update({ accountId: link.accountId }, { birthplace: pivot.birthplace, birthcountry: pivot.birthcountry, refreshedAt: this.clock.now() });
      return account;
    });
  }

  /**
   * A new account from the pivot identity. The email FranceConnect gives is NOT taken as verified: the account
   * has no password and an unverified address until its owner confirms it. An address already used by an account
   * is refused (that account must be linked by logging into it).
   */
  async createAccount(pivot: PivotIdentity): Promise<Account> {
    if (!pivot.email) {
      throw new DomainError(FranceConnectErrors.EMAIL_MISSING, 'FranceConnect n’a pas transmis d’adresse électronique : créez votre compte avec le formulaire, puis reliez-le à FranceConnect.', 'invalid');
    }
    const email = normalizeEmail(pivot.email);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const accounts = manager.getRepository(Account);
        const now = this.clock.now();
        const account = await accounts.save(
          accounts.create({
            email,
            emailVerifiedAt: null,
            passwordHash: null,
            givenName: pivot.givenName,
            familyName: pivot.familyName,
            preferredUsername: pivot.preferredUsername,
            birthdate: pivot.birthdate,
            gender: pivot.gender,
            certificationLevel: 'eidas1',
            certificationSource: 'franceconnect',
            certifiedAttributes: [...CERTIFIED_ATTRIBUTES],
            failingEmail: false,
            createdAt: now,
            lastLoginAt: now,
          }),
        );
        await this.insertLink(manager, account.id, pivot);
        return account;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'account_email_key')) {
        throw DomainError.conflict(
          FranceConnectErrors.EMAIL_TAKEN,
          `Un compte territorial utilise déjà l’adresse ${email}. Connectez-vous à ce compte avec son mot de passe pour le relier à FranceConnect.`,
        );
      }
      throw error;
    }
  }

  /** Links an account (whose own login the caller checked) to the FranceConnect identity and certifies it. */
  async link(accountId: string, pivot: PivotIdentity): Promise<Account> {
    return this.dataSource.transaction(async (manager) => {
      const links = manager.getRepository(FranceConnectLink);
      const existing = await links.findOneBy({ accountId });
      if (existing && existing.fcSub !== pivot.sub) {
        throw DomainError.conflict(FranceConnectErrors.ACCOUNT_ALREADY_LINKED, 'Ce compte territorial est déjà relié à une autre identité FranceConnect.');
      }
      const other = await links.findOneBy({ fcSub: pivot.sub });
      if (other && other.accountId !== accountId) throw DomainError.conflict(FranceConnectErrors.SUB_ALREADY_LINKED, SUB_ALREADY_LINKED_MESSAGE);
      if (!existing) await this.insertLink(manager, accountId, pivot);
      return this.certify(manager, accountId, pivot);
    });
  }

  /**
   * Unlinks FranceConnect from an account (the caller re-authenticated the person with the account's password).
   * The link row goes with the birth place and country (held only as certified data); the other pivot attributes
   * stay on the account as the person's own, editable, declarations; the level goes back to `none`. Every session
   * and grant of the account is revoked (they carried `acr=eidas1`); a notification mail goes out. An account
   * without a password cannot be unlinked (FranceConnect is its only way in).
   */
  async unlink(accountId: string): Promise<Account> {
    return this.dataSource.transaction(async (manager) => {
      const accounts = manager.getRepository(Account);
      const account = await accounts.findOne({ where: { id: accountId }, lock: { mode: 'pessimistic_write' } });
      const link = await manager.getRepository(FranceConnectLink).findOneBy({ accountId });
      if (!account || !link) throw DomainError.notFound(FranceConnectErrors.NOT_LINKED, 'Votre compte n’est pas relié à FranceConnect.');
      if (!account.passwordHash) {
        throw new DomainError(
          FranceConnectErrors.PASSWORD_NEEDED,
          'Votre compte n’a pas de mot de passe : choisissez-en un d’abord (« Mot de passe oublié »), sans quoi vous ne pourriez plus vous connecter.',
          'conflict',
        );
      }
      await manager.getRepository(FranceConnectLink).delete({ accountId });
      account.certificationLevel = 'none';
      account.certificationSource = null;
      account.certifiedAttributes = [];
      const saved = await accounts.save(account);
      await revokeAccountAccess(manager, accountId);
      await this.outbox.add(manager, 'mail.send', franceConnectUnlinkedMail(account.email));
      return saved;
    });
  }

  private async insertLink(manager: EntityManager, accountId: string, pivot: PivotIdentity) {
    const now = this.clock.now();
    try {
      await manager.getRepository(FranceConnectLink).insert({ accountId, fcSub: pivot.sub, birthplace: pivot.birthplace, birthcountry: pivot.birthcountry, linkedAt: now, refreshedAt: now });
    } catch (error) {
      // Two links of one identity at once: the second is refused like any already-linked identity.
      if (isUniqueViolation(error, 'franceconnect_link_fc_sub_key')) throw DomainError.conflict(FranceConnectErrors.SUB_ALREADY_LINKED, SUB_ALREADY_LINKED_MESSAGE);
      if (isUniqueViolation(error, 'franceconnect_link_pkey')) {
        throw DomainError.conflict(FranceConnectErrors.ACCOUNT_ALREADY_LINKED, 'Ce compte territorial est déjà relié à une autre identité FranceConnect.');
      }
      throw error;
    }
  }

  /** Writes the certified attributes (FranceConnect is their source of truth) and raises the level. */
  private async certify(manager: EntityManager, accountId: string, pivot: PivotIdentity): Promise<Account> {
    const accounts = manager.getRepository(Account);
    const account = await accounts.findOneByOrFail({ id: accountId });
    account.givenName = pivot.givenName;
    account.familyName = pivot.familyName;
    account.birthdate = pivot.birthdate;
    account.gender = pivot.gender;
    account.preferredUsername ??= pivot.preferredUsername;
    account.certificationLevel = 'eidas1';
    account.certificationSource = 'franceconnect';
    account.certifiedAttributes = [...CERTIFIED_ATTRIBUTES];
    account.lastLoginAt = this.clock.now();
    return accounts.save(account);
  }
}
