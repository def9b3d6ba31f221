import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ProviderSession } from 'oidc-provider';
import { Account, AccountService, sessionGrantIds, type KeptAccess } from '#accounts';
import { ACR_LOCAL } from '../oidc/claims.js';
import { IdentityProvider, SESSION_ABSOLUTE_S } from '../oidc/identity-provider.js';
import { readCookie } from './csrf.js';
import { noStore } from './form-view.js';

/** The cookie that keeps, during a login of the account area, the page to come back to (10 minutes). */
const RETURN_COOKIE = 'parvis_compte_retour';
const RETURN_TTL_MS = 10 * 60 * 1000;

/**
 * A page of the account area to come back to after its login (`/compte/connexion?retour=…`): only a path of this
 * site under `/compte/` (the mandate request's link, `/compte/professionnel/reponse?jeton=…`); anything else —
 * another origin (`//evil.example`, `/\evil.example`, `https://…`), control characters, the login page itself — gives null.
 */
export function accountReturnTo(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith('/compte/') || value.includes('\\')) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return null;
  try {
    const base = 'http://parvis.invalid';
    const resolved = new URL(value, base);
    if (resolved.origin !== base || !resolved.pathname.startsWith('/compte/') || resolved.pathname.startsWith('/compte/connexion')) return null;
    return `${resolved.pathname}${resolved.search}`;
  } catch {
    return null;
  }
}

export interface SignedIn {
  account: Account;
  session: ProviderSession;
}

/**
 * Who is signed in on the account area: the provider's own single sign-on session (oidc-provider's `Session`,
 * read from its signed cookie), so a person who logged in through a portal reaches « Mon compte » without a
 * new password, and logging out (`/oidc/session/end`) ends both. The same idle (30 min) and absolute (12 h)
 * timeouts hold: a session without recent activity is treated as signed out, each page view counts as activity.
 * The account area's own login form creates such a provider session (new id, no fixation).
 */
@Injectable()
export class AccountSession {
  constructor(
    private readonly identity: IdentityProvider,
    private readonly accounts: AccountService,
  ) {}

  /** The signed-in person and their provider session, or null. */
  async current(req: Request, res: Response): Promise<SignedIn | null> {
    const provider = await this.identity.provider(req);
    const session = await provider.Session.get({ req, res });
    if (session.new || !session.accountId) return null;
    if (await this.identity.isIdle(session.uid).catch(() => false)) return null;
    const account = await this.accounts.findById(session.accountId);
    if (!account) return null;
    await this.identity.touchActivity(session.uid).catch(() => undefined);
    return { account, session };
  }

  /** The signed-in person, or null after answering with a redirect to the account area's login. */
  async requireSignedIn(req: Request, res: Response): Promise<SignedIn | null> {
    const current = await this.current(req, res);
    if (!current) noStore(res).redirect(303, '/compte/connexion');
    return current;
  }

  /**
   * Opens a provider session for this account (the previous one of the browser, if any, is destroyed): by its
   * password (`acr` local) unless told otherwise (FranceConnect: `eidas1`, `amr` fc). Returns the new session.
   */
  async logIn(req: Request, res: Response, account: Account, how: { acr: string; amr: string[] } = { acr: ACR_LOCAL, amr: ['pwd'] }): Promise<ProviderSession> {
    const provider = await this.identity.provider(req);
    const previous = await provider.Session.get({ req, res });
    if (!previous.new) await previous.destroy();
    const session = new provider.Session();
    session.loginAccount({ accountId: account.id, acr: how.acr, amr: how.amr });
    await session.save(SESSION_ABSOLUTE_S);
    provider
      .createContext(req, res)
      .cookies.set(provider.cookieName('session'), session.jti, { ...this.identity.sessionCookieOptions(req), expires: new Date(Date.now() + SESSION_ABSOLUTE_S * 1000) });
    await this.identity.touchActivity(session.uid);
    return session;
  }

  /** Remembers where to go after the account area's login (password or FranceConnect); an unsafe path is ignored. */
  rememberReturn(req: Request, res: Response, value: unknown): void {
    const path = accountReturnTo(value);
    if (!path) return;
    res.cookie(RETURN_COOKIE, path, { httpOnly: true, sameSite: 'lax', secure: this.identity.secure(req), path: '/', maxAge: RETURN_TTL_MS });
  }

  /** Where to go once signed in: the remembered page (checked again), else « Mon compte ». Forgets it. */
  takeReturn(req: Request, res: Response): string {
    const raw = readCookie(req, RETURN_COOKIE);
    if (raw === undefined) return '/compte';
    res.clearCookie(RETURN_COOKIE, { path: '/' });
    return accountReturnTo(raw) ?? '/compte';
  }

  /** What a change of password keeps: this session and the grants it holds. */
  kept(signedIn: SignedIn): KeptAccess {
    return { sessionId: signedIn.session.jti, grantIds: sessionGrantIds(signedIn.session.authorizations) };
  }
}
