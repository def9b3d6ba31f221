import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchBrowser, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { portalApp } from '../../apps/portal/portal.app.js';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';

describe('pages in a real browser (Chromium)', () => {
  let browser: Browser;
  const apps: TestApp[] = [];
  let portal: TestApp;

  beforeAll(async () => {
    browser = await launchBrowser();
    portal = await startTestApp(portalApp);
    apps.push(portal, await startTestApp(backofficeApp, { database: portal.database }), await startTestApp(identityApp, { database: portal.database }));
  });
  afterAll(async () => {
    await browser?.close();
    for (const app of apps.reverse()) await app.close();
  });

  it('portal home: French title, landmarks, and a skip link reached first with the keyboard', async () => {
    const page = await browser.newPage();
    await page.goto(`${portal.url}/`);
    expect(await page.title()).toBe('Accueil — Guichet numérique de la Métropole');
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await page.locator('header[role="banner"]').count()).toBe(1);
    expect(await page.locator('nav[aria-label="Navigation principale"]').count()).toBe(1);
    expect(await page.locator('main#contenu').count()).toBe(1);
    expect(await page.locator('footer[role="contentinfo"]').count()).toBe(1);
    expect(await page.locator('h1').innerText()).toBe('Vos démarches en ligne');

    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({ text: document.activeElement?.textContent, href: document.activeElement?.getAttribute('href') }));
    expect(focused).toEqual({ text: 'Aller au contenu', href: '#contenu' });
    // The skip link is visible when focused (not only to screen readers).
    const box = await page.locator('.skip-link').boundingBox();
    expect(box && box.y >= 0).toBe(true);
    await page.keyboard.press('Enter');
    expect(page.url()).toBe(`${portal.url}/#contenu`);
    await page.close();
  });

  it('has no serious or critical axe-core violation on the home pages and the error page', async () => {
    for (const url of [`${apps[0].url}/`, `${apps[1].url}/`, `${apps[2].url}/`, `${portal.url}/page-inconnue`]) {
      const page = await browser.newPage({ bypassCSP: true });
      await page.goto(url);
      expect({ url, violations: await seriousAccessibilityViolations(page) }).toEqual({ url, violations: [] });
      await page.close();
    }
  });

  it('loads the shared stylesheet from the static assets', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${portal.url}/assets/parvis.css`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/text\/css/);
    await page.close();
  });
});
