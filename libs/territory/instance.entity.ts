import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Collectivity } from './collectivity.entity.js';
import type { InstanceEnvironment, InstanceStatus } from './territory.types.js';

/**
 * A collectivity's own space on the platform (Partenaire communes and the metropolis), in production or
 * test. A decommissioned instance is kept for the record; at most one active instance per collectivity
 * and environment (partial unique index).
 *
 * Schema source of truth: migrations/1763800000000-territory.ts.
 */
@Entity({ name: 'instance' })
@Unique('instance_slug_key', ['slug'])
@Check('instance_environment_check', `environment IN ('production', 'test')`)
@Check('instance_status_check', `status IN ('active', 'decommissioned')`)
@Check('instance_slug_check', `slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`)
@Check('instance_decommissioned_check', `(status = 'decommissioned') = (decommissioned_at IS NOT NULL)`)
@Index('instance_active_key', ['collectivityId', 'environment'], { unique: true, where: `status = 'active'` })
export class Instance {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'instance_pkey' })
  id: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'instance_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'environment', type: 'text' })
  environment: InstanceEnvironment;

  /** `givors` in production, `givors-test` in test. */
  @Column({ name: 'slug', type: 'text' })
  slug: string;

  @Column({ name: 'status', type: 'text', default: 'active' })
  status: InstanceStatus;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'decommissioned_at', type: 'timestamptz', nullable: true })
  decommissionedAt: Date | null;
}
