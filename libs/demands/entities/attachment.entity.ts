import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Demand } from './demand.entity.js';
import { DemandMessage } from './demand-message.entity.js';

/**
 * A file of a demand: the answer to a file field (`field_id`), a message's attachment (`message_id`), or a
 * document attached by the workflow (neither). Bytes live in the storage driver under `storage_key`, a key
 * the server generated; `mime_type` was detected from the content.
 *
 * Schema source of truth: migrations/1763800300000-engine.ts.
 */
@Entity({ name: 'attachment' })
@Unique('attachment_storage_key_key', ['storageKey'])
@Check('attachment_owner_check', `field_id IS NULL OR message_id IS NULL`)
@Check('attachment_size_bytes_check', `size_bytes >= 0`)
@Check('attachment_sha256_check', `sha256 ~ '^[0-9a-f]{64}$'`)
@Index('attachment_demand_id_idx', ['demandId'])
@Index('attachment_message_id_idx', ['messageId'], { where: 'message_id IS NOT NULL' })
export class Attachment {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'attachment_pkey' })
  id: string;

  @Column({ name: 'demand_id', type: 'uuid' })
  demandId: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Demand, { onDelete: 'CASCADE', onUpdate: 'CASCADE', nullable: false })
  @JoinColumn([
    { name: 'demand_id', referencedColumnName: 'id', foreignKeyConstraintName: 'attachment_demand_fkey' },
    { name: 'collectivity_id', referencedColumnName: 'collectivityId', foreignKeyConstraintName: 'attachment_demand_fkey' },
  ])
  demand?: Relation<Demand>;

  @Column({ name: 'field_id', type: 'text', nullable: true })
  fieldId: string | null;

  @Column({ name: 'message_id', type: 'uuid', nullable: true })
  messageId: string | null;

  @ManyToOne(() => DemandMessage, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id', foreignKeyConstraintName: 'attachment_message_id_fkey' })
  message?: Relation<DemandMessage> | null;

  @Column({ name: 'storage_key', type: 'text' })
  storageKey: string;

  /** The name the person gave, for display only (never used to build a path). */
  @Column({ name: 'file_name', type: 'text' })
  fileName: string;

  /** Detected from the content's magic bytes. */
  @Column({ name: 'mime_type', type: 'text' })
  mimeType: string;

  @Column({ name: 'size_bytes', type: 'integer' })
  sizeBytes: number;

  @Column({ name: 'sha256', type: 'text' })
  sha256: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
