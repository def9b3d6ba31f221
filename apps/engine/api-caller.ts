import { createParamDecorator, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { APP_CONFIG, Clock, DomainError, LOGGER, type AppConfig } from '#core';
import type { EngineCaller } from '#demands';
import { REDIS } from '#platform';
import { ApiKeyRepository, type VerifiedApiKey } from '#teleservices';
import { createHash } from 'node:crypto';

type ApiCaller = Extract<EngineCaller, { kind: 'api' }>;
type WithCaller = Request & { apiCaller?: ApiCaller };

export const API_RATE_LIMITED = 'API_RATE_LIMITED';
const DEFAULT_PER_MINUTE = 1_200;

/**
 * Requests per API key and minute (ENGINE_API_RATE_LIMIT_PER_MINUTE, default 1,200), counted in Redis so every
 * engine process shares it. The count is kept **off the request's critical path**: each request is counted in
 * Redis (`INCR`, not awaited) and decided at once on this process' estimate, the shared count of the latest reply
 * plus this process' requests whose reply has not arrived yet (replies come in order on one connection, so for
 * one process the estimate is exact; with several, a process learns the others' requests with its next reply).
 * When Redis is unreachable the limit is not applied (logged, at most every 10 s): the callers are authenticated
 * partners, and a submission must still be accepted — its jobs wait in the outbox.
 */
@Injectable()
export class ApiRateLimiter {
  perMinute: number;
  private lastOutageLog = 0;
  /** Per key, the current minute's shared count (latest Redis reply) and the requests counted since, unanswered. */
  private readonly counts = new Map<string, { minute: number; known: number; pending: number; failed: boolean }>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.perMinute = readLimit(process.env.ENGINE_API_RATE_LIMIT_PER_MINUTE);
  }

  /** Increments the shared count of this key and minute (kept two minutes), resolving to the new count. */
  private countInRedis(key: string): Promise<number> {
    const redis = this.redis as RateRedis;
    if (!redis.parvisRateHit) redis.defineCommand('parvisRateHit', { numberOfKeys: 1, lua: RATE_HIT_SCRIPT });
    return redis.parvisRateHit!(key, '120000').then(Number);
  }

  /** Counts one request; throws 429 API_RATE_LIMITED (with the seconds to wait) beyond the limit. No I/O awaited. */
  hit(apiKeyId: string, res: Response): void {
    const nowMs = this.clock.now().getTime();
    const minute = Math.floor(nowMs / 60_000);
    let state = this.counts.get(apiKeyId);
    if (!state || state.minute !== minute) {
      if (!state && this.counts.size >= 10_000) this.counts.clear();
      state = { minute, known: 0, pending: 0, failed: false };
      this.counts.set(apiKeyId, state);
    }
    const counted = state;
    counted.pending += 1;
    const key = `${this.config.redis.prefix}:engine:rate:${apiKeyId}:${minute}`;
    this.countInRedis(key)
      .then((total) => {
        counted.known = Math.max(counted.known, total);
        counted.failed = false;
      })
      .catch((error: unknown) => {
        counted.failed = true;
        if (Date.now() - this.lastOutageLog > 10_000) {
          this.lastOutageLog = Date.now();
          this.logger.warn({ err: error }, "Limite de débit de l'API non appliquée : Redis indisponible");
        }
      })
      .finally(() => (counted.pending -= 1));
    // Redis down (last reply failed): the limit is not applied, as documented.
    if (counted.failed) return;
    const count = counted.known + counted.pending;
    const remaining = Math.max(0, this.perMinute - count);
    res.setHeader('RateLimit-Limit', String(this.perMinute));
    res.setHeader('RateLimit-Remaining', String(remaining));
    if (count > this.perMinute) {
      const retryAfter = Math.max(1, Math.ceil(((minute + 1) * 60_000 - nowMs) / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      throw new DomainError(API_RATE_LIMITED, `Trop de requêtes avec cette clé d'API : réessayez dans ${retryAfter} s.`, 'too_many');
    }
  }
}

/** One command per request: INCR, and the key's expiry set by its first increment (atomic, Lua, sent once then by SHA). */
const RATE_HIT_SCRIPT = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";
type RateRedis = Redis & { parvisRateHit?: (key: string, ttlMs: string) => Promise<number> };

function readLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PER_MINUTE;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`ENGINE_API_RATE_LIMIT_PER_MINUTE : entier positif attendu (reçu « ${raw} »).`);
  return n;
}

/**
 * `Authorization: Bearer pvk_…`: verified against the stored hash (ApiKeyRepository), unrevoked; the caller is
 * the key's collectivity with the key's scopes. Missing, malformed, unknown, wrong or revoked: the same 401
 * API_KEY_INVALID. Then the per-key rate limit.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  /**
   * How long a verified key is trusted without reading `api_key` again (per process): a revocation takes effect
   * within this delay. Only successes are kept (a wrong key is checked every time); 0 verifies every request.
   */
  verifiedTtlMs = 2_000;
  private readonly verified = new Map<string, { until: number; key: Promise<VerifiedApiKey> }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly limiter: ApiRateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WithCaller>();
    const res = context.switchToHttp().getResponse<Response>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    res.setHeader('Cache-Control', 'no-store');
    const verified = await this.verify(match?.[1] ?? apiKeyParameter(req));
    this.limiter.hit(verified.apiKeyId, res);
    req.apiCaller = { kind: 'api', apiKeyId: verified.apiKeyId, collectivityId: verified.collectivityId, scopes: verified.scopes };
    return true;
  }

  private async verify(token: string): Promise<VerifiedApiKey> {
    const id = createHash('sha256').update(token).digest('base64url');
    const now = performance.now();
    const hit = this.verified.get(id);
    if (hit && hit.until > now) return hit.key;
    // Concurrent requests with the same key share one verification; only a success is kept.
    const key = new ApiKeyRepository(this.dataSource.manager).verify(token, this.clock.now());
    if (this.verifiedTtlMs > 0) {
      if (this.verified.size >= 1_000) this.verified.clear();
      this.verified.set(id, { until: now + this.verifiedTtlMs, key });
      key.catch(() => this.verified.delete(id));
    }
    return key;
  }
}

/** Open311 GeoReport clients send the key as an `api_key` parameter (query string or form body) instead. */
function apiKeyParameter(req: WithCaller): string {
  if (!req.path.startsWith('/open311/')) return '';
  const fromQuery = (req.query as Record<string, unknown> | undefined)?.api_key;
  const fromBody = (req.body as Record<string, unknown> | undefined)?.api_key;
  const value = typeof fromBody === 'string' ? fromBody : fromQuery;
  return typeof value === 'string' ? value : '';
}

/** The partner the ApiKeyGuard authenticated. */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): ApiCaller => {
  const caller = context.switchToHttp().getRequest<WithCaller>().apiCaller;
  if (!caller) throw new Error('ApiKeyGuard manquant sur ce contrôleur');
  return caller;
});
