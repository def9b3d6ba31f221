import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig, type WebAppConfig } from '#core';
import type { WebAppKind } from './web-session.types.js';

export const WEB_APP_OPTIONS = Symbol('WEB_APP_OPTIONS');

export interface WebAppOptions {
  app: WebAppKind;
  /** Scopes asked at login. */
  scopes: string;
  /**
   * Scopes the app may ask for later, one at a time, for a person already logged in (incremental authorization,
   * `/auth/autorisation`): their data is kept apart from the session, for one purpose (docs/portal.md).
   */
  extraScopes?: readonly string[];
  /** Session cookie name without the `__Host-` prefix. */
  cookieName: string;
  /**
   * Path prefixes whose unsafe requests carry no CSRF token because a third-party UI sends them (the back office's
   * queue dashboard): the route must then refuse any request whose `Origin` is not this app's own.
   */
  csrfTokenExemptPrefixes?: readonly string[];
}

const ENV_PREFIX: Record<WebAppKind, string> = { portal: 'PORTAL', backoffice: 'BACKOFFICE' };

/** Where this app and its provider live: public origin, OIDC client, issuer. */
@Injectable()
export class WebApp implements OnModuleInit {
  readonly settings: WebAppConfig;
  /** The territorial account's issuer: IDENTITY_PUBLIC_URL (or http://<HOST>:<IDENTITY_PORT>) + `/oidc`. */
  readonly issuer: URL;

  constructor(
    @Inject(WEB_APP_OPTIONS) readonly options: WebAppOptions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.settings = config.webApps[options.app];
    this.issuer = new URL(`${config.identity.publicUrl ?? `http://${listeningHost(config.host)}:${config.ports.identity}`}/oidc`);
  }

  onModuleInit() {
    if (this.config.env === 'production' && this.settings.usesDevelopmentSecret) {
      throw new Error(`${ENV_PREFIX[this.options.app]}_OIDC_CLIENT_SECRET doit être donné en production (le secret de développement est public).`);
    }
  }

  /** True when this app is served over https (then cookies are Secure and `__Host-`). */
  get secure(): boolean {
    return this.settings.publicUrl?.startsWith('https:') ?? false;
  }

  /** This app's public origin: the configured one, else the listening address of the request's socket. */
  origin(req: Request): string {
    return this.settings.publicUrl ?? `http://${listeningHost(this.config.host)}:${req.socket.localPort}`;
  }

  redirectUri(req: Request): string {
    return `${this.origin(req)}/auth/callback`;
  }

  /** The territorial account's own pages (« Mon compte »). */
  get accountUrl(): string {
    return `${this.issuer.origin}/compte`;
  }
}

/** A wildcard listening address is not a place a browser can go back to. */
function listeningHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
}
