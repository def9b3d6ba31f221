import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Collectivity } from '#territory';

export const AGENT_ROLES = ['agent', 'administrator', 'platform'] as const;
export type AgentRoleName = (typeof AGENT_ROLES)[number];

/**
 * One role of one account in one collectivity's back office. `accountSub` is the `sub` the territorial
 * account gives the back office's client (pairwise: other clients see other values).
 *
 * Schema source of truth: migrations/1763800600000-agent-roles.ts (names must match it exactly).
 */
@Entity({ name: 'agent_role' })
@Check('agent_role_role_check', `role IN ('agent', 'administrator', 'platform')`)
@Index('agent_role_active_key', ['accountSub', 'collectivityId', 'role'], { unique: true, where: 'revoked_at IS NULL' })
@Index('agent_role_collectivity_id_idx', ['collectivityId'])
export class AgentRole {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'agent_role_pkey' })
  id: string;

  @Column({ name: 'account_sub', type: 'text' })
  accountSub: string;

  /** The address the role was granted to, for the lists (the `sub` is what access is checked on). */
  @Column({ name: 'account_email', type: 'text', nullable: true })
  accountEmail: string | null;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'agent_role_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'role', type: 'text' })
  role: AgentRoleName;

  /** Functions per téléservice (workflow functions), filled by the back-office issue. */
  @Column({ name: 'functions', type: 'text', array: true })
  functions: string[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
