import type { AppConfig } from '#core';
import type { JobSchedule } from '#queue';

/** The worker's job schedulers (docs/worker.md), from the configuration. */
export function workerSchedules(config: AppConfig): JobSchedule[] {
  const { timezone, timerSweepEveryMs, draftPurgeCron, accountInactivityCron, agentDigestHour } = config.worker;
  return [
    { id: 'workflow-timers', job: 'schedule.workflow-timers', every: timerSweepEveryMs },
    { id: 'draft-purge', job: 'schedule.draft-purge', pattern: draftPurgeCron, tz: timezone },
    { id: 'account-inactivity', job: 'schedule.account-inactivity', pattern: accountInactivityCron, tz: timezone },
    { id: 'agent-digest', job: 'schedule.agent-digest', pattern: `0 ${agentDigestHour} * * *`, tz: timezone },
    // Hourly; see docs/portal.md (« Ménage du stockage », « Comptes supprimés »).
    { id: 'storage-sweep', job: 'schedule.storage-sweep', pattern: '7 * * * *', tz: timezone },
    { id: 'account-purge', job: 'schedule.account-purge', pattern: '37 * * * *', tz: timezone },
  ];
}
