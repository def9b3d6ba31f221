import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Where the account purge stands in the identity's deleted-accounts service, per OIDC client: the `suite` of the
 * last page read (null: from the start, a year back). Platform table.
 *
 * Schema source of truth: migrations/1763802100000-portal-storage-sweep-account-purge.ts.
 */
@Entity({ name: 'account_purge_cursor' })
export class AccountPurgeCursor {
  @PrimaryColumn({ name: 'client_id', type: 'text', primaryKeyConstraintName: 'account_purge_cursor_pkey' })
  clientId: string;

  @Column({ name: 'after', type: 'text', nullable: true })
  after: string | null;

  /** Accounts purged so far (counted once per deletion read). */
  @Column({ name: 'purged_accounts', type: 'integer', default: 0 })
  purgedAccounts: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
