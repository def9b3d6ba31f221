import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import { APP_CONFIG, DomainError, LOGGER, type AppConfig } from '#core';
import { WebApp } from './web-app.js';

export const IDENTITY_UNAVAILABLE = 'IDENTITY_UNAVAILABLE';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export class LogoutTokenError extends Error {}

/**
 * The app as an OpenID Connect relying party of the territorial account (openid-client 6). Discovery runs at
 * the first need and again after a failure, so the app starts and serves its public pages while the
 * identity app is still down.
 */
@Injectable()
export class RelyingParty {
  private discovered?: Promise<oidc.Configuration>;
  private jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly web: WebApp,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  configuration(): Promise<oidc.Configuration> {
    this.discovered ??= this.discover().catch((error: unknown) => {
      this.discovered = undefined;
      this.logger.warn({ issuer: this.web.issuer.href, err: error }, 'Découverte OpenID Connect impossible');
      throw DomainError.unavailable(IDENTITY_UNAVAILABLE, 'Le compte territorial est momentanément indisponible. Réessayez dans quelques instants.', error);
    });
    return this.discovered;
  }

  private async discover(): Promise<oidc.Configuration> {
    const insecure = this.web.issuer.protocol === 'http:';
    if (insecure && this.config.env === 'production') throw new Error('le compte territorial doit être servi en https en production');
    const { oidcClientId, oidcClientSecret } = this.web.settings;
    const configuration = await oidc.discovery(this.web.issuer, oidcClientId, { client_secret: oidcClientSecret }, oidc.ClientSecretBasic(oidcClientSecret), {
      execute: insecure ? [oidc.allowInsecureRequests] : [],
      timeout: 5,
    });
    this.jwks = createRemoteJWKSet(new URL(configuration.serverMetadata().jwks_uri!), { timeoutDuration: 5_000 });
    return configuration;
  }

  /**
   * Checks a back-channel logout token (OpenID Connect Back-Channel Logout 1.0, § 2.6): signature against the
   * provider's JWKS, `typ`, issuer, audience, `iat`, the logout event, no `nonce`, a `sid` or a `sub`.
   */
  async verifyLogoutToken(token: string): Promise<JWTPayload & { sid?: string; sub?: string; jti?: string }> {
    const configuration = await this.configuration();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks!, {
        issuer: configuration.serverMetadata().issuer,
        audience: this.web.settings.oidcClientId,
        typ: 'logout+jwt',
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        requiredClaims: ['iat'],
        maxTokenAge: '10 minutes',
      }));
    } catch (error) {
      throw new LogoutTokenError(`jeton de déconnexion refusé : ${(error as Error).message}`);
    }
    const events = payload.events as Record<string, unknown> | undefined;
    if (!events || typeof events !== 'object' || typeof events[BACKCHANNEL_EVENT] !== 'object') throw new LogoutTokenError('événement de déconnexion absent');
    if ('nonce' in payload) throw new LogoutTokenError('un jeton de déconnexion ne porte pas de nonce');
    const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
    if (!sid && !payload.sub) throw new LogoutTokenError('ni sid ni sub');
    return { ...payload, sid };
  }
}
