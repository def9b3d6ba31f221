import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import { APP_CONFIG, DomainError, type AppConfig, type FranceConnectConfig } from '#core';
import { FranceConnectErrors } from './franceconnect.errors.js';
import { FRANCECONNECT_SCOPES, pivotIdentity, type PivotIdentity } from './pivot-identity.js';

/** acr values FranceConnect may answer to an `eidas1` request (the same level or higher). */
const ACCEPTED_ACR = new Set(['eidas1', 'eidas2', 'eidas3']);

/** What the identity app keeps server-side between the redirection to FranceConnect and its callback. */
export interface FranceConnectAuthorization {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface FranceConnectResult {
  pivot: PivotIdentity;
  /** Kept for the logout at FranceConnect (`id_token_hint`). */
  idToken: string;
  acr: string;
}

/**
 * The identity app as a FranceConnect client (openid-client 6): authorization code flow with PKCE,
 * `acr_values=eidas1`, random `state` and `nonce` (43 characters), client authentication `client_secret_post`,
 * ID token checked (signature, issuer, audience, nonce, acr) and userinfo received as a JWT whose signature is
 * checked against FranceConnect's JWKS (`enableNonRepudiationChecks`): a tampered response is refused.
 * Plain-http issuers (the simulator) are accepted outside production only.
 */
@Injectable()
export class FranceConnectClient {
  private configuration?: Promise<oidc.Configuration>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.franceConnect !== null;
  }

  /** URIs a form starting a FranceConnect login redirects to (for the page's CSP `form-action`). */
  formTargets(): string[] {
    return this.config.franceConnect ? [this.config.franceConnect.issuer] : [];
  }

  private settings(): FranceConnectConfig {
    const settings = this.config.franceConnect;
    if (!settings) throw DomainError.unavailable(FranceConnectErrors.DISABLED, 'La connexion avec FranceConnect n’est pas proposée ici.');
    return settings;
  }

  /** The discovered configuration, cached; a failed discovery is retried at the next use. */
  private discovered(): Promise<oidc.Configuration> {
    const settings = this.settings();
    this.configuration ??= (async () => {
      const insecure = new URL(settings.issuer).protocol === 'http:';
      if (insecure && this.config.env === 'production') throw new Error('FRANCECONNECT_ISSUER doit être en https en production.');
      const configuration = await oidc.discovery(
        new URL(settings.issuer),
        settings.clientId,
        {
          client_secret: settings.clientSecret,
          id_token_signed_response_alg: settings.signingAlg,
          userinfo_signed_response_alg: settings.signingAlg,
        },
        oidc.ClientSecretPost(settings.clientSecret),
        insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
      );
      // Verify the signatures of the ID token and of the userinfo JWT against the issuer's JWKS.
      oidc.enableNonRepudiationChecks(configuration);
      return configuration;
    })().catch((error: unknown) => {
      this.configuration = undefined;
      throw DomainError.unavailable(FranceConnectErrors.RESPONSE_INVALID, 'FranceConnect ne répond pas pour le moment. Réessayez plus tard ou connectez-vous avec votre mot de passe.', error);
    });
    return this.configuration;
  }

  /** The redirect URI registered at FranceConnect (configured, or derived from the identity app's origin). */
  redirectUri(origin: string): string {
    return this.settings().redirectUri ?? `${origin}/franceconnect/retour`;
  }

  /** Where FranceConnect sends the browser back after its logout (same origin as the redirect URI). */
  postLogoutRedirectUri(origin: string): string {
    return new URL('/franceconnect/deconnexion', this.redirectUri(origin)).toString();
  }

  async authorize(origin: string): Promise<FranceConnectAuthorization> {
    const configuration = await this.discovered();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri(origin),
      scope: FRANCECONNECT_SCOPES.join(' '),
      acr_values: 'eidas1',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.toString(), state, nonce, codeVerifier };
  }

  /** Validates the callback (state), exchanges the code, checks the ID token (nonce, acr) and the signed userinfo. */
  async callback(origin: string, currentUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<FranceConnectResult> {
    const configuration = await this.discovered();
    // The registered redirect URI, whatever the Host header the request came with.
    const callbackUrl = new URL(this.redirectUri(origin));
    callbackUrl.search = currentUrl.search;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw refused('La réponse de FranceConnect est invalide (jeton d’identité refusé) : la connexion est refusée.', error);
    }
    const claims = tokens.claims();
    const acr = typeof claims?.acr === 'string' ? claims.acr : '';
    if (!claims || !ACCEPTED_ACR.has(acr)) throw refused('FranceConnect n’a pas certifié l’identité au niveau demandé (eidas1) : la connexion est refusée.');
    let userinfo: oidc.UserInfoResponse;
    try {
      userinfo = await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub);
    } catch (error) {
      throw refused('Les données d’identité transmises par FranceConnect ne sont pas authentiques (signature invalide) : la connexion est refusée.', error);
    }
    return { pivot: pivotIdentity(userinfo), idToken: tokens.id_token!, acr };
  }

  /** FranceConnect's `session/end` URL for an RP-initiated logout. */
  async logoutUrl(origin: string, idToken: string, state: string): Promise<string> {
    const configuration = await this.discovered();
    return oidc.buildEndSessionUrl(configuration, { id_token_hint: idToken, state, post_logout_redirect_uri: this.postLogoutRedirectUri(origin) }).toString();
  }
}

function refused(message: string, cause?: unknown): DomainError {
  return new DomainError(FranceConnectErrors.RESPONSE_INVALID, message, 'forbidden', undefined, { cause });
}
