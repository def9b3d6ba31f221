import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '#core';
import type { ReleasedScope, SessionUser, WebAppKind, WebSessionData } from './web-session.types.js';

/** A session ends after 30 minutes without a request… */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** …and 12 hours after it began, whatever the activity. */
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
/** Data released by an incremental authorization is kept 30 minutes after its last use, apart from the session. */
export const RELEASED_TTL_MS = 30 * 60 * 1000;
/** A released claim larger than this is not kept (a provider's answer is a few hundred bytes). */
const RELEASED_MAX_BYTES = 20_000;
/** `lastSeenAt` is written back at most once a minute (not at every request). */
const TOUCH_EVERY_MS = 60 * 1000;

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A random 256-bit session id (base64url, 43 characters). */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}

/**
 * Server-side web sessions in Redis: `<prefix>:web:<app>:s:<id>` holds the JSON value with a TTL that is the
 * shorter of the idle and the absolute remaining time. Timeouts are also checked against the platform clock
 * at each read (what tests move). Two indexes, `…:sid:<provider sid>` and `…:sub:<sub>`, list the sessions a
 * back-channel logout must end.
 */
export class WebSessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly app: WebAppKind,
    private readonly clock: Clock,
  ) {}

  private key(kind: 's' | 'sid' | 'sub' | 'claims', id: string) {
    return `${this.prefix}:web:${this.app}:${kind}:${id}`;
  }

  /** The session's value, or null when unknown, unreadable or past one of its timeouts (then deleted). */
  async read(id: string): Promise<WebSessionData | null> {
    if (!isSessionId(id)) return null;
    const raw = await this.redis.get(this.key('s', id));
    if (!raw) return null;
    let data: WebSessionData;
    try {
      data = JSON.parse(raw) as WebSessionData;
    } catch {
      await this.remove(id);
      return null;
    }
    if (this.expired(data)) {
      await this.remove(id, data);
      return null;
    }
    return data;
  }

  expired(data: WebSessionData): boolean {
    const now = this.clock.now().getTime();
    return now - data.lastSeenAt > SESSION_IDLE_MS || now - data.createdAt > SESSION_ABSOLUTE_MS;
  }

  /** True when `lastSeenAt` is old enough to be written back. */
  needsTouch(data: WebSessionData): boolean {
    return this.clock.now().getTime() - data.lastSeenAt >= TOUCH_EVERY_MS;
  }

  fresh(): WebSessionData {
    const now = this.clock.now().getTime();
    return { csrf: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now };
  }

  async write(id: string, data: WebSessionData): Promise<void> {
    const now = this.clock.now().getTime();
    const left = Math.min(SESSION_IDLE_MS, SESSION_ABSOLUTE_MS - (now - data.createdAt));
    await this.redis.set(this.key('s', id), JSON.stringify(data), 'PX', Math.max(1_000, left));
  }

  /** Deletes a session and its index entries. */
  async remove(id: string, data?: WebSessionData | null): Promise<void> {
    const user = data?.user;
    const pipeline = this.redis.multi().del(this.key('s', id)).del(this.key('claims', id));
    if (user?.sid) pipeline.srem(this.key('sid', user.sid), id);
    if (user) pipeline.srem(this.key('sub', user.sub), id);
    await pipeline.exec();
  }

  /** Records that session `id` belongs to this provider session and subject (for back-channel logout). */
  async index(id: string, user: SessionUser): Promise<void> {
    const ttl = Math.ceil(SESSION_ABSOLUTE_MS / 1000);
    const pipeline = this.redis.multi();
    if (user.sid) pipeline.sadd(this.key('sid', user.sid), id).expire(this.key('sid', user.sid), ttl);
    pipeline.sadd(this.key('sub', user.sub), id).expire(this.key('sub', user.sub), ttl);
    await pipeline.exec();
  }

  /**
   * Ends the sessions a logout token names: those of the provider session `sid` when given (only those of
   * `sub` among them when both are given), else every session of `sub`. Returns how many ended.
   */
  async destroyFor(target: { sid?: string; sub?: string }): Promise<number> {
    const ids = target.sid ? await this.redis.smembers(this.key('sid', target.sid)) : target.sub ? await this.redis.smembers(this.key('sub', target.sub)) : [];
    let ended = 0;
    for (const id of ids) {
      const raw = await this.redis.get(this.key('s', id));
      const data = raw ? (JSON.parse(raw) as WebSessionData) : null;
      if (data?.user && target.sub && data.user.sub !== target.sub) continue;
      await this.remove(id, data);
      if (data) ended++;
    }
    if (target.sid) await this.redis.del(this.key('sid', target.sid));
    return ended;
  }

  /**
   * Data released by incremental authorizations for one purpose (`key`) of session `id`, by scope: a Redis hash
   * `…:claims:<session id>` (one field per purpose) that expires 30 minutes after its last write and goes with the
   * session. Never in the session's value (which every request reads).
   */
  async released(id: string, key: string): Promise<Record<string, ReleasedScope>> {
    const raw = await this.redis.hget(this.key('claims', id), key);
    if (!raw) return {};
    try {
      const value = JSON.parse(raw) as Record<string, ReleasedScope>;
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
    } catch {
      return {};
    }
  }

  async keepReleased(id: string, key: string, scope: string, entry: ReleasedScope): Promise<void> {
    const current = await this.released(id, key);
    current[scope] = JSON.stringify(entry).length > RELEASED_MAX_BYTES ? { status: 'unavailable', at: entry.at } : entry;
    await this.redis.multi().hset(this.key('claims', id), key, JSON.stringify(current)).pexpire(this.key('claims', id), RELEASED_TTL_MS).exec();
  }

  /** The data released for purpose `from` now serves `to` (the portal's new form got its draft id). */
  async moveReleased(id: string, from: string, to: string): Promise<void> {
    const raw = await this.redis.hget(this.key('claims', id), from);
    if (!raw) return;
    await this.redis.multi().hset(this.key('claims', id), to, raw).hdel(this.key('claims', id), from).pexpire(this.key('claims', id), RELEASED_TTL_MS).exec();
  }

  /** Remembers a logout token's `jti` until it expires; false when it was already seen (replay). */
  async firstUse(jti: string, ttlSeconds: number): Promise<boolean> {
    const answer = await this.redis.set(`${this.prefix}:web:${this.app}:jti:${jti}`, '1', 'EX', Math.max(60, ttlSeconds), 'NX');
    return answer === 'OK';
  }
}
