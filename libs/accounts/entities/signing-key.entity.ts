import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A key signing ID tokens. The private JWK is encrypted at rest (IDENTITY_SECRET_KEY). The newest key signs;
 * a retired key stays published in the JWKS until `retired_at` + the overlap, so tokens it signed still verify.
 *
 * Schema source of truth: migrations/1763800200000-identity.ts.
 */
@Entity({ name: 'signing_key', schema: 'identity' })
export class SigningKey {
  @PrimaryColumn({ name: 'kid', type: 'text', primaryKeyConstraintName: 'signing_key_pkey' })
  kid: string;

  @Column({ name: 'alg', type: 'text' })
  alg: string;

  @Column({ name: 'private_jwk_encrypted', type: 'text' })
  privateJwkEncrypted: string;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When a newer key took over signing; null for the current signer. */
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;
}
