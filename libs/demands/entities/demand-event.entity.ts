import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import type { Actor, Visibility } from '../demands.types.js';
import { Demand } from './demand.entity.js';

/**
 * The history of a demand: append-only (trigger `demand_event_guard_trigger`, SQLSTATE PV002, see
 * docs/tenancy.md for the platform-only rewrite path). `collectivity_id` follows the demand's (composite
 * foreign key, ON UPDATE CASCADE) so row-level security needs no join.
 *
 * Schema source of truth: migrations/1763800300000-engine.ts.
 */
@Entity({ name: 'demand_event' })
@Check('demand_event_visibility_check', `visibility IN ('citizen', 'internal')`)
@Check('demand_event_kind_check', `kind ~ '^[a-z][a-z0-9_.]*$'`)
@Index('demand_event_demand_id_idx', ['demandId', 'id'])
export class DemandEvent {
  @PrimaryGeneratedColumn('identity', { name: 'id', type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'demand_event_pkey' })
  id: string;

  @Column({ name: 'demand_id', type: 'uuid' })
  demandId: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Demand, { onDelete: 'CASCADE', onUpdate: 'CASCADE', nullable: false })
  @JoinColumn([
    { name: 'demand_id', referencedColumnName: 'id', foreignKeyConstraintName: 'demand_event_demand_fkey' },
    { name: 'collectivity_id', referencedColumnName: 'collectivityId', foreignKeyConstraintName: 'demand_event_demand_fkey' },
  ])
  demand?: Relation<Demand>;

  @Column({ name: 'at', type: 'timestamptz' })
  at: Date;

  /** `submitted`, `status_changed`, `assigned`, `message`, … (lowercase, dots and underscores). */
  @Column({ name: 'kind', type: 'text' })
  kind: string;

  @Column({ name: 'actor', type: 'jsonb' })
  actor: Actor;

  @Column({ name: 'visibility', type: 'text' })
  visibility: Visibility;

  @Column({ name: 'status_from', type: 'text', nullable: true })
  statusFrom: string | null;

  @Column({ name: 'status_to', type: 'text', nullable: true })
  statusTo: string | null;

  @Column({ name: 'payload', type: 'jsonb' })
  payload: Record<string, unknown>;
}
