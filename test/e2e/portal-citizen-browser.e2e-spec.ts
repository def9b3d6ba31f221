import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { formatTrackingCode } from '#demands';
import { launchBrowser, ManualClock, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { PNG_BYTES } from '../../apps/engine/engine-test-fixture.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { logInCitizen, notify, press, seedCitizenWorld, simpleData, submit, type CitizenSession, type CitizenWorld } from './portal-citizen-support.js';

const SCREENSHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');

/**
 * The citizen's follow-up in Chromium (CSP enforced): « Mes démarches », a demand's page, the answer to an agent's
 * request for information, a reply with a file, the notification centre, a help request from a téléservice page,
 * the anonymous follow-up (with JavaScript disabled). Every page type is checked with axe-core (zero serious or
 * critical violation) on a desktop and a 360 px screen, and photographed to test-artifacts/screenshots/.
 */
describe('portal citizen follow-up in a real browser', () => {
  let chromium: Browser;
  let portal: TestApp;
  let world: CitizenWorld;
  let lea: CitizenSession;
  let context: BrowserContext;

  const clock = () => portal.clock as ManualClock;
  const sessionCookie = (session: CitizenSession) => ({ name: 'parvis_portal', value: session.id, url: portal.url });

  /** axe-core (needs a context without CSP: same cookies), no sideways scroll at 360 px, a screenshot of each width. */
  async function audit(path: string, name: string, session?: CitizenSession | Cookie[], prepare?: (page: Page) => Promise<void>) {
    for (const width of [1280, 360]) {
      const auditContext = await chromium.newContext({ bypassCSP: true, viewport: { width, height: 900 } });
      if (session) await auditContext.addCookies(Array.isArray(session) ? session : [sessionCookie(session)]);
      const page = await auditContext.newPage();
      await page.goto(`${portal.url}${path}`);
      if (prepare) await prepare(page);
      expect({ path, width, violations: await seriousAccessibilityViolations(page) }).toEqual({ path, width, violations: [] });
      expect({ path, width, fits: await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth) }).toEqual({ path, width, fits: true });
      await page.screenshot({ path: join(SCREENSHOTS, `portal-citizen-${name}-${width}.png`), fullPage: true });
      await auditContext.close();
    }
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    chromium = await launchBrowser();
    portal = await startTestApp(portalApp);
    world = await seedCitizenWorld(portal);
    lea = await logInCitizen(portal, 'sub-lea', 'Léa Navigatrice', 'lea@example.org');
    context = await chromium.newContext();
    await context.addCookies([sessionCookie(lea)]);
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await portal?.close();
  });

  it('sees the demand on « Mes démarches », answers the agent’s request for information, and the demand resumes', async () => {
    const { demand } = await submit(portal, { kind: 'citizen', sub: lea.sub }, world.simple.id, simpleData('Léa Navigatrice'), [
      { fieldId: 'justificatif', name: 'justificatif.png', content: PNG_BYTES },
    ]);
    const page = await context.newPage();
    await page.goto(`${portal.url}/mes-demarches`);
    expect(await page.title()).toBe('Mes démarches — Guichet numérique de la Métropole');
    const item = page.locator('#liste-demandes > li').first();
    expect(await item.innerText()).toContain(formatTrackingCode(demand.trackingCode));
    expect(await item.innerText()).toContain('traitée par Métropole de Lyon');
    expect(await item.locator('.status-chip').innerText()).toBe('Demande reçue');
    await audit('/mes-demarches', 'mes-demarches', lea);

    // Keyboard only: Tab to the demand's link (visible focus), Enter opens it.
    for (let i = 0; i < 30 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Demande simple'; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${portal.url}/mes-demarches/${demand.id}`);
    expect(await page.title()).toBe(`Demande ${formatTrackingCode(demand.trackingCode)} — Demande simple — Mes démarches — Guichet numérique de la Métropole`);
    expect(await page.locator('main').innerText()).toContain('justificatif.png');

    // The agent takes the demand and asks for more information (the back office's use case).
    clock().advance(60_000);
    await press(portal, world.metropolisId, demand.id, 'take');
    await press(portal, world.metropolisId, demand.id, 'ask-info', { comment: 'Pouvez-vous préciser les horaires du bruit ?' });
    await page.reload();
    const request = page.locator('#complement');
    expect(await request.innerText()).toContain('Pouvez-vous préciser les horaires du bruit ?');
    expect(await page.locator('#statut-demande').innerText()).toContain('En attente de votre réponse');
    await audit(`/mes-demarches/${demand.id}`, 'demande-complement', lea);

    // Submitting empty: the error is summarised at the top and linked to the field.
    await page.getByRole('button', { name: 'Envoyer ma réponse' }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('Écrivez votre réponse.');
    expect(await page.title()).toMatch(/^Erreur — /);
    await page.getByLabel('Votre réponse').fill('Tous les soirs entre 22 h et 2 h.');
    await page.getByRole('button', { name: 'Envoyer ma réponse' }).click();
    await page.waitForURL(/fait=complement/);
    expect(await page.locator('.notice').innerText()).toContain('le traitement de votre demande reprend');
    expect(await page.locator('#statut-demande').innerText()).toContain('En cours d’instruction');
    expect(await page.locator('#messages').innerText()).toContain('Tous les soirs entre 22 h et 2 h.');

    // A reply with a file, without JavaScript tricks: a multipart form.
    await page.getByLabel('Votre message').fill('Voici un enregistrement de la nuit dernière.');
    await page.getByLabel('Fichiers à joindre (facultatif)').setInputFiles({ name: 'releve.png', mimeType: 'image/png', buffer: PNG_BYTES });
    await page.getByRole('button', { name: 'Envoyer le message' }).click();
    await page.waitForURL(/fait=message/);
    expect(await page.locator('.notice').innerText()).toBe('Votre message a été envoyé.');
    const thread = page.locator('.message-thread');
    expect(await thread.innerText()).toContain('Voici un enregistrement de la nuit dernière.');
    const download = await Promise.all([page.waitForEvent('download'), thread.getByRole('link', { name: 'releve.png' }).click()]).then(([d]) => d);
    expect(download.suggestedFilename()).toBe('releve.png');
    await audit(`/mes-demarches/${demand.id}`, 'demande-messages', lea);
    await page.close();
  });

  it('shows notifications with an unread counter in the header; opening one marks it read and opens the demand', async () => {
    const { demand } = await submit(portal, { kind: 'citizen', sub: lea.sub }, world.simple.id, simpleData('Léa, deuxième demande'));
    clock().advance(1_000);
    await notify(portal, lea.sub, demand.id, world.metropolisId, 'Votre demande a bien été reçue', clock().now());
    clock().advance(1_000);
    await notify(portal, lea.sub, demand.id, world.metropolisId, 'Votre demande est en cours de traitement', clock().now());
    const page = await context.newPage();
    await page.goto(`${portal.url}/`);
    const link = page.locator('header').getByRole('link', { name: /^Notifications/ });
    expect(await link.textContent()).toBe('Notifications 2 non lue(s)');
    expect(await link.locator('.count-badge').isVisible()).toBe(true);
    await link.click();
    await page.waitForURL(`${portal.url}/notifications`);
    expect(await page.title()).toBe('Notifications (2 non lues) — Guichet numérique de la Métropole');
    expect(await page.locator('.item-unread').count()).toBe(2);
    await audit('/notifications', 'notifications', lea);

    await page.getByRole('button', { name: 'Voir la demande : Votre demande est en cours de traitement' }).click();
    await page.waitForURL(`${portal.url}/mes-demarches/${demand.id}`);
    expect(await page.locator('header').getByRole('link', { name: /^Notifications/ }).textContent()).toBe('Notifications 1 non lue(s)');
    await page.goto(`${portal.url}/notifications`);
    await page.getByRole('button', { name: 'Tout marquer comme lu' }).click();
    await page.waitForURL(/fait=tout-lu/);
    expect(await page.locator('.item-unread').count()).toBe(0);
    expect(await page.locator('header').getByRole('link', { name: /^Notifications/ }).textContent()).toBe('Notifications');
    await page.close();
  });

  it('asks for help from a Givors téléservice page: the request lands on Givors’ help desk and shows in « Mes démarches »', async () => {
    const page = await context.newPage();
    await page.goto(`${portal.url}/demarches/givors/acte-etat-civil`);
    await page.locator('header').getByRole('link', { name: 'Besoin d’aide ?' }).click();
    await page.waitForURL(`${portal.url}/aide?depuis=%2Fdemarches%2Fgivors%2Facte-etat-civil`);
    expect(await page.title()).toBe('Besoin d’aide ? — Guichet numérique de la Métropole');
    expect(await page.locator('main').innerText()).toContain('Votre demande sera traitée par Givors, au sujet de la démarche « Demande d’acte d’état civil »');
    await audit('/aide?depuis=%2Fdemarches%2Fgivors%2Facte-etat-civil', 'aide', lea);

    await page.getByLabel('Votre question concerne (obligatoire)').selectOption('demarche');
    await page.getByLabel('Votre message (obligatoire)').fill('Je ne sais pas quel type d’acte choisir pour un dossier de retraite.');
    await page.getByRole('button', { name: 'Envoyer ma demande d’aide' }).click();
    await page.waitForURL(`${portal.url}/aide/envoyee`);
    expect(await page.locator('.notice').innerText()).toBe('Givors a bien reçu votre demande d’aide et vous répondra.');
    const code = (await page.locator('main strong').first().innerText()).trim();
    // The confirmation is shown once: the audit sends a request of its own to see one.
    await audit('/aide', 'aide-envoyee', lea, async (audited) => {
      await audited.getByLabel('Votre question concerne (obligatoire)').selectOption('autre');
      await audited.getByLabel('Votre message (obligatoire)').fill('Une autre question, pour vérifier la confirmation.');
      await audited.getByRole('button', { name: 'Envoyer ma demande d’aide' }).click();
      await audited.waitForURL(/\/aide\/envoyee$/);
    });
    await page.getByRole('link', { name: 'la page de la demande' }).click();
    expect(await page.locator('h1').innerText()).toContain('Aide / contact');
    expect(await page.locator('main').innerText()).toContain('Traitée par\nGivors');

    await page.goto(`${portal.url}/mes-demarches`);
    const help = page.locator('#liste-demandes > li', { hasText: code });
    expect(await help.innerText()).toContain('Aide / contact');
    expect(await help.innerText()).toContain('traitée par Givors');
    const [stored] = await portal.app.get(DataSource).query<{ data: Record<string, unknown> }[]>(`SELECT data FROM demand WHERE tracking_code = $1`, [code.replace(/-/g, '')]);
    expect(stored.data).toMatchObject({ page: '/demarches/givors/acte-etat-civil', demarche: 'Demande d’acte d’état civil' });
    await page.close();
  });

  it('follows an anonymous demand with its tracking code and secret, JavaScript disabled', async () => {
    const anonymous = await submit(portal, { kind: 'anonymous' }, world.simple.id, simpleData('Sans compte'));
    const noScript = await chromium.newContext({ javaScriptEnabled: false });
    const page = await noScript.newPage();
    await page.goto(`${portal.url}/suivi?code=${anonymous.demand.trackingCode}`);
    expect(await page.title()).toBe('Suivre une demande sans compte — Guichet numérique de la Métropole');
    expect(await page.getByLabel('Code de suivi').inputValue()).toBe(formatTrackingCode(anonymous.demand.trackingCode));
    await audit(`/suivi?code=${anonymous.demand.trackingCode}`, 'suivi');

    await page.getByLabel('Clé d’accès (facultatif)').fill('une-mauvaise-cle');
    await page.getByRole('button', { name: 'Consulter la demande' }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('Aucune demande ne correspond à ce code de suivi et à cette clé d’accès.');
    expect(await page.title()).toMatch(/^Erreur — /);

    await page.getByLabel('Clé d’accès (facultatif)').fill(anonymous.accessSecret!);
    await page.getByRole('button', { name: 'Consulter la demande' }).click();
    await page.waitForURL(`${portal.url}/suivi/demande`);
    expect(await page.locator('h1').innerText()).toContain(`Demande ${formatTrackingCode(anonymous.demand.trackingCode)}`);
    expect(await page.locator('#statut-demande').innerText()).toContain('Demande reçue');
    expect(await page.locator('main').innerText()).toContain('Sans compte');
    await audit('/suivi/demande', 'suivi-demande', await noScript.cookies());
    await page.getByLabel('Votre message').fill('Bonjour, où en est ma demande ?');
    await page.getByRole('button', { name: 'Envoyer le message' }).click();
    await page.waitForURL(/\/suivi\/demande\?fait=message/);
    expect(await page.locator('.message-thread').innerText()).toContain('Bonjour, où en est ma demande ?');
    await page.getByRole('button', { name: 'Fermer ce suivi sur cet appareil' }).click();
    await page.waitForURL(`${portal.url}/suivi?ferme=1`);
    await page.goto(`${portal.url}/suivi/demande`);
    expect(page.url()).toBe(`${portal.url}/suivi`);
    await noScript.close();
  });

  it('keeps the other page types accessible: login required, draft deletion, 404', async () => {
    await audit('/mes-demarches', 'connexion-requise');
    await audit('/mes-demarches/00000000-0000-4000-8000-000000000000', 'introuvable', lea);
    const versionId = (await portal.app.get(DataSource).query<{ id: string }[]>(`SELECT id FROM teleservice_version WHERE teleservice_id = $1 AND state = 'published'`, [world.simple.id]))[0].id;
    const [draft] = await portal.app.get(DataSource).query<{ id: string }[]>(
      `INSERT INTO draft (account_sub, teleservice_id, version_id, data, current_page, created_at, updated_at, expires_at)
       VALUES ($1, $2, $3, '{}', 'demande', $4, $4, $4::timestamptz + interval '30 days') RETURNING id`,
      [lea.sub, world.simple.id, versionId, clock().now()],
    );
    const page = await context.newPage();
    await page.goto(`${portal.url}/mes-demarches`);
    await page.getByRole('link', { name: 'Supprimer le brouillon « Demande simple »' }).click();
    await audit(`/mes-demarches/brouillons/${draft.id}/supprimer`, 'brouillon-supprimer', lea);
    await page.getByRole('button', { name: 'Oui, supprimer le brouillon' }).click();
    await page.waitForURL(/supprime=1/);
    expect(await page.locator('.notice').innerText()).toBe('Le brouillon a été supprimé.');
    await page.close();
  });
});
