import type { Logger } from 'pino';
import type { JobName, JobPayload } from '../catalogue/job-catalogue.js';

/** What a handler knows about the run it is in, besides the payload. */
export interface JobContext<Name extends JobName = JobName> {
  readonly job: Name;
  /** The idempotency key (BullMQ job id): the same for every attempt and every replay of this job. */
  readonly key: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** The correlation id of the request that wrote the outbox row (also on every log line of the run). */
  readonly correlationId: string;
  /** A logger bound to the job name and key. Never log the payload: it may hold personal data. */
  readonly logger: Logger;
}

/**
 * Runs one job name. Declare it as a Nest provider class and list it in `QueueWorkerModule.forRoot({ handlers })`:
 *
 * ```ts
 * @Injectable()
 * export class SendMailJob implements JobHandler<'mail.send'> {
 *   readonly job = 'mail.send';
 *   async handle(payload: JobPayload<'mail.send'>, context: JobContext<'mail.send'>) { … }
 * }
 * ```
 *
 * A handler throws to fail the attempt (BullMQ retries with the catalogue's backoff). A `DomainError` of
 * kind `unavailable` or `too_many` is retried; any other `DomainError` kind fails the job at once.
 * The runner records a receipt after success, so a replayed job never runs its handler twice.
 */
export interface JobHandler<Name extends JobName = JobName> {
  readonly job: Name;
  handle(payload: JobPayload<Name>, context: JobContext<Name>): Promise<void>;
}
