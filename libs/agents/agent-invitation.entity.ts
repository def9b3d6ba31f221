import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Collectivity } from '#territory';

/**
 * An invitation to an address without a territorial account yet (docs/administration.md): the roles and functions
 * are given when the person, having created their account with that address, first reaches the back office
 * (`outcome = 'accepted'`), unless an administrator cancels it first. Lower-cased address.
 *
 * Schema source of truth: migrations/1763801700000-administration.ts.
 */
@Entity({ name: 'agent_invitation' })
@Check('agent_invitation_roles_check', `cardinality(roles) > 0`)
@Check('agent_invitation_outcome_check', `outcome IN ('accepted', 'cancelled')`)
@Check('agent_invitation_closed_check', `(closed_at IS NULL) = (outcome IS NULL)`)
@Index('agent_invitation_pending_key', ['email', 'collectivityId'], { unique: true, where: 'closed_at IS NULL' })
export class AgentInvitation {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'agent_invitation_pkey' })
  id: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'agent_invitation_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'email', type: 'text' })
  email: string;

  /** `agent`, `administrator`. */
  @Column({ name: 'roles', type: 'text', array: true })
  roles: string[];

  @Column({ name: 'functions', type: 'text', array: true })
  functions: string[];

  /** Back-office `sub` of the administrator who invited. */
  @Column({ name: 'invited_by', type: 'text' })
  invitedBy: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  @Column({ name: 'outcome', type: 'text', nullable: true })
  outcome: 'accepted' | 'cancelled' | null;
}
