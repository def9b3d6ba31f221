import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { FranceConnectClient, randomToken, type PivotIdentity } from '#accounts';
import { APP_CONFIG, type AppConfig } from '#core';
import { REDIS } from '#platform';

/** A FranceConnect login in progress, kept in Redis under a random handle held by the browser's cookie. */
export interface FranceConnectFlow {
  /**
   * The OIDC interaction it belongs to; null when started from the account area (its login page, « Relier à
   * FranceConnect ») or the registration page: it then ends signed in at « Mon compte ».
   */
  uid: string | null;
  clientId: string | null;
  /** The account of the browser's current session (a local login), when there is one. */
  sessionAccountId: string | null;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Set by the callback once FranceConnect's answer is verified. */
  result?: { pivot: PivotIdentity; idToken: string };
  /** Set once the account to log into is known (linked, created or linked now). */
  accountId?: string;
}

export const FLOW_TTL_S = 30 * 60;

/**
 * Server-side state of the FranceConnect federation, in Redis: flows in progress, and the FranceConnect ID token
 * of each provider session established through FranceConnect, for the logout at FranceConnect
 * (`session/end` with `id_token_hint` and `state`) when the person logs out of the territorial account.
 */
@Injectable()
export class FranceConnectSessions {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly client: FranceConnectClient,
  ) {}

  private key(kind: string, id: string) {
    return `${this.config.redis.prefix}:identity:fc:${kind}:${id}`;
  }

  async saveFlow(handle: string, flow: FranceConnectFlow): Promise<void> {
    await this.redis.set(this.key('flow', handle), JSON.stringify(flow), 'EX', FLOW_TTL_S);
  }

  async flow(handle: string | undefined): Promise<FranceConnectFlow | null> {
    if (!handle || !/^[A-Za-z0-9_-]{43}$/.test(handle)) return null;
    const raw = await this.redis.get(this.key('flow', handle));
    return raw ? (JSON.parse(raw) as FranceConnectFlow) : null;
  }

  async dropFlow(handle: string): Promise<void> {
    await this.redis.del(this.key('flow', handle));
  }

  /** The FranceConnect ID token of a login about to finish interaction `uid` (moved to the session at resume). */
  async rememberLogin(uid: string, accountId: string, idToken: string): Promise<void> {
    await this.redis.set(this.key('login', uid), JSON.stringify({ accountId, idToken }), 'EX', FLOW_TTL_S);
  }

  /** Binds the FranceConnect ID token to a provider session opened by the account area (for the chained logout). */
  async bindSession(sessionUid: string, idToken: string, ttlS: number): Promise<void> {
    await this.redis.set(this.key('session', sessionUid), idToken, 'EX', ttlS);
  }

  /** Forgets the FranceConnect ID token of a session (after unlinking FranceConnect). */
  async unbindSession(sessionUid: string): Promise<void> {
    await this.redis.del(this.key('session', sessionUid));
  }

  /** oidc-provider middleware, after each route: binds FranceConnect logins to sessions, chains logouts to FranceConnect. */
  async afterRoute(ctx: KoaContextWithOIDC, origin: string, sessionTtlS: number): Promise<void> {
    const route = ctx.oidc?.route;
    const session = ctx.oidc?.session;
    if (!session) return;
    if (route === 'resume') {
      const uid = /\/auth\/([^/?]+)/.exec(ctx.path)?.[1];
      const raw = uid ? await this.redis.getdel(this.key('login', uid)) : null;
      const login = raw ? (JSON.parse(raw) as { accountId: string; idToken: string }) : null;
      if (login && session.accountId === login.accountId && session.amr?.includes('fc')) {
        await this.redis.set(this.key('session', session.uid), login.idToken, 'EX', sessionTtlS);
      } else if (session.accountId && !session.amr?.includes('fc')) {
        await this.redis.del(this.key('session', session.uid));
      }
      return;
    }
    if (route === 'end_session_confirm' && session.destroyed && this.client.enabled) {
      const idToken = await this.redis.getdel(this.key('session', session.uid));
      if (!idToken) return;
      const returnTo = ctx.status >= 300 && ctx.status < 400 ? ctx.response.get('location') || null : null;
      const state = randomToken();
      await this.redis.set(this.key('logout', state), JSON.stringify({ returnTo }), 'EX', 10 * 60);
      ctx.redirect(await this.client.logoutUrl(origin, idToken, state));
      ctx.status = 303;
    }
  }

  /** Where to send the browser back after FranceConnect's logout (single use), or null for an unknown state. */
  async logoutReturn(state: string): Promise<{ returnTo: string | null } | null> {
    if (!state || state.length > 100) return null;
    const raw = await this.redis.getdel(this.key('logout', state));
    return raw ? (JSON.parse(raw) as { returnTo: string | null }) : null;
  }
}
