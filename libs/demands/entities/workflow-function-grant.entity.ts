import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Teleservice } from '#teleservices';
import { Collectivity } from '#territory';

/**
 * One workflow function of one téléservice granted to the agents of its collectivity holding a back-office
 * `role`, or to one account (`accountSub`, the back office client's subject). Row-level security by collectivity.
 *
 * Schema source of truth: migrations/1763801500000-workflow-function-grants.ts (names must match it exactly).
 */
@Entity({ name: 'workflow_function_grant' })
@Check('workflow_function_grant_function_id_check', `function_id ~ '^[a-z][a-z0-9_-]{0,62}$'`)
@Check('workflow_function_grant_role_check', `role IN ('agent', 'administrator')`)
@Check('workflow_function_grant_grantee_check', `(role IS NULL) <> (account_sub IS NULL)`)
@Index('workflow_function_grant_role_key', ['teleserviceId', 'functionId', 'role'], { unique: true, where: 'role IS NOT NULL' })
@Index('workflow_function_grant_account_key', ['teleserviceId', 'functionId', 'accountSub'], { unique: true, where: 'account_sub IS NOT NULL' })
@Index('workflow_function_grant_collectivity_id_idx', ['collectivityId'])
export class WorkflowFunctionGrant {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'workflow_function_grant_pkey' })
  id: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'workflow_function_grant_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'teleservice_id', type: 'uuid' })
  teleserviceId: string;

  @ManyToOne(() => Teleservice, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'teleservice_id', foreignKeyConstraintName: 'workflow_function_grant_teleservice_id_fkey' })
  teleservice?: Relation<Teleservice>;

  @Column({ name: 'function_id', type: 'text' })
  functionId: string;

  @Column({ name: 'role', type: 'text', nullable: true })
  role: 'agent' | 'administrator' | null;

  @Column({ name: 'account_sub', type: 'text', nullable: true })
  accountSub: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'text' })
  createdBy: string;
}
