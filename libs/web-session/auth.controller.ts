import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import { Clock, DomainError, LOGGER } from '#core';
import { LogoutTokenError, RelyingParty } from './relying-party.js';
import { safeReturnTo } from './return-to.js';
import type { WebSessionStore } from './session-store.js';
import { WebApp } from './web-app.js';
import { WEB_SESSION_STORE } from './web-session.middleware.js';
import type { ReleasedScope, SessionProfile, SessionUser } from './web-session.types.js';

/** A login must come back from the provider within this time. */
const LOGIN_TTL_MS = 10 * 60 * 1000;
export const LOGIN_FAILED = 'LOGIN_FAILED';
export const AUTHORIZATION_FAILED = 'AUTHORIZATION_FAILED';
/** The purpose an incremental authorization's data is kept for (the portal: a form in progress). */
export const AUTHORIZATION_KEY_PATTERN = /^[A-Za-z0-9:_-]{1,100}$/;

/** The link that asks the provider for one more scope and comes back to `returnTo` (plain GET: works without JavaScript). */
export function authorizationHref(scope: string, key: string, returnTo: string): string {
  return `/auth/autorisation?${new URLSearchParams({ portee: scope, cle: key, returnTo }).toString()}`;
}

/**
 * Login and logout through the territorial account, the same for the portal and the back office (this is
 * web plumbing shared by both apps, not a domain capability, hence a controller in a lib).
 */
@Controller('auth')
export class AuthController {
  constructor(
    private readonly web: WebApp,
    private readonly rp: RelyingParty,
    private readonly clock: Clock,
    @Inject(WEB_SESSION_STORE) private readonly store: WebSessionStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Sends the browser to the provider: code flow with PKCE S256, state and nonce kept in the session. */
  @Get('login')
  async login(@Req() req: Request, @Res() res: Response, @Query('returnTo') returnToParam: unknown) {
    const returnTo = safeReturnTo(returnToParam);
    const session = req.webSession!;
    if (session.user) return res.redirect(303, returnTo);
    const configuration = await this.rp.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await session.update((data) => {
      data.login = { state, nonce, verifier, returnTo, startedAt: this.clock.now().getTime() };
    });
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.web.redirectUri(req),
      scope: this.web.options.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return res.redirect(303, url.href);
  }

  /**
   * Incremental authorization: a person already logged in is sent to the provider for one more scope among the
   * app's `extraScopes` (the provider shows its consent screen), then back to `returnTo`. What the scope releases is
   * kept for the purpose `cle` only, apart from the session (`WebSession.released`). Signed out: the login first.
   */
  @Get('autorisation')
  async authorize(@Req() req: Request, @Res() res: Response, @Query('portee') scopeParam: unknown, @Query('cle') keyParam: unknown, @Query('returnTo') returnToParam: unknown) {
    const returnTo = safeReturnTo(returnToParam);
    const session = req.webSession!;
    const scope = typeof scopeParam === 'string' ? scopeParam : '';
    if (!this.web.options.extraScopes?.includes(scope)) throw DomainError.invalid(AUTHORIZATION_FAILED, 'Cette autorisation n’est pas proposée ici.');
    if (typeof keyParam !== 'string' || !AUTHORIZATION_KEY_PATTERN.test(keyParam)) throw DomainError.invalid(AUTHORIZATION_FAILED, 'Cette autorisation ne peut pas être demandée depuis cette page.');
    if (!session.user) return res.redirect(303, `/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    let configuration: oidc.Configuration;
    try {
      configuration = await this.rp.configuration();
    } catch {
      await session.keepReleased(keyParam, scope, { status: 'unavailable', at: this.clock.now().getTime() });
      return res.redirect(303, returnTo);
    }
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await session.update((data) => {
      data.authorization = { state, nonce, verifier, returnTo, scope, key: keyParam, startedAt: this.clock.now().getTime() };
    });
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.web.redirectUri(req),
      scope: `openid ${scope}`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return res.redirect(303, url.href);
  }

  /** The provider's answer: code exchange, ID token checks, userinfo, then a new session for the person. */
  @Get('callback')
  async callback(@Req() req: Request, @Res() res: Response) {
    const session = req.webSession!;
    const authorization = session.data?.authorization;
    if (authorization && session.user && typeof req.query.state === 'string' && req.query.state === authorization.state) return this.authorizationCallback(req, res);
    const pending = session.data?.login;
    if (!pending || this.clock.now().getTime() - pending.startedAt > LOGIN_TTL_MS) {
      throw DomainError.invalid(LOGIN_FAILED, 'Cette connexion a expiré ou a été commencée ailleurs. Recommencez depuis le bouton « Se connecter ».');
    }
    const configuration = await this.rp.configuration();
    const current = new URL(req.originalUrl, this.web.origin(req));
    if (current.searchParams.get('error')) {
      await session.update((data) => delete data.login);
      const refused = current.searchParams.get('error') === 'access_denied';
      throw DomainError.invalid(LOGIN_FAILED, refused ? 'La connexion a été annulée.' : 'La connexion n’a pas abouti. Recommencez depuis le bouton « Se connecter ».');
    }
    let user: SessionUser;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const info = await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub);
      user = {
        sub: claims.sub,
        name: displayName(info),
        email: typeof info.email === 'string' ? info.email : undefined,
        acr: typeof claims.acr === 'string' ? claims.acr : undefined,
        sid: typeof claims.sid === 'string' ? claims.sid : undefined,
        idToken: tokens.id_token!,
        authenticatedAt: this.clock.now().getTime(),
        profile: profileOf(info),
      };
    } catch (error) {
      this.logger.warn({ err: error }, 'Échec du retour de connexion OpenID Connect');
      await session.update((data) => delete data.login);
      throw DomainError.invalid(LOGIN_FAILED, 'La connexion n’a pas abouti. Recommencez depuis le bouton « Se connecter ».');
    }
    await session.startAuthenticated(user);
    return res.redirect(303, pending.returnTo);
  }

  /**
   * The end of an incremental authorization: the scope's claim from userinfo, kept for its purpose, or why there is
   * none (refused, absent, unavailable); the person's session stays as it was. The subject must be the session's
   * (another person signed in at the provider meanwhile gives nothing).
   */
  private async authorizationCallback(req: Request, res: Response) {
    const session = req.webSession!;
    const pending = session.data!.authorization!;
    await session.update((data) => delete data.authorization);
    const keep = async (entry: Omit<ReleasedScope, 'at'>) => {
      await session.keepReleased(pending.key, pending.scope, { ...entry, at: this.clock.now().getTime() });
      return res.redirect(303, pending.returnTo);
    };
    if (this.clock.now().getTime() - pending.startedAt > LOGIN_TTL_MS) return keep({ status: 'unavailable' });
    const error = typeof req.query.error === 'string' ? req.query.error : undefined;
    if (error) return keep({ status: error === 'access_denied' ? 'refused' : 'unavailable' });
    try {
      const configuration = await this.rp.configuration();
      const current = new URL(req.originalUrl, this.web.origin(req));
      const tokens = await oidc.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const sub = tokens.claims()!.sub;
      if (sub !== session.user!.sub) {
        this.logger.warn({ scope: pending.scope }, 'Autorisation complémentaire donnée par une autre personne : ignorée');
        return keep({ status: 'unavailable' });
      }
      const info = await oidc.fetchUserInfo(configuration, tokens.access_token, sub);
      const claim = (info as Record<string, unknown>)[pending.scope];
      return keep(claim === undefined || claim === null ? { status: 'absent' } : { status: 'released', claim });
    } catch (failure) {
      // The error's name only: an answer's body could carry personal data.
      this.logger.warn({ scope: pending.scope, error: (failure as Error)?.name }, 'Échec d’une autorisation complémentaire OpenID Connect');
      return keep({ status: 'unavailable' });
    }
  }

  /** Ends the session here, then at the provider (RP-initiated logout), which sends the browser back to `/`. */
  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response) {
    const session = req.webSession!;
    const idToken = session.user?.idToken;
    await session.destroy();
    if (!idToken) return res.redirect(303, '/');
    let configuration: oidc.Configuration;
    try {
      configuration = await this.rp.configuration();
    } catch {
      return res.redirect(303, '/'); // Logged out here; the provider's session will time out by itself.
    }
    const url = oidc.buildEndSessionUrl(configuration, { id_token_hint: idToken, post_logout_redirect_uri: `${this.web.origin(req)}/` });
    return res.redirect(303, url.href);
  }

  /** The provider says a session ended (OpenID Connect Back-Channel Logout): end ours too. */
  @Post('backchannel-logout')
  @HttpCode(200)
  async backchannelLogout(@Req() req: Request, @Res() res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    const token = (req.body as Record<string, unknown> | undefined)?.logout_token;
    if (typeof token !== 'string' || !token) return res.status(400).json({ error: 'invalid_request', error_description: 'logout_token manquant' });
    try {
      const payload = await this.rp.verifyLogoutToken(token);
      if (payload.jti && !(await this.store.firstUse(payload.jti, 600))) throw new LogoutTokenError('jeton déjà utilisé');
      const ended = await this.store.destroyFor({ sid: payload.sid, sub: payload.sub });
      this.logger.info({ ended }, 'Déconnexion demandée par le compte territorial');
      return res.status(200).end();
    } catch (error) {
      if (error instanceof LogoutTokenError) {
        this.logger.warn({ reason: error.message }, 'Jeton de déconnexion refusé');
        return res.status(400).json({ error: 'invalid_request', error_description: 'jeton de déconnexion invalide' });
      }
      throw error;
    }
  }
}

function displayName(info: Record<string, unknown>): string {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
  const full = [text(info.given_name), text(info.family_name)].filter(Boolean).join(' ');
  return full || text(info.name) || text(info.preferred_username) || text(info.email) || 'Mon compte';
}

/** The profile claims worth keeping in the session (prefill of forms), strings only, bounded. */
export function profileOf(info: Record<string, unknown>): SessionProfile {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim().slice(0, 300) : undefined);
  const profile: SessionProfile = { certified: text(info.certification_level) !== undefined && info.certification_level !== 'none' };
  for (const [key, claim] of [['given_name', 'given_name'], ['family_name', 'family_name'], ['email', 'email'], ['phone', 'phone_number'], ['birthdate', 'birthdate'], ['gender', 'gender']] as const) {
    const value = text(info[claim]);
    if (value) profile[key] = value;
  }
  if (typeof info.address === 'object' && info.address !== null && !Array.isArray(info.address)) {
    const address: Record<string, string> = {};
    for (const key of ['formatted', 'street_address', 'postal_code', 'locality', 'region', 'country']) {
      const value = text((info.address as Record<string, unknown>)[key]);
      if (value) address[key] = value;
    }
    if (Object.keys(address).length) profile.address = address;
  }
  return profile;
}
