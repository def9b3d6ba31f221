import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Collectivity } from '#territory';

/**
 * A partner system's key to the engine API, scoped to one collectivity. Only a sha-256 of the 32-byte random
 * secret is stored; the full key `pvk_<prefix>_<secret>` is shown once, at creation.
 *
 * Schema source of truth: migrations/1763800300000-engine.ts.
 */
@Entity({ name: 'api_key' })
@Unique('api_key_key_prefix_key', ['keyPrefix'])
@Check('api_key_key_prefix_check', `key_prefix ~ '^[a-z0-9]{10}$'`)
@Check('api_key_secret_hash_check', `secret_hash ~ '^[0-9a-f]{64}$'`)
@Check('api_key_scopes_check', `cardinality(scopes) > 0`)
@Index('api_key_collectivity_id_idx', ['collectivityId'])
export class ApiKey {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'api_key_pkey' })
  id: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'api_key_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'name', type: 'text' })
  name: string;

  /** Public identifier of the key (shown in lists, part of the key itself). */
  @Column({ name: 'key_prefix', type: 'text' })
  keyPrefix: string;

  @Column({ name: 'secret_hash', type: 'text' })
  secretHash: string;

  @Column({ name: 'scopes', type: 'text', array: true })
  scopes: string[];

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
