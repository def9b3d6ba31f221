import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Express, NextFunction, Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import Provider, { interactionPolicy, type KoaContextWithOIDC, type ProviderClient } from 'oidc-provider';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import {
  AccountService,
  AdministrationData,
  ClientAdapter,
  ClientService,
  ConsentService,
  FranceConnectAccounts,
  MandateService,
  hmacHex,
  PostgresOidcAdapter,
  purgeExpiredArtifacts,
  SCOPES_WITHOUT_CONSENT,
  SigningKeys,
  SUPPORTED_SCOPES,
  TELL_US_ONCE_SCOPES,
} from '#accounts';
import { APP_CONFIG, Clock, LOGGER, type AppConfig } from '#core';
import { REDIS } from '#platform';

import { accountClaims, ACR_EIDAS1, ACR_LOCAL, CLAIMS_BY_SCOPE, requiresCertifiedIdentity } from './claims.js';
import { FranceConnectSessions } from './franceconnect-sessions.js';
import { outgoingFetch } from './outgoing-fetch.js';

/** Scopes whose data is released only with the person's own consent, whatever the client's registration says. */
const ALWAYS_CONSENTED_SCOPES: ReadonlySet<string> = new Set([...Object.keys(TELL_US_ONCE_SCOPES), 'mandats']);

/** A provider session about to end: its account and the `sid` each of its clients knows it by. */
export interface EndedSession {
  accountId: string;
  sids: { clientId: string; sid: string }[];
}

/** A session unused this long asks for the password again. */
export const SESSION_IDLE_MS = 30 * 60_000;
/** A session never lasts longer than this after its login. */
export const SESSION_ABSOLUTE_S = 12 * 3600;
const PURGE_EVERY_MS = 10 * 60_000;

/**
 * The OpenID provider (oidc-provider 9) mounted at `/oidc` on the identity app's Express instance.
 * Built on the first request, because its issuer is the app's public origin: IDENTITY_PUBLIC_URL, or the
 * address the app listens on (known only once it listens, e.g. on a free port in tests).
 */
@Injectable()
export class IdentityProvider implements OnModuleInit, OnModuleDestroy {
  private building?: Promise<Provider>;
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly accounts: AccountService,
    private readonly clients: ClientService,
    private readonly consents: ConsentService,
    private readonly signingKeys: SigningKeys,
    private readonly adapterHost: HttpAdapterHost,
    private readonly franceConnect: FranceConnectSessions,
    private readonly fcAccounts: FranceConnectAccounts,
    private readonly administrationData: AdministrationData,
    private readonly mandates: MandateService,
  ) {}

  onModuleInit() {
    const { identity, env } = this.config;
    if (env === 'production' && (identity.usesDevelopmentSecrets || !identity.publicUrl)) {
      throw new Error(
        'Compte territorial : en production, IDENTITY_PUBLIC_URL, IDENTITY_COOKIE_KEYS, IDENTITY_SECRET_KEY et IDENTITY_PAIRWISE_SALT sont obligatoires (voir .env.example).',
      );
    }
    const app = this.adapterHost.httpAdapter.getInstance<Express>();
    app.use('/oidc', (req: Request, res: Response, next: NextFunction) => {
      this.provider(req).then((provider) => provider.callback()(req, res), next);
    });
    this.purgeTimer = setInterval(() => {
      purgeExpiredArtifacts(this.dataSource).catch((error: unknown) => this.logger.warn({ err: error }, 'Purge des artefacts OIDC impossible'));
    }, PURGE_EVERY_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy() {
    clearInterval(this.purgeTimer);
  }

  /** The public origin (scheme://host[:port]) of the identity app. */
  origin(req: IncomingMessage): string {
    if (this.config.identity.publicUrl) return this.config.identity.publicUrl;
    const host = ['0.0.0.0', '::', ''].includes(this.config.host) ? '127.0.0.1' : this.config.host;
    return `http://${host}:${req.socket.localPort}`;
  }

  /** Cookies are `Secure` (and prefixed) when the public origin is https. */
  secure(req: IncomingMessage): boolean {
    return this.origin(req).startsWith('https:');
  }

  provider(req: IncomingMessage): Promise<Provider> {
    this.building ??= this.build(this.origin(req), req).catch((error: unknown) => {
      this.building = undefined;
      throw error;
    });
    return this.building;
  }

  private activityKey(sessionUid: string) {
    return `${this.config.redis.prefix}:identity:op-activity:${sessionUid}`;
  }

  /** Records activity of a provider session (the idle timeout counts from the last one). */
  async touchActivity(sessionUid: string): Promise<void> {
    await this.redis.set(this.activityKey(sessionUid), String(this.clock.now().getTime()), 'EX', SESSION_ABSOLUTE_S);
  }

  /** Whether a provider session has been idle longer than SESSION_IDLE_MS (or has no recorded activity). */
  async isIdle(sessionUid: string): Promise<boolean> {
    const last = Number(await this.redis.get(this.activityKey(sessionUid)));
    return !last || this.clock.now().getTime() - last > SESSION_IDLE_MS;
  }

  /** The provider sessions of an account (except one), read before they are ended, to tell their clients after. */
  async accountSessions(accountId: string, exceptSessionId = ''): Promise<EndedSession[]> {
    const rows: { payload: { authorizations?: Record<string, { sid?: string }> } }[] = await this.dataSource.query(
      `SELECT payload FROM "identity"."oidc_artifact" WHERE model = 'Session' AND payload->>'accountId' = $1 AND id <> $2`,
      [accountId, exceptSessionId],
    );
    return rows.map(({ payload }) => ({
      accountId,
      sids: Object.entries(payload.authorizations ?? {}).flatMap(([clientId, entry]) => (entry?.sid ? [{ clientId, sid: entry.sid }] : [])),
    }));
  }

  /**
   * Back-channel logout of sessions ended outside a logout (change or reset of password, FranceConnect unlinked,
   * account deleted): each client of each session that registered a back-channel URI gets its logout token.
   * Failures are logged, never thrown (the change is done already).
   */
  async notifyEndedSessions(req: IncomingMessage, sessions: EndedSession[]): Promise<void> {
    const provider = await this.provider(req);
    const deliveries = sessions.flatMap(({ accountId, sids }) =>
      sids.map(async ({ clientId, sid }) => {
        const client = await provider.Client.find(clientId);
        if (!client?.backchannelLogoutUri) return;
        await client.backchannelLogout(accountId, sid).catch((error: unknown) => this.logger.warn({ err: error, clientId }, 'Déconnexion back-channel non délivrée'));
      }),
    );
    await Promise.allSettled(deliveries);
  }

  /** Options of the provider's long-lived (session) cookie, for a session created by the account area. */
  sessionCookieOptions(req: IncomingMessage) {
    return { httpOnly: true, sameSite: 'lax', secure: this.secure(req), signed: true };
  }

  private async build(origin: string, req: IncomingMessage): Promise<Provider> {
    const secure = origin.startsWith('https:');
    const express = this.adapterHost.httpAdapter.getInstance<Express>();
    const render = (view: string, data: Record<string, unknown>) =>
      new Promise<string>((resolve, reject) => express.render(view, data, (error: Error | null, html?: string) => (error ? reject(error) : resolve(html ?? ''))));
    const { dataSource, clients, accounts, consents, clock, redis } = this;
    const cookie = { httpOnly: true, sameSite: 'lax', secure, signed: true };

    const policy = interactionPolicy.base();
    const login = policy.get('login')!;
    // Idle timeout of the single sign-on session (activity recorded at each successful authorization).
    login.checks.push(
      new interactionPolicy.Check('session_idle', 'la session a expiré faute d’activité', async (ctx: KoaContextWithOIDC) => {
        const session = ctx.oidc.session;
        if (!session?.accountId || ctx.oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        try {
          const last = Number(await redis.get(this.activityKey(session.uid)));
          return !last || clock.now().getTime() - last > SESSION_IDLE_MS;
        } catch {
          return interactionPolicy.Check.NO_NEED_TO_PROMPT; // Redis down: the absolute timeout still holds
        }
      }),
    );

    // Step-up: a client demanding a certified identity (`acr_values=eidas1`) gets the login prompt while the
    // session was established by password; the login page then offers FranceConnect only.
    login.checks.push(
      new interactionPolicy.Check('certified_identity_required', 'le service demande une identité certifiée par FranceConnect', (ctx: KoaContextWithOIDC) => {
        const session = ctx.oidc.session;
        if (!session?.accountId || !requiresCertifiedIdentity(ctx.oidc.params?.acr_values)) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return session.acr !== ACR_EIDAS1;
      }),
    );

    const provider = new Provider(`${origin}/oidc`, {
      adapter: (model: string) =>
        model === 'Client' ? new ClientAdapter((id) => clients.providerMetadata(id)) : new PostgresOidcAdapter(dataSource, model),
      clients: [],
      // Development allow-list of hosts exempt from oidc-provider's SSRF guard (empty in production).
      fetch: outgoingFetch(this.config.identity.devBackchannelHosts),
      findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => {
        const account = await accounts.findById(sub);
        if (!account) return undefined;
        return {
          accountId: account.id,
          claims: async (use: string, scope: string) => {
            const link = await this.fcAccounts.findLinkOfAccount(account.id);
            // « Dites-le-nous une fois »: asked of API Particulier at the userinfo endpoint only (ID tokens of the code
            // flow carry no scope claims), for the granted scopes, never failing the request (docs/tell-us-once.md).
            const administration = use === 'userinfo' ? await this.administrationData.claims(account, link, (scope ?? '').split(' ')) : {};
            // Professional accounts: the active mandates, read only when the scope `mandats` is granted.
            const professional = (scope ?? '').split(' ').includes('mandats') ? { mandats: await this.mandates.activeClaims(account.id) } : {};
            return { ...accountClaims(account, link, { parvisPortal: _ctx.oidc.client?.clientId === this.config.webApps.portal.oidcClientId }), ...administration, ...professional };
          },
        };
      },
      claims: CLAIMS_BY_SCOPE,
      scopes: [...SUPPORTED_SCOPES],
      acrValues: [ACR_LOCAL, ACR_EIDAS1],
      subjectTypes: ['pairwise'],
      pairwiseIdentifier: async (_ctx: KoaContextWithOIDC, accountId: string, client: ProviderClient) =>
        hmacHex(this.config.identity.pairwiseSalt, `${client.sectorIdentifier}|${accountId}`),
      responseTypes: ['code'],
      pkce: { required: () => true },
      allowOmittingSingleRegisteredRedirectUri: false,
      clientDefaults: {
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        id_token_signed_response_alg: 'RS256',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: false },
        introspection: { enabled: false },
        resourceIndicators: { enabled: false },
        revocation: { enabled: true },
        userinfo: { enabled: true },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
            const client = ctx.oidc.client;
            ctx.set('Cache-Control', 'no-store');
            ctx.set('Content-Security-Policy', withFormAction(ctx.res.getHeader('Content-Security-Policy'), client?.postLogoutRedirectUris ?? []));
            ctx.type = 'html';
            ctx.body = await render('logout', { pageTitle: 'Se déconnecter', form, clientName: client?.clientName });
          },
          postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
            ctx.type = 'html';
            ctx.body = await render('message', {
              pageTitle: 'Vous êtes déconnecté',
              message: 'Vous êtes déconnecté du compte territorial.',
            });
          },
        },
      },
      issueRefreshToken: async (_ctx: KoaContextWithOIDC, client: ProviderClient) => client.grantTypeAllowed('refresh_token'),
      rotateRefreshToken: true,
      clientBasedCORS: (_ctx: KoaContextWithOIDC, requestOrigin: string, client: ProviderClient) =>
        (client.redirectUris ?? []).some((uri) => new URL(uri).origin === requestOrigin),
      cookies: {
        names: secure
          ? { session: '__Host-parvis_op', interaction: '__Secure-parvis_interaction', resume: '__Secure-parvis_resume' }
          : { session: 'parvis_op', interaction: 'parvis_interaction', resume: 'parvis_resume' },
        long: cookie,
        short: cookie,
        keys: this.config.identity.cookieKeys,
      },
      jwks: await this.signingKeys.jwks(),
      ttl: {
        AccessToken: 10 * 60,
        AuthorizationCode: 60,
        IdToken: 60 * 60,
        RefreshToken: 14 * 24 * 3600,
        Grant: 14 * 24 * 3600,
        Interaction: 30 * 60,
        // Absolute timeout: what is left of SESSION_ABSOLUTE_S since the login (saving the session never extends it).
        Session: (_ctx: KoaContextWithOIDC, session: { loginTs?: number }) =>
          session.loginTs ? Math.max(60, session.loginTs + SESSION_ABSOLUTE_S - Math.floor(Date.now() / 1000)) : SESSION_ABSOLUTE_S,
      },
      interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`, policy },
      // Reuse this session's grant; else build one from the person's stored consent (or without consent for the
      // platform's own clients); scopes not consented yet are missing from it, so the consent screen asks for them.
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const client = ctx.oidc.client!;
        const session = ctx.oidc.session!;
        const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
        const existing = grantId ? await provider.Grant.find(grantId) : undefined;
        if (existing && ctx.oidc.result?.consent?.grantId) return existing;
        if (!session.accountId) return existing;
        const registered = await clients.get(client.clientId);
        if (!registered) return existing;
        const requested = [...ctx.oidc.requestParamOIDCScopes];
        // « Dites-le-nous une fois » (data held by the administration) and professional mandates always need the
        // person's own consent, even for the platform's clients that need none for the rest (docs/tell-us-once.md,
        // docs/professional-accounts.md).
        const needsConsent = registered.consentRequired || requested.some((scope) => ALWAYS_CONSENTED_SCOPES.has(scope));
        const consented = needsConsent ? new Set([...SCOPES_WITHOUT_CONSENT, ...(await consents.consentedScopes(session.accountId, client.clientId))]) : null;
        const scopes = requested.filter((scope) => !consented || consented.has(scope) || (!registered.consentRequired && !ALWAYS_CONSENTED_SCOPES.has(scope)));
        if (existing) {
          // The session's grant, widened to scopes agreed meanwhile (or needing no consent for this client).
          const held = new Set(existing.getOIDCScope().split(' '));
          const more = scopes.filter((scope) => !held.has(scope));
          if (more.length) {
            existing.addOIDCScope(more.join(' '));
            await existing.save();
          }
          return existing;
        }
        if (!scopes.length) return undefined;
        const grant = new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
        grant.addOIDCScope(scopes.join(' '));
        await grant.save();
        return grant;
      },
      renderError: async (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) => {
        ctx.type = 'html';
        ctx.set('Cache-Control', 'no-store');
        ctx.body = await render('oidc-error', { pageTitle: 'Connexion impossible', error: out.error, description: describeOidcError(out) });
      },
    });
    provider.proxy = secure;
    // FranceConnect: a session established through FranceConnect keeps its FranceConnect ID token, and logging out
    // of it also logs out at FranceConnect (apps/identity/oidc/franceconnect-sessions.ts).
    provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
      await next();
      await this.franceConnect.afterRoute(ctx, origin, SESSION_ABSOLUTE_S);
    });
    provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
      const uid = ctx.oidc.session?.uid;
      if (uid) redis.set(this.activityKey(uid), String(clock.now().getTime()), 'EX', SESSION_ABSOLUTE_S).catch(() => undefined);
    });
    provider.on('server_error', (_ctx: KoaContextWithOIDC, error: Error) => this.logger.error({ err: error }, 'Erreur du fournisseur OIDC'));
    this.logger.info({ issuer: `${origin}/oidc`, port: req.socket.localPort }, 'Fournisseur OpenID Connect prêt');
    return provider;
  }
}

/** The platform's CSP with `form-action` widened to the given URIs' origins (a form's redirect chain ends there). */
export function withFormAction(current: unknown, uris: string[]): string {
  const origins = [...new Set(uris.flatMap((uri) => (URL.canParse(uri) ? [new URL(uri).origin] : [])))];
  const csp = typeof current === 'string' ? current : "default-src 'self'; form-action 'self'; frame-ancestors 'none'";
  return origins.length ? csp.replace("form-action 'self'", `form-action 'self' ${origins.join(' ')}`) : csp;
}

function describeOidcError(out: { error: string; error_description?: string }): string {
  if (out.error === 'invalid_redirect_uri') return "L'adresse de retour demandée par le service n'est pas enregistrée : la connexion est refusée.";
  if (out.error === 'invalid_client') return "Ce service n'est pas reconnu par le compte territorial.";
  if (out.error === 'invalid_request' || out.error === 'unsupported_response_type') {
    return `La demande de connexion du service est invalide (${out.error_description ?? out.error}).`;
  }
  return `La connexion n'a pas pu aboutir (${out.error}).`;
}
