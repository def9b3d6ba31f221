import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * A job decided by a committed transaction, waiting to be relayed to BullMQ (migration 1763800100000-outbox).
 * Written only through `OutboxService.add`, read and marked only by the relay.
 */
@Entity({ name: 'outbox_message' })
@Unique('outbox_message_job_key_key', ['jobKey'])
@Index('outbox_message_pending_idx', ['availableAt', 'id'], { where: 'relayed_at IS NULL' })
@Index('outbox_message_relayed_at_idx', ['relayedAt'], { where: 'relayed_at IS NOT NULL' })
export class OutboxMessage {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'outbox_message_pkey' })
  id: string;

  @Column({ name: 'job_name', type: 'text' })
  jobName: string;

  @Column({ type: 'jsonb' })
  payload: unknown;

  /** The idempotency key, used as the BullMQ job id. */
  @Column({ name: 'job_key', type: 'text' })
  jobKey: string;

  @Column({ name: 'correlation_id', type: 'text', nullable: true })
  correlationId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** Not relayed before this instant (delayed jobs). */
  @Column({ name: 'available_at', type: 'timestamptz', default: () => 'now()' })
  availableAt: Date;

  @Column({ name: 'relayed_at', type: 'timestamptz', nullable: true })
  relayedAt: Date | null;

  /** Relay attempts that failed (Redis unreachable, unknown job…). */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;
}
