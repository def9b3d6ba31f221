import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Collectivity } from '#territory';

/**
 * A notification the portal shows a logged-in citizen. Row-level security like drafts: the citizen's scope sees
 * (and may mark read) only rows of its `account_sub`; the worker writes them in platform scope.
 *
 * Schema source of truth: migrations/1763800700000-notifications.ts (+ 1763801100000-citizen-follow-up: unread index).
 */
@Entity({ name: 'notification' })
@Check('notification_kind_check', `kind ~ '^[a-z][a-z0-9_.]*$'`)
@Index('notification_account_sub_idx', ['accountSub', 'createdAt'])
@Index('notification_unread_idx', ['accountSub'], { where: 'read_at IS NULL' })
export class Notification {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'notification_pkey' })
  id: string;

  @Column({ name: 'account_sub', type: 'text' })
  accountSub: string;

  /** No foreign key: a notification may outlive a purged demand. */
  @Column({ name: 'demand_id', type: 'uuid', nullable: true })
  demandId: string | null;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'notification_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'kind', type: 'text' })
  kind: string;

  @Column({ name: 'title', type: 'text' })
  title: string;

  @Column({ name: 'body', type: 'text' })
  body: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'read_at', type: 'timestamptz', nullable: true })
  readAt: Date | null;
}
