import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { DatabaseExtension, DatabaseTrigger } from '#db';
import { TeleserviceVersion, Teleservice } from '#teleservices';
import { Collectivity } from '#territory';
import type { DemandChannel } from '../demands.types.js';

/**
 * A demand, owned by its competent collectivity (row-level security on `collectivity_id`), pinned to the
 * téléservice version it was submitted on. `lock_version` is the optimistic lock every update checks.
 * `(id, collectivity_id)` is unique so that history, messages and attachments reference both and follow
 * a re-routed demand (ON UPDATE CASCADE).
 *
 * Schema source of truth: migrations/1763800300000-engine.ts.
 */
@Entity({ name: 'demand' })
@Unique('demand_tracking_code_key', ['trackingCode'])
@Unique('demand_id_collectivity_id_key', ['id', 'collectivityId'])
@Check('demand_channel_check', `channel IN ('web', 'counter', 'phone', 'mail', 'email', 'api')`)
@Check('demand_agent_channel_check', `channel NOT IN ('counter', 'phone', 'mail', 'email') OR submitted_by_agent IS NOT NULL`)
@Check('demand_tracking_code_check', `tracking_code ~ '^[2-9A-HJKMNP-Z]{10}$'`)
@Check('demand_access_secret_hash_check', `access_secret_hash ~ '^[0-9a-f]{64}$'`)
@Check('demand_lock_version_check', `lock_version >= 1`)
@Index('demand_inbox_idx', ['collectivityId', 'status', 'submittedAt', 'id'])
@Index('demand_collectivity_submitted_idx', ['collectivityId', 'submittedAt', 'id'])
@Index('demand_account_idx', ['accountSub', 'updatedAt'], { where: 'account_sub IS NOT NULL' })
@Index('demand_version_id_idx', ['versionId'])
@Index('demand_search_idx', ['collectivityId', 'searchVector'], { type: 'gin' })
@DatabaseExtension('btree_gin')
@DatabaseTrigger(
  'demand_search_vector_trigger',
  'CREATE TRIGGER demand_search_vector_trigger BEFORE INSERT OR UPDATE OF data ON demand FOR EACH ROW EXECUTE FUNCTION demand_search_vector_update()',
)
export class Demand {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'demand_pkey' })
  id: string;

  /** The competent collectivity. */
  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'demand_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'teleservice_id', type: 'uuid' })
  teleserviceId: string;

  @ManyToOne(() => Teleservice, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'teleservice_id', foreignKeyConstraintName: 'demand_teleservice_id_fkey' })
  teleservice?: Relation<Teleservice>;

  /** The pinned version. */
  @Column({ name: 'version_id', type: 'uuid' })
  versionId: string;

  @ManyToOne(() => TeleserviceVersion, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'version_id', foreignKeyConstraintName: 'demand_version_id_fkey' })
  version?: Relation<TeleserviceVersion>;

  /** Canonical form, 10 characters without separators (see tracking-code.ts). */
  @Column({ name: 'tracking_code', type: 'text' })
  trackingCode: string;

  /** sha-256 (hex) of the secret given to an anonymous citizen; null when none was issued. */
  @Column({ name: 'access_secret_hash', type: 'text', nullable: true })
  accessSecretHash: string | null;

  /** The citizen's territorial account; null for anonymous demands. */
  @Column({ name: 'account_sub', type: 'text', nullable: true })
  accountSub: string | null;

  @Column({ name: 'channel', type: 'text' })
  channel: DemandChannel;

  /** The agent (`sub`) who typed it in, for counter, phone, mail and email demands. */
  @Column({ name: 'submitted_by_agent', type: 'text', nullable: true })
  submittedByAgent: string | null;

  @Column({ name: 'data', type: 'jsonb' })
  data: Record<string, unknown>;

  /** Agent-only fields. */
  @Column({ name: 'backoffice_data', type: 'jsonb' })
  backofficeData: Record<string, unknown>;

  @Column({ name: 'status', type: 'text' })
  status: string;

  @Column({ name: 'status_entered_at', type: 'timestamptz' })
  statusEnteredAt: Date;

  /** The full workflow position (libs/workflow `WorkflowState`); null only for rows written before it existed. */
  @Column({ name: 'workflow_state', type: 'jsonb', nullable: true })
  workflowState: Record<string, unknown> | null;

  @Column({ name: 'assigned_function', type: 'text', nullable: true })
  assignedFunction: string | null;

  @Column({ name: 'assigned_agent', type: 'text', nullable: true })
  assignedAgent: string | null;

  @Column({ name: 'lock_version', type: 'integer', default: 1 })
  lockVersion: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'submitted_at', type: 'timestamptz' })
  submittedAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  @Column({ name: 'anonymised_at', type: 'timestamptz', nullable: true })
  anonymisedAt: Date | null;

  /**
   * The inbox's full-text document (French stems and plain words of the answers), written by the database only:
   * trigger `demand_search_vector_trigger` on insert and on every change of `data` (migration
   * 1763802400000-demand-search). Never read into the entity, never written by the application.
   */
  @Column({ name: 'search_vector', type: 'tsvector', select: false, insert: false, update: false })
  searchVector?: string;
}
