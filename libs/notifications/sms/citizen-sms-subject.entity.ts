import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Account } from '#accounts';

/**
 * Which territorial account a portal subject is (`demand.account_sub` is the pairwise `sub` the account gives
 * Parvis' portal, which the platform cannot reverse). Written by the account page (apps/identity) when the person
 * makes or changes their choice « Recevoir les SMS de suivi de mes démarches »; read by `sms.send` when it runs, to
 * take the account's current mobile number and choice (a withdrawal stops every later SMS at once). No personal
 * data of its own: the number and the choice stay on the account, and the row goes with the account
 * (ON DELETE CASCADE). Platform only (no tenant grant).
 *
 * Schema source of truth: migrations/1763802000000-sms-consent.ts.
 */
@Entity({ name: 'citizen_sms_subject' })
@Index('citizen_sms_subject_account_id_idx', ['accountId'])
export class CitizenSmsSubject {
  /** The portal's pairwise subject of the account. */
  @PrimaryColumn({ name: 'account_sub', type: 'text', primaryKeyConstraintName: 'citizen_sms_subject_pkey' })
  accountSub: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'citizen_sms_subject_account_id_fkey' })
  account?: Relation<Account>;

  @Column({ name: 'linked_at', type: 'timestamptz' })
  linkedAt: Date;
}
