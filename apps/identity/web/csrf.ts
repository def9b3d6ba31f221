import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { hmacHex, randomToken, safeEqual } from '#accounts';
import { APP_CONFIG, DomainError, type AppConfig } from '#core';
import { IdentityProvider } from '../oidc/identity-provider.js';

export const CSRF_INVALID = 'CSRF_INVALID';

/** Reads one cookie from the Cookie header (no cookie-parser needed for this). */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

/**
 * CSRF protection of every form: a signed double-submit cookie. The browser holds a random value in an
 * HttpOnly cookie (`__Host-parvis_csrf` over https: no subdomain can plant it); each form carries
 * HMAC(cookie key, value), which another site can neither read nor compute. A POST also must come from our
 * own origin when the browser says where it comes from. A new value is issued at login.
 */
@Injectable()
export class Csrf {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly identity: IdentityProvider,
  ) {}

  private cookieName(req: Request) {
    return this.identity.secure(req) ? '__Host-parvis_csrf' : 'parvis_csrf';
  }

  private sign(value: string, key = this.config.identity.cookieKeys[0]!): string {
    return hmacHex(key, `csrf|${value}`);
  }

  /** The token to put in the page's forms (sets the cookie when the browser has none, or when `renew`). */
  token(req: Request, res: Response, renew = false): string {
    const name = this.cookieName(req);
    let value = renew ? undefined : readCookie(req, name);
    if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
      value = randomToken();
      res.cookie(name, value, { httpOnly: true, sameSite: 'lax', secure: this.identity.secure(req), path: '/' });
    }
    return this.sign(value);
  }

  /** Refuses (403) a form without a valid token, or sent from another origin. */
  verify(req: Request): void {
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && origin !== this.identity.origin(req)) {
      throw DomainError.forbidden(CSRF_INVALID, 'Ce formulaire ne vient pas du compte territorial : il est refusé.');
    }
    const value = readCookie(req, this.cookieName(req));
    const sent = typeof req.body?._csrf === 'string' ? (req.body._csrf as string) : '';
    const ok = Boolean(value && sent && this.config.identity.cookieKeys.some((key) => safeEqual(this.sign(value, key), sent)));
    if (!ok) {
      throw DomainError.forbidden(
        CSRF_INVALID,
        'Le formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez.',
      );
    }
  }
}
