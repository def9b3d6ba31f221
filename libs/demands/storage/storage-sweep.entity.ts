import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A file the portal staged in the attachment storage for a form in progress (before any demand exists), and when.
 * The storage sweep deletes the old ones no live draft references. Platform table (no row-level security).
 *
 * Schema source of truth: migrations/1763802100000-portal-storage-sweep-account-purge.ts.
 */
@Entity({ name: 'staged_upload' })
@Index('staged_upload_staged_at_idx', ['stagedAt'])
export class StagedUpload {
  @PrimaryColumn({ name: 'storage_key', type: 'text', primaryKeyConstraintName: 'staged_upload_pkey' })
  storageKey: string;

  @Column({ name: 'staged_at', type: 'timestamptz' })
  stagedAt: Date;
}
