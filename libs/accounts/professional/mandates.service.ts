import { Injectable } from '@nestjs/common';
import { DataSource, In, LessThanOrEqual, MoreThan, type EntityManager } from 'typeorm';
import { Clock, DomainError, type FieldError } from '#core';
import { OutboxService } from '#queue';
import { randomToken, sha256Hex } from '../crypto/tokens.js';
import { Account } from '../entities/account.entity.js';
import { parseCompanyNumber } from './company-number.js';
import { CompanyRegistry, type Company, type CompanyLeader } from './company-registry.js';
import { CompanyMandate, type MandateRole, type MandateScope, type MandateStatus } from './company-mandate.entity.js';
import { matchingLeaders, type CertifiedPerson } from './leader-match.js';
import { mandateDecisionMail, mandateRequestMail, mandateRevokedMail } from './mails.js';
import { NOT_CERTIFIED_MESSAGE, ProfessionalErrors, REQUEST_INVALID_MESSAGE } from './professional.errors.js';

/** A request's link is valid this long. */
export const MANDATE_REQUEST_TTL_MS = 7 * 24 * 3600_000;
/** At most this many mandate requests per account in 24 hours (each one mails an address the requester typed). */
export const MANDATE_REQUESTS_PER_DAY = 10;

/** What a mandate allows, in plain French (mails, pages). */
export const MANDATE_SCOPES: Record<MandateScope, string> = {
  demarches: 'accomplir les démarches en ligne au nom de l’entreprise et en suivre le traitement',
  suivi: 'consulter et suivre les démarches de l’entreprise, sans en déposer de nouvelles',
};

/** The professional data released to a service under the `mandats` scope: one entry per active mandate. */
export interface MandateClaim {
  siren: string;
  siret: string | null;
  denomination: string;
  role: MandateRole;
  /** Date (YYYY-MM-DD, UTC) since which the mandate is active. */
  depuis: string;
}

/** A mandate as the professional area shows it; `status` is `expired` for a pending request whose link lapsed. */
export interface MandateView {
  id: string;
  siren: string;
  siret: string | null;
  denomination: string;
  role: MandateRole;
  scope: MandateScope;
  status: MandateStatus;
  leaderName: string;
  holderName: string;
  createdAt: Date;
  activeSince: Date | null;
  decidedAt: Date | null;
  revokedAt: Date | null;
  requestExpiresAt: Date | null;
}

/** Where mail links point: built by the app, which knows its public address. */
export interface MandateLinks {
  respond(token: string): string;
  area(): string;
}

export interface MandateRequestCommand {
  /** SIREN or SIRET as entered. */
  number: string;
  /** Index of the chosen leader in the company's leaders (as the registry lists them). */
  leader: string;
  leaderEmail: string;
  scope: string;
}

/** A request as the leader reviews it. */
export interface MandateRequestReview {
  mandate: CompanyMandate;
  requester: { name: string; email: string; certified: boolean };
  company: Company;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CERTIFIED_NEEDED = ['family_name', 'given_name', 'birthdate'];

/** How a person is named to others: their (certified or declared) names, else their address. */
export function displayName(account: Pick<Account, 'givenName' | 'familyName' | 'email'>): string {
  const name = [account.givenName, account.familyName].filter(Boolean).join(' ').trim();
  return name || account.email;
}

function leaderName(leader: CompanyLeader): string {
  return `${leader.givenNames} ${leader.familyName}`.replace(/\s+/g, ' ').trim();
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const driver = (error as { driverError?: { code?: string; constraint?: string } }).driverError ?? (error as { code?: string; constraint?: string });
  return driver.code === '23505' && driver.constraint === constraint;
}

function fieldError(path: string, code: string, message: string): FieldError {
  return { path, code, message };
}

/**
 * Professional accounts: verify a company in the registry, declare oneself its leader (FranceConnect-certified
 * identity matching a `dirigeant`), ask a leader for a mandate by mail (single-use link, 7 days), let that leader
 * grant or refuse it, revoke, list, and give services the active mandates (claim `mandats`).
 * Mails go through the outbox, in the transaction that decides them; the registry is asked before any write.
 */
@Injectable()
export class MandateService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
    private readonly registry: CompanyRegistry,
  ) {}

  /** The company of a SIREN/SIRET, checked in the registry: it must exist and be active. */
  async verifyCompany(input: string, field = 'numero'): Promise<Company> {
    const number = parseCompanyNumber(input, field);
    const company = await this.registry.find(number);
    if (!company) {
      const message = number.siret
        ? `Aucun établissement de numéro SIRET ${number.siret} n’est inscrit au répertoire national des entreprises. Vérifiez le numéro.`
        : `Aucune entreprise de numéro SIREN ${number.siren} n’est inscrite au répertoire national des entreprises. Vérifiez le numéro.`;
      throw new DomainError(ProfessionalErrors.COMPANY_NOT_FOUND, message, 'not_found', [fieldError(field, 'NOT_FOUND', message)]);
    }
    if (!company.active) {
      const message = `${company.denomination} (SIREN ${company.siren}) est fermée selon le répertoire national des entreprises : on ne peut pas agir pour elle.`;
      throw new DomainError(ProfessionalErrors.COMPANY_CLOSED, message, 'conflict', [fieldError(field, 'CLOSED', message)]);
    }
    return company;
  }

  /** The person's identity as FranceConnect certified it; refused (403) when it is not certified. */
  certifiedPerson(account: Account): CertifiedPerson {
    const certified = account.certificationLevel === 'eidas1' && CERTIFIED_NEEDED.every((claim) => account.certifiedAttributes.includes(claim));
    if (!certified) throw DomainError.forbidden(ProfessionalErrors.NOT_CERTIFIED, NOT_CERTIFIED_MESSAGE);
    return { familyName: account.familyName, givenNames: account.givenName, birthdate: account.birthdate, preferredUsername: account.preferredUsername };
  }

  /** The leaders of the company this certified person is (none when not certified). */
  leadersMatching(account: Account, company: Company): CompanyLeader[] {
    try {
      return matchingLeaders(this.certifiedPerson(account), company.leaders);
    } catch {
      return [];
    }
  }

  private async account(manager: EntityManager | DataSource, accountId: string): Promise<Account> {
    const account = await manager.getRepository(Account).findOneBy({ id: accountId });
    if (!account) throw DomainError.forbidden(ProfessionalErrors.MANDATE_NOT_FOUND, 'Compte introuvable.');
    return account;
  }

  private notALeader(company: Company): DomainError {
    return DomainError.forbidden(
      ProfessionalErrors.NOT_A_LEADER,
      `Votre identité certifiée par FranceConnect (nom, prénoms, année de naissance) ne correspond à aucun dirigeant de ${company.denomination} inscrit au répertoire national des entreprises.`,
    );
  }

  /** Marks the lapsed pending requests of this account for this company `expired` (they no longer block a new one). */
  private async expireLapsed(manager: EntityManager, accountId: string, siren: string): Promise<void> {
    await manager
      .getRepository(CompanyMandate)
      .update({ accountId, siren, status: 'pending', requestExpiresAt: LessThanOrEqual(this.clock.now()) }, { status: 'expired', requestTokenHash: null });
  }

  private openConflict(company: Company): DomainError {
    return DomainError.conflict(
      ProfessionalErrors.MANDATE_EXISTS,
      `Vous avez déjà un mandat actif ou une demande en attente pour ${company.denomination} : retirez-le d’abord pour en demander un autre.`,
    );
  }

  /** The certified person declares being a leader of the company: a `dirigeant` mandate, active at once. */
  async declareLeader(accountId: string, input: string): Promise<CompanyMandate> {
    const account = await this.account(this.dataSource, accountId);
    const person = this.certifiedPerson(account);
    const company = await this.verifyCompany(input);
    const [leader] = matchingLeaders(person, company.leaders);
    if (!leader) throw this.notALeader(company);
    try {
      return await this.dataSource.transaction(async (manager) => {
        await this.expireLapsed(manager, accountId, company.siren);
        const repo = manager.getRepository(CompanyMandate);
        const open = await repo.findOneBy({ accountId, siren: company.siren, status: In(['pending', 'active']) });
        if (open?.status === 'active') throw this.openConflict(company);
        const now = this.clock.now();
        if (open) {
          // A leader's own pending request is superseded by the declaration.
          await repo.update({ id: open.id }, { status: 'revoked', revokedAt: now, revokedBy: 'holder', requestTokenHash: null });
        }
        return repo.save(
          repo.create({
            accountId,
            siren: company.siren,
            siret: company.siret,
            denomination: company.denomination,
            role: 'dirigeant',
            scope: 'demarches',
            status: 'active',
            leaderName: leaderName(leader),
            leaderRole: leader.role,
            leaderEmail: null,
            grantorAccountId: null,
            requestTokenHash: null,
            requestExpiresAt: null,
            createdAt: now,
            activeSince: now,
            decidedAt: null,
            revokedAt: null,
            revokedBy: null,
          }),
        );
      });
    } catch (error) {
      if (isUniqueViolation(error, 'company_mandate_open_key')) throw this.openConflict(company);
      throw error;
    }
  }

  /** Asks a leader of the company for a mandate: a pending mandate, and a mail with a single-use link to the leader. */
  async requestMandate(accountId: string, command: MandateRequestCommand, links: MandateLinks): Promise<CompanyMandate> {
    const account = await this.account(this.dataSource, accountId);
    const company = await this.verifyCompany(command.number);
    const fields: FieldError[] = [];
    const index = /^\d{1,3}$/.test(command.leader ?? '') ? Number(command.leader) : -1;
    const leader = company.leaders[index];
    if (!leader) fields.push(fieldError('dirigeant', 'REQUIRED', 'Choisissez le dirigeant à qui demander le mandat.'));
    const email = (command.leaderEmail ?? '').trim().toLowerCase();
    if (!email) fields.push(fieldError('email', 'REQUIRED', 'Indiquez l’adresse électronique du dirigeant.'));
    else if (email.length > 254 || !EMAIL.test(email)) fields.push(fieldError('email', 'INVALID_FORMAT', 'Indiquez une adresse électronique valide, par exemple nom@exemple.fr.'));
    const scope = command.scope as MandateScope;
    if (!Object.hasOwn(MANDATE_SCOPES, scope)) fields.push(fieldError('etendue', 'REQUIRED', 'Choisissez ce que le mandat vous permettra de faire.'));
    if (fields.length || !leader) throw DomainError.invalid(ProfessionalErrors.INVALID_INPUT, 'Le formulaire contient des erreurs.', fields);
    if (this.leadersMatching(account, company).length) {
      throw DomainError.conflict(
        ProfessionalErrors.OWN_REQUEST,
        `Vous êtes vous-même dirigeant de ${company.denomination} : déclarez-vous dirigeant au lieu de demander un mandat.`,
      );
    }
    const token = randomToken();
    const now = this.clock.now();
    try {
      return await this.dataSource.transaction(async (manager) => {
        // Serialises one account's requests, so that the daily ceiling holds under concurrent posts.
        await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mandate-request:${accountId}`]);
        await this.expireLapsed(manager, accountId, company.siren);
        const repo = manager.getRepository(CompanyMandate);
        const recent = await repo.countBy({ accountId, role: 'mandataire', createdAt: MoreThan(new Date(now.getTime() - 24 * 3600_000)) });
        if (recent >= MANDATE_REQUESTS_PER_DAY) {
          throw new DomainError(
            ProfessionalErrors.TOO_MANY_REQUESTS,
            `Vous avez envoyé ${MANDATE_REQUESTS_PER_DAY} demandes de mandat en 24 heures : c’est le maximum. Réessayez demain.`,
            'too_many',
          );
        }
        if (await repo.existsBy({ accountId, siren: company.siren, status: In(['pending', 'active']) })) throw this.openConflict(company);
        const mandate = await repo.save(
          repo.create({
            accountId,
            siren: company.siren,
            siret: company.siret,
            denomination: company.denomination,
            role: 'mandataire',
            scope,
            status: 'pending',
            leaderName: leaderName(leader),
            leaderRole: leader.role,
            leaderEmail: email,
            grantorAccountId: null,
            requestTokenHash: sha256Hex(token),
            requestExpiresAt: new Date(now.getTime() + MANDATE_REQUEST_TTL_MS),
            createdAt: now,
            activeSince: null,
            decidedAt: null,
            revokedAt: null,
            revokedBy: null,
          }),
        );
        const mail = mandateRequestMail(
          email,
          { requester: displayName(account), denomination: company.denomination, siren: company.siren, scope: MANDATE_SCOPES[scope], leaderName: mandate.leaderName },
          links.respond(token),
          MANDATE_REQUEST_TTL_MS / 86_400_000,
        );
        await this.outbox.add(manager, 'mail.send', mail, { key: `identity-mandate-request-${mandate.id}` });
        return mandate;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'company_mandate_open_key')) throw this.openConflict(company);
      throw error;
    }
  }

  /** The pending request of a link, still valid; else 410 with a clear message. */
  private async pendingRequest(manager: EntityManager | DataSource, token: string, lock = false): Promise<CompanyMandate> {
    const gone = new DomainError(ProfessionalErrors.REQUEST_INVALID, REQUEST_INVALID_MESSAGE, 'gone');
    if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw gone;
    const mandate = await manager.getRepository(CompanyMandate).findOne({
      where: { requestTokenHash: sha256Hex(token) },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!mandate || mandate.status !== 'pending' || !mandate.requestExpiresAt || mandate.requestExpiresAt <= this.clock.now()) throw gone;
    return mandate;
  }

  /**
   * What a leader sees before answering: the request, who asks, and the company as the registry lists it now.
   * Only a FranceConnect-certified leader of that company may see it; never the requester.
   */
  async reviewRequest(token: string, leaderAccountId: string): Promise<MandateRequestReview> {
    const mandate = await this.pendingRequest(this.dataSource, token);
    if (mandate.accountId === leaderAccountId) {
      throw DomainError.forbidden(ProfessionalErrors.OWN_REQUEST, 'Vous ne pouvez pas répondre à votre propre demande de mandat : elle doit l’être par un dirigeant de l’entreprise.');
    }
    const leader = await this.account(this.dataSource, leaderAccountId);
    const person = this.certifiedPerson(leader);
    const company = await this.verifyCompany(mandate.siret ?? mandate.siren);
    if (!matchingLeaders(person, company.leaders).length) throw this.notALeader(company);
    const requester = await this.account(this.dataSource, mandate.accountId);
    return {
      mandate,
      requester: { name: displayName(requester), email: requester.email, certified: requester.certificationLevel !== 'none' },
      company,
    };
  }

  /** The leader grants or refuses; the link is spent either way; the requester is told by mail. */
  async decide(token: string, leaderAccountId: string, grant: boolean, links: MandateLinks): Promise<CompanyMandate> {
    const review = await this.reviewRequest(token, leaderAccountId);
    const grantor = await this.account(this.dataSource, leaderAccountId);
    return this.dataSource.transaction(async (manager) => {
      const mandate = await this.pendingRequest(manager, token, true);
      if (mandate.id !== review.mandate.id) throw new DomainError(ProfessionalErrors.REQUEST_INVALID, REQUEST_INVALID_MESSAGE, 'gone');
      const now = this.clock.now();
      mandate.status = grant ? 'active' : 'refused';
      mandate.grantorAccountId = leaderAccountId;
      mandate.decidedAt = now;
      mandate.activeSince = grant ? now : null;
      mandate.requestTokenHash = null;
      await manager.getRepository(CompanyMandate).save(mandate);
      const requester = await this.account(manager, mandate.accountId);
      await this.outbox.add(
        manager,
        'mail.send',
        mandateDecisionMail(requester.email, { granted: grant, denomination: mandate.denomination, siren: mandate.siren, grantor: displayName(grantor) }, links.area()),
        { key: `identity-mandate-decision-${mandate.id}` },
      );
      return mandate;
    });
  }

  /** The holder or the leader who granted it revokes a mandate (or the holder withdraws a pending request). */
  async revoke(mandateId: string, accountId: string, links: MandateLinks): Promise<CompanyMandate> {
    const notFound = DomainError.notFound(ProfessionalErrors.MANDATE_NOT_FOUND, 'Ce mandat n’existe pas ou ne vous concerne pas.');
    if (!UUID.test(mandateId ?? '')) throw notFound;
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(CompanyMandate);
      const mandate = await repo.findOne({ where: { id: mandateId }, lock: { mode: 'pessimistic_write' } });
      if (!mandate || (mandate.accountId !== accountId && mandate.grantorAccountId !== accountId)) throw notFound;
      const byHolder = mandate.accountId === accountId;
      const revocable = mandate.status === 'active' || (byHolder && mandate.status === 'pending');
      if (!revocable) throw DomainError.conflict(ProfessionalErrors.MANDATE_NOT_FOUND, 'Ce mandat n’est plus actif : il ne peut pas être retiré.');
      const now = this.clock.now();
      mandate.status = 'revoked';
      mandate.revokedAt = now;
      mandate.revokedBy = byHolder ? 'holder' : 'grantor';
      mandate.requestTokenHash = null;
      await repo.save(mandate);
      const actor = await this.account(manager, accountId);
      const otherId = byHolder ? mandate.grantorAccountId : mandate.accountId;
      const other = otherId ? await manager.getRepository(Account).findOneBy({ id: otherId }) : null;
      if (other) {
        await this.outbox.add(
          manager,
          'mail.send',
          mandateRevokedMail(other.email, { denomination: mandate.denomination, siren: mandate.siren, by: displayName(actor) }, links.area()),
          { key: `identity-mandate-revoked-${mandate.id}` },
        );
      }
      return mandate;
    });
  }

  /** The mandates the person holds, and those they granted as a leader, newest first. */
  async listForAccount(accountId: string): Promise<{ held: MandateView[]; granted: MandateView[] }> {
    const repo = this.dataSource.getRepository(CompanyMandate);
    const [held, granted] = await Promise.all([
      repo.find({ where: { accountId }, order: { createdAt: 'DESC' } }),
      repo.find({ where: { grantorAccountId: accountId }, order: { createdAt: 'DESC' } }),
    ]);
    const holderIds = [...new Set(granted.map((mandate) => mandate.accountId))];
    const holders = holderIds.length ? await this.dataSource.getRepository(Account).findBy({ id: In(holderIds) }) : [];
    const names = new Map(holders.map((holder) => [holder.id, displayName(holder)]));
    const now = this.clock.now();
    const view = (mandate: CompanyMandate): MandateView => ({
      id: mandate.id,
      siren: mandate.siren,
      siret: mandate.siret,
      denomination: mandate.denomination,
      role: mandate.role,
      scope: mandate.scope,
      status: mandate.status === 'pending' && mandate.requestExpiresAt && mandate.requestExpiresAt <= now ? 'expired' : mandate.status,
      leaderName: mandate.leaderName,
      holderName: names.get(mandate.accountId) ?? '',
      createdAt: mandate.createdAt,
      activeSince: mandate.activeSince,
      decidedAt: mandate.decidedAt,
      revokedAt: mandate.revokedAt,
      requestExpiresAt: mandate.requestExpiresAt,
    });
    return { held: held.map(view), granted: granted.map(view) };
  }

  /** The claim `mandats`: the person's active mandates. */
  async activeClaims(accountId: string): Promise<MandateClaim[]> {
    const active = await this.dataSource.getRepository(CompanyMandate).find({ where: { accountId, status: 'active' }, order: { activeSince: 'ASC' } });
    return active.map((mandate) => ({
      siren: mandate.siren,
      siret: mandate.siret,
      denomination: mandate.denomination,
      role: mandate.role,
      depuis: (mandate.activeSince ?? mandate.createdAt).toISOString().slice(0, 10),
    }));
  }
}
