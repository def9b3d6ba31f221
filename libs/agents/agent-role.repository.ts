import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import { Collectivity } from '#territory';
import { AgentRole, type AgentRoleName } from './agent-role.entity.js';

/** The only code that touches `agent_role`. */
export class AgentRoleRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  private get roles() {
    return this.db.getRepository(AgentRole);
  }

  /** Active roles of one account, with their collectivity, by collectivity name. */
  findActiveForSub(accountSub: string): Promise<(AgentRole & { collectivity: Collectivity })[]> {
    return this.roles.find({
      where: { accountSub, revokedAt: IsNull() },
      relations: { collectivity: true },
      order: { collectivity: { name: 'ASC' }, role: 'ASC' },
    }) as Promise<(AgentRole & { collectivity: Collectivity })[]>;
  }

  findActive(accountSub: string, collectivityId: string, role: AgentRoleName): Promise<AgentRole | null> {
    return this.roles.findOneBy({ accountSub, collectivityId, role, revokedAt: IsNull() });
  }

  insert(role: Omit<AgentRole, 'id' | 'collectivity'>): Promise<AgentRole> {
    return this.roles.save(this.roles.create(role));
  }

  /** Revokes the active roles of an account in a collectivity (one role, or all); returns how many. */
  async revoke(accountSub: string, collectivityId: string, role: AgentRoleName | undefined, at: Date): Promise<number> {
    const result = await this.roles.update({ accountSub, collectivityId, revokedAt: IsNull(), ...(role ? { role } : {}) }, { revokedAt: at });
    return result.affected ?? 0;
  }

  listActive(collectivityId?: string): Promise<(AgentRole & { collectivity: Collectivity })[]> {
    return this.roles.find({
      where: { revokedAt: IsNull(), ...(collectivityId ? { collectivityId } : {}) },
      relations: { collectivity: true },
      order: { collectivity: { name: 'ASC' }, accountEmail: 'ASC', role: 'ASC' },
    }) as Promise<(AgentRole & { collectivity: Collectivity })[]>;
  }

  findCollectivity(idOrSlug: string): Promise<Collectivity | null> {
    const repo = this.db.getRepository(Collectivity);
    return /^[0-9a-f-]{36}$/i.test(idOrSlug) ? repo.findOneBy({ id: idOrSlug }) : repo.findOneBy({ slug: idOrSlug });
  }
}
