import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, DomainError } from '#core';
import { AGENT_ROLES, type AgentRole, type AgentRoleName } from './agent-role.entity.js';
import { AgentRoleRepository } from './agent-role.repository.js';

export const AgentErrors = {
  AGENT_ROLE_REQUIRED: 'AGENT_ROLE_REQUIRED',
  UNKNOWN_COLLECTIVITY: 'UNKNOWN_COLLECTIVITY',
  INVALID_ROLE: 'INVALID_ROLE',
} as const;

export const NO_AGENT_ACCESS_MESSAGE =
  'Votre compte n’a pas d’accès agent. Si vous travaillez pour une collectivité, demandez à son administrateur de vous donner un rôle, puis reconnectez-vous.';

/** What the back office knows of an agent: their active roles, one line per collectivity. */
export interface AgentAccess {
  sub: string;
  collectivities: { id: string; name: string; slug: string; roles: AgentRoleName[] }[];
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
    dataSource: DataSource,
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
      const entry = byCollectivity.get(role.collectivityId) ?? { id: role.collectivity.id, name: role.collectivity.name, slug: role.collectivity.slug, roles: [] };
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
