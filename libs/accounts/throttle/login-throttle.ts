import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, Clock, DomainError, type AppConfig } from '#core';
import { sha256Hex } from '../crypto/tokens.js';
import { AccountErrors } from '../accounts/accounts.errors.js';

/** Injection token of the Redis connection the accounts lib uses (the app provides it). */
export const ACCOUNTS_REDIS = Symbol('ACCOUNTS_REDIS');

export interface ThrottleRule {
  /** Failures allowed before any delay. */
  freeFailures: number;
  /** Delay after the first failure past the free ones; doubles with each further failure. */
  baseDelayMs: number;
  /** Bounded lockout: a victim is never locked out longer than this by an attacker. */
  maxDelayMs: number;
  /** Failures are forgotten after this long without a new one. */
  windowMs: number;
}

export const ACCOUNT_RULE: ThrottleRule = { freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000, windowMs: 3600_000 };
export const IP_RULE: ThrottleRule = { freeFailures: 30, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000, windowMs: 3600_000 };
/** Registration and reset requests per IP (each sends a mail): a budget, not a failure count. */
export const MAIL_RULE: ThrottleRule = { freeFailures: 10, baseDelayMs: 60_000, maxDelayMs: 15 * 60_000, windowMs: 3600_000 };

export interface ThrottleKey {
  rule: ThrottleRule;
  /** e.g. `login:account:<email>`; hashed before it reaches Redis (no personal data in keys). */
  key: string;
}

/**
 * Progressive throttling with Redis counters: after `freeFailures`, each failure locks the key for a doubling
 * delay, capped at `maxDelayMs`. The lock time comes from the injected clock; Redis only forgets old counters.
 * Keyed by email whether or not an account exists, so the throttle itself reveals nothing.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @Inject(ACCOUNTS_REDIS) private readonly redis: Redis,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  static forLogin(email: string, ip: string): ThrottleKey[] {
    return [
      { rule: ACCOUNT_RULE, key: `login:account:${email.trim().toLowerCase()}` },
      { rule: IP_RULE, key: `login:ip:${ip}` },
    ];
  }

  /**
   * A login under the throttle: refused while the account or the IP is locked; a wrong password counts as a
   * failure against both; a success forgets the account's failures.
   */
  async attemptLogin<T>(email: string, ip: string, login: () => Promise<T>): Promise<T> {
    const keys = LoginThrottle.forLogin(email, ip);
    await this.assertAllowed(keys);
    const result = await login().catch(async (error: unknown) => {
      if (error instanceof DomainError && error.code === AccountErrors.INVALID_CREDENTIALS) await this.fail(keys);
      throw error;
    });
    await this.succeed(keys);
    return result;
  }

  /** Refuses (`too_many`, with the wait in the message) while any key is locked. Redis down: `unavailable` (fail closed). */
  async assertAllowed(keys: ThrottleKey[]): Promise<void> {
    return this.guard(() => this.check(keys));
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw DomainError.unavailable(
        AccountErrors.THROTTLED,
        'La connexion est momentanément indisponible. Réessayez dans quelques instants.',
        error,
      );
    }
  }

  private async check(keys: ThrottleKey[]): Promise<void> {
    const now = this.clock.now().getTime();
    let until = 0;
    for (const { key } of keys) {
      const lockedUntil = Number((await this.redis.hget(this.redisKey(key), 'lockedUntil')) ?? 0);
      until = Math.max(until, lockedUntil);
    }
    if (until > now) {
      const minutes = Math.max(1, Math.ceil((until - now) / 60_000));
      throw new DomainError(
        AccountErrors.THROTTLED,
        `Trop de tentatives : réessayez dans ${minutes} minute${minutes > 1 ? 's' : ''}.`,
        'too_many',
      );
    }
  }

  /** Counts a failure (or a mail-sending request) against each key, locking those past their free budget. */
  async fail(keys: ThrottleKey[]): Promise<void> {
    return this.guard(() => this.count(keys));
  }

  private async count(keys: ThrottleKey[]): Promise<void> {
    const now = this.clock.now().getTime();
    for (const { rule, key } of keys) {
      const redisKey = this.redisKey(key);
      const failures = await this.redis.hincrby(redisKey, 'failures', 1);
      const over = failures - rule.freeFailures;
      if (over > 0) {
        const delay = Math.min(rule.maxDelayMs, rule.baseDelayMs * 2 ** Math.min(over - 1, 20));
        await this.redis.hset(redisKey, 'lockedUntil', String(now + delay));
      }
      await this.redis.pexpire(redisKey, rule.windowMs + rule.maxDelayMs);
    }
  }

  /** A success forgets the account's failures (not the IP's). */
  async succeed(keys: ThrottleKey[]): Promise<void> {
    for (const { rule, key } of keys) if (rule === ACCOUNT_RULE) await this.redis.del(this.redisKey(key));
  }

  private redisKey(key: string): string {
    return `${this.config.redis.prefix}:identity:throttle:${sha256Hex(key)}`;
  }
}
