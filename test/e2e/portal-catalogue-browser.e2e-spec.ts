import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { seedDemoCatalogue } from '#teleservices';
import { seedDemo } from '#territory';
import { launchBrowser, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { portalApp } from '../../apps/portal/portal.app.js';

/** The catalogue in Chromium: keyboard-only search, accessibility (axe-core), 360 px wide screens. */
describe('portal catalogue in a real browser', () => {
  let browser: Browser;
  let portal: TestApp;

  beforeAll(async () => {
    browser = await launchBrowser();
    portal = await startTestApp(portalApp);
    const dataSource = portal.app.get(DataSource);
    await seedDemo(dataSource, portal.clock);
    await seedDemoCatalogue(dataSource, portal.clock);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  const noHorizontalScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

  it('searches « dechetterie » with the keyboard only, opens the result and sees who provides it', async () => {
    const page = await browser.newPage();
    await page.goto(`${portal.url}/`);
    // Tab until the search field has the focus.
    for (let i = 0; i < 30 && (await page.evaluate(() => document.activeElement?.id)) !== 'q'; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('search');
    await page.keyboard.type('dechetterie');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\?q=dechetterie/);
    expect(await page.title()).toBe('« dechetterie » : 1 démarche trouvée — Démarches — Guichet numérique de la Métropole');
    const result = page.locator('.catalogue-result').first();
    expect(await result.locator('h3').innerText()).toBe('Pass déchetterie');
    expect(await result.locator('.provider').innerText()).toBe('Proposé par la commune de Saint-Genis-Laval');
    expect(await result.locator('.provider').isVisible()).toBe(true);
    // Tab to the result's link and follow it with Enter.
    for (let i = 0; i < 80 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Pass déchetterie'; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/demarches\/saint-genis-laval\/pass-decheterie$/);
    expect(await page.title()).toBe('Pass déchetterie — Démarches — Guichet numérique de la Métropole');
    expect(await page.locator('main .provider').innerText()).toBe('Proposé par la commune de Saint-Genis-Laval');
    expect(await page.getByRole('link', { name: 'Commencer la démarche' }).count()).toBe(1);
    await page.close();
  });

  it('has no serious or critical axe-core violation and no horizontal scroll at 360 px', async () => {
    for (const path of ['/', '/?q=dechetterie', '/?q=xylophone', '/demarches/saint-genis-laval/pass-decheterie', '/demarches/metropole-de-lyon/signalement-anomalie', '/demarches/givors/acte-etat-civil/formulaire', '/demarches/givors/inconnue']) {
      for (const width of [1280, 360]) {
        const page = await browser.newPage({ bypassCSP: true, viewport: { width, height: 800 } });
        await page.goto(`${portal.url}${path}`);
        expect({ path, width, violations: await seriousAccessibilityViolations(page) }).toEqual({ path, width, violations: [] });
        expect({ path, width, fits: await noHorizontalScroll(page) }).toEqual({ path, width, fits: true });
        await page.close();
      }
    }
    // Fourteen pages, each checked by axe-core: a longer budget than the default 30 s, as the other browser suites have.
  }, 120_000);
});
