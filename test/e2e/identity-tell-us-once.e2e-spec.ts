import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { FranceConnectAccounts, pivotIdentity, type Account } from '#accounts';
import { launchBrowser, seriousAccessibilityViolations, startApiParticulierDouble, startTestApp, type ApiParticulierDouble, type TestApp } from '#testing';
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
 * « Dites-le-nous une fois », end to end: the identity app with API Particulier (its double, real HTTP) and
 * FranceConnect (its simulator), a partner relying party (openid-client 6) asking for `quotient_familial` and
 * `droits_sociaux`, and a person's browser (cookies, forms).
 */

const FC_CLIENT_ID = 'parvis-identity-test';
const FC_CLIENT_SECRET = 'secret-du-client-franceconnect-de-test';
const RECIPIENT = '20004697700019';
const byName = (family: string) => SIMULATED_IDENTITIES.find((identity) => identity.family_name === family)!;
const TELL_US_ONCE = 'openid quotient_familial droits_sociaux';

/** A browser visiting several sites: one cookie jar per origin, redirects followed until the relying party. */
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

describe('identity: « Dites-le-nous une fois » (API Particulier double, FranceConnect simulator)', () => {
  let double: ApiParticulierDouble;
  let simulator: FranceConnectSimulator;
  let app: TestApp;
  let rp: oidc.Configuration;
  let plainRp: oidc.Configuration;
  let givorsId: string;

  const db = () => app.app.get(DataSource);

  beforeAll(async () => {
    double = await startApiParticulierDouble();
    simulator = await startFranceConnectSimulator({ port: 0 });
    app = await startTestApp(identityApp, {
      env: {
        FRANCECONNECT_ISSUER: simulator.issuer,
        FRANCECONNECT_CLIENT_ID: FC_CLIENT_ID,
        FRANCECONNECT_CLIENT_SECRET: FC_CLIENT_SECRET,
        API_PARTICULIER_URL: double.url,
        API_PARTICULIER_TOKEN: double.token,
        API_PARTICULIER_RECIPIENT: RECIPIENT,
        // Long enough for answers on a loaded CI machine, short enough for the « too slow » case's logins.
        API_PARTICULIER_TIMEOUT_MS: '2000',
      },
    });
    simulator.registerClient({
      clientId: FC_CLIENT_ID,
      clientSecret: FC_CLIENT_SECRET,
      redirectUris: [`${app.url}/franceconnect/retour`],
      postLogoutRedirectUris: [`${app.url}/franceconnect/deconnexion`],
    });
    givorsId = ((await db().query(`SELECT id FROM collectivity WHERE slug = 'givors'`)) as { id: string }[])[0]!.id;
    const { secret } = await createClient(app, {
      collectivityId: givorsId,
      purpose: 'pour calculer le tarif de la cantine et des transports',
      allowedScopes: ['openid', 'profile', 'email', 'quotient_familial', 'droits_sociaux', 'offline_access'],
    });
    rp = await relyingParty(app, 'mairie-givors', secret);
    const plain = await createClient(app, { clientId: 'mairie-plain', name: 'Portail sans données administratives', allowedScopes: ['openid', 'profile', 'email'] });
    plainRp = await relyingParty(app, 'mairie-plain', plain.secret);
  });
  afterAll(async () => {
    await app?.close();
    await simulator?.stop();
    await double?.close();
  });
  beforeEach(() => double.reset());

  /** A local account certified by linking it to a simulator identity (as « Mon compte » → FranceConnect does). */
  async function certifiedAccount(email: string, family: string): Promise<Account> {
    const account = await createVerifiedAccount(app, email);
    const fc = byName(family);
    return app.app.get(FranceConnectAccounts).link(account.id, pivotIdentity({ ...fc, sub: `${fc.sub}-${email}` }));
  }

  async function grant(rpConfig: oidc.Configuration, browser: Browser, email: string, scope: string, decision: 'accepter' | 'refuser' = 'accepter') {
    const start = await startAuthorization(rpConfig, { scope });
    const { callback, sawConsent } = await logInAndConsent(browser, start.url, { email, password: STRONG_PASSWORD }, decision);
    return { start, callback, sawConsent };
  }

  async function tokensOf(rpConfig: oidc.Configuration, start: Awaited<ReturnType<typeof startAuthorization>>, callback: URL) {
    const tokens = await oidc.authorizationCodeGrant(rpConfig, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const userinfo = await oidc.fetchUserInfo(rpConfig, tokens.access_token, tokens.claims()!.sub);
    return { tokens, userinfo };
  }

  it('the consent screen says which data, held by which administration, goes to which service of which collectivity, and why', async () => {
    const email = 'pierre.consent@example.org';
    await certifiedAccount(email, 'Mercier');
    const browser = new Browser(app.url);
    const start = await startAuthorization(rp, { scope: `${TELL_US_ONCE} profile` });
    let { response } = await browser.follow(start.url.toString());
    const login = await response.text();
    ({ response } = await browser.follow(formAction(login, '/login'), {
      method: 'POST',
      body: new URLSearchParams({ _csrf: hiddenValue(login, '_csrf'), email, password: STRONG_PASSWORD }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }));
    const consent = await response.text();
    expect(response.status).toBe(200);
    expect(consent).toContain('<strong>Portail de la ville de Givors</strong>, service de <strong>Givors</strong>');
    expect(consent).toContain('pour calculer le tarif de la cantine et des transports');
    expect(consent).toContain('<strong>Votre quotient familial, détenu par la CAF ou la MSA</strong>');
    expect(consent).toContain('demandés directement à votre caisse au lieu d’une attestation');
    expect(consent).toContain('<strong>Vos droits sociaux, détenus par l’Assurance maladie, la CAF ou la MSA</strong>');
    expect(consent).toContain('Complémentaire santé solidaire ou du RSA');
    expect(consent).toContain('seulement si votre identité est certifiée par FranceConnect');
    // Nothing is asked of the administration before the person agrees.
    expect(double.requests).toEqual([]);
  });

  it('after consent, the partner receives the family quotient and the social rights at userinfo, with source and date', async () => {
    const email = 'pierre.accord@example.org';
    await certifiedAccount(email, 'Mercier');
    const browser = new Browser(app.url);
    const { start, callback, sawConsent } = await grant(rp, browser, email, TELL_US_ONCE);
    expect(sawConsent).toBe(true);
    const { tokens, userinfo } = await tokensOf(rp, start, callback);
    const now = app.clock.now().toISOString();
    expect(userinfo.quotient_familial).toEqual({ valeur: 350, source: 'CAF', mois: '2026-10', date: now });
    expect(userinfo.droits_sociaux).toEqual({
      complementaire_sante_solidaire: { beneficiaire: true, avec_participation: false, depuis: '2025-03-01', source: 'Assurance maladie', date: now },
      revenu_solidarite_active: { beneficiaire: true, avec_majoration: false, depuis: '2025-01-01', source: 'CAF ou MSA', date: now },
    });
    // Asked with the metropolis' SIRET, at userinfo only: the ID token carries none of it.
    expect(double.requests.map((r) => [r.path, r.recipient])).toEqual(
      expect.arrayContaining([
        ['/v3/dss/quotient_familial/identite', RECIPIENT],
        ['/v3/dss/complementaire_sante_solidaire/identite', RECIPIENT],
        ['/v3/dss/revenu_solidarite_active/identite', RECIPIENT],
      ]),
    );
    expect(double.requests).toHaveLength(3);
    const idToken = decodeJwt(tokens.id_token!);
    expect(idToken.quotient_familial).toBeUndefined();
    expect(idToken.droits_sociaux).toBeUndefined();
  });

  it('even a platform client that needs no consent gets these data only with the person’s consent', async () => {
    const { secret } = await createClient(app, {
      clientId: 'guichet-sans-accord',
      name: 'Guichet de la Métropole',
      consentRequired: false,
      allowedScopes: ['openid', 'profile', 'quotient_familial', 'droits_sociaux'],
    });
    const platformRp = await relyingParty(app, 'guichet-sans-accord', secret);
    const email = 'pierre.guichet@example.org';
    await certifiedAccount(email, 'Mercier');
    const browser = new Browser(app.url);
    const plain = await grant(platformRp, browser, email, 'openid profile');
    expect(plain.sawConsent).toBe(false);
    const withData = await grant(platformRp, browser, email, 'openid profile quotient_familial');
    expect(withData.sawConsent).toBe(true);
    const { userinfo } = await tokensOf(platformRp, withData.start, withData.callback);
    expect(userinfo).toMatchObject({ given_name: 'Pierre', quotient_familial: { valeur: 350, source: 'CAF' } });
    // Agreed once: not asked again.
    expect((await grant(platformRp, browser, email, 'openid profile quotient_familial')).sawConsent).toBe(false);
  });

  it('a refused consent sends access_denied back, and nothing is asked of the administration', async () => {
    const email = 'pierre.refus@example.org';
    await certifiedAccount(email, 'Mercier');
    const { callback } = await grant(rp, new Browser(app.url), email, TELL_US_ONCE, 'refuser');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(double.requests).toEqual([]);
  });

  it('without the scope, or for a client not allowed it, the claims are absent', async () => {
    const email = 'fatima.portees@example.org';
    await certifiedAccount(email, 'Benali');
    const browser = new Browser(app.url);
    const withProfile = await grant(rp, browser, email, 'openid profile');
    const { userinfo } = await tokensOf(rp, withProfile.start, withProfile.callback);
    expect(userinfo.given_name).toBe('Fatima');
    expect(userinfo).not.toHaveProperty('quotient_familial');
    expect(userinfo).not.toHaveProperty('droits_sociaux');

    // The other portal is not allowed these scopes (its registration): its request is refused with invalid_scope.
    const plain = await startAuthorization(plainRp, { scope: `${TELL_US_ONCE} profile` });
    const refused = await browser.follow(plain.url.toString());
    const back = new URL(refused.url);
    expect(back.origin).toBe(RP_ORIGIN);
    expect(back.searchParams.get('error')).toBe('invalid_scope');
    expect(double.requests).toEqual([]);
  });

  it('an account not certified by FranceConnect gets no administration data, even with consent', async () => {
    const email = 'camille.locale@example.org';
    await createVerifiedAccount(app, email);
    const { start, callback, sawConsent } = await grant(rp, new Browser(app.url), email, `${TELL_US_ONCE} profile`);
    expect(sawConsent).toBe(true);
    const { userinfo } = await tokensOf(rp, start, callback);
    expect(userinfo.given_name).toBe('Camille');
    expect(userinfo).not.toHaveProperty('quotient_familial');
    expect(userinfo).not.toHaveProperty('droits_sociaux');
    expect(double.requests).toEqual([]);
  });

  it('once FranceConnect is unlinked, the account is no longer certified and the claims stop', async () => {
    const email = 'pierre.delie@example.org';
    const account = await certifiedAccount(email, 'Mercier');
    const browser = new Browser(app.url);
    const first = await grant(rp, browser, email, TELL_US_ONCE);
    expect((await tokensOf(rp, first.start, first.callback)).userinfo.quotient_familial).toBeDefined();
    await app.app.get(FranceConnectAccounts).unlink(account.id);
    double.reset();
    const again = await grant(rp, new Browser(app.url), email, TELL_US_ONCE);
    expect(again.sawConsent).toBe(false); // the consent stands; the data no longer goes
    const { userinfo } = await tokensOf(rp, again.start, again.callback);
    expect(userinfo).not.toHaveProperty('quotient_familial');
    expect(userinfo).not.toHaveProperty('droits_sociaux');
    expect(double.requests).toEqual([]);
  });

  it('API Particulier down or too slow: the login succeeds, userinfo answers without the claims (no error)', async () => {
    const email = 'pierre.panne@example.org';
    await certifiedAccount(email, 'Mercier');
    const browser = new Browser(app.url);
    for (const outage of ['failing', 'hanging'] as const) {
      double.reset();
      if (outage === 'failing') double.failing = 503;
      else double.hanging = true;
      const { start, callback } = await grant(rp, browser, email, `${TELL_US_ONCE} email`);
      expect(callback.searchParams.get('code')).toBeTruthy();
      const { userinfo } = await tokensOf(rp, start, callback);
      expect(userinfo.email).toBe(email);
      expect(userinfo).not.toHaveProperty('quotient_familial');
      expect(userinfo).not.toHaveProperty('droits_sociaux');
    }
  });

  it('a person without a file at the administration gets no claim; a non-beneficiary is told so', async () => {
    const email = 'angela.sans-c2s@example.org';
    await certifiedAccount(email, 'Dubois');
    const { start, callback } = await grant(rp, new Browser(app.url), email, TELL_US_ONCE);
    const { userinfo } = await tokensOf(rp, start, callback);
    expect(userinfo.quotient_familial).toMatchObject({ valeur: 4270, source: 'CAF', mois: '2023-06' });
    // No C2S file (404): left out; RSA file, not a beneficiary: said so.
    expect(userinfo.droits_sociaux).toEqual({
      revenu_solidarite_active: { beneficiaire: false, avec_majoration: null, depuis: null, source: 'CAF ou MSA', date: app.clock.now().toISOString() },
    });

    const lucas = 'lucas.etranger@example.org';
    await certifiedAccount(lucas, 'Schmidt');
    const second = await grant(rp, new Browser(app.url), lucas, TELL_US_ONCE);
    const { userinfo: nothing } = await tokensOf(rp, second.start, second.callback);
    expect(nothing).not.toHaveProperty('quotient_familial');
    expect(nothing).not.toHaveProperty('droits_sociaux');
  });

  it('through FranceConnect itself: the identity it certifies is the one API Particulier is asked about', async () => {
    const web = new Web();
    const start = await startAuthorization(rp, { scope: TELL_US_ONCE });
    const login = await web.follow(start.url.toString());
    const atSimulator = await web.post(`${app.url}${formAction(login.html, '/franceconnect')}`, { _csrf: hiddenValue(login.html, '_csrf') });
    const angela = byName('Dubois');
    const action = new RegExp(`action="(/interaction/[^"]+/login)"><input type="hidden" name="sub" value="${angela.sub}"`).exec(atSimulator.html)![1]!;
    const firstLogin = await web.post(`${simulator.origin}${action}`, { sub: angela.sub });
    expect(firstLogin.url).toBe(`${app.url}/franceconnect/premiere-connexion`);
    const consent = await web.post(`${app.url}/franceconnect/premiere-connexion/creer`, { _csrf: hiddenValue(firstLogin.html, '_csrf') });
    expect(consent.html).toContain('Votre quotient familial, détenu par la CAF ou la MSA');
    const back = await web.post(`${app.url}${formAction(consent.html, '/consent')}`, { _csrf: hiddenValue(consent.html, '_csrf'), decision: 'accepter' });
    const { tokens, userinfo } = await tokensOf(rp, start, new URL(back.url));
    expect(tokens.claims()!.acr).toBe('eidas1');
    expect(userinfo.quotient_familial).toMatchObject({ valeur: 4270, source: 'CAF' });
  });

  it('« Mes justificatifs partagés » shows the data held (asked live) and the services receiving it; « Services connectés » lists the scopes', async () => {
    const email = 'pierre.compte@example.org';
    await certifiedAccount(email, 'Mercier');
    const browser = new Browser(app.url);
    await grant(rp, browser, email, TELL_US_ONCE);
    double.reset();
    const page = await browser.get('/compte/justificatifs');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toContain('no-store');
    const html = await page.text();
    expect(html).toContain('<h1>Mes justificatifs partagés</h1>');
    expect(html).toContain('aria-current="page">Justificatifs partagés</a>');
    expect(html).toContain('350 € (calculé par la CAF, pour octobre 2026)');
    expect(html).toContain('Vous en bénéficiez depuis le 1 mars 2025, sans participation financière.');
    expect(html).toContain('Vous en bénéficiez depuis le 1 janvier 2025.');
    expect(html.match(/<li>Portail de la ville de Givors \(Givors\)<\/li>/g)).toHaveLength(3);
    expect(double.requests).toHaveLength(3);

    const services = await (await browser.get('/compte/services')).text();
    expect(services).toContain('<strong>Votre quotient familial, détenu par la CAF ou la MSA</strong>');
    expect(services).toContain('<strong>Vos droits sociaux, détenus par l’Assurance maladie, la CAF ou la MSA</strong>');
  });

  it('« Mes justificatifs partagés » for an account not certified, and when API Particulier is down', async () => {
    await createVerifiedAccount(app, 'claude.locale@example.org');
    const browser = new Browser(app.url);
    await grant(rp, browser, 'claude.locale@example.org', 'openid profile');
    const html = await (await browser.get('/compte/justificatifs')).text();
    expect(html).toContain('Votre identité n’est pas certifiée');
    expect(html).toContain('<a href="/compte/franceconnect">reliez votre compte à FranceConnect</a>');
    expect(double.requests).toEqual([]);

    const email = 'fatima.panne@example.org';
    await certifiedAccount(email, 'Benali');
    const certified = new Browser(app.url);
    await grant(rp, certified, email, 'openid profile');
    double.failing = 503;
    const down = await certified.get('/compte/justificatifs');
    expect(down.status).toBe(200);
    expect(await down.text()).toContain('Le service de l’administration ne répond pas pour le moment');
  });

  it('the consent screen and « Justificatifs partagés » have no serious accessibility violation (axe-core, real browser)', async () => {
    const email = 'fatima.a11y@example.org';
    await certifiedAccount(email, 'Benali');
    // One browser has consented (its session is active: the account area); another stops at the consent screen.
    const consented = new Browser(app.url);
    await grant(rp, consented, email, TELL_US_ONCE);
    const pending = new Browser(app.url);
    const start = await startAuthorization(rp, { scope: `${TELL_US_ONCE} profile email` });
    const { response } = await pending.follow(start.url.toString());
    const login = await response.text();
    const consentPage = await pending.follow(formAction(login, '/login'), {
      method: 'POST',
      body: new URLSearchParams({ _csrf: hiddenValue(login, '_csrf'), email, password: STRONG_PASSWORD }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(consentPage.response.status).toBe(200);

    const chromium = await launchBrowser();
    try {
      for (const [jar, path, title] of [
        [pending.jar, new URL(consentPage.url).pathname, 'Autoriser la transmission de vos données'],
        [consented.jar, '/compte/justificatifs', 'Mes justificatifs partagés'],
      ] as const) {
        const context = await chromium.newContext({ bypassCSP: true });
        await context.addCookies([...jar.cookies].map(([name, value]) => ({ name, value, url: app.url })));
        const page = await context.newPage();
        await page.goto(`${app.url}${path}`);
        expect(await page.locator('h1').innerText()).toBe(title);
        expect({ path, violations: await seriousAccessibilityViolations(page) }).toEqual({ path, violations: [] });
        await context.close();
      }
    } finally {
      await chromium.close();
    }
  });

  it('withdrawing the service’s access (« Services connectés ») stops the release: tokens refused, consent asked again', async () => {
    const email = 'pierre.retrait@example.org';
    await certifiedAccount(email, 'Mercier');
    const browser = new Browser(app.url);
    const first = await grant(rp, browser, email, `${TELL_US_ONCE} offline_access`);
    const { tokens, userinfo } = await tokensOf(rp, first.start, first.callback);
    expect(userinfo.quotient_familial).toBeDefined();

    const services = await (await browser.get('/compte/services')).text();
    const revoked = await browser.post('/compte/services/mairie-givors/retirer', { _csrf: hiddenValue(services, '_csrf') });
    expect(revoked.status).toBe(200);
    await expect(oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub)).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toThrow();

    const again = await grant(rp, browser, email, TELL_US_ONCE);
    expect(again.sawConsent).toBe(true);
  });
});
