import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type DeletionReason = 'request' | 'inactivity';

/**
 * An account deleted with its personal data (at the person's request, or unused for two years). Only its id (a
 * random UUID that designates nothing once the account is gone) and the date remain, for a year: partner
 * portals compute nothing from it themselves, the deleted-accounts service gives each its own pairwise `sub`.
 *
 * Schema source of truth: migrations/1763801400000-account-erasure.ts.
 */
@Entity({ name: 'deleted_account', schema: 'identity' })
@Check('deleted_account_reason_check', `reason IN ('request', 'inactivity')`)
@Index('deleted_account_deleted_at_idx', ['deletedAt', 'accountId'])
export class DeletedAccount {
  @PrimaryColumn('uuid', { name: 'account_id', primaryKeyConstraintName: 'deleted_account_pkey' })
  accountId: string;

  @Column({ name: 'deleted_at', type: 'timestamptz' })
  deletedAt: Date;

  @Column({ name: 'reason', type: 'text' })
  reason: DeletionReason;
}
