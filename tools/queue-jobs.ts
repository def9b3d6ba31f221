import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createLogger, loadConfig } from '#core';
import { createRedis } from '#platform';
import { bullPrefix, QUEUES, QueueRegistry, type QueueName } from '#queue';
import { EXIT_USAGE, runCli } from './cli-support.js';

/**
 * `node dist/tools/queue-jobs.js <command>` — the operator's view of failed jobs, without the dashboard.
 *
 *   failed [--queue <file>]                         list failed jobs: queue, job, id, attempts, date, error
 *   retry  --queue <file> (--job <id> | --all)      retry one failed job, or every failed job of the queue
 *
 * Reads REDIS_URL and REDIS_PREFIX like the worker. A retried job keeps its id (idempotency key): its receipt, if
 * it had succeeded meanwhile, still prevents a second effect. Exit codes: 0 done, 1 failure, 64 bad arguments,
 * 78 bad configuration.
 */
const NAMES = Object.keys(QUEUES) as QueueName[];
const USAGE = `Usage : node dist/tools/queue-jobs.js <failed|retry> [options]
  failed [--queue <${NAMES.join('|')}>]
  retry  --queue <${NAMES.join('|')}> (--job <id> | --all)`;

runCli('queue-jobs', async () => {
  const [command, ...rest] = process.argv.slice(2);
  let values: { queue?: string; job?: string; all?: boolean };
  try {
    ({ values } = parseArgs({ args: rest, options: { queue: { type: 'string' }, job: { type: 'string' }, all: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const badQueue = values.queue !== undefined && !NAMES.includes(values.queue as QueueName);
  if (!['failed', 'retry'].includes(command ?? '') || badQueue || (command === 'retry' && (!values.queue || Boolean(values.job) === Boolean(values.all)))) {
    console.error(USAGE);
    return EXIT_USAGE;
  }
  const config = loadConfig({ DATABASE_URL: 'postgres://127.0.0.1/inutilise', ...process.env });
  const logger = createLogger({ level: 'warn', app: 'queue-jobs' });
  const queues = new QueueRegistry((name) => createRedis(config.redis.url, logger, `queue-jobs:${name}`, { forQueues: true }), bullPrefix(config.redis.prefix), logger);
  try {
    if (command === 'failed') {
      for (const name of values.queue ? [values.queue as QueueName] : NAMES) {
        for (const job of await queues.queue(name).getFailed(0, 999)) {
          const at = job.finishedOn ? new Date(job.finishedOn).toISOString() : '—';
          console.log(`${name}\t${job.name}\t${job.id}\t${job.attemptsMade} tentative(s)\t${at}\t${job.failedReason ?? ''}`);
        }
      }
      return 0;
    }
    const queue = queues.queue(values.queue as QueueName);
    if (values.all) {
      const count = await queue.getJobCountByTypes('failed');
      await queue.retryJobs({ state: 'failed' });
      console.log(`${count} tâche(s) en échec relancée(s) dans la file ${values.queue}.`);
      return 0;
    }
    const job = await queue.getJob(values.job!);
    if (!job || !(await job.isFailed())) {
      console.error(`Aucune tâche en échec « ${values.job} » dans la file ${values.queue}.`);
      return 1;
    }
    await job.retry('failed');
    console.log(`Tâche ${values.job} relancée.`);
    return 0;
  } finally {
    await queues.close();
  }
});
