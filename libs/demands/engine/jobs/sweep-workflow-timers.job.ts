import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, Clock, type AppConfig } from '#core';
import { JOB_CATALOGUE, QueueRegistry, type JobContext, type JobHandler, type JobPayload } from '#queue';

const BATCH = 500;

/**
 * `schedule.workflow-timers` (every `SCHEDULE_TIMER_SWEEP_MS`): catches due workflow timers whose BullMQ job was
 * lost. A timer is an outbox row (`workflow.timer`, `available_at` = its due time, from the injected clock) relayed
 * to Redis when due; if Redis loses the job before it ran (flushed, restored from an older snapshot), nothing would
 * fire it. The sweep takes the `workflow.timer` rows relayed more than `TIMER_SWEEP_GRACE_MS` ago, without a
 * receipt (never completed) and absent from Redis (neither waiting, active, delayed nor failed), and marks them
 * unrelayed: the relay adds them again with their job key. Safe on several workers: rows are locked
 * `FOR UPDATE SKIP LOCKED`, the relay's job id and the receipts make a double add harmless, and the state machine
 * refuses a timer that is no longer due.
 */
@Injectable()
export class SweepWorkflowTimersJob implements JobHandler<'schedule.workflow-timers'> {
  readonly job = 'schedule.workflow-timers';

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(_payload: JobPayload<'schedule.workflow-timers'>, context: JobContext<'schedule.workflow-timers'>): Promise<void> {
    const before = new Date(this.clock.now().getTime() - this.config.worker.timerSweepGraceMs);
    const queue = this.queues.queue(JOB_CATALOGUE['workflow.timer'].queue);
    const revived = await this.dataSource.transaction(async (manager) => {
      const rows: { id: string; job_key: string }[] = await manager.query(
        `SELECT o.id, o.job_key FROM "outbox_message" o
          WHERE o.job_name = 'workflow.timer' AND o.relayed_at IS NOT NULL AND o.relayed_at <= $1 AND o.available_at <= $1
            AND NOT EXISTS (SELECT 1 FROM "job_receipt" r WHERE r.job_key = o.job_key)
          ORDER BY o.id LIMIT $2
          FOR UPDATE OF o SKIP LOCKED`,
        [before, BATCH],
      );
      const lost: string[] = [];
      for (const row of rows) {
        if (!(await queue.getJob(row.job_key))) lost.push(row.id);
      }
      if (lost.length) {
        await manager.query(
          `UPDATE "outbox_message" SET relayed_at = NULL, last_error = 'tâche perdue dans Redis : relancée par le balayage des échéances'
            WHERE id = ANY($1::bigint[])`,
          [lost],
        );
      }
      return { checked: rows.length, lost: lost.length };
    });
    if (revived.lost) context.logger.warn(revived, 'Échéances de workflow perdues dans Redis : relancées');
    else context.logger.debug(revived, 'Échéances de workflow : aucune tâche perdue');
  }
}
