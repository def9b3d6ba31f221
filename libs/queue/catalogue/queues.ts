/**
 * The BullMQ queues of the platform. One queue per kind of work that must not starve another
 * (a slow SMTP server must not delay routing). Queue names never contain « : » (BullMQ refuses them);
 * the Redis key prefix (`config.redis.prefix`) isolates environments and test suites.
 */
export const QUEUES = {
  notifications: { concurrency: 5, description: 'Courriels, SMS et notifications internes' },
  demands: { concurrency: 5, description: 'Routage des demandes et échéances de leurs workflows' },
  scheduled: { concurrency: 1, description: 'Travaux planifiés (planificateurs BullMQ) : échéances perdues, purge des brouillons, récapitulatifs' },
} as const satisfies Record<string, QueueSettings>;

export interface QueueSettings {
  /** Jobs one worker process runs at the same time on this queue. */
  readonly concurrency: number;
  readonly description: string;
}

export type QueueName = keyof typeof QUEUES;
