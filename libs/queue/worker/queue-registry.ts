import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { JOB_CATALOGUE, JOB_NAMES } from '../catalogue/job-catalogue.js';
import type { QueueName } from '../catalogue/queues.js';

/**
 * Opens a Redis connection for BullMQ (`maxRetriesPerRequest: null`). The worker app passes
 * `createRedis(url, logger, name, { forQueues: true })` from #platform.
 */
export type QueueConnectionFactory = (name: string) => Redis;

/** BullMQ's key prefix for an environment: `<REDIS_PREFIX>:bull`, so queues never meet other Redis keys. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}

/** The BullMQ `Queue` objects of this process (producer side: the relay adds jobs, metrics count them). */
export class QueueRegistry {
  private connection: Redis | undefined;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connect: QueueConnectionFactory,
    readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** Queues that at least one catalogue job goes to. */
  names(): QueueName[] {
    return [...new Set(JOB_NAMES.map((job) => JOB_CATALOGUE[job].queue))];
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      this.connection ??= this.connect('queues');
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', (error: Error) => this.logger.warn({ queue: name, err: error }, `File ${name} : erreur Redis`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.allSettled(queues.map((queue) => queue.close()));
    this.connection?.disconnect();
    this.connection = undefined;
  }
}
