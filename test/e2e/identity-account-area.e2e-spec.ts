import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { Account, Consent } from '#accounts';
import { ManualClock, startSmtpSink, startTestApp, type CapturedMail, type SmtpSink, type TestApp } from '#testing';
import { identityApp } from '../../apps/identity/identity.app.js';
import { workerApp } from '../../apps/worker/worker.app.js';
import { Browser, createClient, createVerifiedAccount, hiddenValue, logInAndConsent, relyingParty, startAuthorization, STRONG_PASSWORD } from './identity-support.js';

/**
 * The account area of the identity app (« Mon compte »), with the real provider, a real openid-client relying
 * party and the worker delivering the outbox's mails to an SMTP sink: profile editing (certified attributes
 * read-only), change of password and of address with re-authentication and notification mails, and the
 * « Services connectés » list whose withdrawal revokes the client's grant and tokens.
 */
describe('identity: account area (profile, password, address, connected services)', () => {
  let sink: SmtpSink;
  let identity: TestApp;
  let worker: TestApp;
  let clock: ManualClock;
  let rp: oidc.Configuration;
  let givorsId: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    clock = new ManualClock();
    identity = await startTestApp(identityApp, { clock });
    worker = await startTestApp(workerApp, { clock, database: identity.database, env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
    givorsId = ((await db().query(`SELECT id FROM collectivity WHERE slug = 'givors'`)) as { id: string }[])[0]!.id;
    const { secret } = await createClient(identity, { collectivityId: givorsId });
    rp = await relyingParty(identity, 'mairie-givors', secret);
  });
  afterAll(async () => {
    await worker?.close();
    await identity?.close();
    await sink?.close();
  });

  const db = () => identity.app.get(DataSource);
  const accounts = () => db().getRepository(Account);
  const mailTo = (to: string, subject: string): Promise<CapturedMail> => sink.waitFor((m) => m.to.includes(to) && m.subject === subject, 15_000);

  async function page(browser: Browser, path: string) {
    const response = await browser.get(path);
    const html = await response.text();
    return { response, html, csrf: html.includes('name="_csrf"') ? hiddenValue(html, '_csrf') : '' };
  }

  /** Logs in through the account area's own form; returns the browser and the response. */
  async function logIn(email: string, password = STRONG_PASSWORD, browser = new Browser(identity.url)) {
    const form = await page(browser, '/compte/connexion');
    const response = await browser.post('/compte/connexion', { _csrf: form.csrf, email, password });
    return { browser, response };
  }

  async function signedIn(email: string, password = STRONG_PASSWORD) {
    const { browser, response } = await logIn(email, password);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/compte');
    return browser;
  }

  it('asks to log in first, then shows « Mon compte » from the home page; every page is no-store', async () => {
    await createVerifiedAccount(identity, 'lea.petit@example.org');
    const anonymous = new Browser(identity.url);
    const redirected = await anonymous.get('/compte');
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get('location')).toBe('/compte/connexion');
    expect(await (await anonymous.get('/')).text()).not.toContain('href="/compte"');

    const wrong = await logIn('lea.petit@example.org', 'pas le bon mot de passe');
    expect(wrong.response.status).toBe(401);
    expect(await wrong.response.text()).toContain('Adresse électronique ou mot de passe incorrect.');

    const browser = await signedIn('lea.petit@example.org');
    const home = await page(browser, '/');
    expect(home.html).toContain('<a href="/compte">Mon compte</a>');
    expect(home.html).toContain('<a href="/oidc/session/end">Se déconnecter</a>');
    for (const path of ['/', '/compte', '/compte/mot-de-passe', '/compte/adresse', '/compte/services', '/compte/connexion', '/compte/adresse/confirmer?jeton=x']) {
      const response = await browser.get(path);
      expect([path, response.headers.get('cache-control')]).toEqual([path, 'no-store']);
    }
    const account = await page(browser, '/compte');
    expect(account.response.status).toBe(200);
    expect(account.html).toContain('lea.petit@example.org');
    expect(account.html).toContain('value="Camille"');

    // « Se déconnecter » ends the provider's session: the account area asks to log in again.
    const logout = await page(browser, '/oidc/session/end');
    expect(logout.response.status).toBe(200);
    const xsrf = hiddenValue(logout.html, 'xsrf');
    const action = /<form[^>]*action="([^"]+)"/.exec(logout.html)![1]!;
    await browser.follow(action.replace(/&amp;/g, '&'), { method: 'POST', body: new URLSearchParams({ xsrf, logout: 'yes' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect((await browser.get('/compte')).status).toBe(303);
  });

  it('recognises the session opened by logging into a service (single sign-on)', async () => {
    await createVerifiedAccount(identity, 'sso@example.org');
    const browser = new Browser(identity.url);
    await logInAndConsent(browser, (await startAuthorization(rp)).url, { email: 'sso@example.org', password: STRONG_PASSWORD });
    const account = await page(browser, '/compte');
    expect(account.response.status).toBe(200);
    expect(account.html).toContain('sso@example.org');
  });

  it('treats a session idle for more than 30 minutes as signed out; each page view counts as activity', async () => {
    await createVerifiedAccount(identity, 'inactive@example.org');
    const browser = await signedIn('inactive@example.org');
    clock.advance(20 * 60_000);
    expect((await browser.get('/compte')).status).toBe(200);
    clock.advance(20 * 60_000);
    expect((await browser.get('/compte')).status).toBe(200);
    clock.advance(31 * 60_000);
    const expired = await browser.get('/compte');
    expect(expired.status).toBe(303);
    expect(expired.headers.get('location')).toBe('/compte/connexion');
  });

  it('edits the profile, and shows French errors in the summary, linked to their fields', async () => {
    const { id } = await createVerifiedAccount(identity, 'profil@example.org');
    const browser = await signedIn('profil@example.org');
    const form = await page(browser, '/compte');
    const saved = await browser.post('/compte/profil', {
      _csrf: form.csrf,
      givenName: 'Camille',
      familyName: 'Martin',
      preferredUsername: 'Dupont',
      birthdate: '1985-04-23',
      gender: 'female',
      phone: '04 72 00 00 00',
      streetAddress: '12 rue de la République',
      postalCode: '69700',
      locality: 'Givors',
      country: 'France',
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/compte?enregistre=1');
    expect(await accounts().findOneByOrFail({ id })).toMatchObject({
      preferredUsername: 'Dupont',
      birthdate: '1985-04-23',
      gender: 'female',
      phone: '04 72 00 00 00',
      address: { street_address: '12 rue de la République', postal_code: '69700', locality: 'Givors', country: 'France' },
    });
    expect((await page(browser, '/compte?enregistre=1')).html).toContain('Vos informations sont enregistrées.');

    const invalid = await browser.post('/compte/profil', { _csrf: form.csrf, birthdate: '23/04/1985', phone: 'abc' });
    expect(invalid.status).toBe(422);
    const html = await invalid.text();
    expect(html).toContain('Il y a un problème');
    expect(html).toContain('<a href="#birthdate">Indiquez la date de naissance au format AAAA-MM-JJ.</a>');
    expect(html).toContain('<a href="#phone">Indiquez un numéro de téléphone valide, par exemple 04 72 00 00 00.</a>');
    expect(html).toMatch(/id="birthdate"[^>]*aria-invalid="true" aria-describedby="birthdate-aide birthdate-erreur"/);
    expect(html).toContain('value="23/04/1985"'); // what was typed is kept
    expect((await accounts().findOneByOrFail({ id })).birthdate).toBe('1985-04-23');
  });

  it('shows attributes certified by FranceConnect read-only, and refuses to change them server-side', async () => {
    const { id } = await createVerifiedAccount(identity, 'certifie@example.org', STRONG_PASSWORD, { birthdate: '1990-03-12', gender: 'male' });
    await accounts().update(
      { id },
      { certificationLevel: 'eidas1', certificationSource: 'franceconnect', certifiedAttributes: ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry'] },
    );
    const browser = await signedIn('certifie@example.org');
    const form = await page(browser, '/compte');
    expect(form.html).toMatch(/id="given-name" name="givenName"[^>]* disabled[^>]* aria-describedby="given-name-aide"/);
    expect(form.html).toMatch(/id="birthdate" name="birthdate"[^>]* disabled/);
    expect(form.html).toMatch(/<select id="gender" name="gender" disabled aria-describedby="gender-aide">/);
    expect(form.html).toContain('Donnée certifiée par FranceConnect : elle ne peut pas être modifiée ici.');
    expect(form.html).not.toMatch(/id="phone" name="phone"[^>]* disabled/);

    // A forged form changing a certified attribute is refused, and nothing changes.
    const forged = await browser.post('/compte/profil', { _csrf: form.csrf, givenName: 'Usurpé', phone: '0600000000' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('Donnée certifiée par FranceConnect (prénom) : elle ne peut pas être modifiée ici.');
    expect(await accounts().findOneByOrFail({ id })).toMatchObject({ givenName: 'Camille', phone: null });

    // What the browser sends (disabled fields are left out) is accepted.
    const ok = await browser.post('/compte/profil', { _csrf: form.csrf, preferredUsername: 'Mercier', phone: '06 00 00 00 00' });
    expect(ok.status).toBe(303);
    expect(await accounts().findOneByOrFail({ id })).toMatchObject({ givenName: 'Camille', birthdate: '1990-03-12', preferredUsername: 'Mercier', phone: '06 00 00 00 00' });
  });

  it('changes the password only with the current one; the old one stops working and other sessions end', async () => {
    const email = 'motdepasse@example.org';
    const { id } = await createVerifiedAccount(identity, email);
    const other = await signedIn(email); // another device
    const browser = await signedIn(email);
    const form = await page(browser, '/compte/mot-de-passe');
    const newPassword = 'un tout nouveau mot de passe';

    const wrong = await browser.post('/compte/mot-de-passe', { _csrf: form.csrf, currentPassword: 'pas le bon', newPassword });
    expect(wrong.status).toBe(401);
    const wrongHtml = await wrong.text();
    expect(wrongHtml).toContain('<a href="#current-password">Le mot de passe actuel est incorrect.</a>');
    const weak = await browser.post('/compte/mot-de-passe', { _csrf: form.csrf, currentPassword: STRONG_PASSWORD, newPassword: 'court' });
    expect(weak.status).toBe(422);
    expect(await weak.text()).toContain('<a href="#new-password">Le mot de passe doit compter au moins 12 caractères.</a>');
    const before = (await accounts().findOneByOrFail({ id })).passwordHash;

    const done = await browser.post('/compte/mot-de-passe', { _csrf: form.csrf, currentPassword: STRONG_PASSWORD, newPassword });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('<h1>Mot de passe changé</h1>');
    expect((await accounts().findOneByOrFail({ id })).passwordHash).not.toBe(before);
    await mailTo(email, 'Votre mot de passe a été changé');

    expect((await browser.get('/compte')).status).toBe(200); // this session goes on
    expect((await other.get('/compte')).status).toBe(303); // the other one is over
    expect((await logIn(email, STRONG_PASSWORD)).response.status).toBe(401);
    expect((await logIn(email, newPassword)).response.status).toBe(303);
  });

  it('a new password revokes the services\' tokens of the other sessions (refresh refused, back-channel logout), and keeps this session\'s', async () => {
    const email = 'jetons@example.org';
    await createVerifiedAccount(identity, email);
    // A partner told by back-channel logout when a session ends.
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
      const { secret: bronSecret } = await createClient(identity, {
        clientId: 'mairie-bron-jetons',
        name: 'Portail de la ville de Bron',
        consentRequired: false,
        backchannelLogoutUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/deconnexion`,
      });
      const bron = await relyingParty(identity, 'mairie-bron-jetons', bronSecret);
      /** Logs into a partner in a browser; returns the partner's tokens. */
      async function partnerLogin(browser: Browser, partner: oidc.Configuration) {
        const start = await startAuthorization(partner, { scope: 'openid' });
        const { callback } = await logInAndConsent(browser, start.url, { email, password: STRONG_PASSWORD });
        const tokens = await oidc.authorizationCodeGrant(partner, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
        expect(tokens.refresh_token).toBeTruthy();
        return tokens;
      }
      const stolenBrowser = new Browser(identity.url); // e.g. a device the person lost
      const stolen = await partnerLogin(stolenBrowser, rp);
      const stolenAtBron = await partnerLogin(stolenBrowser, bron);
      const mineBrowser = new Browser(identity.url);
      const mine = await partnerLogin(mineBrowser, rp);
      await partnerLogin(mineBrowser, bron);

      const form = await page(mineBrowser, '/compte/mot-de-passe');
      const done = await mineBrowser.post('/compte/mot-de-passe', { _csrf: form.csrf, currentPassword: STRONG_PASSWORD, newPassword: 'encore un autre mot de passe' });
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('les services connectés vous demanderont de vous reconnecter');

      await expect(oidc.refreshTokenGrant(rp, stolen.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(oidc.refreshTokenGrant(bron, stolenAtBron.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(oidc.fetchUserInfo(rp, stolen.access_token, stolen.claims()!.sub)).rejects.toThrow();
      expect((await stolenBrowser.get('/compte')).status).toBe(303);
      // Bron is told that the lost device's session is over (and only that one).
      expect(received).toHaveLength(1);
      const { payload } = await jwtVerify(received[0]!, createRemoteJWKSet(new URL(bron.serverMetadata().jwks_uri!)), {
        issuer: `${identity.url}/oidc`,
        audience: 'mairie-bron-jetons',
        typ: 'logout+jwt',
      });
      expect(payload).toMatchObject({ sub: stolenAtBron.claims()!.sub, sid: stolenAtBron.claims()!.sid });
      // The session where the password was changed goes on, with its services.
      const refreshed = await oidc.refreshTokenGrant(rp, mine.refresh_token!);
      expect(refreshed.access_token).toBeTruthy();
      expect((await mineBrowser.get('/compte')).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a password reset ends every session of the account and revokes the services\' refresh tokens', async () => {
    const email = 'reinitialise@example.org';
    await createVerifiedAccount(identity, email);
    const browser = new Browser(identity.url);
    const start = await startAuthorization(rp, { scope: 'openid' });
    const { callback } = await logInAndConsent(browser, start.url, { email, password: STRONG_PASSWORD });
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });

    const asker = new Browser(identity.url); // another browser: the person who forgot the password
    const askPage = await page(asker, '/mot-de-passe/oubli');
    await asker.post('/mot-de-passe/oubli', { _csrf: askPage.csrf, email });
    const mail = await mailTo(email, 'Choisissez un nouveau mot de passe');
    const link = /(http:\/\/\S+jeton=\S+)/.exec(mail.text)![1]!;
    const form = await page(asker, link);
    const reset = await asker.post('/mot-de-passe/nouveau', { _csrf: form.csrf, jeton: hiddenValue(form.html, 'jeton'), password: 'le mot de passe retrouvé' });
    expect(reset.status).toBe(200);

    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await browser.get('/compte')).status).toBe(303);
  });

  it('changes the address only once the new one is verified; the old one is told', async () => {
    const email = 'ancienne@example.org';
    const newEmail = 'Nouvelle@Example.org';
    const { id } = await createVerifiedAccount(identity, email);
    const browser = await signedIn(email);
    const form = await page(browser, '/compte/adresse');

    const wrong = await browser.post('/compte/adresse', { _csrf: form.csrf, currentPassword: 'pas le bon', newEmail });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('<a href="#current-password">Le mot de passe actuel est incorrect.</a>');
    const invalid = await browser.post('/compte/adresse', { _csrf: form.csrf, currentPassword: STRONG_PASSWORD, newEmail: 'pas-une-adresse' });
    expect(invalid.status).toBe(422);
    expect(await invalid.text()).toContain('<a href="#new-email">Indiquez une adresse électronique valide');

    const asked = await browser.post('/compte/adresse', { _csrf: form.csrf, currentPassword: STRONG_PASSWORD, newEmail });
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('<h1>Vérifiez votre messagerie</h1>');
    const verification = await mailTo('nouvelle@example.org', 'Confirmez votre nouvelle adresse électronique');
    await mailTo(email, 'Votre adresse va être modifiée');
    const link = /(http:\/\/\S+jeton=\S+)/.exec(verification.text)![1]!;
    expect(link.startsWith(`${identity.url}/compte/adresse/confirmer?jeton=`)).toBe(true);

    // Not applied yet: the old address still logs in, the new one does not.
    expect((await accounts().findOneByOrFail({ id })).email).toBe(email);
    expect((await logIn('nouvelle@example.org')).response.status).toBe(401);
    expect((await logIn(email)).response.status).toBe(303);

    // The link (opened on any device) shows a button; confirming applies the change.
    const elsewhere = new Browser(identity.url);
    const confirmPage = await page(elsewhere, link);
    expect(confirmPage.response.status).toBe(200);
    const confirmed = await elsewhere.post('/compte/adresse/confirmer', { _csrf: confirmPage.csrf, jeton: hiddenValue(confirmPage.html, 'jeton') });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('<h1>Adresse modifiée</h1>');
    const notice = await mailTo(email, 'Votre adresse a été modifiée');
    expect(notice.text).toContain('Votre adresse a été modifiée');
    expect(await accounts().findOneByOrFail({ id })).toMatchObject({ email: 'nouvelle@example.org', emailVerifiedAt: clock.now() });
    expect((await logIn('nouvelle@example.org')).response.status).toBe(303);
    expect((await logIn(email)).response.status).toBe(401);

    // Single use.
    const again = await elsewhere.post('/compte/adresse/confirmer', { _csrf: confirmPage.csrf, jeton: hiddenValue(confirmPage.html, 'jeton') });
    expect(again.status).toBe(410);
  });

  it('lists connected services; withdrawing access revokes the grant and its tokens, and consent is asked again', async () => {
    const email = 'services@example.org';
    const { id } = await createVerifiedAccount(identity, email);
    const browser = new Browser(identity.url);
    const start = await startAuthorization(rp, { scope: 'openid profile email' });
    const first = await logInAndConsent(browser, start.url, { email, password: STRONG_PASSWORD });
    expect(first.sawConsent).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(rp, first.callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const sub = tokens.claims()!.sub;
    await oidc.fetchUserInfo(rp, tokens.access_token, sub);

    const services = await page(browser, '/compte/services');
    expect(services.response.status).toBe(200);
    expect(services.html).toContain('<h2>Portail de la ville de Givors</h2>');
    expect(services.html).toContain('Service de <strong>Givors</strong>');
    expect(services.html).toContain('<strong>Votre identité</strong> (prénom, nom, nom d’usage, date de naissance, genre)');
    expect(services.html).toContain('<strong>Votre adresse électronique</strong>');
    expect(services.html).toMatch(/Accord donné le <time datetime="[^"]+">\d{1,2} \S+ \d{4}<\/time>/);
    expect(services.html).toContain('Retirer l’accès');

    const withdrawn = await browser.post('/compte/services/mairie-givors/retirer', { _csrf: services.csrf });
    expect(withdrawn.status).toBe(200);
    const after = await withdrawn.text();
    expect(after).toContain('L’accès de « Portail de la ville de Givors » à vos données est retiré.');
    expect(after).toContain('Aucun service n’a accès à vos données pour le moment.');
    expect((await db().getRepository(Consent).findOneByOrFail({ accountId: id, clientId: 'mairie-givors' })).revokedAt).toEqual(clock.now());

    // The relying party's refresh and access tokens are dead.
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rp, tokens.access_token, sub)).rejects.toThrow();

    // Next authorization in the same browser: no password (the session lives), but the consent screen again.
    const next = await logInAndConsent(browser, (await startAuthorization(rp, { scope: 'openid profile email' })).url, { email, password: STRONG_PASSWORD });
    expect(next.sawLogin).toBe(false);
    expect(next.sawConsent).toBe(true);

    // Withdrawing what is not (or no longer) granted is a 404.
    const services2 = await page(browser, '/compte/services');
    expect((await browser.post('/compte/services/inconnu/retirer', { _csrf: services2.csrf })).status).toBe(404);
  });

  it('refuses every form of the account area without its CSRF token', async () => {
    const email = 'csrf-compte@example.org';
    const { id } = await createVerifiedAccount(identity, email);
    const browser = await signedIn(email);
    const posts: [string, Record<string, string>][] = [
      ['/compte/connexion', { email, password: STRONG_PASSWORD }],
      ['/compte/profil', { givenName: 'Pirate' }],
      ['/compte/mot-de-passe', { currentPassword: STRONG_PASSWORD, newPassword: 'un mot de passe de pirate' }],
      ['/compte/adresse', { currentPassword: STRONG_PASSWORD, newEmail: 'pirate@example.org' }],
      ['/compte/adresse/confirmer', { jeton: 'x' }],
      ['/compte/services/mairie-givors/retirer', {}],
      ['/compte/franceconnect', {}],
      ['/compte/franceconnect/relier', {}],
      ['/compte/franceconnect/delier', { currentPassword: STRONG_PASSWORD }],
    ];
    for (const [path, form] of posts) {
      const response = await browser.post(path, form);
      expect([path, response.status]).toEqual([path, 403]);
    }
    // A valid token from another site's request (foreign Origin) is refused too.
    const { csrf } = await page(browser, '/compte');
    expect((await browser.post('/compte/profil', { _csrf: csrf, givenName: 'Pirate' }, { origin: 'https://attaquant.example' })).status).toBe(403);
    expect(await accounts().findOneByOrFail({ id })).toMatchObject({ givenName: 'Camille', email });
  });
});
