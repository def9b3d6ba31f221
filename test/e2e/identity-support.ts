import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { Account, AccountService, ClientService, PasswordHasher, type ClientCommand } from '#accounts';
import type { TestApp } from '#testing';

/**
 * Test helpers for the identity app: a browser-like cookie jar over fetch, form scraping, and a real
 * openid-client 6 relying party. Used by test/e2e/identity-*.e2e-spec.ts.
 */

export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired || !value) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** A person's browser: fetch with cookies, no automatic redirects. */
export class Browser {
  readonly jar = new CookieJar();
  constructor(readonly base: string) {}

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const absolute = new URL(url, this.base).toString();
    const headers = new Headers(init.headers);
    if (this.jar.cookies.size && absolute.startsWith(this.base)) headers.set('cookie', this.jar.header());
    const response = await fetch(absolute, { ...init, headers, redirect: 'manual' });
    if (absolute.startsWith(this.base)) this.jar.store(response);
    return response;
  }

  get(url: string) {
    return this.request(url);
  }

  post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request(url, {
      method: 'POST',
      body: new URLSearchParams(form),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  }

  /** Follows redirects while they stay on the identity app; returns the last response and its URL. */
  async follow(url: string, init?: RequestInit): Promise<{ response: Response; url: string }> {
    let current = new URL(url, this.base).toString();
    let response = await this.request(current, init);
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const next = new URL(response.headers.get('location')!, current).toString();
      if (!next.startsWith(this.base)) return { response, url: next };
      current = next;
      response = await this.request(current);
    }
    return { response, url: current };
  }
}

/** The value of a hidden input in the page (first match). */
export function hiddenValue(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`champ caché « ${name} » introuvable`);
  return match[1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
}

export function formAction(html: string, containing: string): string {
  const match = new RegExp(`<form method="post" action="([^"]*${containing}[^"]*)"`).exec(html);
  if (!match) throw new Error(`formulaire « ${containing} » introuvable`);
  return match[1]!;
}

export const STRONG_PASSWORD = 'une phrase de passe assez longue';

export async function createVerifiedAccount(app: TestApp, email: string, password = STRONG_PASSWORD, extra: Partial<Account> = {}): Promise<Account> {
  const hash = await app.app.get(PasswordHasher).hash(password);
  const repo = app.app.get(DataSource).getRepository(Account);
  return repo.save(
    repo.create({
      email,
      passwordHash: hash,
      emailVerifiedAt: app.clock.now(),
      certificationLevel: 'none',
      certificationSource: null,
      certifiedAttributes: [],
      failingEmail: false,
      createdAt: app.clock.now(),
      givenName: 'Camille',
      familyName: 'Martin',
      ...extra,
    }),
  );
}

export const RP_ORIGIN = 'https://rp.example.org';
export const RP_CALLBACK = `${RP_ORIGIN}/connexion/retour`;

export async function createClient(app: TestApp, overrides: Partial<ClientCommand> = {}) {
  return app.app.get(ClientService).create({
    clientId: 'mairie-givors',
    name: 'Portail de la ville de Givors',
    redirectUris: [RP_CALLBACK],
    postLogoutRedirectUris: [`${RP_ORIGIN}/au-revoir`],
    allowedScopes: ['openid', 'profile', 'email', 'address', 'phone', 'certification', 'birth', 'offline_access'],
    consentRequired: true,
    purpose: 'pour préremplir vos démarches',
    ...overrides,
  });
}

/** A real relying party: openid-client 6, discovery over http (tests only). */
export async function relyingParty(app: TestApp, clientId: string, secret: string | null): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(`${app.url}/oidc`),
    clientId,
    secret ? { client_secret: secret } : undefined,
    secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface AuthorizationStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(config: oidc.Configuration, params: Record<string, string> = {}): Promise<AuthorizationStart> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

/**
 * Drives the identity pages like a person: login form, then the consent form when asked. Returns the URL the
 * browser is finally sent to (the relying party's callback, with a code or an error).
 */
export async function logInAndConsent(
  browser: Browser,
  start: URL,
  credentials: { email: string; password: string },
  decision: 'accepter' | 'refuser' = 'accepter',
): Promise<{ callback: URL; sawConsent: boolean; sawLogin: boolean }> {
  let { response, url } = await browser.follow(start.toString());
  let sawConsent = false;
  let sawLogin = false;
  for (let step = 0; step < 4 && !url.startsWith(RP_ORIGIN); step++) {
    const html = await response.text();
    if (response.status !== 200) throw new Error(`page inattendue ${response.status} ${url} : ${html.slice(0, 500)}`);
    if (html.includes('/login"')) {
      sawLogin = true;
      ({ response, url } = await browser.follow(
        formAction(html, '/login'),
        formInit({ _csrf: hiddenValue(html, '_csrf'), email: credentials.email, password: credentials.password }),
      ));
    } else if (html.includes('/consent"')) {
      sawConsent = true;
      ({ response, url } = await browser.follow(formAction(html, '/consent'), formInit({ _csrf: hiddenValue(html, '_csrf'), decision })));
    } else {
      throw new Error(`page sans formulaire attendu : ${html.slice(0, 500)}`);
    }
  }
  if (!url.startsWith(RP_ORIGIN)) throw new Error(`pas de retour vers le service : ${url}`);
  return { callback: new URL(url), sawConsent, sawLogin };
}

export function formInit(form: Record<string, string>): RequestInit {
  return { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

export { AccountService };
