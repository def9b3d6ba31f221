import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Account } from '../entities/account.entity.js';

export type MandateRole = 'dirigeant' | 'mandataire';
export type MandateStatus = 'pending' | 'active' | 'refused' | 'revoked' | 'expired';
export type MandateScope = 'demarches' | 'suivi';
export type MandateRevokedBy = 'holder' | 'grantor';

/**
 * A person's right to act for a company (professional account), kept apart from their personal profile.
 * - `dirigeant`: the person is a leader of the company (their certified identity matched the registry): active at once.
 * - `mandataire`: asked of a leader by mail (`pending`, a single-use link whose SHA-256 only is kept, until
 *   `request_expires_at`), then `active` or `refused` by that leader (`grantor_account_id`); `expired` once its link
 *   lapsed (set when a new request replaces it). Either party may `revoke` an active or pending mandate.
 * At most one pending or active mandate per account and company.
 *
 * Schema source of truth: migrations/1763801900000-professional-accounts.ts.
 */
@Entity({ name: 'company_mandate', schema: 'identity' })
@Unique('company_mandate_request_token_hash_key', ['requestTokenHash'])
@Index('company_mandate_open_key', ['accountId', 'siren'], { unique: true, where: `status IN ('pending', 'active')` })
@Index('company_mandate_grantor_account_id_idx', ['grantorAccountId'])
@Check('company_mandate_role_check', `role IN ('dirigeant', 'mandataire')`)
@Check('company_mandate_status_check', `status IN ('pending', 'active', 'refused', 'revoked', 'expired')`)
@Check('company_mandate_scope_check', `scope IN ('demarches', 'suivi')`)
@Check('company_mandate_revoked_by_check', `revoked_by IN ('holder', 'grantor')`)
@Check('company_mandate_siren_check', `siren ~ '^[0-9]{9}$' AND (siret IS NULL OR siret ~ '^[0-9]{14}$')`)
@Check('company_mandate_request_check', `(role = 'mandataire') = (leader_email IS NOT NULL)`)
export class CompanyMandate {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'company_mandate_pkey' })
  id: string;

  /** Who acts for the company (the requester, or the leader themself). */
  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'company_mandate_account_id_fkey' })
  account?: Relation<Account>;

  @Column({ name: 'siren', type: 'text' })
  siren: string;

  @Column({ name: 'siret', type: 'text', nullable: true })
  siret: string | null;

  /** The company's name in the registry when the mandate was asked or declared. */
  @Column({ name: 'denomination', type: 'text' })
  denomination: string;

  @Column({ name: 'role', type: 'text' })
  role: MandateRole;

  @Column({ name: 'scope', type: 'text' })
  scope: MandateScope;

  @Column({ name: 'status', type: 'text' })
  status: MandateStatus;

  /** The leader named in the registry: the one asked (mandataire) or the person themself (dirigeant). */
  @Column({ name: 'leader_name', type: 'text' })
  leaderName: string;

  @Column({ name: 'leader_role', type: 'text' })
  leaderRole: string;

  /** Where the request was mailed (mandataire only). */
  @Column({ name: 'leader_email', type: 'text', nullable: true })
  leaderEmail: string | null;

  /** The leader's account that granted or refused (null for a dirigeant, or once that account is deleted). */
  @Column({ name: 'grantor_account_id', type: 'uuid', nullable: true })
  grantorAccountId: string | null;

  @ManyToOne(() => Account, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'grantor_account_id', foreignKeyConstraintName: 'company_mandate_grantor_account_id_fkey' })
  grantor?: Relation<Account> | null;

  /** Hex SHA-256 of the request link's token; null once answered (or for a dirigeant). */
  @Column({ name: 'request_token_hash', type: 'text', nullable: true })
  requestTokenHash: string | null;

  @Column({ name: 'request_expires_at', type: 'timestamptz', nullable: true })
  requestExpiresAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When the mandate became active (the claim's `depuis`). */
  @Column({ name: 'active_since', type: 'timestamptz', nullable: true })
  activeSince: Date | null;

  /** When the leader answered (granted or refused). */
  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_by', type: 'text', nullable: true })
  revokedBy: MandateRevokedBy | null;
}
