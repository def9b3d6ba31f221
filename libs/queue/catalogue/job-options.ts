import type { BackoffOptions, KeepJobs } from 'bullmq';

/** How often, and how patiently, a failing job is retried. Name every policy; never inline numbers in a job. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly backoff: BackoffOptions;
}

/** How many finished jobs Redis keeps, for inspection, before BullMQ evicts them. Always bounded. */
export interface RetentionPolicy {
  readonly removeOnComplete: KeepJobs & { age: number; count: number };
  readonly removeOnFail: KeepJobs & { age: number; count: number };
}

const HOUR = 3_600;
const DAY = 24 * HOUR;

/** Most jobs: 5 attempts, 2 s, 4 s, 8 s, 16 s apart (±20 % jitter so a burst does not retry in lockstep). */
export const RETRY_STANDARD: RetryPolicy = { attempts: 5, backoff: { type: 'exponential', delay: 2_000, jitter: 0.2 } };

/** Jobs that talk to a remote service that may be down for minutes (SMTP, partners): 8 attempts over about 4 minutes. */
export const RETRY_PERSISTENT: RetryPolicy = { attempts: 8, backoff: { type: 'exponential', delay: 2_000, jitter: 0.2 } };

/** Jobs that must never run twice on failure (the caller decides what to do). */
export const RETRY_NONE: RetryPolicy = { attempts: 1, backoff: { type: 'fixed', delay: 0 } };

/** Completed jobs: one day or 1,000 per queue; failed jobs: two weeks or 10,000 (they are investigated). */
export const RETENTION_STANDARD: RetentionPolicy = {
  removeOnComplete: { age: DAY, count: 1_000 },
  removeOnFail: { age: 14 * DAY, count: 10_000 },
};
