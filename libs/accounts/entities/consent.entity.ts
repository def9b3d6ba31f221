import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Account } from './account.entity.js';
import { OidcClient } from './oidc-client.entity.js';

/**
 * A person's consent to give a client the data of some scopes. At most one active (unrevoked) consent per
 * account and client; renewing it widens the scopes and moves the dates.
 *
 * Schema source of truth: migrations/1763800200000-identity.ts.
 */
@Entity({ name: 'consent', schema: 'identity' })
@Index('consent_active_key', ['accountId', 'clientId'], { unique: true, where: 'revoked_at IS NULL' })
@Index('consent_client_id_idx', ['clientId'])
export class Consent {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'consent_pkey' })
  id: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'consent_account_id_fkey' })
  account?: Relation<Account>;

  @Column({ name: 'client_id', type: 'text' })
  clientId: string;

  @ManyToOne(() => OidcClient, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'client_id', foreignKeyConstraintName: 'consent_client_id_fkey' })
  client?: Relation<OidcClient>;

  @Column({ name: 'scopes', type: 'text', array: true })
  scopes: string[];

  @Column({ name: 'granted_at', type: 'timestamptz' })
  grantedAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
