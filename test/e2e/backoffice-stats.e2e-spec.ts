import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser as Chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail } from '#agents';
import { fromRoot } from '#core';
import { DemandRepository, platformScope, withTenant, type Demand } from '#demands';
import { TeleserviceRepository } from '#teleservices';
import { launchBrowser, ManualClock, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { seedEngine, TEST_WORKFLOW, type EngineSeed } from '../../apps/engine/engine-test-fixture.js';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createVerifiedAccount, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

const SCREENSHOTS = fromRoot('test-artifacts', 'screenshots');
const GIVORS_EMAIL = 'camille.stats@givors.test';
const BRON_EMAIL = 'sacha.stats@bron.test';

/**
 * « Statistiques » and « Fiche usager » through the real login, on a data set with known dates (docs/statistics.md).
 *
 * Givors, January 2026 (Europe/Paris = UTC+1): four demands closed after 2 h, 4 h, 24 h and 50 h (mean 20 h,
 * median (4 + 24) / 2 = 14 h, 90th percentile by linear interpolation 24 + 0.7 × (50 − 24) = 42.2 h), two open
 * ones (one typed in from a phone call); the demands of citizen `citoyen-stats` are d5 and d6. Bron: three demands
 * (one closed after 1,000 h, one by the same citizen) on a téléservice of its own: never counted or listed for
 * Givors' agent, whatever the filters.
 */
describe('back-office statistics and user card', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let seed: EngineSeed;
  let givorsAgent: WebBrowser;
  let bronAgent: WebBrowser;
  let bronTeleserviceId: string;
  let chromium: Chromium;
  const givors: Demand[] = [];
  const bron: Demand[] = [];

  const db = () => backoffice.app.get(DataSource);
  const pageOf = (browser: WebBrowser, path: string) => browser.follow(`${backoffice.url}${path}`);
  const textOf = (html: string, id: string) => new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1];
  const rowOf = (html: string, header: string) => new RegExp(`<tr><th scope="row">${header}</th>((?:<td>[^<]*</td>)+)</tr>`).exec(html)?.[1].match(/<td>([^<]*)<\/td>/g)?.map((c) => c.slice(4, -5));

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });
    seed = await seedEngine(db());
    const [{ id: bronId }] = await db().query<{ id: string }[]>(`SELECT id FROM collectivity WHERE insee_code = '69029'`);
    const [{ id: bronInstance }] = await db().query<{ id: string }[]>(`INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'bron-stats') RETURNING id`, [bronId]);
    const bronTeleservice = await new TeleserviceRepository(db().manager).create({
      instanceId: bronInstance,
      collectivityId: bronId,
      slug: 'cantine-bron',
      kind: 'communal',
      title: 'Cantine de Bron',
      summary: 'Seulement à Bron',
      anonymousAllowed: true,
      now: new Date('2025-12-01T08:00:00Z'),
    });
    const bronVersion = await seed.publish(bronTeleservice, { schemaVersion: 1, title: 'Cantine', pages: [{ id: 'p', title: 'Cantine', fields: [{ id: 'nom', type: 'text', label: 'Nom', required: true, maxLength: 100 }] }] }, TEST_WORKFLOW);
    bronTeleserviceId = bronTeleservice.id;

    const insert = (collectivityId: string, submittedAt: string, options: { accountSub?: string; phone?: boolean; teleservice?: { id: string; versionId: string } } = {}) =>
      withTenant(db(), platformScope('données de test'), (manager) =>
        new DemandRepository(manager).insertDemand({
          collectivityId,
          teleserviceId: options.teleservice?.id ?? seed.simple.id,
          versionId: options.teleservice?.versionId ?? seed.simpleV1.id,
          channel: options.phone ? 'phone' : 'web',
          submittedByAgent: options.phone ? 'agent-givors' : null,
          accountSub: options.accountSub ?? null,
          data: { nom: 'Camille Martin', courriel: 'camille@example.org', motif: 'bruit' },
          status: 'received',
          submittedAt: new Date(submittedAt),
        }),
      );
    const close = (demand: Demand, status: 'accepted' | 'refused', hours: number) =>
      db().query(`UPDATE demand SET status = $2, closed_at = submitted_at + $3 * interval '1 hour' WHERE id = $1`, [demand.id, status, hours]);

    givors.push(await insert(seed.givorsId, '2026-01-05T09:00:00Z'));
    givors.push(await insert(seed.givorsId, '2026-01-05T10:00:00Z'));
    givors.push(await insert(seed.givorsId, '2026-01-06T08:00:00Z'));
    givors.push(await insert(seed.givorsId, '2026-01-07T08:00:00Z'));
    givors.push(await insert(seed.givorsId, '2026-01-08T08:00:00Z', { accountSub: 'citoyen-stats', phone: true }));
    givors.push(await insert(seed.givorsId, '2026-01-08T09:00:00Z', { accountSub: 'citoyen-stats' }));
    await close(givors[0], 'accepted', 2);
    await close(givors[1], 'refused', 4);
    await close(givors[2], 'accepted', 24);
    await close(givors[3], 'accepted', 50);
    await db().query(`UPDATE demand SET status = 'in_progress' WHERE id = $1`, [givors[5].id]);
    const bronTs = { id: bronTeleservice.id, versionId: bronVersion.id };
    bron.push(await insert(bronId, '2026-01-05T09:30:00Z', { teleservice: bronTs }));
    bron.push(await insert(bronId, '2026-01-06T09:30:00Z', { teleservice: bronTs, accountSub: 'citoyen-stats' }));
    bron.push(await insert(bronId, '2026-01-07T09:30:00Z'));
    await close(bron[0], 'refused', 1000);

    const roles = backoffice.app.get(AgentRoleService);
    for (const [email, collectivity] of [
      [GIVORS_EMAIL, 'givors'],
      [BRON_EMAIL, 'bron'],
    ]) {
      await createVerifiedAccount(identity, email, STRONG_PASSWORD, { givenName: 'Agent', familyName: 'Statistiques' });
      const { sub } = await backofficeSubjectForEmail(db(), backoffice.config, backoffice.clock, email);
      await roles.grant({ accountSub: sub, accountEmail: email, collectivity, role: 'agent' });
    }
    givorsAgent = new WebBrowser();
    await logIn(givorsAgent, backoffice.url, GIVORS_EMAIL, { returnTo: '/tableau-de-bord' });
    bronAgent = new WebBrowser();
    await logIn(bronAgent, backoffice.url, BRON_EMAIL, { returnTo: '/tableau-de-bord' });
    chromium = await launchBrowser();
  });
  afterAll(async () => {
    await chromium?.close();
    await backoffice?.close();
    await identity?.close();
  });

  describe('« Statistiques »', () => {
    it('shows the figures of the agent’s collectivity: received, closed, mean, median and 90th percentile of the processing time', async () => {
      const { response, html } = await pageOf(givorsAgent, '/statistiques?du=2026-01-01&au=2026-01-31');
      expect(response.status).toBe(200);
      expect(textOf(html, 'stats-recues')).toBe('6');
      expect(textOf(html, 'stats-closes')).toBe('4');
      expect(textOf(html, 'stats-ouvertes')).toBe('2');
      expect(textOf(html, 'stats-moyen')).toBe('20,0 h');
      expect(textOf(html, 'stats-median')).toBe('14,0 h');
      expect(textOf(html, 'stats-p90')).toBe('42,2 h');
    });

    it('counts by status (labels of the workflow), by channel and per téléservice', async () => {
      const { html } = await pageOf(givorsAgent, '/statistiques?du=2026-01-01&au=2026-01-31');
      expect(rowOf(html, 'Acceptée')).toEqual(['3']);
      expect(rowOf(html, 'Refusée')).toEqual(['1']);
      expect(rowOf(html, 'Demande reçue')).toEqual(['1']);
      expect(rowOf(html, 'En cours d’instruction')).toEqual(['1']);
      expect(rowOf(html, 'En ligne')).toEqual(['5']);
      expect(rowOf(html, 'Téléphone')).toEqual(['1']);
      expect(rowOf(html, 'Demande simple')).toEqual(['6', '4', '14,0 h']);
    });

    it('draws the demands received per day as an SVG image with a text alternative and the same data as a table', async () => {
      const { html } = await pageOf(givorsAgent, '/statistiques?du=2026-01-05&au=2026-01-08');
      expect(html).toMatch(/<svg [^>]*role="img"[^>]*aria-labelledby="graphique-svg-titre" aria-describedby="graphique-svg-desc"/);
      expect(html).toMatch(/<desc id="graphique-svg-desc">Histogramme : une barre par jour/);
      expect(html).toMatch(/<title id="graphique-svg-titre">Demandes reçues par jour, du 2026-01-05 au 2026-01-08/);
      expect(rowOf(html, '2026-01-05')).toEqual(['2']);
      expect(rowOf(html, '2026-01-06')).toEqual(['1']);
      expect(rowOf(html, '2026-01-07')).toEqual(['1']);
      expect(rowOf(html, '2026-01-08')).toEqual(['2']);
      expect((html.match(/<rect /g) ?? []).length).toBe(4);
    });

    it('counts per week, Monday to Sunday, when the period is longer than three months', async () => {
      const { html } = await pageOf(givorsAgent, '/statistiques?du=2025-10-01&au=2026-01-31');
      expect(html).toContain('<h2 id="graphique-titre">Demandes reçues par semaine</h2>');
      expect(html).toMatch(/<title id="graphique-svg-titre">Demandes reçues par semaine, du 2025-10-01 au 2026-01-31 \(au plus 6 par semaine\)<\/title>/);
      expect(rowOf(html, 'semaine du 2025-09-29')).toEqual(['0']);
      expect(rowOf(html, 'semaine du 2026-01-05')).toEqual(['6']);
      expect(rowOf(html, 'semaine du 2026-01-26')).toEqual(['0']);
      expect((html.match(/<rect /g) ?? []).length).toBe(18);
    });

    it('offers period presets ending today (Europe/Paris), keeping the téléservice chosen', async () => {
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(backoffice.clock.now());
      const month = `${today.slice(0, 8)}01`;
      const page = await pageOf(givorsAgent, `/statistiques?teleservice=${seed.simple.id}&du=${month}&au=${today}`);
      const html = page.html.replaceAll('&#x3D;', '=');
      expect(html).toContain(`<a href="/statistiques?teleservice=${seed.simple.id}&amp;du=${month}&amp;au=${today}" aria-current="page">Ce mois-ci</a>`);
      expect(html).toContain(`<a href="/statistiques?teleservice=${seed.simple.id}&amp;du=${today.slice(0, 5)}01-01&amp;au=${today}">Cette année</a>`);
      const thirty = new Date(`${today}T12:00:00Z`);
      thirty.setUTCDate(thirty.getUTCDate() - 29);
      expect(html).toContain(`du=${thirty.toISOString().slice(0, 10)}&amp;au=${today}">Les 30 derniers jours</a>`);
    });

    it('narrows to a period (Europe/Paris days, both bounds included)', async () => {
      const { html } = await pageOf(givorsAgent, '/statistiques?du=2026-01-06&au=2026-01-07');
      expect(textOf(html, 'stats-recues')).toBe('2');
      expect(textOf(html, 'stats-closes')).toBe('2');
      expect(textOf(html, 'stats-median')).toBe('37,0 h');
    });

    it('refuses an impossible date with a French message linked to its field (422), not a 500', async () => {
      const { response, html } = await pageOf(givorsAgent, '/statistiques?du=2026-02-31');
      expect(response.status).toBe(422);
      expect(html).toContain('<a href="#stats-du">');
      expect(html).toContain('La date « Du » doit être une date valide');
      const csv = await givorsAgent.request(`${backoffice.url}/statistiques.csv?au=hier`);
      expect(csv.status).toBe(422);
    });

    it('never counts another commune’s demands (row-level security), even when asked for its téléservice', async () => {
      const { html } = await pageOf(givorsAgent, '/statistiques');
      expect(textOf(html, 'stats-recues')).toBe('6');
      expect(html).not.toContain('Cantine de Bron');
      expect(textOf(html, 'stats-p90')).toBe('42,2 h');
      const asked = await pageOf(givorsAgent, `/statistiques?teleservice=${bronTeleserviceId}`);
      expect(textOf(asked.html, 'stats-recues')).toBe('0');
      const csv = await (await givorsAgent.request(`${backoffice.url}/statistiques.csv?teleservice=${bronTeleserviceId}`)).text();
      expect(csv).toContain('Demandes reçues;0\r\n');
      expect(csv).not.toContain('Cantine de Bron');

      const bronPage = await pageOf(bronAgent, '/statistiques');
      expect(textOf(bronPage.html, 'stats-recues')).toBe('3');
      expect(textOf(bronPage.html, 'stats-closes')).toBe('1');
      expect(rowOf(bronPage.html, 'Cantine de Bron')).toEqual(['2', '1', '41,7 j']);
    });

    it('exports the same figures as CSV: UTF-8 with BOM, « ; » separator, CRLF, decimal comma', async () => {
      const response = await givorsAgent.request(`${backoffice.url}/statistiques.csv?du=2026-01-01&au=2026-01-31`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
      expect(response.headers.get('content-disposition')).toContain('attachment');
      const csv = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer());
      const lines = csv.split('\r\n');
      expect(lines[0]).toBe('\uFEFFIndicateur;Valeur');
      expect(lines).toEqual(
        expect.arrayContaining([
          'Demandes reçues;6',
          'Demandes closes;4',
          'Demandes encore ouvertes;2',
          'Délai de traitement moyen (heures);20,00',
          'Délai de traitement médian (heures);14,00',
          'Délai de traitement, 90e centile (heures);42,20',
          'Statut : Acceptée;3',
          'Canal : Téléphone;1',
          'Téléservice : Demande simple;6',
          'Jour : 2026-01-05;2',
        ]),
      );
      expect(lines.at(-1)).toBe('');
    });
  });

  describe('« Fiche usager »', () => {
    it('lists every demand of the citizen’s account within the agent’s collectivities, none of another commune', async () => {
      const { response, html } = await pageOf(givorsAgent, `/demandes/${givors[4].id}/usager`);
      expect(response.status).toBe(200);
      expect(html).toContain('<h1>Fiche usager</h1>');
      expect(html).toContain(`<a href="/demandes/${givors[4].id}" aria-current="page">${givors[4].trackingCode}</a>`);
      expect(html).toContain(`<a href="/demandes/${givors[5].id}">${givors[5].trackingCode}</a>`);
      expect(html).toContain('2 demande(s) de cet usager');
      expect(html).not.toContain(bron[1].trackingCode);
      expect(html).not.toContain('Cantine de Bron');
    });

    it('answers 404 for another commune’s demand, exactly like an unknown one', async () => {
      expect((await pageOf(givorsAgent, `/demandes/${bron[1].id}/usager`)).response.status).toBe(404);
      expect((await pageOf(givorsAgent, `/demandes/00000000-0000-4000-8000-000000000000/usager`)).response.status).toBe(404);
      const bronCard = await pageOf(bronAgent, `/demandes/${bron[1].id}/usager`);
      expect(bronCard.html).toContain('1 demande(s) de cet usager');
      expect(bronCard.html).not.toContain(givors[4].trackingCode);
    });
  });

  it('in Chromium at 360 px: filters a period, reads the figures, no serious axe-core violation, no horizontal scrolling', async () => {
    const context = await chromium.newContext({ bypassCSP: true, viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${backoffice.url}/auth/login?returnTo=%2Fstatistiques`);
    await page.getByLabel('Adresse électronique').fill(GIVORS_EMAIL);
    await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
    await Promise.all([page.waitForURL(`${backoffice.url}/statistiques`), page.getByRole('button', { name: 'Se connecter' }).click()]);
    await page.getByLabel('Déposées à partir du').fill('2026-01-01');
    await page.getByLabel('Déposées jusqu’au').fill('2026-01-31');
    await Promise.all([page.waitForURL(/du=2026-01-01/), page.getByRole('button', { name: 'Afficher' }).click()]);
    expect(await page.locator('#stats-recues').innerText()).toBe('6');
    expect(await page.locator('#stats-p90').innerText()).toBe('42,2 h');
    expect(await page.getByRole('img', { name: /Demandes reçues par jour/ }).count()).toBe(1);

    for (const [name, path] of [
      ['statistiques', '/statistiques?du=2026-01-01&au=2026-01-31'],
      ['statistiques-erreur', '/statistiques?du=2026-02-31'],
      ['fiche-usager', `/demandes/${givors[4].id}/usager`],
    ]) {
      for (const width of [1280, 360]) {
        await page.setViewportSize({ width, height: 800 });
        await page.goto(`${backoffice.url}${path}`);
        expect({ name, width, violations: await seriousAccessibilityViolations(page) }).toEqual({ name, width, violations: [] });
        const wide = await page.evaluate(() =>
          document.documentElement.scrollWidth <= document.documentElement.clientWidth
            ? []
            : [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((e) => `${e.tagName}.${e.className}`).slice(0, 5),
        );
        expect({ name, width, wide }).toEqual({ name, width, wide: [] });
        await page.screenshot({ path: join(SCREENSHOTS, `backoffice-${name}-${width}.png`), fullPage: true });
      }
    }
    await context.close();
  });
});
