import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { Account, AccountService, FranceConnectAccounts, FranceConnectLink, pivotIdentity } from '#accounts';
import { DomainError } from '#core';
import { startTestApp, type TestApp } from '#testing';
import { SIMULATED_IDENTITIES, startFranceConnectSimulator, type FranceConnectSimulator } from '../../apps/franceconnect-simulator/simulator.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import {
  Browser,
  CookieJar,
  createClient,
  createVerifiedAccount,
  formAction,
  hiddenValue,
  logInAndConsent,
  relyingParty,
  RP_ORIGIN,
  startAuthorization,
  STRONG_PASSWORD,
} from './identity-support.js';

/**
 * FranceConnect federation of the territorial account, end to end: the identity app (a real openid-client 6
 * client of FranceConnect) against the FranceConnect simulator (a real oidc-provider 9 speaking FranceConnect v2's
 * shapes) started in-process, a partner relying party (openid-client 6), and a browser-like client keeping the
 * cookies of each site.
 */

const FC_CLIENT_ID = 'parvis-identity-test';
const FC_CLIENT_SECRET = 'secret-du-client-franceconnect-de-test';
const [ANGELA, PIERRE, FATIMA, LUCAS] = SIMULATED_IDENTITIES as [
  (typeof SIMULATED_IDENTITIES)[number],
  (typeof SIMULATED_IDENTITIES)[number],
  (typeof SIMULATED_IDENTITIES)[number],
  (typeof SIMULATED_IDENTITIES)[number],
];

/** A browser visiting several sites: one cookie jar per origin, redirects followed across them (not to the RP). */
class Web {
  private readonly jars = new Map<string, CookieJar>();

  private jar(origin: string) {
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new CookieJar()));
    return jar;
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const jar = this.jar(target.origin);
    const headers = new Headers(init.headers);
    if (jar.cookies.size) headers.set('cookie', jar.header());
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    jar.store(response);
    return response;
  }

  /** Follows redirects until a page, or until the relying party (not served: its URL is returned). */
  async follow(url: string, init?: RequestInit): Promise<{ response: Response; url: string; html: string }> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; hops < 15 && response.status >= 300 && response.status < 400; hops++) {
      current = new URL(response.headers.get('location')!, current).toString();
      if (current.startsWith(RP_ORIGIN)) return { response, url: current, html: '' };
      response = await this.request(current);
    }
    return { response, url: current, html: await response.text() };
  }

  post(url: string, form: Record<string, string>) {
    return this.follow(url, { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
}

describe('identity: FranceConnect federation (against the FranceConnect simulator)', () => {
  let simulator: FranceConnectSimulator;
  let app: TestApp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    simulator = await startFranceConnectSimulator({ port: 0 });
    app = await startTestApp(identityApp, {
      env: { FRANCECONNECT_ISSUER: simulator.issuer, FRANCECONNECT_CLIENT_ID: FC_CLIENT_ID, FRANCECONNECT_CLIENT_SECRET: FC_CLIENT_SECRET },
    });
    simulator.registerClient({
      clientId: FC_CLIENT_ID,
      clientSecret: FC_CLIENT_SECRET,
      redirectUris: [`${app.url}/franceconnect/retour`],
      postLogoutRedirectUris: [`${app.url}/franceconnect/deconnexion`],
    });
    const { secret } = await createClient(app, { consentRequired: false });
    rp = await relyingParty(app, 'mairie-givors', secret!);
  });
  afterAll(async () => {
    await app?.close();
    await simulator?.stop();
  });

  const db = () => app.app.get(DataSource);
  const uri = (path: string) => `${app.url}${path}`;

  /** From the partner's authorization request to the simulator's page, through the "S'identifier avec FranceConnect" button. */
  async function toSimulator(web: Web, params: Record<string, string> = {}) {
    const start = await startAuthorization(rp, { scope: 'openid profile email certification', ...params });
    const login = await web.follow(start.url.toString());
    expect(login.response.status).toBe(200);
    expect(login.html).toContain('S’identifier avec');
    const page = await web.post(uri(formAction(login.html, '/franceconnect')), { _csrf: hiddenValue(login.html, '_csrf') });
    expect(page.url.startsWith(simulator.origin)).toBe(true);
    return { start, page };
  }

  /** Picks a test identity at the simulator; returns where the browser lands (page or partner callback). */
  async function pickIdentity(web: Web, page: { html: string }, sub: string) {
    const action = new RegExp(`action="(/interaction/[^"]+/login)"><input type="hidden" name="sub" value="${sub}"`).exec(page.html)![1]!;
    return web.post(`${simulator.origin}${action}`, { sub });
  }

  async function fcLogin(web: Web, sub: string, params: Record<string, string> = {}) {
    const { start, page } = await toSimulator(web, params);
    return { start, landing: await pickIdentity(web, page, sub) };
  }

  async function tokensFor(start: Awaited<ReturnType<typeof startAuthorization>>, callback: string) {
    return oidc.authorizationCodeGrant(rp, new URL(callback), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
  }

  it('shows the FranceConnect block first on the login and registration pages, with the official wording', async () => {
    const web = new Web();
    const start = await startAuthorization(rp);
    const { html } = await web.follow(start.url.toString());
    for (const page of [html, (await web.follow(uri('/inscription'))).html]) {
      expect(page).toContain('<span class="fr-connect__login">S’identifier avec</span>');
      expect(page).toContain('<span class="fr-connect__brand">FranceConnect</span>');
      expect(page).toContain(
        '<a href="https://franceconnect.gouv.fr/" target="_blank" rel="noopener" title="Qu’est-ce que FranceConnect ? - nouvelle fenêtre">Qu’est-ce que FranceConnect ?</a>',
      );
      // First, then « ou », then the local form.
      const fc = page.indexOf('fr-connect__brand');
      const or = page.indexOf('<span>ou</span>');
      const local = page.indexOf('name="password"');
      expect(fc).toBeGreaterThan(0);
      expect(or).toBeGreaterThan(fc);
      expect(local).toBeGreaterThan(or);
    }
  });

  it('first login creates a certified account; the partner gets acr eidas1 and the certified identity', async () => {
    const web = new Web();
    const { start, landing } = await fcLogin(web, ANGELA.sub);
    // The simulator enforces FranceConnect's rules (acr_values=eidas1, state and nonce of 32+ characters): we got through.
    expect(landing.url).toBe(uri('/franceconnect/premiere-connexion'));
    expect(landing.html).toContain('Angela Claire Louise Dubois');
    expect(landing.html).toContain('Vous avez déjà un compte ? Connectez-vous pour le relier');
    const created = await web.post(uri('/franceconnect/premiere-connexion/creer'), { _csrf: hiddenValue(landing.html, '_csrf') });
    expect(created.url.startsWith(`${RP_ORIGIN}/connexion/retour?`)).toBe(true);

    const tokens = await tokensFor(start, created.url);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe('eidas1');
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({
      given_name: 'Angela Claire Louise',
      family_name: 'Dubois',
      birthdate: '1962-08-24',
      gender: 'female',
      email: 'angela.dubois@example.org',
      email_verified: false, // FranceConnect's address is not taken as verified
      certification_level: 'eidas1',
      certification_source: 'franceconnect',
    });

    const account = await db().getRepository(Account).findOneByOrFail({ email: 'angela.dubois@example.org' });
    expect(account.passwordHash).toBeNull();
    expect(account.certifiedAttributes).toEqual(['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry']);
    const link = await db().getRepository(FranceConnectLink).findOneByOrFail({ accountId: account.id });
    expect(link).toMatchObject({ fcSub: ANGELA.sub, birthplace: '75107', birthcountry: '99100' });
    // The address FranceConnect gave gets the usual confirmation link.
    const mails: { payload: { to: string; subject: string; text: string } }[] = await db().query(`SELECT payload FROM outbox_message WHERE job_name = 'mail.send'`);
    const verification = mails.map((m) => m.payload).find((m) => m.to === 'angela.dubois@example.org');
    expect(verification).toMatchObject({ subject: 'Confirmez votre adresse électronique' });
    expect(verification!.text).toContain(`${app.url}/inscription/confirmer?jeton=`);
  });

  it('a second login with the same FranceConnect identity logs into the same account, without any question', async () => {
    const web = new Web();
    const { start, landing } = await fcLogin(web, ANGELA.sub);
    expect(landing.url.startsWith(`${RP_ORIGIN}/connexion/retour?`)).toBe(true);
    const tokens = await tokensFor(start, landing.url);
    expect(tokens.claims()!.acr).toBe('eidas1');
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.email).toBe('angela.dubois@example.org');
    expect(await db().getRepository(Account).countBy({ email: 'angela.dubois@example.org' })).toBe(1);
    expect(await db().getRepository(FranceConnectLink).countBy({ fcSub: ANGELA.sub })).toBe(1);
  });

  it('links an existing local account only with that account’s own password, and certifies it', async () => {
    const local = await createVerifiedAccount(app, 'pierre.local@example.org', STRONG_PASSWORD, { givenName: 'Pierrot', familyName: 'Mercier' });
    const web = new Web();
    const { start, landing } = await fcLogin(web, PIERRE.sub);
    expect(landing.url).toBe(uri('/franceconnect/premiere-connexion'));

    const wrong = await web.post(uri('/franceconnect/premiere-connexion/relier'), {
      _csrf: hiddenValue(landing.html, '_csrf'),
      email: 'pierre.local@example.org',
      password: 'pas le bon mot de passe du tout',
    });
    expect(wrong.response.status).toBe(401);
    expect(wrong.html).toContain('Adresse électronique ou mot de passe incorrect.');
    expect(await db().getRepository(FranceConnectLink).countBy({ accountId: local.id })).toBe(0);

    const linked = await web.post(uri('/franceconnect/premiere-connexion/relier'), {
      _csrf: hiddenValue(wrong.html, '_csrf'),
      email: 'pierre.local@example.org',
      password: STRONG_PASSWORD,
    });
    expect(linked.url.startsWith(`${RP_ORIGIN}/connexion/retour?`)).toBe(true);
    const tokens = await tokensFor(start, linked.url);
    expect(tokens.claims()!.acr).toBe('eidas1');

    const account = await db().getRepository(Account).findOneByOrFail({ id: local.id });
    expect(account).toMatchObject({ givenName: 'Pierre', familyName: 'Mercier', birthdate: '1990-03-12', certificationLevel: 'eidas1', certificationSource: 'franceconnect' });
    expect(account.passwordHash).not.toBeNull(); // the local password still works
    expect(await db().getRepository(FranceConnectLink).findOneByOrFail({ fcSub: PIERRE.sub })).toMatchObject({ accountId: local.id, birthplace: '69123' });

    // Next time, FranceConnect alone logs into it.
    const again = await fcLogin(new Web(), PIERRE.sub);
    expect(again.landing.url.startsWith(`${RP_ORIGIN}/connexion/retour?`)).toBe(true);
  });

  it('refuses a FranceConnect identity already linked to another account', async () => {
    await createVerifiedAccount(app, 'bernard.local@example.org');
    const web = new Web();
    // Logged in locally (password) in this browser…
    const browser = new Browser(app.url);
    const first = await startAuthorization(rp);
    await logInAndConsent(browser, first.url, { email: 'bernard.local@example.org', password: STRONG_PASSWORD });
    (web as unknown as { jars: Map<string, CookieJar> }).jars.set(app.url, browser.jar);
    // …then FranceConnect with Angela's identity, linked to her account.
    const { landing } = await fcLogin(web, ANGELA.sub, { prompt: 'login' });
    expect(landing.response.status).toBe(409);
    expect(landing.html).toContain('Cette identité FranceConnect est déjà reliée à un autre compte territorial.');

    // The same rule at the service level (e.g. two links at once).
    const bernard = await db().getRepository(Account).findOneByOrFail({ email: 'bernard.local@example.org' });
    const pivot = pivotIdentity({ ...ANGELA });
    await expect(app.app.get(FranceConnectAccounts).link(bernard.id, pivot)).rejects.toMatchObject({ code: 'FC_SUB_ALREADY_LINKED', kind: 'conflict' });
    expect(await db().getRepository(FranceConnectLink).countBy({ accountId: bernard.id })).toBe(0);
    expect((await db().getRepository(Account).findOneByOrFail({ id: bernard.id })).certificationLevel).toBe('none');
  });

  it.each(['payload', 'signature'] as const)('refuses a userinfo JWT whose %s was tampered with (signature checked against the JWKS)', async (how) => {
    simulator.misbehave.userinfo = how;
    try {
      const { landing } = await fcLogin(new Web(), FATIMA.sub);
      expect(landing.response.status).toBe(403);
      expect(landing.html).toContain('ne sont pas authentiques (signature invalide)');
      expect(await db().getRepository(FranceConnectLink).countBy({ fcSub: FATIMA.sub })).toBe(0);
      expect(await db().getRepository(Account).countBy({ email: FATIMA.email })).toBe(0);
    } finally {
      delete simulator.misbehave.userinfo;
    }
    // The same identity, untampered, goes through: the refusal was the signature.
    const { landing } = await fcLogin(new Web(), FATIMA.sub);
    expect(landing.url).toBe(uri('/franceconnect/premiere-connexion'));
  });

  it('refuses a callback whose state is not the one sent, and then the flow altogether', async () => {
    const web = new Web();
    const { page } = await toSimulator(web);
    const action = new RegExp(`action="(/interaction/[^"]+/login)"><input type="hidden" name="sub" value="${LUCAS.sub}"`).exec(page.html)![1]!;
    // Stop at the redirect back to the identity app, and change its state.
    let response = await web.request(`${simulator.origin}${action}`, { method: 'POST', body: new URLSearchParams({ sub: LUCAS.sub }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    let location = new URL(response.headers.get('location')!, simulator.origin).toString();
    while (!location.startsWith(uri('/franceconnect/retour'))) {
      response = await web.request(location);
      location = new URL(response.headers.get('location')!, location).toString();
    }
    const genuine = new URL(location);
    const forged = new URL(location);
    forged.searchParams.set('state', 'x'.repeat(43));
    const refused = await web.follow(forged.toString());
    expect(refused.response.status).toBe(400);
    expect(refused.html).toContain('La réponse de FranceConnect ne correspond pas à votre demande');
    const replay = await web.follow(genuine.toString());
    expect(replay.response.status).toBe(400);
    expect(await db().getRepository(Account).countBy({ email: LUCAS.email })).toBe(0);
  });

  it('refuses an ID token whose nonce is not the one sent', async () => {
    simulator.misbehave.nonce = 'n'.repeat(43);
    try {
      const { landing } = await fcLogin(new Web(), LUCAS.sub);
      expect(landing.response.status).toBe(403);
      expect(landing.html).toContain('jeton d’identité refusé');
      expect(await db().getRepository(Account).countBy({ email: LUCAS.email })).toBe(0);
    } finally {
      delete simulator.misbehave.nonce;
    }
  });

  it('keeps certified attributes read-only: the account service refuses to change them', async () => {
    const accounts = app.app.get(AccountService);
    const angela = await db().getRepository(Account).findOneByOrFail({ email: 'angela.dubois@example.org' });
    const attempt = accounts.updateProfile(angela.id, { familyName: 'Durand', birthdate: '1970-01-01' });
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ACCOUNT_CERTIFIED_ATTRIBUTE',
      kind: 'forbidden',
      fields: [expect.objectContaining({ path: 'familyName', code: 'CERTIFIED' }), expect.objectContaining({ path: 'birthdate', code: 'CERTIFIED' })],
    });
    // Other attributes, and the certified ones unchanged, are accepted.
    const updated = await accounts.updateProfile(angela.id, { familyName: 'Dubois', phone: '0601020304' });
    expect(updated).toMatchObject({ familyName: 'Dubois', birthdate: '1962-08-24', phone: '0601020304' });
    // A local account's name is not certified: it can change.
    const local = await createVerifiedAccount(app, 'claire.local@example.org');
    await expect(accounts.updateProfile(local.id, { familyName: 'Nouveau' })).resolves.toMatchObject({ familyName: 'Nouveau' });
  });

  it('logging out of a session established through FranceConnect also logs out at FranceConnect (session/end with id_token_hint and state)', async () => {
    const web = new Web();
    const { start, landing } = await fcLogin(web, ANGELA.sub);
    const tokens = await tokensFor(start, landing.url);
    const endSession = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${RP_ORIGIN}/au-revoir`, state: 'etat-du-partenaire' });
    const confirm = await web.follow(endSession.toString());
    expect(confirm.html).toContain('<h1>Se déconnecter</h1>');
    const action = /action="([^"]*session\/end\/confirm[^"]*)"/.exec(confirm.html)![1]!;
    const before = simulator.logouts.length;
    // Parvis' logout → the simulator's session/end → its logout form (auto-submitted in a browser).
    const atFc = await web.post(new URL(action, app.url).toString(), { xsrf: /name="xsrf" value="([^"]+)"/.exec(confirm.html)![1]!, logout: 'yes' });
    expect(atFc.url.startsWith(`${simulator.issuer}/session/end`)).toBe(true);
    expect(simulator.logouts).toHaveLength(before + 1);
    const call = simulator.logouts.at(-1)!;
    expect(call.postLogoutRedirectUri).toBe(uri('/franceconnect/deconnexion'));
    expect(call.state!.length).toBeGreaterThanOrEqual(32);
    const hint = decodeJwt(call.idTokenHint!);
    expect(hint).toMatchObject({ iss: simulator.issuer, aud: FC_CLIENT_ID, sub: ANGELA.sub, acr: 'eidas1' });

    const fcForm = /<form[^>]*action="([^"]+)"/.exec(atFc.html)![1]!;
    const back = await web.post(new URL(fcForm.replace(/&amp;/g, '&'), simulator.origin).toString(), {
      xsrf: /name="xsrf" value="([^"]+)"/.exec(atFc.html)![1]!,
      logout: 'yes',
    });
    // Back through the identity app to the partner's post-logout address, with the partner's state.
    const final = new URL(back.url);
    expect(final.origin + final.pathname).toBe(`${RP_ORIGIN}/au-revoir`);
    expect(final.searchParams.get('state')).toBe('etat-du-partenaire');
    // Logged out at both: the next authorization shows the login page, and FranceConnect asks again.
    const next = await toSimulator(web);
    expect(next.page.html).toContain('Choisissez une identité de test');
  });
  it('steps up to FranceConnect when a partner demands eidas1 of a session opened by password; a password login is refused', async () => {
    const email = 'lucie.certifiee@example.org';
    await createVerifiedAccount(app, email);
    const web = new Web();
    const browser = new Browser(app.url);
    const first = await startAuthorization(rp, { scope: 'openid' });
    await logInAndConsent(browser, first.url, { email, password: STRONG_PASSWORD });
    (web as unknown as { jars: Map<string, CookieJar> }).jars.set(app.url, browser.jar);

    // The session is local: a partner asking for a certified identity gets the login page, with FranceConnect only.
    const start = await startAuthorization(rp, { scope: 'openid certification', acr_values: 'eidas1' });
    const login = await web.follow(start.url.toString());
    expect(login.response.status).toBe(200);
    expect(login.html).toContain('Ce service demande une identité certifiée par l’État.');
    expect(login.html).toContain('fr-connect__brand');
    expect(login.html).not.toContain('name="password"');

    // A password login posted anyway is refused.
    const uid = /action="\/interaction\/([^/"]+)\/franceconnect"/.exec(login.html)![1]!;
    const forced = await web.post(uri(`/interaction/${uid}/login`), { _csrf: hiddenValue(login.html, '_csrf'), email, password: STRONG_PASSWORD });
    expect(forced.response.status).toBe(403);
    expect(forced.html).toContain('Votre mot de passe seul ne suffit pas ici.');

    // Through FranceConnect: an identity not linked yet is linked to the session's account, with its password.
    const page = await web.post(uri(formAction(forced.html, '/franceconnect')), { _csrf: hiddenValue(forced.html, '_csrf') });
    const landing = await pickIdentity(web, page, LUCAS.sub);
    expect(landing.url).toBe(uri('/franceconnect/premiere-connexion'));
    expect(landing.html).toContain(`Relier FranceConnect à votre compte ${email}`);
    expect(landing.html).not.toContain('/franceconnect/premiere-connexion/creer');
    const linked = await web.post(uri('/franceconnect/premiere-connexion/relier'), { _csrf: hiddenValue(landing.html, '_csrf'), email, password: STRONG_PASSWORD });
    expect(linked.url.startsWith(`${RP_ORIGIN}/connexion/retour?`)).toBe(true);
    const tokens = await tokensFor(start, linked.url);
    expect(tokens.claims()!.acr).toBe('eidas1');
    expect(await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ certification_level: 'eidas1', certification_source: 'franceconnect' });

    // The session is now certified: the next demand for eidas1 goes through without a question; a preference
    // list naming the local level too is not a demand.
    const again = await startAuthorization(rp, { scope: 'openid', acr_values: 'eidas1' });
    expect((await web.follow(again.url.toString())).url.startsWith(`${RP_ORIGIN}/connexion/retour?`)).toBe(true);
    const other = new Browser(app.url);
    const preference = await startAuthorization(rp, { scope: 'openid', acr_values: 'eidas1 urn:parvis:acr:local' });
    const { callback } = await logInAndConsent(other, preference.url, { email, password: STRONG_PASSWORD });
    const local = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: preference.verifier, expectedState: preference.state, expectedNonce: preference.nonce });
    expect(local.claims()!.acr).toBe('urn:parvis:acr:local');
  });

  it('releases the certified birth place and country under the `birth` scope, only for a linked identity', async () => {
    const web = new Web();
    const { start, landing } = await fcLogin(web, ANGELA.sub, { scope: 'openid birth' });
    const tokens = await tokensFor(start, landing.url);
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ birthplace: '75107', birthcountry: '99100' });
    expect(userinfo.given_name).toBeUndefined(); // `profile` not asked

    await createVerifiedAccount(app, 'sans.fc@example.org');
    const start2 = await startAuthorization(rp, { scope: 'openid birth' });
    const { callback } = await logInAndConsent(new Browser(app.url), start2.url, { email: 'sans.fc@example.org', password: STRONG_PASSWORD });
    const local = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start2.verifier, expectedState: start2.state, expectedNonce: start2.nonce });
    const localInfo = await oidc.fetchUserInfo(rp, local.access_token, local.claims()!.sub);
    expect(localInfo.birthplace).toBeUndefined();
    expect(localInfo.birthcountry).toBeUndefined();
  });

  it('logs into the account area with FranceConnect: the button comes first on its login page, and the session is certified', async () => {
    const web = new Web();
    const login = await web.follow(uri('/compte/connexion'));
    const fc = login.html.indexOf('fr-connect__brand');
    expect(fc).toBeGreaterThan(0);
    expect(login.html.indexOf('<span>ou</span>')).toBeGreaterThan(fc);
    expect(login.html.indexOf('name="password"')).toBeGreaterThan(login.html.indexOf('<span>ou</span>'));
    expect(login.html).toContain('Qu’est-ce que FranceConnect ?');
    expect(login.response.headers.get('content-security-policy')).toContain(new URL(simulator.issuer).origin);

    const page = await web.post(uri(formAction(login.html, '/compte/franceconnect')), { _csrf: hiddenValue(login.html, '_csrf') });
    expect(page.url.startsWith(simulator.origin)).toBe(true);
    const landing = await pickIdentity(web, page, ANGELA.sub);
    expect(landing.url).toBe(uri('/compte'));
    expect(landing.html).toContain('<h1>Mon compte</h1>');
    expect(landing.html).toContain('Votre identité est certifiée par FranceConnect');
    expect(landing.html).toContain('value="Angela Claire Louise"');

    // The provider session is the same single sign-on session, established through FranceConnect.
    const start = await startAuthorization(rp, { scope: 'openid', acr_values: 'eidas1' });
    const direct = await web.follow(start.url.toString());
    expect(direct.url.startsWith(`${RP_ORIGIN}/connexion/retour?`)).toBe(true);
    expect((await tokensFor(start, direct.url)).claims()!.acr).toBe('eidas1');
  });

  it('links FranceConnect from « Mon compte » with the password, and unlinks it: values kept but editable, birth place erased, access revoked', async () => {
    const email = 'fatima.locale@example.org';
    await createVerifiedAccount(app, email, STRONG_PASSWORD, { givenName: 'Fati', familyName: 'Benali' });
    const web = new Web();
    const login = await web.follow(uri('/compte/connexion'));
    const signedIn = await web.post(uri('/compte/connexion'), { _csrf: hiddenValue(login.html, '_csrf'), email, password: STRONG_PASSWORD });
    expect(signedIn.url).toBe(uri('/compte'));

    // Link: the FranceConnect page, the simulator, then the account's password again.
    const fcPage = await web.follow(uri('/compte/franceconnect'));
    expect(fcPage.html).toContain('Votre compte n’est pas relié à FranceConnect');
    const atSimulator = await web.post(uri(formAction(fcPage.html, '/compte/franceconnect/relier')), { _csrf: hiddenValue(fcPage.html, '_csrf') });
    const landing = await pickIdentity(web, atSimulator, FATIMA.sub);
    expect(landing.url).toBe(uri('/franceconnect/premiere-connexion'));
    expect(landing.html).toContain(`Relier FranceConnect à votre compte ${email}`);
    const linked = await web.post(uri('/franceconnect/premiere-connexion/relier'), { _csrf: hiddenValue(landing.html, '_csrf'), email, password: STRONG_PASSWORD });
    expect(linked.url).toBe(uri('/compte'));
    const account = () => db().getRepository(Account).findOneByOrFail({ email });
    expect(await account()).toMatchObject({ givenName: 'Fatima', certificationLevel: 'eidas1' });

    // A partner holds tokens obtained in this certified session.
    const start = await startAuthorization(rp, { scope: 'openid profile birth' });
    const granted = await web.follow(start.url.toString());
    const tokens = await tokensFor(start, granted.url);
    expect(tokens.claims()!.acr).toBe('eidas1');
    expect(tokens.refresh_token).toBeTruthy();

    // Unlink: the password is required.
    const linkedPage = await web.follow(uri('/compte/franceconnect'));
    // The certified birth place and country read as names, not as INSEE codes.
    expect((await db().getRepository(FranceConnectLink).findOneByOrFail({ fcSub: FATIMA.sub })).birthplace).toBe('69259');
    expect(linkedPage.html).toContain('<dt>Commune de naissance</dt><dd>Vénissieux (69259)</dd>');
    expect(linkedPage.html).toContain('<dt>Pays de naissance</dt><dd>France</dd>');
    const wrong = await web.post(uri('/compte/franceconnect/delier'), { _csrf: hiddenValue(linkedPage.html, '_csrf'), currentPassword: 'pas le bon mot de passe' });
    expect(wrong.response.status).toBe(401);
    expect(wrong.html).toContain('<a href="#current-password">Le mot de passe actuel est incorrect.</a>');
    expect(await db().getRepository(FranceConnectLink).countBy({ fcSub: FATIMA.sub })).toBe(1);
    const done = await web.post(uri('/compte/franceconnect/delier'), { _csrf: hiddenValue(wrong.html, '_csrf'), currentPassword: STRONG_PASSWORD });
    expect(done.response.status).toBe(200);
    expect(done.html).toContain('<h1>FranceConnect délié</h1>');

    expect(await db().getRepository(FranceConnectLink).countBy({ fcSub: FATIMA.sub })).toBe(0);
    expect(await account()).toMatchObject({ givenName: 'Fatima', familyName: 'Benali', certificationLevel: 'none', certificationSource: null, certifiedAttributes: [] });
    // The partner's refresh token (issued with acr eidas1) no longer works.
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // This browser goes on with a session opened by the password; the attributes are editable again.
    const profile = await web.follow(uri('/compte'));
    expect(profile.html).toContain('Votre identité n’est pas certifiée.');
    const saved = await web.post(uri('/compte/profil'), { _csrf: hiddenValue(profile.html, '_csrf'), givenName: 'Fati', familyName: 'Benali' });
    expect(saved.url).toBe(uri('/compte?enregistre=1'));
    expect((await account()).givenName).toBe('Fati');
    const next = await startAuthorization(rp, { scope: 'openid' });
    const after = await web.follow(next.url.toString());
    expect((await tokensFor(next, after.url)).claims()!.acr).toBe('urn:parvis:acr:local');
  });
  it('from the registration page, FranceConnect creates the account and ends signed in at « Mon compte »', async () => {
    const web = new Web();
    const registration = await web.follow(uri('/inscription'));
    const atSimulator = await web.post(uri(formAction(registration.html, '/franceconnect/connexion')), { _csrf: hiddenValue(registration.html, '_csrf') });
    const landing = await pickIdentity(web, atSimulator, FATIMA.sub); // unlinked by the previous test
    expect(landing.url).toBe(uri('/franceconnect/premiere-connexion'));
    const created = await web.post(uri('/franceconnect/premiere-connexion/creer'), { _csrf: hiddenValue(landing.html, '_csrf') });
    expect(created.url).toBe(uri('/compte'));
    expect(created.html).toContain('Votre identité est certifiée par FranceConnect');
    expect(await db().getRepository(Account).findOneByOrFail({ email: FATIMA.email })).toMatchObject({ certificationLevel: 'eidas1', passwordHash: null });
  });
});
