import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AgentAccess } from '#agents';
import { DomainError } from '#core';
import { Collectivity } from '#territory';

export const AdminErrors = {
  ADMIN_FORBIDDEN: 'ADMIN_FORBIDDEN',
  PLATFORM_FORBIDDEN: 'PLATFORM_FORBIDDEN',
} as const;

/** The administrator acting, as the journal records them. */
export interface AdminActor {
  sub: string;
  email: string | null;
}

/**
 * Who may administer what, checked on every administration route (server side, from the roles read at each
 * request by AgentGuard):
 * - a collectivity's agents and branding: an `administrator` of that collectivity, or the platform team (`platform`
 *   role on the metropolis: the metropolis manages the access of Abonné communes' agents);
 * - platform operation: the `platform` role on the metropolis only.
 * Another collectivity's page answers 403 like a missing one (no list of who exists is leaked to an administrator).
 */
@Injectable()
export class AdminAccess {
  constructor(private readonly dataSource: DataSource) {}

  async isPlatform(agent: AgentAccess): Promise<boolean> {
    const metropolis = await this.metropolis();
    return agent.collectivities.some((c) => c.id === metropolis.id && c.roles.includes('platform'));
  }

  /** The collectivities this agent administers (for the menu and the administration home). */
  async administered(agent: AgentAccess): Promise<Collectivity[]> {
    if (await this.isPlatform(agent)) return this.dataSource.getRepository(Collectivity).find({ order: { kind: 'DESC', slug: 'ASC' } });
    const ids = agent.collectivities.filter((c) => c.roles.includes('administrator')).map((c) => c.id);
    if (!ids.length) return [];
    return this.dataSource.getRepository(Collectivity).createQueryBuilder('c').where('c.id IN (:...ids)', { ids }).orderBy('c.kind', 'DESC').addOrderBy('c.slug', 'ASC').getMany();
  }

  /** The collectivity named by `slug`, when the agent administers it; 403 otherwise (also for an unknown slug). */
  async requireAdministratorOf(agent: AgentAccess, slug: string): Promise<Collectivity> {
    const collectivity = /^[a-z0-9-]{1,80}$/.test(slug) ? await this.dataSource.getRepository(Collectivity).findOneBy({ slug }) : null;
    const allowed =
      collectivity !== null && (agent.collectivities.some((c) => c.id === collectivity.id && c.roles.includes('administrator')) || (await this.isPlatform(agent)));
    if (!collectivity || !allowed) {
      throw DomainError.forbidden(AdminErrors.ADMIN_FORBIDDEN, 'Vous n’êtes pas administrateur de cette collectivité : cette page ne vous est pas accessible.');
    }
    return collectivity;
  }

  async requirePlatform(agent: AgentAccess): Promise<void> {
    if (!(await this.isPlatform(agent))) {
      throw DomainError.forbidden(AdminErrors.PLATFORM_FORBIDDEN, 'Cette page est réservée à l’équipe plateforme de la métropole.');
    }
  }

  private async metropolis(): Promise<Collectivity> {
    return this.dataSource.getRepository(Collectivity).findOneOrFail({ where: { kind: 'metropolis' }, order: { createdAt: 'ASC' } });
  }
}
