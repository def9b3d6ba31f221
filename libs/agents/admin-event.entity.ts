import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Collectivity } from '#territory';

/**
 * One administration action, for the record: who (back-office `sub` and address), when, what (`action`, e.g.
 * `role.granted`, `offer.changed`), on what (`subject`: an address, a client id, an instance slug) and details.
 * Only inserted (docs/administration.md).
 *
 * Schema source of truth: migrations/1763801700000-administration.ts.
 */
@Entity({ name: 'admin_event' })
@Index('admin_event_collectivity_id_created_at_idx', ['collectivityId', 'createdAt'])
export class AdminEvent {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'admin_event_pkey' })
  id: string;

  /** The collectivity concerned; null for platform-wide actions (identity clients). */
  @Column({ name: 'collectivity_id', type: 'uuid', nullable: true })
  collectivityId: string | null;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'admin_event_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity> | null;

  @Column({ name: 'actor_sub', type: 'text' })
  actorSub: string;

  @Column({ name: 'actor_email', type: 'text', nullable: true })
  actorEmail: string | null;

  @Column({ name: 'action', type: 'text' })
  action: string;

  @Column({ name: 'subject', type: 'text', nullable: true })
  subject: string | null;

  @Column({ name: 'details', type: 'jsonb' })
  details: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
