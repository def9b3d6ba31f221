import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock, DomainError, type FieldError } from '#core';
import { OutboxService } from '#queue';
import { randomToken, sha256Hex } from '../crypto/tokens.js';
import { Account, type PostalAddress } from '../entities/account.entity.js';
import { AccountToken, type AccountTokenPurpose } from '../entities/account-token.entity.js';
import { revokeAccountAccess, type KeptAccess } from '../oidc/postgres-adapter.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { checkPassword } from '../passwords/password-policy.js';
import { AccountErrors, INVALID_CREDENTIALS_MESSAGE, TOKEN_INVALID_MESSAGE } from './accounts.errors.js';
import {
  alreadyRegisteredMail,
  emailChangedMail,
  emailChangeRefusedMail,
  emailChangeRequestedMail,
  emailChangeVerificationMail,
  passwordChangedMail,
  resetMail,
  verificationMail,
} from './mails.js';

export const VERIFY_EMAIL_TTL_MS = 48 * 3600_000;
export const RESET_PASSWORD_TTL_MS = 3600_000;
export const CHANGE_EMAIL_TTL_MS = 48 * 3600_000;

const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const PHONE = /^\+?[0-9][0-9 .()-]{5,24}$/;
const POSTAL_CODE = /^[0-9A-Za-z -]{2,10}$/;
/** Values of the OIDC `gender` claim the profile form offers. */
export const GENDERS = ['female', 'male', 'other'];

/** Where mail links point: built by the app, which knows its public address. */
export interface AccountLinks {
  verifyEmail(token: string): string;
  resetPassword(token?: string): string;
  /** The confirmation page of a change of address (optional: only the account area sends it). */
  confirmEmailChange?(token: string): string;
}

/** What re-authentication refuses: the current password of a signed-in person, as a field error. */
export const WRONG_CURRENT_PASSWORD_MESSAGE = 'Le mot de passe actuel est incorrect.';

export interface RegisterCommand {
  email: string;
  password: string;
  givenName?: string;
  familyName?: string;
}

/** Profile attributes a person may change (each named by its OIDC claim in `Account.certifiedAttributes`). */
export interface ProfileUpdate {
  givenName?: string | null;
  familyName?: string | null;
  preferredUsername?: string | null;
  birthdate?: string | null;
  gender?: string | null;
  phone?: string | null;
  address?: PostalAddress | null;
}

const PROFILE_CLAIMS: Record<keyof ProfileUpdate, { claim: string; label: string }> = {
  givenName: { claim: 'given_name', label: 'prénom' },
  familyName: { claim: 'family_name', label: 'nom' },
  preferredUsername: { claim: 'preferred_username', label: 'nom d’usage' },
  birthdate: { claim: 'birthdate', label: 'date de naissance' },
  gender: { claim: 'gender', label: 'genre' },
  phone: { claim: 'phone_number', label: 'téléphone' },
  address: { claim: 'address', label: 'adresse postale' },
};

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function emailErrors(email: string, field = 'email'): FieldError[] {
  if (!email) return [{ path: field, code: 'REQUIRED', message: 'Indiquez votre adresse électronique.' }];
  if (email.length > 254 || !EMAIL.test(email)) {
    return [{ path: field, code: 'INVALID', message: 'Indiquez une adresse électronique valide, par exemple nom@exemple.fr.' }];
  }
  return [];
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === '23505' || (error as { driverError?: { code?: string } })?.driverError?.code === '23505';
}

/**
 * The account lifecycle: registration with email verification, login, password reset. Every answer that
 * could tell whether an address has an account is the same for both cases, and costs the same time
 * (an argon2 hash is computed either way). Mails go through the outbox, in the transaction that decides them.
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
    private readonly hasher: PasswordHasher,
  ) {}

  findById(id: string): Promise<Account | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return Promise.resolve(null);
    return this.dataSource.getRepository(Account).findOneBy({ id });
  }

  findByEmail(email: string): Promise<Account | null> {
    return this.dataSource.getRepository(Account).findOneBy({ email: normalizeEmail(email) });
  }

  /** Registers, or — when the address already has an account — tells its owner by mail. Same outcome for the caller. */
  async register(command: RegisterCommand, links: AccountLinks): Promise<void> {
    const email = normalizeEmail(command.email ?? '');
    const givenName = command.givenName?.trim() || null;
    const familyName = command.familyName?.trim() || null;
    const fields = [...emailErrors(email), ...checkPassword(command.password ?? '', 'password', email)];
    if ((givenName?.length ?? 0) > 100) fields.push({ path: 'givenName', code: 'TOO_LONG', message: 'Le prénom doit compter au plus 100 caractères.' });
    if ((familyName?.length ?? 0) > 100) fields.push({ path: 'familyName', code: 'TOO_LONG', message: 'Le nom doit compter au plus 100 caractères.' });
    if (fields.length) throw DomainError.invalid(AccountErrors.INVALID_INPUT, 'Le formulaire contient des erreurs.', fields);

    const passwordHash = await this.hasher.hash(command.password);
    const now = this.clock.now();
    try {
      await this.dataSource.transaction(async (manager) => {
        const existing = await manager.getRepository(Account).findOneBy({ email });
        if (existing) {
          await this.outbox.add(manager, 'mail.send', alreadyRegisteredMail(email, links.resetPassword()));
          return;
        }
        const account = await manager.getRepository(Account).save(
          manager.getRepository(Account).create({
            email,
            passwordHash,
            givenName,
            familyName,
            emailVerifiedAt: null,
            certificationLevel: 'none',
            certificationSource: null,
            certifiedAttributes: [],
            failingEmail: false,
            createdAt: now,
          }),
        );
        const { token, row } = await this.issueToken(manager, account.id, 'verify_email', VERIFY_EMAIL_TTL_MS);
        await this.outbox.add(manager, 'mail.send', verificationMail(email, links.verifyEmail(token), VERIFY_EMAIL_TTL_MS / 3600_000), {
          key: `identity-verify-${row.id}`,
        });
      });
    } catch (error) {
      // Two registrations of one address at once: the second behaves as "already registered".
      if (!isUniqueViolation(error)) throw error;
      await this.dataSource.transaction((manager) =>
        this.outbox.add(manager, 'mail.send', alreadyRegisteredMail(email, links.resetPassword())).then(() => undefined),
      );
    }
  }

  /** Confirms the address of the token's account. The token is single-use and expires. */
  async verifyEmail(token: string): Promise<Account> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.consumeToken(manager, token, 'verify_email');
      const accounts = manager.getRepository(Account);
      const account = await accounts.findOneByOrFail({ id: row.accountId });
      if (!account.emailVerifiedAt) {
        account.emailVerifiedAt = this.clock.now();
        await accounts.save(account);
      }
      return account;
    });
  }

  /**
   * Sends the link confirming the account's address, when it is not confirmed yet (an account created through
   * FranceConnect: the address FranceConnect gave is not taken as verified).
   */
  async sendEmailVerification(accountId: string, links: AccountLinks): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const account = await manager.getRepository(Account).findOneBy({ id: accountId });
      if (!account || account.emailVerifiedAt) return;
      const { token, row } = await this.issueToken(manager, account.id, 'verify_email', VERIFY_EMAIL_TTL_MS);
      await this.outbox.add(manager, 'mail.send', verificationMail(account.email, links.verifyEmail(token), VERIFY_EMAIL_TTL_MS / 3600_000), {
        key: `identity-verify-${row.id}`,
      });
    });
  }

  /** Checks a login. Unknown email and wrong password fail alike, after the same argon2 work. */
  async authenticate(emailInput: string, password: string): Promise<Account> {
    const email = normalizeEmail(emailInput ?? '');
    const account = email && password ? await this.findByEmail(email) : null;
    const ok = await this.hasher.verifyOrDummy(account?.passwordHash, password ?? '');
    if (!account || !ok) throw new DomainError(AccountErrors.INVALID_CREDENTIALS, INVALID_CREDENTIALS_MESSAGE, 'unauthenticated');
    if (!account.emailVerifiedAt) {
      throw new DomainError(
        AccountErrors.EMAIL_NOT_VERIFIED,
        'Votre adresse électronique n’est pas encore confirmée : suivez le lien du courriel reçu à l’inscription.',
        'forbidden',
      );
    }
    account.lastLoginAt = this.clock.now();
    await this.dataSource.getRepository(Account).update({ id: account.id }, { lastLoginAt: account.lastLoginAt });
    return account;
  }

  /**
   * Changes profile attributes. An attribute certified by an identity provider (FranceConnect) is read-only:
   * changing it is refused (403) with the field named; sending its current value is accepted.
   */
  async updateProfile(accountId: string, changes: ProfileUpdate): Promise<Account> {
    return this.dataSource.transaction(async (manager) => {
      const accounts = manager.getRepository(Account);
      const account = await accounts.findOne({ where: { id: accountId }, lock: { mode: 'pessimistic_write' } });
      if (!account) throw DomainError.notFound(AccountErrors.INVALID_INPUT, 'Compte introuvable.');
      const fields: FieldError[] = [];
      const normalized: Partial<Account> = {};
      for (const key of Object.keys(changes) as (keyof ProfileUpdate)[]) {
        const spec = PROFILE_CLAIMS[key];
        if (!spec) continue;
        const raw = changes[key];
        const value = typeof raw === 'string' ? raw.trim() || null : (raw ?? null);
        if (JSON.stringify(value) === JSON.stringify(account[key] ?? null)) continue;
        if (account.certifiedAttributes.includes(spec.claim)) {
          fields.push({
            path: key,
            code: 'CERTIFIED',
            message: `Donnée certifiée par ${account.certificationSource === 'franceconnect' ? 'FranceConnect' : 'un fournisseur d’identité'} (${spec.label}) : elle ne peut pas être modifiée ici.`,
          });
          continue;
        }
        if (typeof value === 'string' && value.length > 200) fields.push({ path: key, code: 'TOO_LONG', message: `Le champ « ${spec.label} » doit compter au plus 200 caractères.` });
        if (key === 'birthdate' && value !== null && !/^\d{4}-\d{2}-\d{2}$/.test(String(value))) {
          fields.push({ path: key, code: 'INVALID', message: 'Indiquez la date de naissance au format AAAA-MM-JJ.' });
        }
        if (key === 'gender' && value !== null && !GENDERS.includes(String(value))) {
          fields.push({ path: key, code: 'INVALID', message: 'Choisissez un genre dans la liste.' });
        }
        if (key === 'phone' && value !== null && !PHONE.test(String(value))) {
          fields.push({ path: key, code: 'INVALID', message: 'Indiquez un numéro de téléphone valide, par exemple 04 72 00 00 00.' });
        }
        if (key === 'address' && value !== null) {
          const address = value as PostalAddress;
          if (address.postal_code && !POSTAL_CODE.test(address.postal_code)) {
            fields.push({ path: key, code: 'INVALID', message: 'Indiquez un code postal valide, par exemple 69700.' });
          }
          if (Object.values(address).some((part) => typeof part !== 'string' || part.length > 200)) {
            fields.push({ path: key, code: 'TOO_LONG', message: 'Chaque partie de l’adresse postale doit compter au plus 200 caractères.' });
          }
        }
        (normalized as Record<string, unknown>)[key] = value;
      }
      if (fields.some((field) => field.code === 'CERTIFIED')) {
        throw new DomainError(AccountErrors.CERTIFIED_ATTRIBUTE, 'Certaines données sont certifiées et ne peuvent pas être modifiées.', 'forbidden', fields);
      }
      if (fields.length) throw DomainError.invalid(AccountErrors.INVALID_INPUT, 'Le formulaire contient des erreurs.', fields);
      Object.assign(account, normalized);
      return accounts.save(account);
    });
  }

  /** Sends a reset link when the address has an account; says nothing either way. */
  async requestPasswordReset(emailInput: string, links: AccountLinks): Promise<void> {
    const email = normalizeEmail(emailInput ?? '');
    const fields = emailErrors(email);
    if (fields.length) throw DomainError.invalid(AccountErrors.INVALID_INPUT, 'Le formulaire contient des erreurs.', fields);
    await this.dataSource.transaction(async (manager) => {
      const account = await manager.getRepository(Account).findOneBy({ email });
      if (!account) return;
      const { token, row } = await this.issueToken(manager, account.id, 'reset_password', RESET_PASSWORD_TTL_MS);
      await this.outbox.add(manager, 'mail.send', resetMail(email, links.resetPassword(token), RESET_PASSWORD_TTL_MS / 60_000), {
        key: `identity-reset-${row.id}`,
      });
    });
  }

  /** Whether a reset token can still be used (to show the form or say the link is stale). */
  async isResetTokenUsable(token: string): Promise<boolean> {
    const row = await this.dataSource.getRepository(AccountToken).findOneBy({ tokenHash: sha256Hex(token ?? ''), purpose: 'reset_password' });
    return Boolean(row && !row.usedAt && row.expiresAt > this.clock.now());
  }

  /** The account a usable reset token belongs to, or null. */
  async resetTokenAccountId(token: string): Promise<string | null> {
    const row = await this.dataSource.getRepository(AccountToken).findOneBy({ tokenHash: sha256Hex(token ?? ''), purpose: 'reset_password' });
    return row && !row.usedAt && row.expiresAt > this.clock.now() ? row.accountId : null;
  }

  /** Sets a new password with a reset token (single use), which also proves the address. */
  async resetPassword(token: string, password: string): Promise<Account> {
    const hash = await (async () => {
      const fields = checkPassword(password ?? '', 'password');
      if (fields.length) throw DomainError.invalid(AccountErrors.INVALID_INPUT, 'Le formulaire contient des erreurs.', fields);
      return this.hasher.hash(password);
    })();
    return this.dataSource.transaction(async (manager) => {
      const row = await this.consumeToken(manager, token, 'reset_password');
      const accounts = manager.getRepository(Account);
      const account = await accounts.findOneByOrFail({ id: row.accountId });
      const now = this.clock.now();
      account.passwordHash = hash;
      account.emailVerifiedAt ??= now;
      await accounts.save(account);
      // Any other reset link sent before is now void.
      await manager
        .createQueryBuilder()
        .update(AccountToken)
        .set({ usedAt: now })
        .where('account_id = :id AND purpose = :purpose AND used_at IS NULL', { id: account.id, purpose: 'reset_password' })
        .execute();
      // Whoever held the old password loses every session and every service's tokens.
      await revokeAccountAccess(manager, account.id);
      await this.outbox.add(manager, 'mail.send', passwordChangedMail(account.email), { key: `identity-password-changed-${row.id}` });
      return account;
    });
  }

  /** Re-authentication of a signed-in person: the current password, refused as a field error. */
  async checkCurrentPassword(account: Account, password: string, field = 'currentPassword'): Promise<void> {
    const ok = await this.hasher.verifyOrDummy(account.passwordHash, password ?? '');
    if (!ok || !password) {
      throw new DomainError(AccountErrors.INVALID_CREDENTIALS, 'Le formulaire contient des erreurs.', 'unauthenticated', [
        { path: field, code: 'WRONG_PASSWORD', message: WRONG_CURRENT_PASSWORD_MESSAGE },
      ]);
    }
  }

  /**
   * Changes the password of a signed-in person, who gives the current one (re-authentication). Same policy as
   * registration; pending reset links are voided; a notification mail goes to the address. The account's other
   * provider sessions end and its grants are revoked with their tokens (relying parties' refresh tokens stop
   * working), except the session and grants in `keep` (the one the person is using).
   */
  async changePassword(accountId: string, currentPassword: string, newPassword: string, keep: KeptAccess = {}): Promise<Account> {
    const account = await this.findById(accountId);
    if (!account) throw DomainError.notFound(AccountErrors.INVALID_INPUT, 'Compte introuvable.');
    if (!account.passwordHash) {
      throw DomainError.invalid(AccountErrors.INVALID_INPUT, 'Le formulaire contient des erreurs.', [
        { path: 'currentPassword', code: 'NO_PASSWORD', message: 'Votre compte n’a pas encore de mot de passe : utilisez « Mot de passe oublié » pour en choisir un.' },
      ]);
    }
    await this.checkCurrentPassword(account, currentPassword);
    const fields = checkPassword(newPassword ?? '', 'newPassword', account.email);
    if (fields.length) throw DomainError.invalid(AccountErrors.INVALID_INPUT, 'Le formulaire contient des erreurs.', fields);
    const hash = await this.hasher.hash(newPassword);
    return this.dataSource.transaction(async (manager) => {
      const now = this.clock.now();
      await manager.getRepository(Account).update({ id: account.id }, { passwordHash: hash });
      await manager
        .createQueryBuilder()
        .update(AccountToken)
        .set({ usedAt: now })
        .where('account_id = :id AND purpose = :purpose AND used_at IS NULL', { id: account.id, purpose: 'reset_password' })
        .execute();
      await revokeAccountAccess(manager, account.id, keep);
      await this.outbox.add(manager, 'mail.send', passwordChangedMail(account.email));
      return { ...account, passwordHash: hash };
    });
  }

  /**
   * Asks to change the address of a signed-in person (current password required). A single-use link goes to the
   * new address; the current one is told at once. Nothing changes until the link is followed. When the new
   * address already belongs to another account, its owner is told by mail and the caller sees the same answer.
   */
  async requestEmailChange(accountId: string, currentPassword: string, newEmailInput: string, links: AccountLinks): Promise<void> {
    const account = await this.findById(accountId);
    if (!account) throw DomainError.notFound(AccountErrors.INVALID_INPUT, 'Compte introuvable.');
    const newEmail = normalizeEmail(newEmailInput ?? '');
    const fields = emailErrors(newEmail, 'newEmail');
    if (!fields.length && newEmail === account.email) {
      fields.push({ path: 'newEmail', code: 'UNCHANGED', message: 'Indiquez une adresse différente de l’adresse actuelle.' });
    }
    await this.checkCurrentPassword(account, currentPassword);
    if (fields.length) throw DomainError.invalid(AccountErrors.INVALID_INPUT, 'Le formulaire contient des erreurs.', fields);
    if (!links.confirmEmailChange) throw new Error('AccountLinks.confirmEmailChange is required to change an address');
    const confirmLink = links.confirmEmailChange;
    await this.dataSource.transaction(async (manager) => {
      const taken = await manager.getRepository(Account).findOneBy({ email: newEmail });
      if (taken) {
        await this.outbox.add(manager, 'mail.send', emailChangeRefusedMail(newEmail));
        return;
      }
      // A new request voids the previous links.
      await manager
        .createQueryBuilder()
        .update(AccountToken)
        .set({ usedAt: this.clock.now() })
        .where('account_id = :id AND purpose = :purpose AND used_at IS NULL', { id: account.id, purpose: 'change_email' })
        .execute();
      const { token, row } = await this.issueToken(manager, account.id, 'change_email', CHANGE_EMAIL_TTL_MS, newEmail);
      await this.outbox.add(manager, 'mail.send', emailChangeVerificationMail(newEmail, confirmLink(token), CHANGE_EMAIL_TTL_MS / 3600_000), {
        key: `identity-change-email-${row.id}`,
      });
      await this.outbox.add(manager, 'mail.send', emailChangeRequestedMail(account.email), { key: `identity-change-email-notice-${row.id}` });
    });
  }

  /** Applies a change of address with its link (single use): the new address becomes the login, verified. */
  async confirmEmailChange(token: string): Promise<Account> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const row = await this.consumeToken(manager, token, 'change_email');
        const accounts = manager.getRepository(Account);
        const account = await accounts.findOne({ where: { id: row.accountId }, lock: { mode: 'pessimistic_write' } });
        if (!account || !row.newEmail) throw new DomainError(AccountErrors.TOKEN_INVALID, TOKEN_INVALID_MESSAGE, 'gone');
        const previous = account.email;
        account.email = row.newEmail;
        account.emailVerifiedAt = this.clock.now();
        account.failingEmail = false;
        await accounts.save(account);
        await this.outbox.add(manager, 'mail.send', emailChangedMail(previous), { key: `identity-email-changed-${row.id}` });
        return account;
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new DomainError(AccountErrors.EMAIL_TAKEN, 'Cette adresse est désormais utilisée par un autre compte : le changement n’a pas pu être fait.', 'conflict');
    }
  }

  private async issueToken(manager: EntityManager, accountId: string, purpose: AccountTokenPurpose, ttlMs: number, newEmail: string | null = null) {
    const token = randomToken();
    const now = this.clock.now();
    const row = await manager.getRepository(AccountToken).save(
      manager.getRepository(AccountToken).create({
        accountId,
        purpose,
        tokenHash: sha256Hex(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + ttlMs),
        usedAt: null,
        newEmail,
      }),
    );
    return { token, row };
  }

  /** Marks a token used, atomically: two concurrent uses cannot both succeed. */
  private async consumeToken(manager: EntityManager, token: string, purpose: AccountTokenPurpose): Promise<AccountToken> {
    const now = this.clock.now();
    const result: unknown[] = await manager.query(
      `UPDATE "identity"."account_token" SET used_at = $1
        WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
        RETURNING id, account_id`,
      [now, sha256Hex(token ?? ''), purpose],
    );
    // TypeORM returns [rows, count] for an UPDATE.
    const updated = (Array.isArray(result[0]) ? result[0] : result) as { id: string; account_id: string }[];
    const hit = updated[0];
    if (!hit) throw new DomainError(AccountErrors.TOKEN_INVALID, TOKEN_INVALID_MESSAGE, 'gone');
    return manager.getRepository(AccountToken).findOneByOrFail({ id: hit.id });
  }
}
