import { z } from 'zod';

/**
 * Scheduled jobs (`schedule.*`) carry nothing: a BullMQ job scheduler produces them (one per run, job id
 * `repeat:<scheduler>:<instant>`, which is also the run's receipt key), and the handler reads what is due from
 * PostgreSQL with the injected clock.
 */
export const scheduledPayload = z.strictObject({});

export type ScheduledPayload = z.output<typeof scheduledPayload>;
