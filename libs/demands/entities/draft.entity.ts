import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Teleservice, TeleserviceVersion } from '#teleservices';

/**
 * A logged-in citizen's form in progress, saved at each page; readable only in that citizen's scope
 * (row-level security on `account_sub`), purged after `expires_at`.
 *
 * Schema source of truth: migrations/1763800300000-engine.ts.
 */
@Entity({ name: 'draft' })
@Index('draft_account_sub_idx', ['accountSub', 'updatedAt'])
@Index('draft_expires_at_idx', ['expiresAt'])
export class Draft {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'draft_pkey' })
  id: string;

  @Column({ name: 'account_sub', type: 'text' })
  accountSub: string;

  @Column({ name: 'teleservice_id', type: 'uuid' })
  teleserviceId: string;

  @ManyToOne(() => Teleservice, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'teleservice_id', foreignKeyConstraintName: 'draft_teleservice_id_fkey' })
  teleservice?: Relation<Teleservice>;

  @Column({ name: 'version_id', type: 'uuid' })
  versionId: string;

  @ManyToOne(() => TeleserviceVersion, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'version_id', foreignKeyConstraintName: 'draft_version_id_fkey' })
  version?: Relation<TeleserviceVersion>;

  @Column({ name: 'data', type: 'jsonb' })
  data: Record<string, unknown>;

  /** Identifier of the page the citizen was on. */
  @Column({ name: 'current_page', type: 'text', nullable: true })
  currentPage: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
