import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser as Chromium, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail } from '#agents';
import { fromRoot } from '#core';
import { givenInstance, givenMembership, launchBrowser, ManualClock, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { TeleserviceRepository } from '#teleservices';
import { TEST_FORM, TEST_WORKFLOW } from '../../apps/engine/engine-test-fixture.js';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createVerifiedAccount, STRONG_PASSWORD } from './identity-support.js';
import { seedClients } from './portal-login-support.js';

const SCREENSHOTS = fromRoot('test-artifacts', 'screenshots');
const OPERATOR = 'operatrice@metropole.test';
const COLLEAGUE = 'collegue@givors.test';

/**
 * The administration pages in Chromium (docs/administration.md): a platform operator (also administrator of
 * Givors) logs in, invites nobody by mistake (error summary), refuses a pale colour, creates an identity client and
 * sees its secret; every administration page — forms, error states, confirmation pages — has no serious or
 * critical axe-core violation, fits a 360 px screen without horizontal scrolling, and is photographed.
 */
describe('back-office administration in a real browser', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let chromium: Chromium;
  let colleagueSub: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });
    const db = backoffice.app.get(DataSource);
    const roles = backoffice.app.get(AgentRoleService);
    await createVerifiedAccount(identity, OPERATOR, STRONG_PASSWORD, { givenName: 'Dominique', familyName: 'Opératrice' });
    const { sub } = await backofficeSubjectForEmail(db, backoffice.config, backoffice.clock, OPERATOR);
    await roles.grant({ accountSub: sub, accountEmail: OPERATOR, collectivity: 'metropole-de-lyon', role: 'platform' });
    await roles.grant({ accountSub: sub, accountEmail: OPERATOR, collectivity: 'givors', role: 'administrator' });
    colleagueSub = 'collegue-givors-sub';
    await roles.grant({ accountSub: colleagueSub, accountEmail: COLLEAGUE, collectivity: 'givors', role: 'agent' });
    await givenMembership(db, '69091', 'partenaire', '2025-01-01');
    const { instanceId, collectivityId } = await givenInstance(db, '69091', 'production');
    const teleservices = new TeleserviceRepository(db.manager);
    const now = new Date('2026-01-10T08:00:00Z');
    const teleservice = await teleservices.create({ instanceId, collectivityId, slug: 'cantine', kind: 'communal', title: 'Inscription à la cantine', summary: 'Cantine', anonymousAllowed: false, now });
    await teleservices.createDraft(collectivityId, teleservice.id, now, { form: TEST_FORM, workflow: TEST_WORKFLOW, dataSources: [] });
    await teleservices.publish(collectivityId, teleservice.id, { publishedBy: 'system', now });
    // A pack of the metropolis' catalogue, for the catalogue pages (Givors is Partenaire: it may deploy packs).
    const metropolis = await givenInstance(db, 'metropolis', 'production');
    const pack = await teleservices.create({ instanceId: metropolis.instanceId, collectivityId: metropolis.collectivityId, slug: 'pack-encombrants', kind: 'catalogue_pack', title: 'Enlèvement des encombrants', summary: 'Un pack du catalogue', anonymousAllowed: true, now });
    await teleservices.createDraft(metropolis.collectivityId, pack.id, now, { form: TEST_FORM, workflow: TEST_WORKFLOW, dataSources: [] });
    await teleservices.publish(metropolis.collectivityId, pack.id, { publishedBy: 'system', now });
    chromium = await launchBrowser();
  });
  afterAll(async () => {
    await chromium?.close();
    await backoffice?.close();
    await identity?.close();
  });

  const audit = async (page: Page, name: string) => {
    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 900 });
      expect({ name, width, violations: await seriousAccessibilityViolations(page) }).toEqual({ name, width, violations: [] });
      const wide = await page.evaluate(() =>
        document.documentElement.scrollWidth <= document.documentElement.clientWidth
          ? []
          : [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((e) => `${e.tagName}.${e.className}`).slice(0, 5),
      );
      expect({ name, width, wide }).toEqual({ name, width, wide: [] });
      await page.screenshot({ path: join(SCREENSHOTS, `backoffice-admin-${name}-${width}.png`), fullPage: true });
    }
  };

  it('logs in, uses the administration and platform pages; every page passes axe-core and fits 360 px', async () => {
    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${backoffice.url}/administration`);
    await page.getByRole('link', { name: 'Se connecter' }).first().click();
    await page.getByLabel('Adresse électronique').fill(OPERATOR);
    await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
    await Promise.all([page.waitForURL(`${backoffice.url}/administration`), page.getByRole('button', { name: 'Se connecter' }).click()]);
    expect(await page.locator('h1').innerText()).toBe('Administration');
    await audit(page, 'accueil');

    await page.getByRole('link', { name: 'Agents et rôles de Givors' }).click();
    expect(await page.locator('h1').innerText()).toBe('Agents et rôles — Givors');
    await audit(page, 'agents');
    await page.getByLabel('Adresse électronique de son compte territorial').fill('inconnu@example.org');
    await page.getByLabel('Agent', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Inviter' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.locator('.error-summary').innerText()).toContain('Choisissez au moins un rôle.');
    await audit(page, 'agents-erreur');
    await page.getByLabel('Agent', { exact: true }).check();
    await page.getByRole('button', { name: 'Inviter' }).click();
    await page.getByRole('heading', { name: 'Invitations en attente d’un compte' }).waitFor();
    await audit(page, 'agents-invitation');
    await page.getByRole('link', { name: 'Annuler l’invitation de inconnu@example.org' }).click();
    await audit(page, 'invitation-annulation');

    await page.goto(`${backoffice.url}/administration/givors/fonctions`);
    await audit(page, 'fonctions');
    await page.getByRole('link', { name: 'Inscription à la cantine' }).click();
    await page.getByLabel('À qui').selectOption({ label: COLLEAGUE });
    await page.getByRole('button', { name: 'Attribuer' }).click();
    await page.locator('.notice.success').waitFor();
    await audit(page, 'fonctions-teleservice');

    await page.goto(`${backoffice.url}/administration/givors/agents/${colleagueSub}`);
    expect(await page.locator('h1').innerText()).toBe(`Rôles de ${COLLEAGUE}`);
    await audit(page, 'agent');
    await page.getByRole('link', { name: 'Retirer tout accès' }).click();
    expect(await page.locator('h1').innerText()).toBe(`Retirer l’accès de ${COLLEAGUE} à Givors ?`);
    await audit(page, 'retrait-confirmation');

    await page.goto(`${backoffice.url}/administration/givors/identite`);
    await audit(page, 'identite');
    await page.getByLabel('Couleur d’accent').fill('#ffcc00');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.locator('.error-summary').innerText()).toContain('Contraste insuffisant avec le blanc');
    await audit(page, 'identite-erreur');

    await page.goto(`${backoffice.url}/plateforme`);
    expect(await page.locator('h1').innerText()).toBe('Exploitation de la plateforme');
    await audit(page, 'plateforme');
    await page.getByRole('link', { name: 'Givors', exact: true }).click();
    expect(await page.locator('h1').innerText()).toBe('Givors');
    await audit(page, 'collectivite');
    await page.getByLabel('Nouvelle offre').selectOption('abonne');
    await page.getByLabel('À partir du').fill('2026-07-01');
    await page.getByRole('button', { name: 'Changer l’offre' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.locator('.error-summary').innerText()).toContain('L’offre de Givors ne peut pas encore changer :');
    await audit(page, 'collectivite-blocage');
    await page.getByRole('link', { name: 'Décommissionner givors' }).click();
    expect(await page.locator('h1').innerText()).toBe('Décommissionner l’instance « givors » de Givors ?');
    await audit(page, 'decommission-confirmation');

    await page.goto(`${backoffice.url}/plateforme/collectivites/bron`);
    await page.getByLabel('Nouvelle offre').selectOption('abonne');
    await page.getByLabel('À partir du').fill('2026-07-01');
    await page.getByRole('button', { name: 'Changer l’offre' }).click();
    await page.locator('.notice').waitFor();
    await page.getByLabel('Nouvelle offre').selectOption('none');
    await page.getByLabel('À partir du').fill('2026-01-01');
    await page.getByRole('button', { name: 'Changer l’offre' }).click();
    await page.locator('.error-summary').waitFor();
    await audit(page, 'collectivite-erreur');

    await page.goto(`${backoffice.url}/plateforme/clients/nouveau`);
    await audit(page, 'client-nouveau');
    await page.getByLabel('Identifiant du client').fill('portail-givors');
    await page.getByLabel('Nom affiché aux usagers').fill('Portail de Givors');
    await page.getByLabel('Adresses de retour (redirect URIs)').fill('https://portail.givors.test/retour');
    await page.getByRole('button', { name: 'Créer le client' }).click();
    await page.getByLabel('Secret du client portail-givors').waitFor();
    expect((await page.getByLabel('Secret du client portail-givors').inputValue()).length).toBeGreaterThan(40);
    await audit(page, 'client-secret');
    await page.getByRole('link', { name: 'Retour au client' }).click();
    await audit(page, 'client');
    await page.getByRole('link', { name: 'Renouveler le secret' }).click();
    await audit(page, 'client-renouvellement');
    await page.goto(`${backoffice.url}/plateforme/clients`);
    await audit(page, 'clients');
    await context.close();
  }, 240_000);

  it('deploys a catalogue pack from the administration: the catalogue, the form, its errors and the result pass axe-core and fit 360 px', async () => {
    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${backoffice.url}/administration`);
    await page.getByRole('link', { name: 'Se connecter' }).first().click();
    await page.getByLabel('Adresse électronique').fill(OPERATOR);
    await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
    await Promise.all([page.waitForURL(`${backoffice.url}/administration`), page.getByRole('button', { name: 'Se connecter' }).click()]);
    await Promise.all([page.waitForURL(`${backoffice.url}/administration/givors/catalogue`), page.getByRole('link', { name: 'Catalogue de téléservices pour Givors' }).click()]);
    expect(await page.locator('h1').innerText()).toBe('Catalogue de téléservices — Givors');
    await audit(page, 'catalogue');
    await page.getByRole('link', { name: 'Déployer « Enlèvement des encombrants »' }).click();
    expect(await page.locator('h1').innerText()).toBe('Déployer le pack « Enlèvement des encombrants »');
    await audit(page, 'catalogue-pack');
    await page.getByLabel('Nom du service').fill('Service des encombrants');
    await page.getByLabel('Courriel').fill('pas-un-courriel@');
    await page.getByLabel('Courriel').evaluate((input: HTMLInputElement) => input.setAttribute('type', 'text')); // past the browser's own check: the server's answer is audited
    await page.getByRole('button', { name: 'Déployer sur l’instance de production' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.locator('.error-summary').innerText()).toContain('Courriel invalide.');
    await audit(page, 'catalogue-pack-erreur');
    await page.getByLabel('Courriel').fill('encombrants@givors.test');
    await Promise.all([page.waitForURL(`${backoffice.url}/administration/givors/catalogue?fait=deploye`), page.getByRole('button', { name: 'Déployer sur l’instance de production' }).click()]);
    expect(await page.locator('.notice.success').innerText()).toContain('Le pack a été déployé');
    await audit(page, 'catalogue-deploye');
    await context.close();
  }, 120_000);
});
