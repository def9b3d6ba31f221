import { Injectable } from '@nestjs/common';
import { DomainError } from '#core';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { WorkflowErrorCodes } from '#workflow';
import { DemandErrorCodes } from '../../demands.errors.js';
import { ActOnDemand, ActOnDemandCommand } from '../../use-cases/act-on-demand.use-case.js';

/** Refusals that mean "the demand moved on since the timer was scheduled": the job is done. */
const OBSOLETE = new Set<string>([
  WorkflowErrorCodes.STALE_COMMAND,
  WorkflowErrorCodes.TIMER_NOT_DUE,
  WorkflowErrorCodes.DEMAND_CLOSED,
  WorkflowErrorCodes.ACTION_NOT_ALLOWED,
  WorkflowErrorCodes.CONDITION_NOT_MET,
  DemandErrorCodes.DEMAND_NOT_FOUND,
]);

/**
 * `workflow.timer`: at its due time (the outbox row's `available_at`), sends `timer { actionId }` as the
 * system. Idempotent by its key (one job per status entry) and by the state machine (a stale timer is refused
 * and dropped). A concurrent update fails the attempt, so it is retried on the fresh demand.
 */
@Injectable()
export class WorkflowTimerJob implements JobHandler<'workflow.timer'> {
  readonly job = 'workflow.timer';

  constructor(private readonly act: ActOnDemand) {}

  async handle(payload: JobPayload<'workflow.timer'>, context: JobContext<'workflow.timer'>): Promise<void> {
    const command = ActOnDemandCommand.create(
      { kind: 'system', name: 'échéance de workflow' },
      { demandId: payload.demandId, command: { kind: 'timer', actionId: payload.actionId } },
    );
    try {
      await this.act.execute(command);
    } catch (error) {
      if (error instanceof DomainError && OBSOLETE.has(error.code)) {
        context.logger.info({ demandId: payload.demandId, code: error.code }, 'Échéance de workflow sans objet');
        return;
      }
      if (error instanceof DomainError && error.code === DemandErrorCodes.DEMAND_CONCURRENT_UPDATE) throw new Error('Demande modifiée pendant l’échéance', { cause: error });
      throw error;
    }
  }
}
