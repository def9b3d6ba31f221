import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, DomainError } from '#core';
import { AGENT_ROLES, type AgentRole, type AgentRoleName } from './agent-role.entity.js';
import { AgentRoleRepository } from './agent-role.repository.js';

export const AgentErrors = {
  AGENT_ROLE_REQUIRED: 'AGENT_ROLE_REQUIRED',
  UNKNOWN_COLLECTIVITY: 'UNKNOWN_COLLECTIVITY',
  INVALID_ROLE: 'INVALID_ROLE',
  LAST_ADMINISTRATOR: 'LAST_ADMINISTRATOR',
  INVALID_FUNCTION: 'INVALID_FUNCTION',
} as const;

/** The roles a collectivity's administrator gives (the platform role is given by the platform team only). */
export const COLLECTIVITY_ROLES = ['agent', 'administrator'] as const;
export type CollectivityRoleName = (typeof COLLECTIVITY_ROLES)[number];
const FUNCTION_ID = /^[a-z][a-z0-9_-]{0,62}$/;

/** One account's roles and workflow functions in one collectivity, as an administrator sets them. */
export interface SetRolesCommand {
  accountSub: string;
  accountEmail: string | null;
  collectivityId: string;
  /** Empty: every agent/administrator role is revoked (the platform role is left as is). */
  roles: CollectivityRoleName[];
  /** Workflow function ids (`receiver`, …) the account holds; empty: every function (former rule). */
  functions: string[];
}

export const NO_AGENT_ACCESS_MESSAGE =
  'Votre compte n’a pas d’accès agent. Si vous travaillez pour une collectivité, demandez à son administrateur de vous donner un rôle, puis reconnectez-vous.';

/** What the back office knows of an agent: their active roles, one line per collectivity. */
export interface AgentAccess {
  sub: string;
  /** `kind`: the platform role counts on the metropolis only (docs/administration.md). */
  collectivities: { id: string; name: string; slug: string; kind: 'metropolis' | 'commune'; roles: AgentRoleName[] }[];
}

export interface GrantCommand {
  accountSub: string;
  accountEmail?: string | null;
  /** Collectivity id or slug (`givors`, `metropole-de-lyon`). */
  collectivity: string;
  role: AgentRoleName;
}

/** Agents' roles per collectivity (who may enter the back office, and for which collectivities). */
@Injectable()
export class AgentRoleService {
  private readonly repository: AgentRoleRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    this.repository = new AgentRoleRepository(dataSource);
  }

  /** The account's access, or a forbidden error when it has no active role (the back office's door). */
  async requireAccess(accountSub: string): Promise<AgentAccess> {
    const roles = await this.repository.findActiveForSub(accountSub);
    if (!roles.length) throw DomainError.forbidden(AgentErrors.AGENT_ROLE_REQUIRED, NO_AGENT_ACCESS_MESSAGE);
    const byCollectivity = new Map<string, AgentAccess['collectivities'][number]>();
    for (const role of roles) {
      const entry = byCollectivity.get(role.collectivityId) ?? { id: role.collectivity.id, name: role.collectivity.name, slug: role.collectivity.slug, kind: role.collectivity.kind, roles: [] };
      entry.roles.push(role.role);
      byCollectivity.set(role.collectivityId, entry);
    }
    return { sub: accountSub, collectivities: [...byCollectivity.values()] };
  }

  /** Gives a role (idempotent: an active identical role is returned as is). */
  async grant(command: GrantCommand): Promise<AgentRole> {
    if (!AGENT_ROLES.includes(command.role)) throw DomainError.invalid(AgentErrors.INVALID_ROLE, `Rôle inconnu : ${command.role} (${AGENT_ROLES.join(', ')}).`);
    const collectivity = await this.collectivity(command.collectivity);
    const existing = await this.repository.findActive(command.accountSub, collectivity.id, command.role);
    if (existing) return existing;
    return this.repository.insert({
      accountSub: command.accountSub,
      accountEmail: command.accountEmail ?? null,
      collectivityId: collectivity.id,
      role: command.role,
      functions: [],
      createdAt: this.clock.now(),
      revokedAt: null,
    });
  }

  /** Revokes one role, or every role when none is named, of an account in a collectivity. */
  async revoke(accountSub: string, collectivityIdOrSlug: string, role?: AgentRoleName): Promise<number> {
    const collectivity = await this.collectivity(collectivityIdOrSlug);
    return this.repository.revoke(accountSub, collectivity.id, role, this.clock.now());
  }

  /**
   * Sets one account's agent/administrator roles and workflow functions in a collectivity, in one transaction
   * serialised per collectivity. Refuses (`LAST_ADMINISTRATOR`, nothing written) a change that would leave the
   * collectivity without any active administrator: an administrator cannot lock everyone out, themselves included.
   */
  async setRoles(command: SetRolesCommand): Promise<{ granted: CollectivityRoleName[]; revoked: CollectivityRoleName[] }> {
    const roles = [...new Set(command.roles)];
    for (const role of roles) {
      if (!COLLECTIVITY_ROLES.includes(role)) throw DomainError.invalid(AgentErrors.INVALID_ROLE, `Rôle inconnu : ${String(role)}.`, [{ path: 'roles', code: 'UNKNOWN', message: `Rôle inconnu : ${String(role)}.` }]);
    }
    const functions = [...new Set(command.functions)];
    const wrong = functions.filter((f) => !FUNCTION_ID.test(f));
    if (wrong.length) {
      throw DomainError.invalid(AgentErrors.INVALID_FUNCTION, `Fonction invalide : ${wrong.join(', ')} (minuscules, chiffres, « _ » et « - », commençant par une lettre).`, [
        { path: 'functions', code: 'PATTERN', message: `Fonction invalide : ${wrong.join(', ')}.` },
      ]);
    }
    return this.dataSource.transaction(async (manager) => {
      const repository = new AgentRoleRepository(manager);
      await repository.lockCollectivity(command.collectivityId);
      const current = (await repository.findActiveIn(command.accountSub, command.collectivityId)).map((r) => r.role).filter((r): r is CollectivityRoleName => r !== 'platform');
      const granted = roles.filter((r) => !current.includes(r));
      const revoked = current.filter((r) => !roles.includes(r));
      if (revoked.includes('administrator') && (await repository.countOtherAdministrators(command.collectivityId, command.accountSub)) === 0) {
        throw DomainError.conflict(
          AgentErrors.LAST_ADMINISTRATOR,
          'Impossible de retirer ce rôle d’administrateur : c’est le dernier de la collectivité. Nommez d’abord un autre administrateur.',
        );
      }
      const now = this.clock.now();
      for (const role of revoked) await repository.revoke(command.accountSub, command.collectivityId, role, now);
      for (const role of granted) {
        await repository.insert({ accountSub: command.accountSub, accountEmail: command.accountEmail, collectivityId: command.collectivityId, role, functions, createdAt: now, revokedAt: null });
      }
      await repository.setFunctions(command.accountSub, command.collectivityId, functions);
      return { granted, revoked };
    });
  }

  async listActive(collectivityIdOrSlug?: string) {
    const collectivity = collectivityIdOrSlug ? await this.collectivity(collectivityIdOrSlug) : undefined;
    return this.repository.listActive(collectivity?.id);
  }

  private async collectivity(idOrSlug: string) {
    const found = await this.repository.findCollectivity(idOrSlug);
    if (!found) throw DomainError.notFound(AgentErrors.UNKNOWN_COLLECTIVITY, `Collectivité inconnue : ${idOrSlug}.`);
    return found;
  }
}
