import { createParamDecorator, Inject, Injectable, type CanActivate, type ExecutionContext, type OnApplicationShutdown } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { APP_CONFIG, Clock, DomainError, LOGGER, type AppConfig } from '#core';
import type { EngineCaller } from '#demands';
import { REDIS } from '#platform';
import { ApiKeyRepository, type VerifiedApiKey } from '#teleservices';
import { hash } from 'node:crypto';

type ApiCaller = Extract<EngineCaller, { kind: 'api' }>;
type WithCaller = Request & { apiCaller?: ApiCaller };

export const API_RATE_LIMITED = 'API_RATE_LIMITED';
const DEFAULT_PER_MINUTE = 1_200;

/**
 * Requests per API key and minute (ENGINE_API_RATE_LIMIT_PER_MINUTE, default 1,200), counted in Redis so every
 * engine process shares it. The count is kept **off the request's critical path** and sent **in batches**: each
 * request is decided at once on this process' estimate — the shared count of the latest Redis reply, plus this
 * process' requests not yet sent or not yet answered — and added to a local counter that one `INCRBY` per key
 * sends every `flushMs` (20 ms), instead of one command per request. For one process the estimate is exact; with
 * several, a process learns the others' requests with its next reply, at most a few tens of milliseconds late.
 * When Redis is unreachable the limit is not applied (logged, at most every 10 s): the callers are authenticated
 * partners, and a submission must still be accepted — its jobs wait in the outbox.
 */
@Injectable()
export class ApiRateLimiter implements OnApplicationShutdown {
  perMinute: number;
  /** How long requests are counted locally before their count is sent to Redis. */
  flushMs = 20;
  private lastOutageLog = 0;
  /**
   * Per key, the current minute's shared count (latest Redis reply), the requests counted since and not yet sent
   * (`unsent`), those sent and not yet answered (`sending`).
   */
  private readonly counts = new Map<string, RateCount>();
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.perMinute = readLimit(process.env.ENGINE_API_RATE_LIMIT_PER_MINUTE);
  }

  /** Counts one request; throws 429 API_RATE_LIMITED (with the seconds to wait) beyond the limit. No I/O awaited. */
  hit(apiKeyId: string, res: Pick<ServerResponse, 'setHeader'>): void {
    const nowMs = this.clock.now().getTime();
    const minute = Math.floor(nowMs / 60_000);
    let state = this.counts.get(apiKeyId);
    if (!state || state.minute !== minute) {
      // A new minute: what the previous one still had to send is sent now, under its own key.
      if (state?.unsent) this.send(apiKeyId, state);
      if (!state && this.counts.size >= 10_000) this.counts.clear();
      state = { minute, known: 0, unsent: 0, sending: 0, failed: false };
      this.counts.set(apiKeyId, state);
    }
    state.unsent += 1;
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
    // Redis down (last reply failed): the limit is not applied, as documented.
    if (state.failed) return;
    const count = state.known + state.sending + state.unsent;
    const remaining = Math.max(0, this.perMinute - count);
    res.setHeader('RateLimit-Limit', String(this.perMinute));
    res.setHeader('RateLimit-Remaining', String(remaining));
    if (count > this.perMinute) {
      const retryAfter = Math.max(1, Math.ceil(((minute + 1) * 60_000 - nowMs) / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      throw new DomainError(API_RATE_LIMITED, `Trop de requêtes avec cette clé d'API : réessayez dans ${retryAfter} s.`, 'too_many');
    }
  }

  /** Sends every local count to Redis now and waits for the replies (also called at shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [apiKeyId, state] of this.counts) if (state.unsent) this.send(apiKeyId, state);
    await Promise.all([...this.inFlight]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush().catch(() => undefined);
  }

  /** One `INCRBY` of the key's unsent requests (expiry set by its first increment); the reply updates the estimate. */
  private send(apiKeyId: string, state: RateCount): void {
    const count = state.unsent;
    state.unsent = 0;
    state.sending += count;
    const key = `${this.config.redis.prefix}:engine:rate:${apiKeyId}:${state.minute}`;
    const redis = this.redis as RateRedis;
    if (!redis.parvisRateAdd) redis.defineCommand('parvisRateAdd', { numberOfKeys: 1, lua: RATE_ADD_SCRIPT });
    const sent: Promise<void> = redis.parvisRateAdd!(key, String(count), '120000')
      .then((total) => {
        state.known = Math.max(state.known, Number(total));
        state.failed = false;
      })
      .catch((error: unknown) => {
        state.failed = true;
        if (Date.now() - this.lastOutageLog > 10_000) {
          this.lastOutageLog = Date.now();
          this.logger.warn({ err: error }, "Limite de débit de l'API non appliquée : Redis indisponible");
        }
      })
      .finally(() => {
        state.sending -= count;
        this.inFlight.delete(sent);
      });
    this.inFlight.add(sent);
  }
}

interface RateCount {
  minute: number;
  known: number;
  unsent: number;
  sending: number;
  failed: boolean;
}

/** INCRBY, and the key's expiry set by its first increment (atomic, Lua, sent once then by SHA). */
const RATE_ADD_SCRIPT =
  "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return n";
type RateRedis = Redis & { parvisRateAdd?: (key: string, count: string, ttlMs: string) => Promise<number> };

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
    const match = BEARER.exec(req.headers.authorization ?? '');
    req.apiCaller = await this.authenticate(match?.[1] ?? apiKeyParameter(req), res);
    return true;
  }

  /**
   * The partner behind `token` (401 API_KEY_INVALID otherwise), counted by the rate limit (429 beyond it); the
   * response is marked not to be cached. Also used by the direct JSON submission route (direct-submission.ts).
   */
  async authenticate(token: string, res: Pick<ServerResponse, 'setHeader'>): Promise<ApiCaller> {
    res.setHeader('Cache-Control', 'no-store');
    const verified = await this.verify(token);
    this.limiter.hit(verified.apiKeyId, res);
    return { kind: 'api', apiKeyId: verified.apiKeyId, collectivityId: verified.collectivityId, scopes: verified.scopes };
  }

  private async verify(token: string): Promise<VerifiedApiKey> {
    const id = hash('sha256', token, 'base64url');
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

/** `Authorization: Bearer <token>`. */
export const BEARER = /^Bearer\s+(\S+)\s*$/i;

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
