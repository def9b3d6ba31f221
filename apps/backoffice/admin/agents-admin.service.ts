import { Inject, Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { normalizeEmail } from '#accounts';
import { AgentInvitation, AgentRoleService, backofficeSubjectForEmail, COLLECTIVITY_ROLES, type CollectivityRoleName } from '#agents';
import { APP_CONFIG, Clock, DomainError, type AppConfig } from '#core';
import { OutboxService } from '#queue';
import type { Collectivity } from '#territory';
import type { AdminActor } from './admin-access.js';
import { AdminJournal } from './admin-journal.js';

export const ROLE_LABELS: Record<string, string> = { agent: 'Agent', administrator: 'Administrateur', platform: 'Équipe plateforme' };

/** One person's access to a collectivity, as the administration lists it. */
export interface AgentEntry {
  sub: string;
  email: string;
  roles: string[];
  functions: string[];
  since: Date;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const FUNCTION_ID = /^[a-z][a-z0-9_-]{0,62}$/;

/** What an invitation did: roles given at once, or waiting for the person to create their account. */
export type InvitationOutcome = 'granted' | 'pending';

/**
 * A collectivity's agents and their roles, for its administrators (docs/administration.md). Roles are keyed on the
 * back office's pairwise `sub`, computed from the address (`backofficeSubjectForEmail`): the invited person logs in
 * with their territorial account, and the role is there. Every change is journalled.
 */
@Injectable()
export class AgentsAdministration {
  constructor(
    private readonly dataSource: DataSource,
    private readonly roles: AgentRoleService,
    private readonly outbox: OutboxService,
    private readonly journal: AdminJournal,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Active roles of the collectivity, one entry per person, by address. */
  async list(collectivity: Collectivity): Promise<AgentEntry[]> {
    const rows = await this.roles.listActive(collectivity.id);
    const bySub = new Map<string, AgentEntry>();
    for (const row of rows) {
      const entry = bySub.get(row.accountSub) ?? { sub: row.accountSub, email: row.accountEmail ?? '(adresse inconnue)', roles: [], functions: [], since: row.createdAt };
      entry.roles.push(row.role);
      for (const f of row.functions) if (!entry.functions.includes(f)) entry.functions.push(f);
      if (row.createdAt < entry.since) entry.since = row.createdAt;
      bySub.set(row.accountSub, entry);
    }
    return [...bySub.values()].sort((a, b) => a.email.localeCompare(b.email, 'fr'));
  }

  async find(collectivity: Collectivity, sub: string): Promise<AgentEntry | null> {
    return (await this.list(collectivity)).find((e) => e.sub === sub) ?? null;
  }

  /**
   * Invites a person by address. With a territorial account: the roles are given at once (idempotent). Without one:
   * a pending invitation is kept and the roles are given when the person, having created their account with that
   * address, first reaches the back office (`acceptPending`). Either way a mail goes through the outbox
   * (`mail.send`, key per collectivity, address and day: a repeated click the same day sends one mail).
   */
  async invite(actor: AdminActor, collectivity: Collectivity, input: { email: string; roles: CollectivityRoleName[]; functions: string[] }): Promise<InvitationOutcome> {
    const email = normalizeEmail(input.email);
    if (!EMAIL.test(email) || email.length > 254) throw DomainError.invalid('INVITATION_INVALID', 'Adresse électronique invalide.', [{ path: 'email', code: 'INVALID', message: 'Saisissez une adresse électronique, ex. prenom.nom@mairie.fr.' }]);
    if (!input.roles.length) throw DomainError.invalid('INVITATION_INVALID', 'Choisissez au moins un rôle.', [{ path: 'roles', code: 'REQUIRED', message: 'Choisissez au moins un rôle.' }]);
    const wrong = input.functions.filter((f) => !FUNCTION_ID.test(f));
    if (wrong.length) throw DomainError.invalid('INVITATION_INVALID', `Fonction invalide : ${wrong.join(', ')}.`, [{ path: 'functions', code: 'PATTERN', message: `Fonction invalide : ${wrong.join(', ')}.` }]);
    const identityUrl = this.config.identity.publicUrl ?? `http://${this.config.host}:${this.config.ports.identity}`;
    const backofficeUrl = this.config.webApps.backoffice.publicUrl ?? `http://${this.config.host}:${this.config.ports.backoffice}`;
    let subject: { sub: string; email: string } | null = null;
    try {
      subject = await backofficeSubjectForEmail(this.dataSource, this.config, this.clock, email);
    } catch (error) {
      if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
    }
    if (subject) {
      const existing = await this.find(collectivity, subject.sub);
      const roles = [...new Set([...(existing?.roles.filter((r): r is CollectivityRoleName => (COLLECTIVITY_ROLES as readonly string[]).includes(r)) ?? []), ...input.roles])];
      await this.roles.setRoles({ accountSub: subject.sub, accountEmail: subject.email, collectivityId: collectivity.id, roles, functions: input.functions.length ? input.functions : (existing?.functions ?? []) });
    }
    const roleText = input.roles.map((r) => ROLE_LABELS[r].toLowerCase()).join(' et ');
    const steps = subject
      ? [`Connectez-vous avec votre compte territorial (${email}) : ${backofficeUrl}/`]
      : [
          `1. Créez votre compte territorial avec cette adresse (${email}) : ${identityUrl}/inscription`,
          `2. Puis connectez-vous à l’espace agents : ${backofficeUrl}/`,
          '',
          'Vos rôles vous seront donnés à votre première connexion.',
        ];
    await this.dataSource.transaction(async (manager) => {
      if (!subject) {
        await manager.query(
          `INSERT INTO "agent_invitation" ("collectivity_id", "email", "roles", "functions", "invited_by", "created_at")
           VALUES ($1, $2, $3::text[], $4::text[], $5, $6)
           ON CONFLICT ("email", "collectivity_id") WHERE closed_at IS NULL
           DO UPDATE SET "roles" = EXCLUDED."roles", "functions" = EXCLUDED."functions", "invited_by" = EXCLUDED."invited_by", "created_at" = EXCLUDED."created_at"`,
          [collectivity.id, email, [...new Set(input.roles)], [...new Set(input.functions)], actor.sub, this.clock.now()],
        );
      }
      const day = this.clock.now().toISOString().slice(0, 10);
      await this.outbox.add(
        manager,
        'mail.send',
        {
          to: email,
          subject: `Invitation à l’espace agents de ${collectivity.name}`,
          text: [
            'Bonjour,',
            '',
            `Vous avez été invité(e) comme ${roleText} dans l’espace agents (gestion de la relation usager) de ${collectivity.name}.`,
            '',
            ...steps,
            '',
            'Si vous n’attendiez pas cette invitation, ignorez ce message.',
          ].join('\n'),
        },
        { key: `admin-invitation/${collectivity.id}/${email}/${day}` },
      );
      await this.journal.record(
        actor,
        { collectivityId: collectivity.id, action: 'agent.invited', subject: email, details: { roles: input.roles, functions: input.functions, ...(subject ? {} : { pending: true }) } },
        manager,
      );
    });
    return subject ? 'granted' : 'pending';
  }

  /** Pending invitations of a collectivity (addresses without an account yet), oldest first. */
  pending(collectivity: Collectivity): Promise<AgentInvitation[]> {
    return this.dataSource.getRepository(AgentInvitation).find({ where: { collectivityId: collectivity.id, closedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  async requirePending(collectivity: Collectivity, id: string): Promise<AgentInvitation> {
    const found = /^[0-9a-f-]{36}$/i.test(id) ? await this.dataSource.getRepository(AgentInvitation).findOneBy({ id, collectivityId: collectivity.id, closedAt: IsNull() }) : null;
    if (!found) throw DomainError.notFound('INVITATION_NOT_FOUND', 'Cette invitation n’existe pas ou n’est plus en attente.');
    return found;
  }

  async cancelInvitation(actor: AdminActor, collectivity: Collectivity, id: string): Promise<void> {
    const invitation = await this.requirePending(collectivity, id);
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(AgentInvitation).update({ id: invitation.id, closedAt: IsNull() }, { closedAt: this.clock.now(), outcome: 'cancelled' });
      await this.journal.record(actor, { collectivityId: collectivity.id, action: 'agent.invitation_cancelled', subject: invitation.email, details: {} }, manager);
    });
  }

  /**
   * Gives the roles of the pending invitations of a logged-in person's address. The address comes from the session;
   * it is trusted only when the account holding it has this very `sub` (computed as the provider does), so an
   * address claimed by another account never collects an invitation. Returns how many invitations were accepted.
   */
  async acceptPending(user: { sub: string; email: string }): Promise<number> {
    const email = normalizeEmail(user.email);
    const pending = await this.dataSource.getRepository(AgentInvitation).find({ where: { email, closedAt: IsNull() }, order: { createdAt: 'ASC' } });
    if (!pending.length) return 0;
    const { sub } = await backofficeSubjectForEmail(this.dataSource, this.config, this.clock, email);
    if (sub !== user.sub) return 0;
    let accepted = 0;
    for (const invitation of pending) {
      const current = (await this.roles.listActive(invitation.collectivityId)).filter((r) => r.accountSub === sub);
      const roles = [...new Set([...current.map((r) => r.role), ...invitation.roles])].filter((r): r is CollectivityRoleName => (COLLECTIVITY_ROLES as readonly string[]).includes(r));
      const functions = invitation.functions.length ? invitation.functions : [...new Set(current.flatMap((r) => r.functions))];
      await this.roles.setRoles({ accountSub: sub, accountEmail: email, collectivityId: invitation.collectivityId, roles, functions });
      const closed = await this.dataSource.getRepository(AgentInvitation).update({ id: invitation.id, closedAt: IsNull() }, { closedAt: this.clock.now(), outcome: 'accepted' });
      if (closed.affected) {
        accepted++;
        await this.journal.record({ sub, email }, { collectivityId: invitation.collectivityId, action: 'agent.invitation_accepted', subject: email, details: { roles: invitation.roles, functions: invitation.functions } });
      }
    }
    return accepted;
  }

  /** Sets a person's roles and workflow functions (no roles: revoked). LAST_ADMINISTRATOR when it would lock everyone out. */
  async change(actor: AdminActor, collectivity: Collectivity, sub: string, input: { roles: CollectivityRoleName[]; functions: string[] }): Promise<void> {
    const entry = await this.require(collectivity, sub);
    const outcome = await this.roles.setRoles({ accountSub: sub, accountEmail: entry.email, collectivityId: collectivity.id, roles: input.roles, functions: input.functions });
    await this.journal.record(actor, {
      collectivityId: collectivity.id,
      action: input.roles.length ? 'agent.roles_changed' : 'agent.revoked',
      subject: entry.email,
      details: { granted: outcome.granted, revoked: outcome.revoked, functions: input.functions },
    });
  }

  async revoke(actor: AdminActor, collectivity: Collectivity, sub: string): Promise<void> {
    await this.change(actor, collectivity, sub, { roles: [], functions: [] });
  }

  async require(collectivity: Collectivity, sub: string): Promise<AgentEntry> {
    const entry = await this.find(collectivity, sub);
    if (!entry) throw DomainError.notFound('AGENT_NOT_FOUND', 'Cette personne n’a pas de rôle dans la collectivité.');
    return entry;
  }

  /** Workflow function ids of the collectivity's published téléservices, offered as a hint on the forms. */
  async knownFunctions(collectivity: Collectivity): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT DISTINCT f->>'id' AS id
         FROM teleservice t
         JOIN teleservice_version v ON v.teleservice_id = t.id AND v.state = 'published'
         CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(v.workflow->'functions') = 'array' THEN v.workflow->'functions' ELSE '[]'::jsonb END) f
        WHERE t.collectivity_id = $1 AND f->>'id' IS NOT NULL
        ORDER BY 1`,
      [collectivity.id],
    );
    return rows.map((r) => r.id);
  }
}

