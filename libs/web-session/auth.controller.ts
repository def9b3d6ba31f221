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
import type { SessionProfile, SessionUser } from './web-session.types.js';

/** A login must come back from the provider within this time. */
const LOGIN_TTL_MS = 10 * 60 * 1000;
export const LOGIN_FAILED = 'LOGIN_FAILED';

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

  /** The provider's answer: code exchange, ID token checks, userinfo, then a new session for the person. */
  @Get('callback')
  async callback(@Req() req: Request, @Res() res: Response) {
    const session = req.webSession!;
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
