import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser as Chromium, Page } from 'playwright-core';
import * as oidc from 'openid-client';
import { launchBrowser, ManualClock, seriousAccessibilityViolations, startSmtpSink, startTestApp, type SmtpSink, type TestApp } from '#testing';
import { identityApp } from '../../apps/identity/identity.app.js';
import { workerApp } from '../../apps/worker/worker.app.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, relyingParty, startAuthorization } from './identity-support.js';

/**
 * A person in Chromium: registers, confirms the address with the link of the captured mail, then logs in to a
 * partner's site through the provider and consents. Every page is checked with axe-core.
 */
describe('identity pages in a real browser (Chromium)', () => {
  let chromium: Chromium;
  let sink: SmtpSink;
  let identity: TestApp;
  let worker: TestApp;
  let rp: oidc.Configuration;
  let partner: Server;
  let callbackUrl: string;

  beforeAll(async () => {
    // The partner site (a real local server: the browser really arrives on its callback).
    partner = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Givors</title><p>Connecté</p>'));
    await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(partner.address() as AddressInfo).port}/connexion/retour`;
    chromium = await launchBrowser();
    sink = await startSmtpSink();
    const clock = new ManualClock();
    identity = await startTestApp(identityApp, { clock });
    worker = await startTestApp(workerApp, { clock, database: identity.database, env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
    const { secret } = await createClient(identity, { redirectUris: [callbackUrl], postLogoutRedirectUris: [] });
    rp = await relyingParty(identity, 'mairie-givors', secret);
  });
  afterAll(async () => {
    await chromium?.close();
    await worker?.close();
    await identity?.close();
    await sink?.close();
    await new Promise((resolve) => partner?.close(resolve));
  });

  async function accessible(page: Page) {
    expect({ url: page.url(), violations: await seriousAccessibilityViolations(page) }).toEqual({ url: page.url(), violations: [] });
  }

  it('registers, verifies by the mailed link, logs in to a partner site and consents, with no serious axe violation', async () => {
    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const email = 'navigatrice@example.org';
    const password = 'mon vélo est rouge et vert';

    await page.goto(`${identity.url}/inscription`);
    expect(await page.title()).toBe('Créer votre compte — Compte territorial');
    await accessible(page);
    // A mistake first: the error summary and the field message are announced and linked.
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill('trop court');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await expect(page.locator('.error-summary a[href="#password"]').innerText()).resolves.toContain('au moins 12 caractères');
    expect(await page.getByLabel('Mot de passe').getAttribute('aria-invalid')).toBe('true');
    await accessible(page);
    await page.getByLabel('Mot de passe').fill(password);
    await page.getByLabel('Prénom (facultatif)').fill('Léa');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    expect(await page.locator('h1').innerText()).toBe('Vérifiez votre messagerie');

    const mail = await sink.waitFor((m) => m.to.includes(email), 15_000);
    const link = /(http:\/\/\S+jeton=\S+)/.exec(mail.text)![1]!;
    await page.goto(link);
    await accessible(page);
    await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();
    expect(await page.locator('h1').innerText()).toBe('Adresse confirmée');

    // The login and consent pages, checked with axe (this context bypasses the CSP so axe can be injected).
    const check = await startAuthorization(rp, { scope: 'openid phone', redirect_uri: callbackUrl });
    await page.goto(check.url.toString());
    expect(await page.locator('h1').innerText()).toBe('Se connecter');
    await accessible(page);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill(password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    expect(await page.locator('h1').innerText()).toBe('Autoriser la transmission de vos données');
    await accessible(page);

    // The real flow in a context that enforces the CSP: the forms' redirect chains must reach the partner's site.
    const strict = await chromium.newContext();
    const person = await strict.newPage();
    const start = await startAuthorization(rp, { scope: 'openid profile email', redirect_uri: callbackUrl });
    await person.goto(start.url.toString());
    await person.getByLabel('Adresse électronique').fill(email);
    await person.getByLabel('Mot de passe').fill(password);
    await person.getByRole('button', { name: 'Se connecter' }).click();
    expect(await person.locator('h1').innerText()).toBe('Autoriser la transmission de vos données');
    expect(await person.locator('main').innerText()).toContain('Portail de la ville de Givors');
    await Promise.all([person.waitForURL(`${callbackUrl}?**`), person.getByRole('button', { name: 'Accepter et continuer' }).click()]);
    expect(await person.locator('p').innerText()).toBe('Connecté');
    const callback = new URL(person.url());
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toEqual(expect.objectContaining({ email, email_verified: true, given_name: 'Léa' }));
    await strict.close();
    await context.close();
  });
});
