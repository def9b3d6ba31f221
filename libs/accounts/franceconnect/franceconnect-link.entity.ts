import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, Unique, type Relation } from 'typeorm';
import { Account } from '../entities/account.entity.js';

/**
 * The link between a territorial account and a FranceConnect identity (its `sub` for our client), with the
 * pivot-identity attributes the account table has no column for (birth place and country, INSEE codes).
 * One FranceConnect identity per account, one account per FranceConnect identity.
 *
 * Schema source of truth: migrations/1763800500000-franceconnect.ts.
 */
@Entity({ name: 'franceconnect_link', schema: 'identity' })
@Unique('franceconnect_link_fc_sub_key', ['fcSub'])
export class FranceConnectLink {
  @PrimaryColumn('uuid', { name: 'account_id', primaryKeyConstraintName: 'franceconnect_link_pkey' })
  accountId: string;

  @OneToOne(() => Account, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'franceconnect_link_account_id_fkey' })
  account?: Relation<Account>;

  @Column({ name: 'fc_sub', type: 'text' })
  fcSub: string;

  /** INSEE code of the birth commune; empty when born abroad. */
  @Column({ name: 'birthplace', type: 'text' })
  birthplace: string;

  /** INSEE code of the birth country (99100: France). */
  @Column({ name: 'birthcountry', type: 'text' })
  birthcountry: string;

  @Column({ name: 'linked_at', type: 'timestamptz' })
  linkedAt: Date;

  /** Last time the pivot identity was received from FranceConnect. */
  @Column({ name: 'refreshed_at', type: 'timestamptz' })
  refreshedAt: Date;
}
