import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser as Chromium, Page } from 'playwright-core';
import { launchBrowser, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { startFranceConnectSimulator, type FranceConnectSimulator } from '../../apps/franceconnect-simulator/simulator.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createClient, createVerifiedAccount, relyingParty, startAuthorization, STRONG_PASSWORD } from './identity-support.js';

/**
 * The FranceConnect journey in Chromium, against the FranceConnect simulator: from a partner's site, « S’identifier
 * avec FranceConnect », pick an identity at the simulator, back to the territorial account, create the account,
 * and arrive logged in at the partner with a certified identity; then the account area's own login through
 * FranceConnect. One context enforces the CSP (the forms' redirect chains must reach FranceConnect and the
 * partner); another bypasses it so axe-core can check our pages.
 */
describe('FranceConnect in a real browser (Chromium, simulator)', () => {
  const FC_CLIENT_ID = 'parvis-identity-navigateur';
  const FC_CLIENT_SECRET = 'secret-du-client-franceconnect-navigateur';
  let chromium: Chromium;
  let simulator: FranceConnectSimulator;
  let identity: TestApp;
  let rp: oidc.Configuration;
  let partner: Server;
  let callbackUrl: string;

  beforeAll(async () => {
    partner = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Givors</title><p>Connecté</p>'));
    await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(partner.address() as AddressInfo).port}/connexion/retour`;
    chromium = await launchBrowser();
    simulator = await startFranceConnectSimulator({ port: 0 });
    identity = await startTestApp(identityApp, {
      env: { FRANCECONNECT_ISSUER: simulator.issuer, FRANCECONNECT_CLIENT_ID: FC_CLIENT_ID, FRANCECONNECT_CLIENT_SECRET: FC_CLIENT_SECRET },
    });
    simulator.registerClient({
      clientId: FC_CLIENT_ID,
      clientSecret: FC_CLIENT_SECRET,
      redirectUris: [`${identity.url}/franceconnect/retour`],
      postLogoutRedirectUris: [`${identity.url}/franceconnect/deconnexion`],
    });
    const { secret } = await createClient(identity, { redirectUris: [callbackUrl], postLogoutRedirectUris: [], consentRequired: false });
    rp = await relyingParty(identity, 'mairie-givors', secret);
  });
  afterAll(async () => {
    await chromium?.close();
    await identity?.close();
    await simulator?.stop();
    await new Promise((resolve) => partner?.close(resolve));
  });

  async function accessible(page: Page) {
    expect({ url: page.url(), violations: await seriousAccessibilityViolations(page) }).toEqual({ url: page.url(), violations: [] });
  }

  const franceConnectButton = (page: Page) => page.getByRole('button', { name: /S’identifier avec\s*FranceConnect/ });

  it('from a partner’s site: FranceConnect, the simulator, back, account created, logged in at the partner with acr eidas1', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const start = await startAuthorization(rp, { scope: 'openid profile certification', redirect_uri: callbackUrl });
    await page.goto(start.url.toString());
    expect(await page.locator('h1').innerText()).toBe('Se connecter');
    await expect(page.getByRole('link', { name: 'Qu’est-ce que FranceConnect ?' }).getAttribute('href')).resolves.toBe('https://franceconnect.gouv.fr/');
    // The official button: FranceConnect's logo (the DSFR "fr-connect" SVG) before the two lines, on the State's dark blue.
    const buttonLook = await franceConnectButton(page).evaluate((button) => ({
      logo: getComputedStyle(button, '::before').backgroundImage,
      background: getComputedStyle(button).backgroundColor,
    }));
    expect(buttonLook.logo).toContain('data:image/svg+xml');
    expect(buttonLook.background).toBe('rgb(0, 0, 145)');

    await franceConnectButton(page).click();
    await page.waitForURL(`${simulator.origin}/**`);
    expect(await page.locator('h1').innerText()).toBe('Choisissez une identité de test');
    await page.getByRole('button', { name: 'Angela Claire Louise Dubois' }).click();
    await page.waitForURL(`${identity.url}/franceconnect/premiere-connexion`);
    expect(await page.locator('h1').innerText()).toBe('Première connexion avec FranceConnect');
    expect(await page.locator('main').innerText()).toContain('Angela Claire Louise Dubois');

    await Promise.all([page.waitForURL(`${callbackUrl}?**`), page.getByRole('button', { name: 'Créer mon compte territorial' }).click()]);
    expect(await page.locator('p').innerText()).toBe('Connecté');
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(tokens.claims()!.acr).toBe('eidas1');
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ given_name: 'Angela Claire Louise', family_name: 'Dubois', certification_level: 'eidas1' });

    // « Mon compte » in the same browser: the single sign-on session, the certified identity read-only.
    await page.goto(`${identity.url}/compte`);
    expect(await page.locator('main').innerText()).toContain('Votre identité est certifiée par FranceConnect');
    expect(await page.getByLabel('Prénom').isDisabled()).toBe(true);
    await context.close();
  });

  it('the account area’s login page offers FranceConnect first; the journey ends on « Mon compte », with no serious axe violation', async () => {
    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${identity.url}/compte/connexion`);
    expect(await page.locator('h1').innerText()).toBe('Se connecter à votre compte');
    await accessible(page);
    await franceConnectButton(page).click();
    await page.waitForURL(`${simulator.origin}/**`);
    await page.getByRole('button', { name: 'Pierre Mercier' }).click();
    await page.waitForURL(`${identity.url}/franceconnect/premiere-connexion`);
    await accessible(page);
    await page.getByRole('button', { name: 'Créer mon compte territorial' }).click();
    await page.waitForURL(`${identity.url}/compte`);
    expect(await page.locator('h1').innerText()).toBe('Mon compte');
    expect(await page.locator('main').innerText()).toContain('Votre identité est certifiée par FranceConnect');
    expect(await page.getByLabel('Nom de naissance').inputValue()).toBe('Mercier');
    await accessible(page);
    await page.getByRole('link', { name: 'FranceConnect', exact: true }).click();
    expect(await page.locator('h1').innerText()).toBe('FranceConnect');
    expect(await page.locator('main').innerText()).toContain('Votre compte est relié à FranceConnect');
    await accessible(page);
    await page.getByRole('link', { name: 'Mes données', exact: true }).click();
    expect(await page.locator('h1').innerText()).toBe('Mes données');
    await accessible(page);
    await context.close();
  });
  it('steps up a password session to FranceConnect when the partner demands eidas1, with no serious axe violation', async () => {
    const email = 'lucas.local@example.org';
    await createVerifiedAccount(identity, email);
    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const first = await startAuthorization(rp, { scope: 'openid', redirect_uri: callbackUrl });
    await page.goto(first.url.toString());
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
    await Promise.all([page.waitForURL(`${callbackUrl}?**`), page.getByRole('button', { name: 'Se connecter' }).click()]);

    const start = await startAuthorization(rp, { scope: 'openid', redirect_uri: callbackUrl, acr_values: 'eidas1' });
    await page.goto(start.url.toString());
    expect(await page.locator('main').innerText()).toContain('Ce service demande une identité certifiée par l’État.');
    expect(await page.getByLabel('Mot de passe').count()).toBe(0);
    await accessible(page);
    await franceConnectButton(page).click();
    await page.waitForURL(`${simulator.origin}/**`);
    await page.getByRole('button', { name: 'Lucas Schmidt' }).click();
    await page.waitForURL(`${identity.url}/franceconnect/premiere-connexion`);
    expect(await page.locator('main').innerText()).toContain(`Relier FranceConnect à votre compte ${email}`);
    await accessible(page);
    await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
    await Promise.all([page.waitForURL(`${callbackUrl}?**`), page.getByRole('button', { name: 'Relier mon compte à FranceConnect' }).click()]);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(tokens.claims()!.acr).toBe('eidas1');
    await context.close();
  });
});
