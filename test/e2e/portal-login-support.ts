import { ClientService, seedIdentityClients } from '#accounts';
import type { TestApp } from '#testing';
import { CookieJar, formAction, hiddenValue, STRONG_PASSWORD } from './identity-support.js';

/**
 * A person's browser across several origins (the portal, the back office, the identity app): one cookie jar
 * per origin, no automatic redirects; `follow` walks redirects wherever they go.
 */
export class WebBrowser {
  readonly jars = new Map<string, CookieJar>();

  jar(origin: string): CookieJar {
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new CookieJar()));
    return jar;
  }

  cookie(origin: string, name: string): string | undefined {
    return this.jar(new URL(origin).origin).cookies.get(name);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const headers = new Headers(init.headers);
    const jar = this.jar(origin);
    if (jar.cookies.size) headers.set('cookie', jar.header());
    if (!headers.has('accept')) headers.set('accept', 'text/html,application/xhtml+xml');
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(response);
    return response;
  }

  post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request(url, { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  }

  /** Follows redirects (a POST answered 303 goes on with GET). Returns the last response, its URL and body. */
  async follow(url: string, init?: RequestInit): Promise<{ response: Response; url: string; html: string }> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; hops < 15 && response.status >= 300 && response.status < 400; hops++) {
      current = new URL(response.headers.get('location')!, current).toString();
      response = await this.request(current);
    }
    return { response, url: current, html: await response.text() };
  }
}

/** Registers the portal's and back office's clients at the provider, with their test origins. */
export async function seedClients(identity: TestApp, urls: { portal: string; backoffice: string }) {
  await seedIdentityClients(identity.app.get(ClientService), urls);
}

/**
 * Logs in through an app's « Se connecter »: /auth/login on the app, the provider's login form, back to the
 * app. Returns the final page. When the provider still has a session, there is no form to fill.
 */
export async function logIn(browser: WebBrowser, appUrl: string, email: string, options: { returnTo?: string; password?: string } = {}) {
  const start = `${appUrl}/auth/login${options.returnTo !== undefined ? `?returnTo=${encodeURIComponent(options.returnTo)}` : ''}`;
  let page = await browser.follow(start);
  if (page.url.startsWith(appUrl)) return page;
  if (page.response.status !== 200 || !page.html.includes('/login"')) throw new Error(`page de connexion attendue : ${page.response.status} ${page.url} ${page.html.slice(0, 300)}`);
  const action = new URL(formAction(page.html, '/login'), page.url).toString();
  page = await browser.follow(action, {
    method: 'POST',
    body: new URLSearchParams({ _csrf: hiddenValue(page.html, '_csrf'), email, password: options.password ?? STRONG_PASSWORD }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (!page.url.startsWith(appUrl)) throw new Error(`pas de retour vers l'application : ${page.url} ${page.html.slice(0, 300)}`);
  return page;
}

/** The CSRF token of the page's logout form. */
export function logoutToken(html: string): string {
  return hiddenValue(html, '_csrf');
}

export async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}
