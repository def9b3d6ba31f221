import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser as Chromium, Page } from 'playwright-core';
import { launchBrowser, ManualClock, seriousAccessibilityViolations, startSmtpSink, startTestApp, type SmtpSink, type TestApp } from '#testing';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { workerApp } from '../../apps/worker/worker.app.js';
import { seedClients } from './portal-login-support.js';

/**
 * A person in Chromium (CSP enforced): registers on the territorial account, confirms the address with the
 * link of the captured mail, logs into the portal and sees their name in the header, then logs out. The pages
 * involved on the portal and the back office are checked with axe-core, on a desktop and a 360 px screen.
 */
describe('portal login in a real browser (Chromium)', () => {
  let chromium: Chromium;
  let sink: SmtpSink;
  let identity: TestApp;
  let worker: TestApp;
  let portal: TestApp;
  let backoffice: TestApp;

  beforeAll(async () => {
    chromium = await launchBrowser();
    sink = await startSmtpSink();
    const clock = new ManualClock();
    identity = await startTestApp(identityApp, { clock });
    worker = await startTestApp(workerApp, { clock, database: identity.database, env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
    portal = await startTestApp(portalApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: portal.url, backoffice: backoffice.url });
  });
  afterAll(async () => {
    await chromium?.close();
    for (const app of [backoffice, portal, worker, identity]) await app?.close();
    await sink?.close();
  });

  async function accessible(page: Page) {
    expect({ url: page.url(), violations: await seriousAccessibilityViolations(page) }).toEqual({ url: page.url(), violations: [] });
  }

  it('registers, verifies by the mailed link, logs into the portal and sees the name in the header, then logs out', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const email = 'lea.navigatrice@example.org';
    const password = 'mon vélo est rouge et vert';

    await page.goto(`${identity.url}/inscription`);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill(password);
    await page.getByLabel('Prénom (facultatif)').fill('Léa');
    await page.getByLabel('Nom (facultatif)', { exact: true }).fill('Navigatrice');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    expect(await page.locator('h1').innerText()).toBe('Vérifiez votre messagerie');
    const mail = await sink.waitFor((m) => m.to.includes(email), 15_000);
    await page.goto(/(http:\/\/\S+jeton=\S+)/.exec(mail.text)![1]!);
    await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();
    expect(await page.locator('h1').innerText()).toBe('Adresse confirmée');

    await page.goto(`${portal.url}/`);
    const header = page.locator('header[role="banner"]');
    await header.getByRole('link', { name: 'Se connecter' }).click();
    expect(page.url().startsWith(`${identity.url}/interaction/`)).toBe(true);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill(password);
    await Promise.all([page.waitForURL(`${portal.url}/`), page.getByRole('button', { name: 'Se connecter' }).click()]);
    await expect(header.innerText()).resolves.toContain('Léa Navigatrice');
    expect(await header.getByRole('link', { name: 'Mon compte' }).getAttribute('href')).toBe(`${identity.url}/compte`);
    expect(await header.getByRole('button', { name: 'Se déconnecter' }).count()).toBe(1);

    // Accessibility of the logged-in portal home (axe needs a context without CSP: same cookies).
    const audit = await chromium.newContext({ bypassCSP: true });
    await audit.addCookies(await context.cookies());
    for (const viewport of [{ width: 1280, height: 800 }, { width: 360, height: 740 }]) {
      const auditPage = await audit.newPage();
      await auditPage.setViewportSize(viewport);
      await auditPage.goto(`${portal.url}/`);
      expect(await auditPage.locator('header').innerText()).toContain('Léa Navigatrice');
      await accessible(auditPage);
      // Nothing overflows sideways on a small screen.
      expect(await auditPage.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await auditPage.close();
    }

    // The back office: the landing page, then the refusal of an account without an agent role.
    const agentPage = await audit.newPage();
    await agentPage.goto(`${backoffice.url}/`);
    await accessible(agentPage);
    await agentPage.getByRole('link', { name: 'Se connecter avec le compte territorial' }).click();
    await agentPage.waitForURL(`${backoffice.url}/tableau-de-bord`);
    expect(await agentPage.locator('main').innerText()).toContain('Votre compte n’a pas d’accès agent');
    await accessible(agentPage);
    await audit.close();

    // Logout, through the provider's confirmation, back to the portal (the CSP lets the form's redirect go there).
    await header.getByRole('button', { name: 'Se déconnecter' }).click();
    expect(await page.locator('h1').innerText()).toBe('Se déconnecter');
    await Promise.all([page.waitForURL(`${portal.url}/`), page.getByRole('button', { name: 'Me déconnecter' }).click()]);
    expect(await header.getByRole('link', { name: 'Se connecter' }).count()).toBe(1);
    expect(await header.innerText()).not.toContain('Léa Navigatrice');
    await context.close();
  });
});
