import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Collectivity } from '#territory';

export const CONNECTOR_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type ConnectorDeliveryStatus = (typeof CONNECTOR_DELIVERY_STATUSES)[number];

/**
 * A demand to hand to a Connecté commune's own GRU through its connector. The connector comes in a later
 * issue: rows wait `pending` with a JSON snapshot of the demand. One row per demand and commune.
 * Platform only (no tenant grant).
 *
 * Schema source of truth: migrations/1763800700000-notifications.ts.
 */
@Entity({ name: 'connector_delivery' })
@Check('connector_delivery_status_check', `status IN ('pending', 'delivered', 'failed')`)
@Unique('connector_delivery_demand_collectivity_key', ['demandId', 'collectivityId'])
@Index('connector_delivery_status_idx', ['status', 'createdAt'])
export class ConnectorDelivery {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'connector_delivery_pkey' })
  id: string;

  @Column({ name: 'demand_id', type: 'uuid' })
  demandId: string;

  // By name: #demands imports #notifications, not the reverse.
  @ManyToOne('Demand', { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'demand_id', foreignKeyConstraintName: 'connector_delivery_demand_id_fkey' })
  demand?: unknown;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'connector_delivery_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'status', type: 'text' })
  status: ConnectorDeliveryStatus;

  @Column({ name: 'payload', type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
