import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, Clock, type AppConfig } from '#core';
import { OutboxService } from '#queue';
import { hmacHex } from '../crypto/tokens.js';
import { Account } from '../entities/account.entity.js';
import { Consent } from '../entities/consent.entity.js';
import { DeletedAccount, type DeletionReason } from '../entities/deleted-account.entity.js';
import { FranceConnectLink } from '../franceconnect/franceconnect-link.entity.js';
import { CompanyMandate } from '../professional/company-mandate.entity.js';
import { revokeAccountAccess } from '../oidc/postgres-adapter.js';
import { accountDeletedMail, inactivityWarningMail } from './mails.js';

const DAY_MS = 24 * 3600_000;
/** An account unused this long (no login) is deleted with its personal data. */
export const INACTIVITY_DELETION_MS = 730 * DAY_MS;
/** The warning mail goes this long before; an account is never deleted sooner than this after its warning. */
export const INACTIVITY_NOTICE_MS = 30 * DAY_MS;
/** How long the deleted-accounts service lists a deletion. */
export const DELETED_ACCOUNTS_KEPT_MS = 365 * DAY_MS;

/** One entry of the deleted-accounts service, for one client: its own pairwise `sub`. */
export interface DeletedAccountEntry {
  sub: string;
  deletedAt: Date;
  /** Opaque cursor: the next page starts after it. */
  cursor: string;
}

/**
 * Data protection (RGPD) of the territorial account: the person's export of their data (access and portability),
 * the deletion of an account with its personal data (at the person's request, or after two years without a
 * login, announced by mail a month before), and the list of deleted accounts that partner portals read to purge
 * their copies — each partner gets its own pairwise `sub`, computed like the provider's
 * (HMAC of the redirect URIs' host and the account id with `IDENTITY_PAIRWISE_SALT`).
 */
@Injectable()
export class AccountErasure {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Everything the territorial account holds about the person, as a JSON document (access and portability). */
  async export(accountId: string): Promise<Record<string, unknown> | null> {
    const account = await this.dataSource.getRepository(Account).findOneBy({ id: accountId });
    if (!account) return null;
    const link = await this.dataSource.getRepository(FranceConnectLink).findOneBy({ accountId });
    const consents = await this.dataSource.getRepository(Consent).find({ where: { accountId }, relations: { client: true }, order: { grantedAt: 'ASC' } });
    const mandates = this.dataSource.getRepository(CompanyMandate);
    const [held, granted] = await Promise.all([
      mandates.find({ where: { accountId }, order: { createdAt: 'ASC' } }),
      mandates.find({ where: { grantorAccountId: accountId }, relations: { account: true }, order: { createdAt: 'ASC' } }),
    ]);
    const now = this.clock.now();
    const iso = (date: Date | null) => date?.toISOString() ?? null;
    const mandate = (m: CompanyMandate) => ({
      siren: m.siren,
      siret: m.siret,
      denomination: m.denomination,
      role: m.role,
      etendue: m.scope,
      statut: m.status === 'pending' && m.requestExpiresAt && m.requestExpiresAt <= now ? 'expired' : m.status,
      demande_le: iso(m.createdAt),
      actif_depuis: iso(m.activeSince),
      decide_le: iso(m.decidedAt),
      retire_le: iso(m.revokedAt),
    });
    return {
      format: 'parvis-compte-territorial/1',
      exporte_le: this.clock.now().toISOString(),
      compte: {
        identifiant: account.id,
        adresse_electronique: account.email,
        adresse_confirmee_le: account.emailVerifiedAt?.toISOString() ?? null,
        a_un_mot_de_passe: Boolean(account.passwordHash),
        cree_le: account.createdAt.toISOString(),
        derniere_connexion_le: account.lastLoginAt?.toISOString() ?? null,
      },
      identite: {
        given_name: account.givenName,
        family_name: account.familyName,
        preferred_username: account.preferredUsername,
        birthdate: account.birthdate,
        gender: account.gender,
        phone_number: account.phone,
        address: account.address,
        niveau_de_certification: account.certificationLevel,
        source_de_certification: account.certificationSource,
        donnees_certifiees: account.certifiedAttributes,
      },
      // The choice « Recevoir les SMS de suivi de mes démarches » (docs/worker.md § SMS).
      sms_de_suivi: { accepte: account.smsConsent, choix_fait_le: account.smsConsentAt?.toISOString() ?? null },
      franceconnect: link
        ? { identifiant_franceconnect: link.fcSub, birthplace: link.birthplace, birthcountry: link.birthcountry, relie_le: link.linkedAt.toISOString() }
        : null,
      consentements: consents.map((consent) => ({
        service: consent.client?.name ?? consent.clientId,
        identifiant_du_service: consent.clientId,
        donnees: consent.scopes,
        donne_le: consent.grantedAt.toISOString(),
        expire_le: consent.expiresAt.toISOString(),
        retire_le: consent.revokedAt?.toISOString() ?? null,
      })),
      // « Espace professionnel » (docs/professional-accounts.md): the mandates held, and those granted as a leader.
      // The request link's hash is never exported.
      mandats: {
        detenus: held.map((m) => ({ ...mandate(m), dirigeant: { nom: m.leaderName, qualite: m.leaderRole, adresse_electronique: m.leaderEmail } })),
        accordes: granted.map((m) => ({ ...mandate(m), titulaire: displayName(m.account) })),
      },
    };
  }

  /**
   * Deletes an account with its personal data, in one transaction: its sessions, grants and tokens, its tokens by
   * mail, consents and FranceConnect link (by cascade), the account row; records the deletion for the partners'
   * list; mails the (former) address. Returns false when there was no such account.
   */
  async delete(accountId: string, reason: DeletionReason): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const account = await manager.getRepository(Account).findOne({ where: { id: accountId }, lock: { mode: 'pessimistic_write' } });
      if (!account) return false;
      await revokeAccountAccess(manager, accountId);
      // Anything else of the provider naming the account (interactions in progress keep it in their session or result).
      await manager.query(
        `DELETE FROM "identity"."oidc_artifact"
          WHERE payload->>'accountId' = $1 OR payload->'session'->>'accountId' = $1 OR payload->'result'->'login'->>'accountId' = $1`,
        [accountId],
      );
      await manager.getRepository(Account).delete({ id: accountId });
      await manager.getRepository(DeletedAccount).insert({ accountId, deletedAt: this.clock.now(), reason });
      await this.outbox.add(manager, 'mail.send', accountDeletedMail(account.email, reason), { key: `identity-account-deleted-${accountId}` });
      return true;
    });
  }

  /**
   * The inactivity rule, one pass (idempotent; run daily): warns the accounts unused for two years minus a month
   * (once per period of inactivity), deletes those unused for two years whose warning is a month old or more, and
   * forgets deletions older than a year. Activity is the last login (or the creation for an account never used).
   */
  async applyInactivityRule(loginLink: string, batch = 500): Promise<{ warned: number; deleted: number; forgotten: number }> {
    const now = this.clock.now();
    const lastActivity = `COALESCE(a.last_login_at, a.created_at)`;
    const toWarn: { id: string; email: string }[] = await this.dataSource.query(
      `SELECT a.id, a.email FROM "identity"."account" a
        WHERE ${lastActivity} <= $1 AND (a.inactivity_warned_at IS NULL OR a.inactivity_warned_at < ${lastActivity})
        ORDER BY ${lastActivity} LIMIT $2`,
      [new Date(now.getTime() - INACTIVITY_DELETION_MS + INACTIVITY_NOTICE_MS), batch],
    );
    const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
    for (const account of toWarn) {
      await this.dataSource.transaction(async (manager) => {
        const updated = await manager.query(
          `UPDATE "identity"."account" a SET inactivity_warned_at = $2
            WHERE a.id = $1 AND (a.inactivity_warned_at IS NULL OR a.inactivity_warned_at < ${lastActivity}) RETURNING a.id`,
          [account.id, now],
        );
        if (!(updated as unknown[][])[0]?.length) return; // warned meanwhile
        const deletion = new Date(now.getTime() + INACTIVITY_NOTICE_MS);
        await this.outbox.add(manager, 'mail.send', inactivityWarningMail(account.email, dateFormat.format(deletion), loginLink), {
          key: `identity-inactivity-warning-${account.id}-${now.getTime()}`,
        });
      });
    }
    const toDelete: { id: string }[] = await this.dataSource.query(
      `SELECT a.id FROM "identity"."account" a
        WHERE ${lastActivity} <= $1 AND a.inactivity_warned_at >= ${lastActivity} AND a.inactivity_warned_at <= $2
        ORDER BY ${lastActivity} LIMIT $3`,
      [new Date(now.getTime() - INACTIVITY_DELETION_MS), new Date(now.getTime() - INACTIVITY_NOTICE_MS), batch],
    );
    let deleted = 0;
    for (const { id } of toDelete) if (await this.delete(id, 'inactivity')) deleted++;
    const forgotten = await this.dataSource
      .getRepository(DeletedAccount)
      .createQueryBuilder()
      .delete()
      .where('deleted_at < :limit', { limit: new Date(now.getTime() - DELETED_ACCOUNTS_KEPT_MS) })
      .execute();
    return { warned: toWarn.length, deleted, forgotten: forgotten.affected ?? 0 };
  }

  /**
   * Accounts deleted since `since` (within the last year), oldest first, each with the `sub` the client with this
   * redirect URI host (its sector) knows; `after` is the cursor of the previous page's last entry.
   */
  async deletedFor(sector: string, since: Date, after: string | null, limit = 500): Promise<DeletedAccountEntry[]> {
    const query = this.dataSource
      .getRepository(DeletedAccount)
      .createQueryBuilder('d')
      .where('d.deleted_at >= :since', { since })
      .orderBy('d.deleted_at', 'ASC')
      .addOrderBy('d.account_id', 'ASC')
      .limit(Math.min(Math.max(limit, 1), 1000));
    const cursor = after ? /^(\d{13})\.([0-9a-f-]{36})$/.exec(after) : null;
    if (cursor) query.andWhere('(d.deleted_at, d.account_id) > (:at, :id)', { at: new Date(Number(cursor[1])), id: cursor[2] });
    const rows = await query.getMany();
    return rows.map((row) => ({
      sub: hmacHex(this.config.identity.pairwiseSalt, `${sector}|${row.accountId}`),
      deletedAt: row.deletedAt,
      cursor: `${row.deletedAt.getTime()}.${row.accountId}`,
    }));
  }
}

/** The holder of a mandate as the grantor sees them on « Espace professionnel ». */
function displayName(account: Account | undefined): string {
  if (!account) return '';
  return [account.givenName, account.familyName].filter(Boolean).join(' ') || account.email;
}
