import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { scrubSecrets } from '#core';

/**
 * A Redis connection that never crashes its process: errors are logged (throttled) and ioredis keeps
 * reconnecting with backoff. `forQueues` connections wait forever for a reply (what BullMQ workers need);
 * the others fail fast so a request never hangs on a dead Redis.
 */
export function createRedis(url: string, logger: Logger, name: string, options: { forQueues?: boolean } = {}): Redis {
  const base: RedisOptions = {
    connectionName: `parvis:${name}`,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    reconnectOnError: () => true,
    connectTimeout: 3_000,
  };
  const redis = new Redis(
    url,
    options.forQueues
      ? { ...base, maxRetriesPerRequest: null, enableOfflineQueue: true }
      : { ...base, maxRetriesPerRequest: 1, enableOfflineQueue: false },
  );
  let lastLog = 0;
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLog > 10_000) {
      lastLog = now;
      logger.warn({ redis: name }, `Redis indisponible : ${scrubSecrets(error.message)}`);
    }
  });
  redis.on('ready', () => {
    if (lastLog) logger.info({ redis: name }, 'Redis de nouveau disponible');
    lastLog = 0;
  });
  return redis;
}

export async function pingRedis(redis: Redis, timeoutMs = 2_000): Promise<{ up: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`pas de réponse en ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return answer === 'PONG' ? { up: true } : { up: false, error: `réponse inattendue ${String(answer)}` };
  } catch (error) {
    return { up: false, error: scrubSecrets((error as Error).message) };
  } finally {
    clearTimeout(timer);
  }
}
