import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { Account, LoginThrottle, type ThrottleKey } from '#accounts';
import { ManualClock, startSmtpSink, startTestApp, type CapturedMail, type SmtpSink, type TestApp } from '#testing';
import { identityApp } from '../../apps/identity/identity.app.js';
import { workerApp } from '../../apps/worker/worker.app.js';
import {
  Browser,
  createClient,
  createVerifiedAccount,
  formAction,
  hiddenValue,
  logInAndConsent,
  relyingParty,
  RP_CALLBACK,
  startAuthorization,
  STRONG_PASSWORD,
} from './identity-support.js';

/**
 * Account pages of the identity app, with the worker delivering the outbox's mails to a real SMTP sink:
 * registration and email verification, password reset (single use, expiry), throttling, no enumeration,
 * CSRF protection.
 */
describe('identity: accounts (registration, verification, reset, throttling)', () => {
  let sink: SmtpSink;
  let identity: TestApp;
  let worker: TestApp;
  let rp: oidc.Configuration;
  let clock: ManualClock;

  beforeAll(async () => {
    sink = await startSmtpSink();
    clock = new ManualClock();
    identity = await startTestApp(identityApp, { clock });
    worker = await startTestApp(workerApp, { clock, database: identity.database, env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
    const { secret } = await createClient(identity, { clientId: 'parvis-portal', consentRequired: false, name: 'Guichet numérique' });
    rp = await relyingParty(identity, 'parvis-portal', secret);
  });
  afterAll(async () => {
    await worker?.close();
    await identity?.close();
    await sink?.close();
  });

  const mailTo = (to: string, subject: string): Promise<CapturedMail> => sink.waitFor((m) => m.to.includes(to) && m.subject === subject, 15_000);
  const linkIn = (mail: CapturedMail) => /(http:\/\/\S+jeton=\S+)/.exec(mail.text)![1]!;
  const accounts = () => identity.app.get(DataSource).getRepository(Account);

  /** Opens a page and returns the browser, the HTML and its CSRF token. */
  async function page(path: string, browser = new Browser(identity.url)) {
    const response = await browser.get(path);
    const html = await response.text();
    return { browser, response, html, csrf: html.includes('name="_csrf"') ? hiddenValue(html, '_csrf') : '' };
  }

  async function register(email: string, password = STRONG_PASSWORD, extra: Record<string, string> = {}) {
    const { browser, csrf } = await page('/inscription');
    const response = await browser.post('/inscription', { _csrf: csrf, email, password, ...extra });
    return { status: response.status, html: await response.text() };
  }

  /** Starts an authorization and returns the login page of its interaction. */
  async function loginPage() {
    const browser = new Browser(identity.url);
    const start = await startAuthorization(rp);
    const { response, url } = await browser.follow(start.url.toString());
    const html = await response.text();
    return { browser, start, url, html, csrf: hiddenValue(html, '_csrf'), action: formAction(html, '/login') };
  }

  async function attemptLogin(email: string, password: string) {
    const login = await loginPage();
    const started = performance.now();
    const response = await login.browser.post(login.action, { _csrf: login.csrf, email, password });
    const ms = performance.now() - started;
    const html = response.status === 303 ? '' : await response.text();
    return { status: response.status, html: html.replaceAll(login.action.replace('/login', ''), 'INTERACTION').replaceAll(login.csrf, 'CSRF'), location: response.headers.get('location'), ms };
  }

  it('registers, sends the verification link by mail, confirms the address, then lets the person log in', async () => {
    const email = 'nouvelle.usagere@example.org';
    const registered = await register(email, STRONG_PASSWORD, { givenName: 'Inès', familyName: 'Durand' });
    expect(registered.status).toBe(200);
    expect(registered.html).toContain('<h1>Vérifiez votre messagerie</h1>');
    const account = await accounts().findOneByOrFail({ email });
    expect(account.emailVerifiedAt).toBeNull();
    expect(account.passwordHash).toMatch(/^\$argon2id\$/);
    expect(account.givenName).toBe('Inès');

    // Not verified yet: the right password is not enough.
    const early = await attemptLogin(email, STRONG_PASSWORD);
    expect(early.status).toBe(403);
    expect(early.html).toContain('n’est pas encore confirmée');

    const mail = await mailTo(email, 'Confirmez votre adresse électronique');
    const link = linkIn(mail);
    expect(link.startsWith(`${identity.url}/inscription/confirmer?jeton=`)).toBe(true);
    const confirmPage = await page(link);
    expect(confirmPage.response.status).toBe(200);
    const confirmed = await confirmPage.browser.post('/inscription/confirmer', { _csrf: confirmPage.csrf, jeton: hiddenValue(confirmPage.html, 'jeton') });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('<h1>Adresse confirmée</h1>');
    expect((await accounts().findOneByOrFail({ email })).emailVerifiedAt).toEqual(clock.now());

    // The link is single-use.
    const reused = await confirmPage.browser.post('/inscription/confirmer', { _csrf: confirmPage.csrf, jeton: hiddenValue(confirmPage.html, 'jeton') });
    expect(reused.status).toBe(410);

    const browser = new Browser(identity.url);
    const start = await startAuthorization(rp);
    const { callback, sawConsent } = await logInAndConsent(browser, start.url, { email, password: STRONG_PASSWORD });
    expect(sawConsent).toBe(false); // the platform's own client needs no consent screen
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(tokens.claims()!.acr).toBe('urn:parvis:acr:local');
    expect(callback.toString().startsWith(RP_CALLBACK)).toBe(true);
  });

  it('refuses a short or common password with accessible errors (summary linked to the field), and creates nothing', async () => {
    for (const [password, expected] of [
      ['court', 'au moins 12 caractères'],
      ['Azertyuiop123', 'trop courant'],
      ['password1234', 'trop courant'],
    ] as const) {
      const { status, html } = await register('faible@example.org', password);
      expect(status).toBe(422);
      expect(html).toContain('<h2 id="erreurs-titre">Il y a un problème</h2>');
      expect(html).toContain('<a href="#password">');
      expect(html).toContain(expected);
      expect(html).toMatch(/id="password"[^>]*aria-invalid="true"[^>]*aria-describedby="password-aide password-erreur"/);
      expect(html).toContain('id="password-erreur"');
      expect(html).toContain('value="faible@example.org"');
      expect(html).not.toContain(password === 'court' ? 'value="court"' : `value="${password}"`);
    }
    expect(await accounts().countBy({ email: 'faible@example.org' })).toBe(0);
  });

  it('answers a registration with a known address exactly like one with a new address, and warns the owner by mail', async () => {
    await createVerifiedAccount(identity, 'deja.inscrite@example.org');
    const known = await register('deja.inscrite@example.org');
    const unknown = await register('toute.nouvelle@example.org');
    expect(known.status).toBe(unknown.status);
    expect(known.html).toBe(unknown.html);
    await mailTo('deja.inscrite@example.org', 'Tentative d’inscription avec votre adresse');
    await mailTo('toute.nouvelle@example.org', 'Confirmez votre adresse électronique');
  });

  it('answers a failed login the same way for a known and an unknown address, after similar work', async () => {
    await createVerifiedAccount(identity, 'connue@example.org');
    const known = await attemptLogin('connue@example.org', 'mauvais mot de passe !');
    const unknown = await attemptLogin('inconnue@example.org', 'mauvais mot de passe !');
    expect(known.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(known.html.replaceAll('connue@example.org', 'EMAIL')).toBe(unknown.html.replaceAll('inconnue@example.org', 'EMAIL'));
    expect(known.html).toContain('Adresse électronique ou mot de passe incorrect.');
    // An argon2 verification runs in both cases (a dummy hash for the unknown address).
    expect(unknown.ms).toBeGreaterThan(known.ms / 4);
  });

  it('resets a password with a single-use link, answering the same for unknown addresses', async () => {
    const email = 'oubli@example.org';
    await createVerifiedAccount(identity, email);
    const ask = async (address: string) => {
      const { browser, csrf } = await page('/mot-de-passe/oubli');
      const response = await browser.post('/mot-de-passe/oubli', { _csrf: csrf, email: address });
      return { status: response.status, html: await response.text() };
    };
    const known = await ask(email);
    const unknown = await ask('personne@example.org');
    expect(known).toEqual(unknown);
    expect(known.status).toBe(200);

    const link = linkIn(await mailTo(email, 'Choisissez un nouveau mot de passe'));
    const form = await page(link);
    expect(form.response.status).toBe(200);
    const newPassword = 'un tout nouveau mot de passe';
    const done = await form.browser.post('/mot-de-passe/nouveau', { _csrf: form.csrf, jeton: hiddenValue(form.html, 'jeton'), password: newPassword });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('<h1>Mot de passe changé</h1>');
    await mailTo(email, 'Votre mot de passe a été changé');

    // Single use: the same link again is refused, and the password stays the new one.
    const again = await form.browser.post('/mot-de-passe/nouveau', { _csrf: form.csrf, jeton: hiddenValue(form.html, 'jeton'), password: 'encore un autre mot de passe' });
    expect(again.status).toBe(410);
    expect((await page(link)).response.status).toBe(410);
    expect((await attemptLogin(email, STRONG_PASSWORD)).status).toBe(401);
    expect((await attemptLogin(email, newPassword)).status).toBe(303);
    expect(sink.messages.filter((m) => m.to.includes('personne@example.org'))).toHaveLength(0);
  });

  it('refuses a reset link after its hour of validity', async () => {
    const email = 'lent@example.org';
    await createVerifiedAccount(identity, email);
    const { browser, csrf } = await page('/mot-de-passe/oubli');
    await browser.post('/mot-de-passe/oubli', { _csrf: csrf, email });
    const link = linkIn(await mailTo(email, 'Choisissez un nouveau mot de passe'));
    const form = await page(link);
    expect(form.response.status).toBe(200);
    clock.advance(61 * 60_000);
    const late = await form.browser.post('/mot-de-passe/nouveau', { _csrf: form.csrf, jeton: hiddenValue(form.html, 'jeton'), password: 'un mot de passe trop tardif' });
    expect(late.status).toBe(410);
    expect(await late.text()).toContain('il a déjà servi ou il a expiré');
    expect((await page(link)).response.status).toBe(410);
  });

  it('throttles repeated failures per account, known or not, with a short bounded delay', async () => {
    const email = 'cible@example.org';
    await createVerifiedAccount(identity, email);
    for (const address of [email, 'fantome@example.org']) {
      for (let i = 0; i < 6; i++) expect((await attemptLogin(address, `essai numéro ${i} raté`)).status).toBe(401);
      const blocked = await attemptLogin(address, STRONG_PASSWORD);
      expect(blocked.status).toBe(429);
      expect(blocked.html).toContain('Trop de tentatives : réessayez dans 1 minute.');
    }
    clock.advance(31_000);
    expect((await attemptLogin(email, STRONG_PASSWORD)).status).toBe(303);
  });

  it('never locks an account out for more than 15 minutes, however many failures', async () => {
    const throttle = identity.app.get(LoginThrottle);
    const keys: ThrottleKey[] = LoginThrottle.forLogin('assiegee@example.org', '203.0.113.7');
    for (let i = 0; i < 40; i++) await throttle.fail(keys);
    await expect(throttle.assertAllowed(keys)).rejects.toMatchObject({ kind: 'too_many', message: 'Trop de tentatives : réessayez dans 15 minutes.' });
    clock.advance(15 * 60_000 + 1_000);
    await expect(throttle.assertAllowed(keys)).resolves.toBeUndefined();
  });

  it('refuses every form without a valid CSRF token, or posted from another origin', async () => {
    const browser = new Browser(identity.url);
    await browser.get('/inscription');
    const missing = await browser.post('/inscription', { email: 'csrf@example.org', password: STRONG_PASSWORD });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('Le formulaire a expiré');
    const other = await page('/inscription'); // another browser's token
    expect((await browser.post('/inscription', { _csrf: other.csrf, email: 'csrf@example.org', password: STRONG_PASSWORD })).status).toBe(403);
    const own = await page('/inscription', browser);
    const foreign = await browser.post('/inscription', { _csrf: own.csrf, email: 'csrf@example.org', password: STRONG_PASSWORD }, { origin: 'https://attaquant.example' });
    expect(foreign.status).toBe(403);
    expect(await accounts().countBy({ email: 'csrf@example.org' })).toBe(0);

    const login = await loginPage();
    const noToken = await login.browser.post(login.action, { email: 'connue@example.org', password: STRONG_PASSWORD });
    expect(noToken.status).toBe(403);
    for (const path of ['/mot-de-passe/oubli', '/mot-de-passe/nouveau', '/inscription/confirmer']) {
      expect((await browser.post(path, { email: 'x@example.org', jeton: 'x', password: STRONG_PASSWORD })).status).toBe(403);
    }
  });
});
