import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair, SignJWT } from 'jose';
import type { Redis } from 'ioredis';
import { REDIS } from '#platform';
import { ManualClock, startTestApp, type TestApp } from '#testing';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '#web-session';
import { identityApp } from '../../apps/identity/identity.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { createVerifiedAccount } from './identity-support.js';
import { logIn, logoutToken, seedClients, until, WebBrowser } from './portal-login-support.js';

/**
 * The portal as a relying party of the territorial account: login (code + PKCE through the real provider),
 * server-side sessions in Redis, CSRF, RP-initiated and back-channel logout, timeouts, safe return paths.
 */
describe('portal login through the territorial account', () => {
  let identity: TestApp;
  let portal: TestApp;
  const clock = new ManualClock();
  const email = 'camille.martin@example.org';

  beforeAll(async () => {
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    portal = await startTestApp(portalApp, { clock, database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: portal.url, backoffice: 'http://127.0.0.1:9' });
    await createVerifiedAccount(identity, email);
  });
  afterAll(async () => {
    await portal?.close();
    await identity?.close();
  });

  const signedIn = (html: string) => html.includes('Se déconnecter') && html.includes('Camille Martin');
  const home = async (browser: WebBrowser) => (await browser.follow(`${portal.url}/`)).html;

  it('shows « Se connecter » to a visitor, then the name, « Mon compte » and « Se déconnecter » once logged in', async () => {
    const browser = new WebBrowser();
    const before = await browser.follow(`${portal.url}/`);
    expect(before.html).toContain('href="/auth/login">Se connecter</a>');
    expect(before.response.headers.get('cache-control')).not.toBe('no-store');

    const page = await logIn(browser, portal.url, email);
    expect(page.url).toBe(`${portal.url}/`);
    expect(page.response.status).toBe(200);
    expect(signedIn(page.html)).toBe(true);
    expect(page.html).toContain(`<a href="${identity.url}/compte">Mon compte</a>`);
    expect(page.html).not.toContain('>Se connecter</a>');
    // Authenticated pages are never stored; the form may end at the provider (logout redirect).
    expect(page.response.headers.get('cache-control')).toBe('no-store');
    expect(page.response.headers.get('content-security-policy')).toContain(`form-action 'self' ${identity.url}`);
  });

  it('keeps the session server-side: an opaque HttpOnly SameSite=Lax cookie, a new id at login (no fixation)', async () => {
    const browser = new WebBrowser();
    const start = await browser.request(`${portal.url}/auth/login`);
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${identity.url}/oidc/auth`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe('parvis-portal');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${portal.url}/auth/callback`);
    expect(authorize.searchParams.get('state')!.length).toBeGreaterThanOrEqual(43);
    expect(authorize.searchParams.get('nonce')!.length).toBeGreaterThanOrEqual(43);
    const setCookie = start.headers.getSetCookie().find((line) => line.startsWith('parvis_portal='))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i);
    const before = browser.cookie(portal.url, 'parvis_portal')!;
    expect(before).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await logIn(browser, portal.url, email);
    const after = browser.cookie(portal.url, 'parvis_portal')!;
    expect(after).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(after).not.toBe(before);
    // The pre-login id is dead: whoever planted it gets nothing.
    const planted = await fetch(`${portal.url}/`, { headers: { cookie: `parvis_portal=${before}` } });
    expect(signedIn(await planted.text())).toBe(false);
    // What the session holds lives in Redis, not in the cookie.
    const redis = portal.app.get<Redis>(REDIS);
    const stored = JSON.parse((await redis.get(`${portal.config.redis.prefix}:web:portal:s:${after}`))!);
    expect(stored.user).toEqual(expect.objectContaining({ name: 'Camille Martin', email, acr: 'urn:parvis:acr:local' }));
    expect(stored.user.sub).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.user.sid).toEqual(expect.any(String));
    expect(stored.login).toBeUndefined();
  });

  it('refuses a logout without the CSRF token, or from another origin, and stays logged in', async () => {
    const browser = new WebBrowser();
    const page = await logIn(browser, portal.url, email);
    const token = logoutToken(page.html);

    const missing = await browser.post(`${portal.url}/auth/logout`, {});
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('Le formulaire a expiré ou ne vient pas de cette page');
    const wrong = await browser.post(`${portal.url}/auth/logout`, { _csrf: `${token.slice(0, -2)}xx` });
    expect(wrong.status).toBe(403);
    const foreign = await browser.post(`${portal.url}/auth/logout`, { _csrf: token }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(signedIn(await home(browser))).toBe(true);
    // A token from another session is worth nothing either.
    const other = new WebBrowser();
    await logIn(other, portal.url, email);
    const stolen = await other.post(`${portal.url}/auth/logout`, { _csrf: token });
    expect(stolen.status).toBe(403);
  });

  it('logs out here and at the provider (RP-initiated logout), back to the portal home', async () => {
    const browser = new WebBrowser();
    const page = await logIn(browser, portal.url, email);
    const sessionId = browser.cookie(portal.url, 'parvis_portal')!;

    const out = await browser.post(`${portal.url}/auth/logout`, { _csrf: logoutToken(page.html) }, { origin: portal.url });
    expect(out.status).toBe(303);
    const endSession = new URL(out.headers.get('location')!);
    expect(endSession.origin + endSession.pathname).toBe(`${identity.url}/oidc/session/end`);
    expect(endSession.searchParams.get('id_token_hint')).toEqual(expect.any(String));
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${portal.url}/`);
    // The portal session is already gone, in the browser and in Redis.
    expect(browser.cookie(portal.url, 'parvis_portal')).toBeUndefined();
    expect(await portal.app.get<Redis>(REDIS).exists(`${portal.config.redis.prefix}:web:portal:s:${sessionId}`)).toBe(0);
    const replay = await fetch(`${portal.url}/`, { headers: { cookie: `parvis_portal=${sessionId}` } });
    expect(signedIn(await replay.text())).toBe(false);

    // The provider asks for confirmation, then sends the browser back to the portal.
    const confirm = await browser.follow(endSession.toString());
    expect(confirm.html).toContain('<h1>Se déconnecter</h1>');
    const action = /action="([^"]*session\/end\/confirm[^"]*)"/.exec(confirm.html)![1]!;
    const back = await browser.post(new URL(action, identity.url).toString(), { xsrf: /name="xsrf" value="([^"]+)"/.exec(confirm.html)![1]!, logout: 'yes' });
    expect(back.status).toBe(303);
    expect(new URL(back.headers.get('location')!).origin + new URL(back.headers.get('location')!).pathname).toBe(`${portal.url}/`);
    expect(await home(browser)).toContain('>Se connecter</a>');
    // The provider's session ended too: logging in again asks for the password.
    const again = await browser.follow(`${portal.url}/auth/login`);
    expect(again.url.startsWith(identity.url)).toBe(true);
    expect(again.html).toContain('<h1>Se connecter</h1>');
  });

  it('ends the portal session when the provider says so (back-channel logout), and only with a valid logout token', async () => {
    const browser = new WebBrowser();
    await logIn(browser, portal.url, email);
    const bystander = new WebBrowser();
    await logIn(bystander, portal.url, email);

    // A forged token (another key) and garbage are refused; nothing ends.
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, sub: 'x', jti: 'forged-1' })
      .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: 'forged' })
      .setIssuer(`${identity.url}/oidc`)
      .setAudience('parvis-portal')
      .setIssuedAt()
      .sign(privateKey);
    for (const token of [forged, 'not-a-jwt']) {
      const refused = await fetch(`${portal.url}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: token }) });
      expect(refused.status).toBe(400);
    }
    expect(signedIn(await home(browser))).toBe(true);

    // The person logs out at the territorial account itself (not through the portal).
    const confirm = await browser.follow(`${identity.url}/oidc/session/end`);
    const action = /action="([^"]*session\/end\/confirm[^"]*)"/.exec(confirm.html)![1]!;
    const done = await browser.post(new URL(action, identity.url).toString(), { xsrf: /name="xsrf" value="([^"]+)"/.exec(confirm.html)![1]!, logout: 'yes' });
    expect(done.status).toBeLessThan(400);
    expect(await until(async () => !signedIn(await home(browser)))).toBe(true);
    // Another browser of the same person (another provider session) is untouched.
    expect(signedIn(await home(bystander))).toBe(true);
  });

  it('ends a session after 30 minutes without activity, and 12 hours after login whatever the activity', async () => {
    const browser = new WebBrowser();
    await logIn(browser, portal.url, email);
    clock.advance(SESSION_IDLE_MS - 60_000);
    expect(signedIn(await home(browser))).toBe(true); // activity: the idle delay starts again
    clock.advance(SESSION_IDLE_MS - 60_000);
    expect(signedIn(await home(browser))).toBe(true);
    clock.advance(SESSION_IDLE_MS + 1_000);
    expect(signedIn(await home(browser))).toBe(false);

    const busy = new WebBrowser();
    await logIn(busy, portal.url, email);
    let elapsed = 0;
    while (elapsed + 20 * 60_000 < SESSION_ABSOLUTE_MS) {
      clock.advance(20 * 60_000);
      elapsed += 20 * 60_000;
      expect(signedIn(await home(busy))).toBe(true);
    }
    clock.advance(SESSION_ABSOLUTE_MS - elapsed + 1_000);
    expect(signedIn(await home(busy))).toBe(false);
  });

  it('comes back to the page asked for, but never to another site', async () => {
    const browser = new WebBrowser();
    const back = await logIn(browser, portal.url, email, { returnTo: '/?onglet=demarches' });
    expect(back.url).toBe(`${portal.url}/?onglet=demarches`);

    for (const returnTo of ['//evil.example', 'https://evil.example', '/\\evil.example', '//evil.example/%2F..']) {
      const visitor = new WebBrowser();
      const page = await logIn(visitor, portal.url, email, { returnTo });
      expect({ returnTo, url: page.url }).toEqual({ returnTo, url: `${portal.url}/` });
      // Already logged in: the same rule applies.
      const again = await visitor.request(`${portal.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect({ returnTo, location: again.headers.get('location') }).toEqual({ returnTo, location: '/' });
    }
  });

  it('refuses a callback that does not match the login it started (state), and one without a login', async () => {
    const browser = new WebBrowser();
    const start = await browser.request(`${portal.url}/auth/login`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const forged = await browser.follow(`${portal.url}/auth/callback?code=abc&state=${state.slice(0, -1)}x&iss=${encodeURIComponent(`${identity.url}/oidc`)}`);
    expect(forged.response.status).toBe(422);
    expect(forged.html).toContain('La connexion n’a pas abouti');
    const stranger = await new WebBrowser().follow(`${portal.url}/auth/callback?code=abc&state=xyz`);
    expect(stranger.response.status).toBe(422);
    expect(stranger.html).toContain('Cette connexion a expiré');
  });
});
