import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, LOGGER } from '#core';
import { safeReturnTo } from './return-to.js';
import type { WebSessionStore } from './session-store.js';
import { WebApp } from './web-app.js';
import { SessionCookie, WebSession } from './web-session.js';
import type { WebSessionData } from './web-session.types.js';

export const WEB_SESSION_STORE = Symbol('WEB_SESSION_STORE');
export const CSRF_INVALID = 'CSRF_INVALID';

/** Server-to-server endpoints: no browser, no session, no CSRF token (the logout token is signed). */
const CSRF_EXEMPT = new Set(['/auth/backchannel-logout']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Runs before every route of the portal and the back office:
 * - loads the web session named by the cookie (timeouts checked; `lastSeenAt` refreshed) into `req.webSession`;
 * - refuses (403) any unsafe request without the session's CSRF token (`_csrf` field or `X-CSRF-Token`
 *   header) or coming from another origin;
 * - gives the views what the header needs (`account.user`, `csrfToken`, login and account links);
 * - marks pages of a logged-in person `Cache-Control: no-store`;
 * - lets forms end at the territorial account: `form-action` gains the provider's origin (logout posts here,
 *   then is redirected there, and Chromium applies `form-action` to the redirect).
 */
@Injectable()
export class WebSessionMiddleware implements NestMiddleware {
  private readonly cookie: SessionCookie;

  constructor(
    private readonly web: WebApp,
    @Inject(WEB_SESSION_STORE) private readonly store: WebSessionStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.cookie = new SessionCookie(web.options.cookieName, web.secure);
  }

  async use(req: Request, res: Response, next: NextFunction) {
    const session = new WebSession(this.store, this.cookie, res, ...(await this.load(req)));
    req.webSession = session;

    const csp = res.getHeader('Content-Security-Policy');
    if (typeof csp === 'string') res.setHeader('Content-Security-Policy', csp.replace("form-action 'self'", `form-action 'self' ${this.web.issuer.origin}`));

    if (!SAFE_METHODS.has(req.method) && !CSRF_EXEMPT.has(req.path)) {
      const tokenExempt = this.web.options.csrfTokenExemptPrefixes?.some((prefix) => req.path.startsWith(prefix)) ?? false;
      this.checkCsrf(req, session, tokenExempt);
    }

    const user = session.user;
    if (user || req.path.startsWith('/auth/')) res.setHeader('Cache-Control', 'no-store');
    const here = req.method === 'GET' ? safeReturnTo(req.originalUrl) : '/';
    res.locals.account = {
      user: user ? { name: user.name } : undefined,
      loginHref: here === '/' ? '/auth/login' : `/auth/login?returnTo=${encodeURIComponent(here)}`,
      accountUrl: this.web.accountUrl,
    };
    if (user) res.locals.csrfToken = session.data!.csrf;
    next();
  }

  private async load(req: Request): Promise<[string | null, WebSessionData | null]> {
    const id = this.cookie.read(req);
    if (!id) return [null, null];
    try {
      const data = await this.store.read(id);
      if (!data) return [null, null];
      if (this.store.needsTouch(data)) {
        data.lastSeenAt = this.store.fresh().lastSeenAt;
        await this.store.write(id, data);
      }
      return [id, data];
    } catch (error) {
      this.logger.warn({ err: error }, 'Session web illisible (Redis indisponible ?) : requête traitée sans session');
      return [null, null];
    }
  }

  private checkCsrf(req: Request, session: WebSession, tokenExempt: boolean) {
    const origin = req.headers.origin;
    if ((origin && origin !== 'null' && origin !== this.web.origin(req)) || (tokenExempt && origin !== this.web.origin(req))) {
      throw DomainError.forbidden(CSRF_INVALID, 'Ce formulaire ne vient pas de ce site : il est refusé.');
    }
    // Token-exempt prefixes (a third-party UI's API): the same-origin check above is the protection.
    if (tokenExempt) return;
    const expected = session.data?.csrf;
    const body = req.body as Record<string, unknown> | undefined;
    // A multipart form (file upload without JavaScript) is read by its handler, after this check: its token
    // travels in the action's query string (`?_csrf=`), the page answering it redirects at once (303).
    const multipart = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
    const query = multipart && typeof req.query?._csrf === 'string' ? req.query._csrf : '';
    const sent = typeof body?._csrf === 'string' ? body._csrf : typeof req.headers['x-csrf-token'] === 'string' ? req.headers['x-csrf-token'] : query;
    if (!expected || !sent || !sameString(expected, sent)) {
      throw DomainError.forbidden(CSRF_INVALID, 'Le formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez.');
    }
  }
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
