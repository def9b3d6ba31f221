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

  /** Serialises role changes of one collectivity until the transaction ends (the last-administrator rule). */
  async lockCollectivity(collectivityId: string): Promise<void> {
    await this.db.query(`SELECT pg_advisory_xact_lock(hashtext('parvis:agent-roles:' || $1))`, [collectivityId]);
  }

  /** Active administrators of a collectivity other than `exceptSub`. */
  countOtherAdministrators(collectivityId: string, exceptSub: string): Promise<number> {
    return this.roles.createQueryBuilder('r').where('r.collectivity_id = :collectivityId AND r.role = :role AND r.revoked_at IS NULL AND r.account_sub <> :exceptSub', { collectivityId, role: 'administrator', exceptSub }).getCount();
  }

  /** Active roles of one account in one collectivity. */
  findActiveIn(accountSub: string, collectivityId: string): Promise<AgentRole[]> {
    return this.roles.find({ where: { accountSub, collectivityId, revokedAt: IsNull() }, order: { role: 'ASC' } });
  }

  async setFunctions(accountSub: string, collectivityId: string, functions: string[]): Promise<void> {
    await this.roles.update({ accountSub, collectivityId, revokedAt: IsNull() }, { functions });
  }

  findCollectivity(idOrSlug: string): Promise<Collectivity | null> {
    const repo = this.db.getRepository(Collectivity);
    return /^[0-9a-f-]{36}$/i.test(idOrSlug) ? repo.findOneBy({ id: idOrSlug }) : repo.findOneBy({ slug: idOrSlug });
  }
}
