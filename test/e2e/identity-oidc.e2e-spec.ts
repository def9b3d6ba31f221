import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { Consent } from '#accounts';
import { ManualClock, startTestApp, type TestApp } from '#testing';
import { identityApp } from '../../apps/identity/identity.app.js';
import {
  Browser,
  createClient,
  createVerifiedAccount,
  hiddenValue,
  logInAndConsent,
  relyingParty,
  RP_CALLBACK,
  RP_ORIGIN,
  startAuthorization,
  STRONG_PASSWORD,
} from './identity-support.js';

/**
 * The OpenID provider driven over HTTP by a real openid-client 6 relying party and a cookie-keeping "browser"
 * filling the identity pages: code flow with PKCE and consent, redirect URI matching, code reuse, refresh
 * rotation, consent refusal and RP-initiated logout.
 */
describe('identity: OpenID Connect provider (authorization code + PKCE)', () => {
  let app: TestApp;
  let rp: oidc.Configuration;
  let secret: string;
  const email = 'camille.martin@example.org';

  beforeAll(async () => {
    app = await startTestApp(identityApp);
    const created = await createClient(app);
    secret = created.secret!;
    await createVerifiedAccount(app, email, STRONG_PASSWORD, { address: { street_address: '1 place de la Mairie', postal_code: '69700', locality: 'Givors', country: 'France' } });
    rp = await relyingParty(app, 'mairie-givors', secret);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function fullFlow(params: Record<string, string> = {}) {
    const browser = new Browser(app.url);
    const start = await startAuthorization(rp, params);
    const result = await logInAndConsent(browser, start.url, { email, password: STRONG_PASSWORD });
    return { browser, start, ...result };
  }

  it('publishes discovery: code flow only, PKCE S256, pairwise subjects, the supported scopes and acr values', async () => {
    const metadata = rp.serverMetadata();
    expect(metadata.issuer).toBe(`${app.url}/oidc`);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.grant_types_supported).not.toContain('client_credentials');
    expect(metadata.grant_types_supported).not.toContain('password');
    expect(metadata.subject_types_supported).toEqual(['pairwise']);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'address', 'phone', 'certification']));
    expect(metadata.acr_values_supported).toEqual(['urn:parvis:acr:local', 'eidas1']);
    expect(metadata.end_session_endpoint).toBe(`${app.url}/oidc/session/end`);
    expect(metadata.backchannel_logout_supported).toBe(true);
    const jwks = (await (await fetch(metadata.jwks_uri!)).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
  });

  it('runs the full flow: login, consent screen in French, code + PKCE exchanged, ID token and userinfo by scope', async () => {
    const { start, callback, sawConsent, sawLogin } = await fullFlow({ scope: 'openid profile email address certification' });
    expect(sawLogin).toBe(true);
    expect(sawConsent).toBe(true);
    expect(callback.origin + callback.pathname).toBe(RP_CALLBACK);
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(`${app.url}/oidc`);
    expect(claims.aud).toBe('mairie-givors');
    expect(claims.acr).toBe('urn:parvis:acr:local');
    expect(claims.sub).toMatch(/^[0-9a-f]{64}$/); // pairwise, not the account id
    // The ID token verifies against the published JWKS.
    const jwks = createRemoteJWKSet(new URL(rp.serverMetadata().jwks_uri!));
    await expect(jwtVerify(tokens.id_token!, jwks, { issuer: `${app.url}/oidc`, audience: 'mairie-givors' })).resolves.toBeDefined();

    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(userinfo).toEqual({
      sub: claims.sub,
      given_name: 'Camille',
      family_name: 'Martin',
      email,
      email_verified: true,
      address: { street_address: '1 place de la Mairie', postal_code: '69700', locality: 'Givors', country: 'France' },
      certification_level: 'none',
      certification_source: null,
    });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // The consent is stored, with the scopes that needed it.
    const consents = await app.app.get(DataSource).getRepository(Consent).findBy({ clientId: 'mairie-givors' });
    expect(consents).toHaveLength(1);
    expect(consents[0]!.scopes).toEqual(['address', 'certification', 'email', 'profile']);
  });

  it('asks no consent again in a new session for scopes already consented, and no password while the session lives', async () => {
    const first = await fullFlow({ scope: 'openid profile email' });
    expect(first.sawConsent).toBe(false); // consented in the previous test (same account, same client)
    expect(first.sawLogin).toBe(true);
    // Same browser, a few minutes later: single sign-on, no page at all.
    (app.clock as ManualClock).advance(5 * 60_000);
    const again = await startAuthorization(rp);
    const { url } = await first.browser.follow(again.url.toString());
    expect(url.startsWith(RP_CALLBACK)).toBe(true);
    expect(new URL(url).searchParams.get('code')).toEqual(expect.any(String));
  });

  it('asks for the password again after 30 minutes without activity (idle timeout)', async () => {
    const { browser } = await fullFlow();
    (app.clock as ManualClock).advance(31 * 60_000);
    const again = await startAuthorization(rp);
    const { response, url } = await browser.follow(again.url.toString());
    expect(url).toMatch(/\/interaction\/[\w-]+$/);
    expect(await response.text()).toContain('<h1>Se connecter</h1>');
  });

  it('serves the interaction pages uncached, with a CSP whose form-action reaches only the client origin', async () => {
    const browser = new Browser(app.url);
    const start = await startAuthorization(rp);
    const { response } = await browser.follow(start.url.toString());
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain(`form-action 'self' ${RP_ORIGIN}`);
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('without FranceConnect, a partner demanding a certified identity (acr_values=eidas1) cannot be served by a password', async () => {
    const browser = new Browser(app.url);
    const start = await startAuthorization(rp, { acr_values: 'eidas1' });
    const { response } = await browser.follow(start.url.toString());
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain('Ce service demande une identité certifiée par l’État.');
    expect(html).toContain('La connexion avec FranceConnect est indisponible pour le moment');
    expect(html).not.toContain('name="password"');
    const uid = /action="\/interaction\/([^/"]+)\/abort"/.exec(html)![1]!;
    const forced = await browser.post(`/interaction/${uid}/login`, { _csrf: hiddenValue(html, '_csrf'), email, password: STRONG_PASSWORD });
    expect(forced.status).toBe(403);
    expect(await forced.text()).toContain('Votre mot de passe seul ne suffit pas ici.');
  });

  describe('PKCE', () => {
    it('refuses an authorization request without code_challenge', async () => {
      const url = new URL(rp.serverMetadata().authorization_endpoint!);
      url.search = new URLSearchParams({ client_id: 'mairie-givors', response_type: 'code', scope: 'openid', redirect_uri: RP_CALLBACK, state: 'etat-1' }).toString();
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(RP_CALLBACK);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
      expect(location.searchParams.get('code')).toBeNull();
    });

    it('refuses the plain method', async () => {
      const start = await startAuthorization(rp, { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' });
      const response = await fetch(start.url, { redirect: 'manual' });
      const location = new URL(response.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('code')).toBeNull();
    });

    it('refuses a code exchanged with the wrong verifier, or without one', async () => {
      const { callback } = await fullFlow();
      await expect(
        oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: callback.searchParams.get('state')! }),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
      const second = await fullFlow();
      const response = await fetch(rp.serverMetadata().token_endpoint!, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`mairie-givors:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: second.callback.searchParams.get('code')!, redirect_uri: RP_CALLBACK }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
    });
  });

  it.each([
    ['another path', `${RP_ORIGIN}/autre/retour`],
    ['an extra query', `${RP_CALLBACK}?suite=1`],
    ['a change of case', `${RP_ORIGIN}/Connexion/Retour`],
    ['another port', `${RP_ORIGIN}:8443/connexion/retour`],
    ['a javascript: URI', 'javascript:alert(document.cookie)'],
    ['a trailing slash', `${RP_CALLBACK}/`],
  ])('refuses a redirect_uri with %s, without redirecting there', async (_label, redirectUri) => {
    const start = await startAuthorization(rp, { redirect_uri: redirectUri });
    const response = await fetch(start.url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const html = await response.text();
    expect(html).toContain('<h1>Connexion impossible</h1>');
    expect(html).toContain('invalid_redirect_uri');
  });

  it('refuses the implicit flow and the client credentials grant', async () => {
    const start = await startAuthorization(rp, { response_type: 'id_token' });
    const response = await fetch(start.url, { redirect: 'manual' });
    const location = response.headers.get('location');
    const error = location ? new URL(location.replace('#', '?')).searchParams.get('error') : (await response.text()).match(/<code>(\w+)<\/code>/)?.[1];
    expect(error).toBe('unsupported_response_type');
    await expect(oidc.clientCredentialsGrant(rp)).rejects.toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('refuses a code used twice, and revokes the tokens of its first use', async () => {
    const { start, callback } = await fullFlow();
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const sub = tokens.claims()!.sub;
    expect((await oidc.fetchUserInfo(rp, tokens.access_token, sub)).sub).toBe(sub);
    await expect(
      oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rp, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('rotates refresh tokens, and a replayed old refresh token revokes the whole grant', async () => {
    const { start, callback } = await fullFlow();
    const first = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const sub = first.claims()!.sub;
    const second = await oidc.refreshTokenGrant(rp, first.refresh_token!);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await oidc.fetchUserInfo(rp, second.access_token, sub)).sub).toBe(sub);
    // An attacker replays the old refresh token: refused, and the legitimate new one dies with the grant.
    await expect(oidc.refreshTokenGrant(rp, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(rp, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rp, second.access_token, sub)).rejects.toMatchObject({ status: 401 });
  });

  it('sends the person back with access_denied when consent is refused, and records nothing', async () => {
    const browser = new Browser(app.url);
    const start = await startAuthorization(rp, { scope: 'openid phone' });
    const { callback, sawConsent } = await logInAndConsent(browser, start.url, { email, password: STRONG_PASSWORD }, 'refuser');
    expect(sawConsent).toBe(true);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(start.state);
    expect(callback.searchParams.get('code')).toBeNull();
    const consent = await app.app.get(DataSource).getRepository(Consent).findOneByOrFail({ clientId: 'mairie-givors' });
    expect(consent.scopes).not.toContain('phone');
  });

  it('logs out at the relying party\'s request (RP-initiated logout) and asks for the password next time', async () => {
    const { browser, start, callback } = await fullFlow();
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const endSession = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${RP_ORIGIN}/au-revoir`, state: 'au-revoir-1' });
    const page = await browser.get(endSession.toString());
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<h1>Se déconnecter</h1>');
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*id="op.logoutForm"/.exec(html)!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    const confirmed = await browser.post(action[1] ?? action[2]!, { xsrf, logout: 'yes' });
    expect(confirmed.status).toBe(303);
    const back = new URL(confirmed.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(`${RP_ORIGIN}/au-revoir`);
    expect(back.searchParams.get('state')).toBe('au-revoir-1');
    // The session is gone: a new authorization shows the login page.
    const next = await startAuthorization(rp);
    const { response } = await browser.follow(next.url.toString());
    expect(await response.text()).toContain('<h1>Se connecter</h1>');
  });

  it('notifies the other relying parties of the session by back-channel logout (signed logout token)', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const { secret: bronSecret } = await createClient(app, {
        clientId: 'mairie-bron',
        name: 'Portail de la ville de Bron',
        consentRequired: false,
        backchannelLogoutUri: `http://127.0.0.1:${port}/deconnexion`,
      });
      const bron = await relyingParty(app, 'mairie-bron', bronSecret!);
      const browser = new Browser(app.url);
      const start = await startAuthorization(bron);
      const { callback } = await logInAndConsent(browser, start.url, { email, password: STRONG_PASSWORD });
      const tokens = await oidc.authorizationCodeGrant(bron, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      const idToken = tokens.claims()!;

      const page = await browser.get(oidc.buildEndSessionUrl(bron, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${RP_ORIGIN}/au-revoir` }).toString());
      const html = await page.text();
      const action = /action="([^"]*session\/end\/confirm[^"]*)"/.exec(html)![1]!;
      const confirmed = await browser.post(action, { xsrf: /name="xsrf" value="([^"]+)"/.exec(html)![1]!, logout: 'yes' });
      expect(confirmed.status).toBe(303);

      const deadline = Date.now() + 5_000;
      while (!received.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(received).toHaveLength(1);
      const { payload } = await jwtVerify(received[0]!, createRemoteJWKSet(new URL(bron.serverMetadata().jwks_uri!)), {
        issuer: `${app.url}/oidc`,
        audience: 'mairie-bron',
        typ: 'logout+jwt',
      });
      expect(payload.sub).toBe(idToken.sub);
      expect(payload.sid).toBe(idToken.sid);
      expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
      expect(payload.nonce).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
