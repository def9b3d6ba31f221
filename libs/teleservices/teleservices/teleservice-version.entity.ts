import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Teleservice } from './teleservice.entity.js';
import type { VersionState } from './teleservice.types.js';

/**
 * One version of a téléservice's definition (form + workflow + data sources). A draft is edited in place and
 * carries the number it will be published under; publishing freezes it: PostgreSQL refuses any UPDATE or
 * DELETE of a published row (trigger `teleservice_version_guard_trigger`, SQLSTATE PV001). At most one
 * draft per téléservice (partial unique index `teleservice_version_draft_key`).
 *
 * Schema source of truth: migrations/1763800300000-engine.ts.
 */
@Entity({ name: 'teleservice_version' })
@Unique('teleservice_version_teleservice_id_number_key', ['teleserviceId', 'number'])
@Check('teleservice_version_state_check', `state IN ('draft', 'published')`)
@Check('teleservice_version_number_check', `number >= 1`)
@Check('teleservice_version_checksum_check', `checksum ~ '^[0-9a-f]{64}$'`)
@Check('teleservice_version_published_check', `(state = 'published') = (published_at IS NOT NULL)`)
@Index('teleservice_version_draft_key', ['teleserviceId'], { unique: true, where: `state = 'draft'` })
export class TeleserviceVersion {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'teleservice_version_pkey' })
  id: string;

  @Column({ name: 'teleservice_id', type: 'uuid' })
  teleserviceId: string;

  @ManyToOne(() => Teleservice, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'teleservice_id', foreignKeyConstraintName: 'teleservice_version_teleservice_id_fkey' })
  teleservice?: Relation<Teleservice>;

  @Column({ name: 'number', type: 'integer' })
  number: number;

  @Column({ name: 'state', type: 'text' })
  state: VersionState;

  @Column({ name: 'form', type: 'jsonb' })
  form: unknown;

  @Column({ name: 'workflow', type: 'jsonb' })
  workflow: unknown;

  @Column({ name: 'data_sources', type: 'jsonb' })
  dataSources: unknown;

  /** sha-256 (hex) of the canonical JSON of `{ form, workflow, dataSources }`. */
  @Column({ name: 'checksum', type: 'text' })
  checksum: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;

  /** Who published it (an agent's account `sub`, or `system`). */
  @Column({ name: 'published_by', type: 'text', nullable: true })
  publishedBy: string | null;
}
