import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import { APP_CONFIG, Clock, DomainError, type AppConfig } from '#core';
import { REDIS } from '#platform';

export const TRACKING_RATE_LIMITED = 'TRACKING_RATE_LIMITED';

/** Attempts to open a demand by tracking code within one window, per client address and per code. */
export const TRACKING_WINDOW_MS = 15 * 60_000;
export const TRACKING_MAX_PER_IP = 30;
export const TRACKING_MAX_PER_CODE = 10;
/** Help requests (`POST /aide`, each one a demand) per client address within one window. */
export const HELP_MAX_PER_IP = 10;
export const HELP_RATE_LIMITED = 'HELP_RATE_LIMITED';

/**
 * Rate limits of the citizen pages (help requests: `hitHelp`) and of the anonymous follow-up (`POST /suivi`), counted in Redis so every portal process shares it:
 * fixed windows of 15 minutes (platform clock), at most 30 attempts per client address and 10 per tracking code
 * (whatever the address: guessing the secret of one code from many addresses is stopped too). Every attempt
 * counts, right or wrong, before the code is even looked up. Beyond: 429 with Retry-After and a French page.
 */
@Injectable()
export class TrackingThrottle {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async hit(ip: string, code: string, res: Response): Promise<void> {
    const now = this.clock.now().getTime();
    const window = Math.floor(now / TRACKING_WINDOW_MS);
    const digest = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 32);
    const ipKey = `${this.config.redis.prefix}:portal:suivi:ip:${digest(ip)}:${window}`;
    const codeKey = `${this.config.redis.prefix}:portal:suivi:code:${digest(code)}:${window}`;
    const replies = (await this.redis
      .multi()
      .incr(ipKey)
      .pexpire(ipKey, TRACKING_WINDOW_MS * 2)
      .incr(codeKey)
      .pexpire(codeKey, TRACKING_WINDOW_MS * 2)
      .exec()) as [Error | null, number][];
    const perIp = replies[0][1];
    const perCode = replies[2][1];
    if (perIp > TRACKING_MAX_PER_IP || perCode > TRACKING_MAX_PER_CODE) {
      const minutes = this.retryAfter(res, window, now);
      throw new DomainError(
        TRACKING_RATE_LIMITED,
        `Trop de tentatives de suivi ont été faites : par sécurité, réessayez dans ${minutes} minute${minutes > 1 ? 's' : ''}. Si vous avez perdu votre code ou votre clé d’accès, demandez de l’aide depuis la page « Besoin d’aide ? ».`,
        'too_many',
      );
    }
  }

  /** One help request from this address (each becomes a demand: no flood of the help desks); 429 beyond. */
  async hitHelp(ip: string, res: Response): Promise<void> {
    const now = this.clock.now().getTime();
    const window = Math.floor(now / TRACKING_WINDOW_MS);
    const key = `${this.config.redis.prefix}:portal:aide:ip:${createHash('sha256').update(ip).digest('hex').slice(0, 32)}:${window}`;
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, TRACKING_WINDOW_MS * 2).exec()) as [Error | null, number][];
    if (count > HELP_MAX_PER_IP) {
      const minutes = this.retryAfter(res, window, now);
      throw new DomainError(
        HELP_RATE_LIMITED,
        `Beaucoup de demandes d’aide ont été envoyées depuis cette connexion : réessayez dans ${minutes} minute${minutes > 1 ? 's' : ''}.`,
        'too_many',
      );
    }
  }

  /** Sets Retry-After (seconds to the end of the window) and returns it in minutes. */
  private retryAfter(res: Response, window: number, now: number): number {
    const seconds = Math.max(1, Math.ceil(((window + 1) * TRACKING_WINDOW_MS - now) / 1000));
    res.setHeader('Retry-After', String(seconds));
    return Math.ceil(seconds / 60);
  }
}
