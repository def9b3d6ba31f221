import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Account } from './account.entity.js';

export type AccountTokenPurpose = 'verify_email' | 'reset_password' | 'change_email';

/**
 * A single-use token sent by mail (email verification, password reset, change of address: then `new_email`). Only its SHA-256 is stored: a leak
 * of the table gives no usable link. Used once (`used_at`), refused after `expires_at`.
 *
 * Schema source of truth: migrations/1763800200000-identity.ts and 1763800900000-account-area.ts.
 */
@Entity({ name: 'account_token', schema: 'identity' })
@Unique('account_token_token_hash_key', ['tokenHash'])
@Check('account_token_purpose_check', `purpose IN ('verify_email', 'reset_password', 'change_email')`)
@Check('account_token_new_email_check', `(purpose = 'change_email') = (new_email IS NOT NULL)`)
@Index('account_token_account_id_idx', ['accountId'])
export class AccountToken {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'account_token_pkey' })
  id: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'account_token_account_id_fkey' })
  account?: Relation<Account>;

  @Column({ name: 'purpose', type: 'text' })
  purpose: AccountTokenPurpose;

  /** Hex SHA-256 of the token sent by mail. */
  @Column({ name: 'token_hash', type: 'text' })
  tokenHash: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  /** The address to switch to, for a `change_email` token only. */
  @Column({ name: 'new_email', type: 'text', nullable: true })
  newEmail?: string | null;
}
