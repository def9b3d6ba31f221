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
 * engine process shares it. When Redis is unreachable the limit is not applied (logged, at most every 10 s): the
 * callers are authenticated partners, and a submission must still be accepted — its jobs wait in the outbox.
 */
@Injectable()
export class ApiRateLimiter {
  perMinute: number;
  private lastOutageLog = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.perMinute = readLimit(process.env.ENGINE_API_RATE_LIMIT_PER_MINUTE);
  }

  /** Counts one request; throws 429 API_RATE_LIMITED (with the seconds to wait) beyond the limit. */
  async hit(apiKeyId: string, res: Response): Promise<void> {
    const nowMs = this.clock.now().getTime();
    const minute = Math.floor(nowMs / 60_000);
    const key = `${this.config.redis.prefix}:engine:rate:${apiKeyId}:${minute}`;
    let count: number;
    try {
      const [[error, counted]] = (await this.redis.multi().incr(key).pexpire(key, 120_000).exec()) as [[Error | null, number], unknown];
      if (error) throw error;
      count = counted;
    } catch (error) {
      if (Date.now() - this.lastOutageLog > 10_000) {
        this.lastOutageLog = Date.now();
        this.logger.warn({ err: error }, "Limite de débit de l'API non appliquée : Redis indisponible");
      }
      return;
    }
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
  private readonly verified = new Map<string, { until: number; key: VerifiedApiKey }>();

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
    await this.limiter.hit(verified.apiKeyId, res);
    req.apiCaller = { kind: 'api', apiKeyId: verified.apiKeyId, collectivityId: verified.collectivityId, scopes: verified.scopes };
    return true;
  }

  private async verify(token: string): Promise<VerifiedApiKey> {
    const id = createHash('sha256').update(token).digest('base64url');
    const now = performance.now();
    const hit = this.verified.get(id);
    if (hit && hit.until > now) return hit.key;
    const key = await new ApiKeyRepository(this.dataSource.manager).verify(token, this.clock.now());
    if (this.verifiedTtlMs > 0) {
      if (this.verified.size >= 1_000) this.verified.clear();
      this.verified.set(id, { until: now + this.verifiedTtlMs, key });
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
