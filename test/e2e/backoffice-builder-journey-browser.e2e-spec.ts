import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser as Chromium, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail } from '#agents';
import { fromRoot, ManualClock } from '#core';
import { seedDemo } from '#territory';
import { launchBrowser, startTestApp, type TestApp } from '#testing';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { createVerifiedAccount, STRONG_PASSWORD } from './identity-support.js';
import { seedClients } from './portal-login-support.js';

const SCREENSHOTS = fromRoot('test-artifacts', 'screenshots');
const ADMIN = 'dominique.admin@givors.test';
const AGENT = 'lou.instructeur@givors.test';

/**
 * The builder's whole journey in Chromium (issue 7, docs/builder.md), across three real apps on one database:
 * a Givors administrator logs into the back office, builds a small téléservice (one page, two fields, the default
 * workflow), publishes it on the test instance and promotes it to production; a citizen finds it on the portal,
 * sends it without an account and gets a receipt with a tracking code; an agent of Givors finds the demand in
 * the inbox. Only what a person sees and presses; every step waits for the page it leads to.
 */
describe('the builder journey, from the back office to the portal and back, in a real browser', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let portal: TestApp;
  let chromium: Chromium;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    portal = await startTestApp(portalApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: portal.url, backoffice: backoffice.url });
    const db = backoffice.app.get(DataSource);
    await seedDemo(db, backoffice.clock);
    const roles = backoffice.app.get(AgentRoleService);
    for (const [email, role] of [
      [ADMIN, 'administrator'],
      [AGENT, 'agent'],
    ] as const) {
      await createVerifiedAccount(identity, email, STRONG_PASSWORD, { givenName: 'Personne', familyName: 'Givors' });
      const { sub } = await backofficeSubjectForEmail(db, backoffice.config, backoffice.clock, email);
      await roles.grant({ accountSub: sub, accountEmail: email, collectivity: 'givors', role });
    }
    chromium = await launchBrowser();
  });
  afterAll(async () => {
    await chromium?.close();
    await portal?.close();
    await backoffice?.close();
    await identity?.close();
  });

  /** Logs into the back office from its login route and lands on `returnTo`. */
  async function logIntoBackoffice(page: Page, email: string, returnTo: string) {
    await page.goto(`${backoffice.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
    await Promise.all([page.waitForURL(`${backoffice.url}${returnTo}`), page.getByRole('button', { name: 'Se connecter' }).click()]);
  }

  /** Adds a field of `type` (its value in the list of types) to the first page and saves its identifier, label and « required ». */
  async function addField(page: Page, base: string, type: string, id: string, label: string) {
    await Promise.all([page.waitForURL(`${backoffice.url}${base}/pages/0`), page.getByRole('link', { name: 'Vos informations' }).click()]);
    await page.getByLabel('Type du nouveau champ').selectOption(type);
    await Promise.all([page.waitForURL(/\/champs\/0-\d+\?fait=ajoute$/), page.getByRole('button', { name: 'Ajouter le champ' }).click()]);
    await page.getByLabel('Identifiant', { exact: true }).fill(id);
    await page.getByLabel('Libellé', { exact: true }).fill(label);
    await page.getByLabel('Réponse obligatoire').check();
    await Promise.all([page.waitForURL(/fait=enregistre/), page.getByRole('button', { name: 'Enregistrer le champ' }).click()]);
    expect(await page.locator('.error-summary').count()).toBe(0);
    await Promise.all([page.waitForURL(`${backoffice.url}${base}`), page.getByRole('link', { name: 'Inscription au vide-grenier' }).first().click()]);
  }

  it('builds, publishes and promotes a téléservice; a citizen sends it on the portal; the agent finds it in the inbox', async () => {
    // 1. The administrator builds the téléservice in the back office.
    const builder = await chromium.newContext();
    const page = await builder.newPage();
    await logIntoBackoffice(page, ADMIN, '/teleservices');
    await page.getByLabel('Instance').selectOption({ label: 'Givors — Test (givors-test)' });
    await page.getByLabel('Titre').fill('Inscription au vide-grenier');
    await page.getByLabel('Identifiant (adresse web)').fill('vide-grenier');
    await page.getByLabel('Résumé').fill('Réserver un emplacement au vide-grenier de printemps');
    await page.getByLabel('Demande possible sans compte (anonyme)').check();
    await Promise.all([page.waitForURL(/\/teleservices\/[0-9a-f-]{36}\?fait=cree$/), page.getByRole('button', { name: 'Créer le téléservice' }).click()]);
    const base = new URL(page.url()).pathname;
    await addField(page, base, 'text', 'nom_exposant', 'Nom de l’exposant');
    await addField(page, base, 'email', 'courriel', 'Courriel pour vous répondre');

    // 2. Published on the test instance, then promoted to production (the default workflow kept).
    await Promise.all([page.waitForURL(/fait=publie$/), page.getByRole('button', { name: /Publier le brouillon/ }).click()]);
    expect(await page.getByRole('status').innerText()).toContain('Le brouillon a été publié.');
    await Promise.all([page.waitForURL(/fait=promu$/), page.getByRole('button', { name: 'Promouvoir en production' }).click()]);
    expect(await page.getByRole('status').innerText()).toContain('publiée en production');
    await page.screenshot({ path: `${SCREENSHOTS}/builder-journey-promu.png`, fullPage: true });
    await builder.close();

    // 3. A citizen finds it on the portal and sends it without an account.
    const citizen = await chromium.newContext();
    const portalPage = await citizen.newPage();
    await portalPage.goto(`${portal.url}/demarches/givors/vide-grenier`);
    expect(await portalPage.locator('h1').innerText()).toBe('Inscription au vide-grenier');
    await portalPage.goto(`${portal.url}/demarches/givors/vide-grenier/formulaire`);
    await portalPage.waitForURL(/\/etape\/page_1$/);
    await portalPage.getByLabel(/^Nom de l’exposant/).fill('Camille Brocante');
    await portalPage.getByLabel(/^Courriel pour vous répondre/).fill('camille.brocante@example.org');
    await Promise.all([portalPage.waitForURL(/\/recapitulatif$/), portalPage.getByRole('button', { name: 'Continuer' }).click()]);
    expect(await portalPage.locator('main').innerText()).toContain('Camille Brocante');
    await Promise.all([portalPage.waitForURL(/\/recu$/), portalPage.getByRole('button', { name: 'Envoyer ma demande' }).click()]);
    expect(await portalPage.locator('h1').innerText()).toBe('Votre demande a bien été envoyée');
    const code = await portalPage.locator('[data-tracking-code]').innerText();
    expect(code).toMatch(/^[A-Z0-9]{3}(-[A-Z0-9]{3,4})+$/);
    await portalPage.screenshot({ path: `${SCREENSHOTS}/builder-journey-recu.png`, fullPage: true });
    await citizen.close();

    // 4. The agent of Givors finds the demand in the inbox and opens it.
    const office = await chromium.newContext();
    const agentPage = await office.newPage();
    await logIntoBackoffice(agentPage, AGENT, '/demandes');
    const compact = code.replace(/-/g, '');
    const link = agentPage.getByRole('link', { name: new RegExp(`^(${code}|${compact})$`) });
    expect(await link.count()).toBe(1);
    await Promise.all([agentPage.waitForURL(/\/demandes\/[0-9a-f-]{36}$/), link.click()]);
    const demand = await agentPage.locator('main').innerText();
    expect(demand).toContain('Inscription au vide-grenier');
    expect(demand).toContain('Camille Brocante');
    await office.close();
  }, 180_000);
});
