import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Collectivity } from '#territory';

/**
 * One line of an agent's next daily digest (an agent who chose `daily_digest`): recorded instead of a mail, sent by
 * `schedule.agent-digest`, which stamps `digest_key` and `digested_at`. `item_key` is the key the instant mail would
 * have had (`agent-new/<demandId>/<agentRoleId>`…): a replay records nothing twice. The recipient's address is read
 * from `agent_role` when the digest is sent. Platform only (no tenant grant).
 *
 * Schema source of truth: migrations/1763801200000-agent-notifications.ts.
 */
@Entity({ name: 'agent_digest_item' })
@Unique('agent_digest_item_item_key_key', ['itemKey'])
@Index('agent_digest_item_pending_idx', ['accountSub', 'createdAt'], { where: 'digested_at IS NULL' })
export class AgentDigestItem {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'agent_digest_item_pkey' })
  id: string;

  @Column({ name: 'account_sub', type: 'text' })
  accountSub: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'agent_digest_item_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  /** No foreign key: a digest line may outlive a purged demand. */
  @Column({ name: 'demand_id', type: 'uuid', nullable: true })
  demandId: string | null;

  @Column({ name: 'item_key', type: 'text' })
  itemKey: string;

  @Column({ name: 'title', type: 'text' })
  title: string;

  @Column({ name: 'link', type: 'text', nullable: true })
  link: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'digest_key', type: 'text', nullable: true })
  digestKey: string | null;

  @Column({ name: 'digested_at', type: 'timestamptz', nullable: true })
  digestedAt: Date | null;
}
