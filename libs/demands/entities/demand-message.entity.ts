import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import type { Actor, Visibility } from '../demands.types.js';
import { Demand } from './demand.entity.js';

/**
 * A message between the citizen and agents (`citizen`), or an internal comment between agents (`internal`,
 * never readable in a citizen or tracking scope: row-level security).
 *
 * Schema source of truth: migrations/1763800300000-engine.ts.
 */
@Entity({ name: 'demand_message' })
@Check('demand_message_visibility_check', `visibility IN ('citizen', 'internal')`)
@Check('demand_message_body_check', `length(body) > 0`)
@Index('demand_message_demand_id_idx', ['demandId', 'createdAt'])
export class DemandMessage {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'demand_message_pkey' })
  id: string;

  @Column({ name: 'demand_id', type: 'uuid' })
  demandId: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Demand, { onDelete: 'CASCADE', onUpdate: 'CASCADE', nullable: false })
  @JoinColumn([
    { name: 'demand_id', referencedColumnName: 'id', foreignKeyConstraintName: 'demand_message_demand_fkey' },
    { name: 'collectivity_id', referencedColumnName: 'collectivityId', foreignKeyConstraintName: 'demand_message_demand_fkey' },
  ])
  demand?: Relation<Demand>;

  @Column({ name: 'author', type: 'jsonb' })
  author: Actor;

  @Column({ name: 'body', type: 'text' })
  body: string;

  @Column({ name: 'visibility', type: 'text' })
  visibility: Visibility;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
