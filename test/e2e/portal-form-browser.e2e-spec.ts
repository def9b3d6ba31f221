import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { fromRoot } from '#core';
import { seedDemoCatalogue } from '#teleservices';
import { seedDemo } from '#territory';
import { launchBrowser, ManualClock, seriousAccessibilityViolations, startBanGeocoderDouble, startTestApp, type BanGeocoderDouble, type TestApp } from '#testing';
import { identityApp } from '../../apps/identity/identity.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { createVerifiedAccount, STRONG_PASSWORD } from './identity-support.js';
import { AUTOCOMPLETE_FORM, publishBlockFilesForm, publishFixtureForm } from './portal-form-support.js';
import { seedClients } from './portal-login-support.js';

/** A 1×1 PNG image (real bytes: the type is detected from the content). */
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const ANOMALY = '/demarches/metropole-de-lyon/signalement-anomalie/formulaire';
const SCHOOL = '/demarches/bron/inscription-scolaire/formulaire';
const SCREENSHOTS = fromRoot('test-artifacts', 'screenshots');

/** Map tiles for the tests: a 1×1 PNG for every tile, or errors when `failing` (tiles that cannot load). */
function startTileServer(): Promise<{ url: string; failing: boolean; close: () => Promise<void> }> {
  const state = { url: '', failing: false, close: async () => {} };
  const server: Server = createServer((_req, res) => {
    if (state.failing) return res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' }).end(PNG_1PX);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/{z}/{x}/{y}.png`;
      state.close = () => new Promise((done) => server.close(() => done()));
      resolve(state);
    }),
  );
}

/**
 * Filling forms in Chromium (CSP enforced): an anonymous anomaly report with a map point and a photo, a
 * logged-in multi-page form with a repeatable block left mid-way and resumed, a validation error fixed, the
 * same journey without JavaScript, keyboard only, 360 px wide, axe-core on every page type.
 */
jest.setTimeout(90_000);

describe('portal form filling in a real browser', () => {
  let chromium: Browser;
  let identity: TestApp;
  let portal: TestApp;
  let ban: BanGeocoderDouble;
  let tiles: Awaited<ReturnType<typeof startTileServer>>;
  let db: DataSource;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    chromium = await launchBrowser();
    ban = await startBanGeocoderDouble();
    tiles = await startTileServer();
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    portal = await startTestApp(portalApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url, GEOCODER_URL: ban.url, MAP_TILES_URL: tiles.url } });
    db = portal.app.get(DataSource);
    await seedDemo(db, portal.clock);
    await seedDemoCatalogue(db, portal.clock);
    await seedClients(identity, { portal: portal.url, backoffice: 'http://127.0.0.1:9' });
    await createVerifiedAccount(identity, 'parent@example.org', undefined, { givenName: 'Nadia', familyName: 'Benali' });
    await createVerifiedAccount(identity, 'parent.sans.js@example.org', undefined, { givenName: 'Paul', familyName: 'Sanjs' });
  });
  afterAll(async () => {
    await chromium?.close();
    await portal?.close();
    await identity?.close();
    await ban?.close();
    await tiles?.close();
  });

  async function accessible(page: Page) {
    expect({ url: page.url(), violations: await seriousAccessibilityViolations(page) }).toEqual({ url: page.url(), violations: [] });
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
  /** Clicks a submit button and waits for the page it leads to (possibly the same URL). */
  const press = (page: Page, name: string) => Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
  const fits = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

  async function logInFrom(page: Page, email: string) {
    await page.getByRole('link', { name: 'Se connecter' }).last().click();
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(portal.url)), page.getByRole('button', { name: 'Se connecter' }).click()]);
  }

  // axe-core is injected as an inline script: the journeys checked with it run with bypassCSP; the CSP itself is
  // enforced in the « tiles cannot load » journey, which also checks that no script or image is refused.
  it('sends an anonymous anomaly report: live condition, map point by keyboard, photo with progress, recap, receipt', async () => {
    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${portal.url}${ANOMALY}`);
    await page.waitForURL(/\/nouveau\/etape\/anomalie$/);
    expect(await page.title()).toBe('Étape 1 sur 2 — L’anomalie — Signaler une anomalie sur l’espace public — Guichet numérique de la Métropole');
    await accessible(page);

    // A display condition, live: « Autre » reveals « Précisez », another choice hides it.
    const precision = page.getByLabel('Précisez le type d’anomalie (obligatoire)');
    expect(await precision.isVisible()).toBe(false);
    await page.getByLabel('Autre', { exact: true }).check();
    await precision.waitFor({ state: 'visible' });
    await page.getByLabel('Voirie (nid-de-poule, trottoir abîmé)').check();
    await precision.waitFor({ state: 'hidden' });

    // The map (tiles load): focus it, move with the arrows, Enter places the marker at the centre.
    const map = page.locator('[data-map-container]');
    await map.waitFor({ state: 'visible' });
    await map.focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect(page.locator('[data-map-status]').innerText()).resolves.toMatch(/^Point choisi : 45,/);
    expect(await page.locator('.leaflet-marker-icon').count()).toBe(1);
    expect(Number(await page.locator('[data-map-lat]').inputValue())).toBeGreaterThan(45.5);

    await page.getByLabel('Description (obligatoire)').fill('Lampadaire couché sur le trottoir depuis hier soir.');
    await page.getByRole('group', { name: /présente-t-elle un danger/ }).getByLabel('Oui').check();
    // The photo goes up at once, with a progress bar, and is listed.
    await page.getByLabel('Photo').setInputFiles({ name: 'lampadaire.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.getByText('lampadaire.png — envoyé').waitFor();
    await shot(page, 'form-page-anomaly');
    await page.getByRole('button', { name: 'Continuer' }).click();

    await page.waitForURL(/\/etape\/contact$/);
    expect(await page.title()).toMatch(/^Étape 2 sur 2 — Vos coordonnées \(facultatives\)/);
    await page.getByLabel('Courriel').fill('riveraine@example.org');
    await page.getByRole('button', { name: 'Continuer' }).click();

    await page.waitForURL(/\/recapitulatif$/);
    const recap = await page.locator('main').innerText();
    expect(recap).toContain('Lampadaire couché sur le trottoir');
    expect(recap).toContain('lampadaire.png');
    expect(recap).toContain('Voirie (nid-de-poule, trottoir abîmé)');
    expect(await page.getByRole('link', { name: /Modifier/ }).count()).toBe(2);
    await accessible(page);
    await shot(page, 'form-recap');
    await page.getByRole('button', { name: 'Envoyer ma demande' }).click();

    await page.waitForURL(/\/recu$/);
    expect(await page.locator('h1').innerText()).toBe('Votre demande a bien été envoyée');
    const code = await page.locator('[data-tracking-code]').innerText();
    expect(code).toMatch(/^[A-Z0-9]{3}(-[A-Z0-9]{3,4})+$/);
    expect(await page.locator('[data-access-secret]').innerText()).not.toBe('');
    expect(await page.getByRole('link', { name: 'Suivre ma demande' }).getAttribute('href')).toBe(`/suivi?code=${code}`);
    await accessible(page);
    await shot(page, 'form-receipt');
    const [row] = await db.query(`SELECT d.data FROM demand d WHERE d.tracking_code = $1`, [code.replace(/-/g, '')]);
    expect(row.data).toMatchObject({ categorie: 'voirie', danger: true, email: 'riveraine@example.org' });
    await context.close();
  });

  it('uses the place field when the map tiles cannot load (CSP enforced: nothing refused)', async () => {
    tiles.failing = true;
    try {
      const context = await chromium.newContext();
      const page = await context.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
      });
      await page.goto(`${portal.url}${ANOMALY}`);
      // The live condition works under the CSP (module script from 'self', JSON to 'self').
      await page.getByLabel('Autre', { exact: true }).check();
      await page.getByLabel('Précisez le type d’anomalie (obligatoire)').waitFor({ state: 'visible' });
      await page.getByText('La carte n’a pas pu être chargée').waitFor();
      expect(await page.locator('[data-map-container]').isVisible()).toBe(false);
      await page.getByLabel('Éclairage public en panne').check();
      await page.getByLabel('Adresse ou lieu de l’emplacement').fill('Place Bellecour 69002 Lyon');
      await page.getByLabel('Description (obligatoire)').fill('Trois lampadaires éteints côté Saône.');
      await page.getByRole('group', { name: /présente-t-elle un danger/ }).getByLabel('Non').check();
      await page.getByRole('button', { name: 'Continuer' }).click();
      await page.waitForURL(/\/etape\/contact$/);
      await page.getByRole('button', { name: 'Continuer' }).click();
      await page.waitForURL(/\/recapitulatif$/);
      expect(await page.locator('main').innerText()).toContain('45,7578 ; 4,832');
      expect(refused).toEqual([]);
      await context.close();
    } finally {
      tiles.failing = false;
    }
  });

  it('fills the school enrolment logged in: error shown and fixed, two children, leaves, resumes the draft, sends it', async () => {
    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${portal.url}${SCHOOL}`);
    expect(await page.locator('h1').innerText()).toBe('Connectez-vous pour faire cette démarche');
    await accessible(page);
    await shot(page, 'form-login-required');
    await logInFrom(page, 'parent@example.org');
    await page.waitForURL(/\/nouveau\/etape\/responsable$/);
    // Prefilled from the account.
    expect(await page.getByLabel('Prénom (obligatoire)').inputValue()).toBe('Nadia');

    // A validation error: summary at the top, focused, linked to the field.
    await page.getByLabel('Courriel (obligatoire)').fill('nadia@example');
    await press(page, 'Continuer');
    expect(page.url()).toMatch(/\/etape\/responsable$/);
    expect(await page.title()).toMatch(/^Erreur : Étape 1 sur 3 — Responsable légal/);
    const summary = page.locator('.error-summary');
    expect(await summary.evaluate((element) => element === document.activeElement)).toBe(true);
    expect(await summary.innerText()).toContain('Courriel : Adresse électronique invalide.');
    await accessible(page);
    await shot(page, 'form-page-errors');
    await summary.getByRole('link', { name: /Courriel/ }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-email');
    expect(await page.getByLabel('Courriel (obligatoire)').inputValue()).toBe('nadia@example');
    await page.getByLabel('Courriel (obligatoire)').fill('nadia@example.org');
    // Address suggestions (the geocoder through /api/adresses) fill the street, the postcode and the commune.
    await page.getByLabel('Numéro et voie').first().fill('14 avenue Franklin Roosevelt Bron');
    await page.getByRole('button', { name: '14 Avenue Franklin Roosevelt 69500 Bron' }).click();
    expect(await page.getByLabel('Numéro et voie').first().inputValue()).toBe('14 Avenue Franklin Roosevelt');
    expect(await page.getByLabel('Code postal').first().inputValue()).toBe('69500');
    expect(await page.getByLabel('Commune', { exact: true }).first().inputValue()).toBe('69029');
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.waitForURL(/\/[0-9a-f-]{36}\/etape\/enfants_page$/);
    expect(await page.title()).toMatch(/^Étape 2 sur 3 — Enfants à inscrire/);

    // Two children: the first item is there, « Ajouter un enfant » adds the second (in place, with JavaScript).
    const fillChild = async (i: number, first: string, level: string) => {
      const item = page.locator(`#f-enfants-${i}`);
      await item.getByLabel('Prénom (obligatoire)', { exact: true }).fill(first);
      await item.getByLabel('Nom (obligatoire)', { exact: true }).fill('Benali');
      await item.getByLabel('Date de naissance (obligatoire)').fill('2019-04-12');
      await item.getByLabel('Niveau à la rentrée (obligatoire)').selectOption(level);
      await item.getByLabel('École souhaitée (obligatoire)').selectOption('pasteur');
    };
    await fillChild(0, 'Inès', 'gs');
    await page.getByRole('button', { name: 'Ajouter un enfant' }).click();
    expect(await page.locator('#f-enfants-1 legend').first().innerText()).toBe('Enfant 2');
    await fillChild(1, 'Sami', 'cp');
    // A condition inside an item: « allergies » reveals the PAI field of that child only.
    await page.locator('#f-enfants-1').getByRole('group', { name: 'Allergies alimentaires ?' }).getByLabel('Oui').check();
    await page.locator('#f-enfants-1').getByLabel(/Précisez \(projet d’accueil individualisé\)/).fill('Arachide.');
    expect(await page.locator('#f-enfants-0').getByLabel(/Précisez \(projet/).isVisible()).toBe(false);
    await shot(page, 'form-page-block');
    await page.getByRole('button', { name: 'Enregistrer et reprendre plus tard' }).click();
    await page.waitForURL(/\/enregistre$/);
    expect(await page.locator('h1').innerText()).toBe('Votre démarche est enregistrée');

    // Later: the start page offers the draft; it opens where it was left, the children kept.
    await page.goto(`${portal.url}${SCHOOL}`);
    expect(await page.locator('h1').innerText()).toBe('Reprendre ou commencer une demande');
    await accessible(page);
    await page.getByRole('link', { name: /^Reprendre/ }).click();
    await page.waitForURL(/\/etape\/enfants_page$/);
    expect(await page.locator('#f-enfants-1').getByLabel('Prénom (obligatoire)').inputValue()).toBe('Sami');
    await page.getByLabel('Restauration scolaire').check();
    await page.getByRole('button', { name: 'Continuer' }).click();

    await page.waitForURL(/\/etape\/pieces$/);
    await page.getByLabel('Justificatif de domicile de moins de 3 mois (obligatoire)').setInputFiles({ name: 'facture.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.getByText('facture.png — envoyé').waitFor();
    await page.getByLabel('Livret de famille (pages parents et enfants) (obligatoire)').setInputFiles({ name: 'livret.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.getByText('livret.png — envoyé').waitFor();
    await page.getByLabel('J’atteste l’exactitude des informations fournies. (obligatoire)').check();
    await page.getByRole('button', { name: 'Continuer' }).click();

    await page.waitForURL(/\/recapitulatif$/);
    const recap = await page.locator('main').innerText();
    expect(recap).toContain('Inès');
    expect(recap).toContain('Sami');
    expect(recap).toContain('Arachide.');
    await page.getByRole('button', { name: 'Envoyer ma demande' }).click();
    await page.waitForURL(/\/recu$/);
    const follow = await page.getByRole('link', { name: 'Suivre ma demande' }).getAttribute('href');
    expect(follow).toMatch(/^\/mes-demarches\/[0-9a-f-]{36}$/);
    expect(await page.locator('[data-access-secret]').count()).toBe(0);
    const [row] = await db.query(`SELECT d.data, d.account_sub FROM demand d WHERE d.id = $1`, [follow!.split('/').pop()]);
    expect(row.data.enfants).toHaveLength(2);
    expect(row.account_sub).not.toBeNull();
    // The draft is gone.
    expect(Number((await db.query(`SELECT count(*)::int AS n FROM draft WHERE account_sub = $1`, [row.account_sub]))[0].n)).toBe(0);
    await context.close();
  });

  it('takes a file in each item of a repeatable block with JavaScript (items added and removed in place), under the collectivity’s branding', async () => {
    const FORM = await publishBlockFilesForm(db, portal.clock);
    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${portal.url}${FORM}`);
    await page.waitForURL(/\/nouveau\/etape\/pieces$/);
    // Givors' branding (set in the back office): its name and logo, the accent on the band's border only.
    expect(await page.locator('[data-collectivity-brand]').count()).toBe(0);
    await db.query(
      `INSERT INTO collectivity_branding (collectivity_id, display_name, accent_color, logo, logo_media_type, updated_at, updated_by)
       SELECT collectivity_id, 'Ville de Givors', '#8a1538', $1, 'image/png', now(), 'admin-givors' FROM instance WHERE slug = 'givors'`,
      [PNG_1PX],
    );
    await page.reload();
    expect(await page.locator('.collectivity-brand-name').innerText()).toBe('Ville de Givors');
    expect(await page.locator('.collectivity-brand-logo').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    expect(await page.locator('[data-collectivity-brand]').evaluate((band) => getComputedStyle(band).borderLeftColor)).toBe('rgb(138, 21, 56)');
    const staged = async (): Promise<string[]> => (await db.query(`SELECT storage_key FROM staged_upload`)).map((r: { storage_key: string }) => r.storage_key);
    const gone = async (key: string) => {
      for (let i = 0; i < 100 && (await staged()).includes(key); i++) await page.waitForTimeout(50);
      return !(await staged()).includes(key);
    };
    await page.locator('#f-enfants-0-prenom').fill('Léa');
    let before = await staged();
    await page.locator('#f-enfants-0-certificat').setInputFiles({ name: 'lea.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.getByText('lea.png — envoyé').waitFor();
    const [leaKey] = (await staged()).filter((k) => !before.includes(k));
    // A file uploaded by mistake, then « Retirer »: deleted on the server at once.
    before = await staged();
    await page.locator('#f-enfants-0-certificat').setInputFiles({ name: 'erreur.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.getByText('erreur.png — envoyé').waitFor();
    const [mistake] = (await staged()).filter((k) => !before.includes(k));
    await page.getByRole('button', { name: 'Retirer le fichier erreur.png' }).click();
    expect(await gone(mistake!)).toBe(true);
    expect(await page.getByRole('alert').filter({ hasText: 'retiré' }).innerText()).toBe('Fichier « erreur.png » retiré.');
    // An item added in place has its own upload, with progress.
    await page.getByRole('button', { name: 'Ajouter un enfant' }).click();
    await page.locator('#f-enfants-1-prenom').fill('Tom');
    await page.locator('#f-enfants-1-certificat').setInputFiles({ name: 'tom.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.getByText('tom.png — envoyé').waitFor();
    await accessible(page);
    await shot(page, 'form-block-files');
    // Léa's item removed in place: her file is not sent, and deleted at once.
    await page.getByRole('button', { name: 'Supprimer cet élément (Enfant 1)' }).click();
    expect(await gone(leaKey!)).toBe(true);
    await page.getByLabel('Courriel pour vous répondre (obligatoire)').fill('tom.parent@example.org');
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.waitForURL(/\/recapitulatif$/);
    await page.getByRole('button', { name: 'Envoyer ma demande' }).click();
    await page.waitForURL(/\/recu$/);
    const code = await page.locator('[data-tracking-code]').innerText();
    const [demand] = await db.query(`SELECT id, data FROM demand WHERE tracking_code = $1`, [code.replace(/-/g, '')]);
    expect(demand.data.enfants).toEqual([{ prenom: 'Tom', certificat: [expect.objectContaining({ name: 'tom.png' })] }]);
    const attachments = await db.query(`SELECT field_id, file_name FROM attachment WHERE demand_id = $1`, [demand.id]);
    expect(attachments).toEqual([{ field_id: 'enfants[0].certificat', file_name: 'tom.png' }]);
    await context.close();
  });

  it('works without JavaScript: blocks added by the server, new questions shown, files sent with the page', async () => {
    const context: BrowserContext = await chromium.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${portal.url}${SCHOOL}`);
    await logInFrom(page, 'parent.sans.js@example.org');
    await page.waitForURL(/\/etape\/responsable$/);
    await page.getByLabel('Courriel (obligatoire)').fill('paul@example.org');
    await page.getByLabel('Numéro et voie').first().fill('1 place Ampère');
    // 69250 is shared by several communes: the citizen chooses.
    await page.getByLabel('Code postal').first().fill('69250');
    await press(page, 'Continuer');
    expect(page.url()).toMatch(/\/etape\/responsable$/);
    expect(await page.locator('.error-summary').innerText()).toContain('commun à plusieurs communes');
    // Without JavaScript too, the refused page gives the focus to the error summary (`autofocus`).
    expect(await page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true);
    const communes = await page.getByLabel('Commune', { exact: true }).first().locator('option').allInnerTexts();
    expect(communes).toContain('Neuville-sur-Saône');
    expect(communes.length).toBeLessThan(10);
    await page.getByLabel('Commune', { exact: true }).first().selectOption({ label: 'Neuville-sur-Saône' });
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.waitForURL(/\/etape\/enfants_page$/);

    const fill = async (i: number, first: string) => {
      await page.locator(`#f-enfants-${i}-prenom`).fill(first);
      await page.locator(`#f-enfants-${i}-nom`).fill('Sanjs');
      await page.locator(`#f-enfants-${i}-naissance`).fill('2018-09-01');
      await page.locator(`#f-enfants-${i}-niveau`).selectOption('ce1');
      await page.locator(`#f-enfants-${i}-ecole`).selectOption('jules-ferry');
    };
    await fill(0, 'Léo');
    // « Ajouter un enfant » is a submit button: the page comes back with a second item, the first kept.
    await press(page, 'Ajouter un enfant');
    await page.locator('#f-enfants-1').waitFor();
    expect(await page.locator('#f-enfants-0-prenom').inputValue()).toBe('Léo');
    await fill(1, 'Zoé');
    // A yes that reveals a question: without JavaScript the page comes back with the new question.
    await page.locator('#f-enfants-1-derogation-true').check();
    await press(page, 'Continuer');
    expect(page.url()).toMatch(/\/etape\/enfants_page$/);
    expect(await page.locator('.notice').first().innerText()).toContain('De nouvelles questions sont apparues');
    await page.locator('#f-enfants-1-motif_derogation').fill('Garde par les grands-parents près de l’école.');
    await page.getByRole('button', { name: 'Continuer' }).click();

    await page.waitForURL(/\/etape\/pieces$/);
    await page.locator('#f-justificatif').setInputFiles({ name: 'edf.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.locator('#f-livret').setInputFiles({ name: 'livret.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.locator('#f-attestation').check();
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.waitForURL(/\/recapitulatif$/);
    const recap = await page.locator('main').innerText();
    expect(recap).toContain('Zoé');
    expect(recap).toContain('edf.png');
    expect(recap).toContain('Neuville-sur-Saône');
    await page.getByRole('button', { name: 'Envoyer ma demande' }).click();
    await page.waitForURL(/\/recu$/);
    expect(await page.locator('h1').innerText()).toBe('Votre demande a bien été envoyée');
    await context.close();
  });

  it('fills a page with the keyboard only, and is usable 360 px wide', async () => {
    const context = await chromium.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${portal.url}/demarches/metropole-de-lyon/aide-contact/formulaire`);
    await page.waitForURL(/\/etape\/aide$/);
    expect(await fits(page)).toBe(true);
    await accessible(page);
    await shot(page, 'form-page-360');
    const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');
    const tabTo = async (id: string) => {
      for (let i = 0; i < 60 && (await focusedId()) !== id; i++) await page.keyboard.press('Tab');
      expect(await focusedId()).toBe(id);
    };
    // The subject with the arrows, then Enter in a text field sends the page (« Continuer » is the default button).
    await tabTo('f-sujet');
    await page.keyboard.press('ArrowDown');
    await tabTo('f-page');
    await page.keyboard.type('Accueil');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    // The errors: the summary has the focus; its links lead to the fields.
    expect(await page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true);
    expect(await fits(page)).toBe(true);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).toBe('#f-message');
    // The link moves the focus to the field itself.
    await page.keyboard.press('Enter');
    expect(await focusedId()).toBe('f-message');
    await page.keyboard.type('Je ne retrouve pas ma demande de pass déchetterie.');
    await tabTo('f-email');
    await page.keyboard.type('clavier@example.org');
    for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Continuer'; i++) await page.keyboard.press('Tab');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(page.url()).toMatch(/\/recapitulatif$/);
    expect(await page.locator('main').innerText()).toContain('Mon compte ou ma connexion');
    expect(await fits(page)).toBe(true);
    await context.close();
  });

  it('picks a long single choice in a combobox with the keyboard (the native list without JavaScript)', async () => {
    const path = await publishFixtureForm(db, portal.clock, AUTOCOMPLETE_FORM);
    // Without JavaScript: the native list, labelled, the page sent with a chosen option.
    const plain = await chromium.newContext({ javaScriptEnabled: false });
    const noScript = await plain.newPage();
    await noScript.goto(`${portal.url}${path}`);
    await noScript.waitForURL(/\/etape\/voie$/);
    await noScript.getByLabel('Voie (obligatoire)').selectOption({ label: 'Place du Rhône' });
    expect(await noScript.getByRole('combobox', { name: 'Voie (obligatoire)' }).evaluate((e) => e.tagName)).toBe('SELECT');
    await plain.close();

    const context = await chromium.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${portal.url}${path}`);
    await page.waitForURL(/\/etape\/voie$/);
    const box = page.getByRole('combobox', { name: 'Voie (obligatoire)' });
    // The label and the hints are the text input's; the native list is out of the way but still sends the value.
    expect(await box.evaluate((e) => e.tagName)).toBe('INPUT');
    expect(await box.getAttribute('aria-expanded')).toBe('false');
    const described = (await box.getAttribute('aria-describedby'))!.split(' ');
    expect(await page.locator(`[id="${described[0]}"]`).innerText()).toBe('La rue, l’avenue ou la place.');
    expect(await page.locator(`[id="${described.at(-1)}"]`).innerText()).toContain('flèches');

    // The keyboard: to the field, a few letters, down twice, Enter picks (and does not send the page).
    for (let i = 0; i < 20 && !(await box.evaluate((e) => e === document.activeElement)); i++) await page.keyboard.press('Tab');
    await page.keyboard.type('jaur');
    expect(await box.getAttribute('aria-expanded')).toBe('true');
    const listbox = page.getByRole('listbox', { name: 'Voie (obligatoire)' });
    expect(await listbox.getByRole('option').allInnerTexts()).toEqual(['Rue Jean Jaurès', 'Avenue Jean Jaurès', 'Place Jean Jaurès', 'Chemin Jean Jaurès', 'Quai Jean Jaurès', 'Impasse Jean Jaurès']);
    expect(await page.getByRole('status').filter({ hasText: 'suggestions' }).innerText()).toContain('6 suggestions');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await box.getAttribute('aria-activedescendant')).toBe(await listbox.getByRole('option', { name: 'Avenue Jean Jaurès' }).getAttribute('id'));
    expect(await listbox.getByRole('option', { name: 'Avenue Jean Jaurès' }).getAttribute('aria-selected')).toBe('true');
    await accessible(page);
    await shot(page, 'form-combobox');
    await page.keyboard.press('Enter');
    expect(page.url()).toMatch(/\/etape\/voie$/);
    expect(await box.inputValue()).toBe('Avenue Jean Jaurès');
    expect(await box.getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('select[name="f.voie"]').inputValue()).toBe('v7');

    await page.keyboard.press('Tab');
    await page.keyboard.type('voie@example.org');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(page.url()).toMatch(/\/recapitulatif$/);
    expect(await page.locator('main').innerText()).toContain('Avenue Jean Jaurès');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Envoyer ma demande' }).click()]);
    expect(page.url()).toMatch(/\/recu$/);
    const [demand] = await db.query(`SELECT data FROM demand WHERE data->>'email' = 'voie@example.org'`);
    expect(demand.data.voie).toBe('v7');

    // Typed text that is no option is not a choice: the server refuses the page, as without JavaScript.
    await page.goto(`${portal.url}${path}`);
    await page.waitForURL(/\/etape\/voie$/);
    await box.fill('Rue inconnue');
    await page.getByLabel('Courriel pour vous répondre (obligatoire)').fill('voie@example.org');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Continuer', exact: true }).click()]);
    expect(await page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true);
    // The summary's link leads to the combobox.
    await page.locator('.error-summary a').first().click();
    expect(await box.evaluate((e) => e === document.activeElement)).toBe(true);
    await context.close();
  });
});
