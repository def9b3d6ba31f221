import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The provider's short-lived artefacts (sessions, interactions, codes, tokens, grants…), one row per
 * (model, id), written by `PostgresOidcAdapter`. Expired rows are invisible to reads and purged in batches.
 *
 * Schema source of truth: migrations/1763800200000-identity.ts.
 */
@Entity({ name: 'oidc_artifact', schema: 'identity' })
@Index('oidc_artifact_grant_id_idx', ['grantId'], { where: 'grant_id IS NOT NULL' })
@Index('oidc_artifact_uid_idx', ['uid'], { where: 'uid IS NOT NULL' })
@Index('oidc_artifact_expires_at_idx', ['expiresAt'], { where: 'expires_at IS NOT NULL' })
export class OidcArtifact {
  @PrimaryColumn({ name: 'model', type: 'text', primaryKeyConstraintName: 'oidc_artifact_pkey' })
  model: string;

  @PrimaryColumn({ name: 'id', type: 'text', primaryKeyConstraintName: 'oidc_artifact_pkey' })
  id: string;

  @Column({ name: 'payload', type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ name: 'grant_id', type: 'text', nullable: true })
  grantId: string | null;

  @Column({ name: 'uid', type: 'text', nullable: true })
  uid: string | null;

  @Column({ name: 'user_code', type: 'text', nullable: true })
  userCode: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt: Date | null;
}
