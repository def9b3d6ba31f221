import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Proof that a job's handler succeeded: a replay of the same job key does nothing (migration 1763800100000-outbox). */
@Entity({ name: 'job_receipt' })
@Index('job_receipt_completed_at_idx', ['completedAt'])
export class JobReceipt {
  @PrimaryColumn({ name: 'job_key', type: 'text', primaryKeyConstraintName: 'job_receipt_pkey' })
  jobKey: string;

  @Column({ name: 'job_name', type: 'text' })
  jobName: string;

  @Column({ name: 'completed_at', type: 'timestamptz', default: () => 'now()' })
  completedAt: Date;
}
