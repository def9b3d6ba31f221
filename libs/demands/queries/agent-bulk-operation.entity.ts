import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const BULK_KINDS = ['assign', 'action'] as const;
export type BulkKind = (typeof BULK_KINDS)[number];
export const BULK_STATUSES = ['pending', 'running', 'done'] as const;
export type BulkStatus = (typeof BULK_STATUSES)[number];

/** One demand's outcome in a bulk operation. */
export interface BulkResult {
  demandId: string;
  ok: boolean;
  /** The refusal's French message when not ok. */
  message?: string;
}

/**
 * An agent's action on a selection of demands (assign, or a workflow action), run by the `demands.bulk` job, which
 * records its progress here. Row-level security: the owner, within their collectivities (migration
 * 1763801300000-backoffice-work).
 */
@Entity({ name: 'bulk_operation' })
@Check('bulk_operation_kind_check', `kind IN ('assign', 'action')`)
@Check('bulk_operation_status_check', `status IN ('pending', 'running', 'done')`)
@Check('bulk_operation_demand_ids_check', `cardinality(demand_ids) BETWEEN 1 AND 500`)
@Check('bulk_operation_progress_check', `done >= 0 AND failed >= 0 AND done + failed <= cardinality(demand_ids)`)
@Index('bulk_operation_owner_sub_idx', ['ownerSub', 'createdAt'])
export class BulkOperation {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'bulk_operation_pkey' })
  id: string;

  /** The back office's `sub` of the agent who started it (the job acts as them). */
  @Column({ name: 'owner_sub', type: 'text' })
  ownerSub: string;

  /** The agent's collectivities when it started (the job acts within those still held). */
  @Column({ name: 'collectivity_ids', type: 'uuid', array: true })
  collectivityIds: string[];

  @Column({ name: 'kind', type: 'text' })
  kind: BulkKind;

  /** `{ to }` for an assignment, `{ actionId, comment? }` for a workflow action. */
  @Column({ name: 'params', type: 'jsonb' })
  params: Record<string, unknown>;

  @Column({ name: 'demand_ids', type: 'uuid', array: true })
  demandIds: string[];

  @Column({ name: 'status', type: 'text' })
  status: BulkStatus;

  @Column({ name: 'done', type: 'integer', default: 0 })
  done: number;

  @Column({ name: 'failed', type: 'integer', default: 0 })
  failed: number;

  @Column({ name: 'results', type: 'jsonb', default: () => "'[]'" })
  results: BulkResult[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
