import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser as Chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail } from '#agents';
import { TeleserviceRepository, type Teleservice } from '#teleservices';
import { launchBrowser, ManualClock, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { seedEngine, PNG_BYTES, TEST_FORM, TEST_WORKFLOW, type EngineSeed } from '../../apps/engine/engine-test-fixture.js';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createVerifiedAccount, hiddenValue, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/**
 * Submission on behalf of a citizen (issue 7): an agent types a demand received at the counter, by phone or by
 * mail into one page of the back office. The engine validates it (errors next to their field, typed values
 * kept), files it in the téléservice's collectivity with the channel and the agent, and the demand page shows
 * both. An agent of another commune gets « not found »; an account without agent role is refused.
 */
const GIVORS_EMAIL = 'guichet.givors@example.org';
const BRON_EMAIL = 'guichet.bron@example.org';
const CITIZEN_EMAIL = 'simple.usager@example.org';

describe('back office: submission on behalf of a citizen', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let seed: EngineSeed;
  let givorsTeleservice: Teleservice;
  let givorsSub: string;
  let givorsAgent: WebBrowser;
  let bronAgent: WebBrowser;
  let citizen: WebBrowser;

  const db = () => backoffice.app.get(DataSource);
  const demandCount = async () => Number((await db().query<{ n: string }[]>(`SELECT count(*) AS n FROM demand WHERE teleservice_id = $1`, [givorsTeleservice.id]))[0].n);
  const formPage = (browser: WebBrowser) => browser.follow(`${backoffice.url}/nouvelle-demande?teleservice=${givorsTeleservice.id}&canal=counter`);
  /** Posts the page's form as the browser would (multipart, CSRF token in the action). */
  const submit = async (browser: WebBrowser, fields: Record<string, string>, file?: { field: string; name: string; content: Buffer; type: string }) => {
    const page = await formPage(browser);
    expect(page.response.status).toBe(200);
    const action = /<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(page.html)![1].replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    const form = new FormData();
    form.set('_csrf', hiddenValue(page.html, '_csrf'));
    form.set('teleservice', givorsTeleservice.id);
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    if (file) form.set(file.field, new Blob([new Uint8Array(file.content)], { type: file.type }), file.name);
    return browser.request(new URL(action, backoffice.url).toString(), { method: 'POST', body: form });
  };

  beforeAll(async () => {
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });
    seed = await seedEngine(db());
    const [{ id: givorsInstance }] = await db().query<{ id: string }[]>(`SELECT id FROM instance WHERE collectivity_id = $1`, [seed.givorsId]);
    givorsTeleservice = await new TeleserviceRepository(db().manager).create({
      instanceId: givorsInstance,
      collectivityId: seed.givorsId,
      slug: 'depot-au-guichet',
      kind: 'communal',
      title: 'Signalement à Givors',
      summary: 'Pour le dépôt au guichet',
      anonymousAllowed: false,
      now: new Date('2026-01-10T08:00:00.000Z'),
    });
    await seed.publish(givorsTeleservice, TEST_FORM, TEST_WORKFLOW);

    const roles = backoffice.app.get(AgentRoleService);
    const agent = async (email: string, collectivity: string | null) => {
      await createVerifiedAccount(identity, email, STRONG_PASSWORD, { givenName: 'Agent', familyName: 'Guichet' });
      const { sub } = await backofficeSubjectForEmail(db(), backoffice.config, backoffice.clock, email);
      if (collectivity) await roles.grant({ accountSub: sub, accountEmail: email, collectivity, role: 'agent' });
      const browser = new WebBrowser();
      await logIn(browser, backoffice.url, email, { returnTo: '/tableau-de-bord' });
      return { sub, browser };
    };
    ({ sub: givorsSub, browser: givorsAgent } = await agent(GIVORS_EMAIL, 'givors'));
    ({ browser: bronAgent } = await agent(BRON_EMAIL, 'bron'));
    ({ browser: citizen } = await agent(CITIZEN_EMAIL, null));
  });
  afterAll(async () => {
    await backoffice?.close();
    await identity?.close();
  });

  it('offers « Nouvelle demande » from the inbox, and lists the published téléservices of my collectivities only', async () => {
    const inbox = await givorsAgent.follow(`${backoffice.url}/demandes`);
    expect(inbox.html).toContain('<a class="button" href="/nouvelle-demande">Nouvelle demande</a>');
    const choose = await givorsAgent.follow(`${backoffice.url}/nouvelle-demande`);
    expect(choose.response.status).toBe(200);
    expect(choose.html).toContain(`<option value="${givorsTeleservice.id}">Signalement à Givors</option>`);
    expect(choose.html).not.toContain(seed.simple.id);
    const bron = await bronAgent.follow(`${backoffice.url}/nouvelle-demande`);
    expect(bron.response.status).toBe(200);
    expect(bron.html).not.toContain(givorsTeleservice.id);
  });

  it('refuses an invalid submission with the engine’s French messages next to the fields, keeping the typed values; nothing is stored', async () => {
    const response = await submit(givorsAgent, { canal: 'counter', 'f.nom': 'Camille Dupont', 'f.courriel': 'pas-une-adresse', 'f.motif': 'bruit' });
    expect(response.status).toBe(422);
    const html = await response.text();
    expect(html).toContain('<a href="#champ-courriel">');
    expect(html).toMatch(/<p class="error-message" id="champ-courriel-error"><span class="visually-hidden">Erreur : <\/span>[^<]*adresse[^<]*<\/p>/i);
    expect(html).toMatch(/<input type="email" id="champ-courriel" name="f.courriel" value="pas-une-adresse" aria-invalid="true" aria-describedby="champ-courriel-error">/);
    expect(html).toContain('<input type="text" id="champ-nom" name="f.nom" value="Camille Dupont">');
    expect(html).toMatch(/<input type="radio" id="champ-motif-0" name="f.motif" value="bruit" checked>/);
    expect(html).toMatch(/<input type="radio" id="canal-counter" name="canal" value="counter" checked>/);
    expect(await demandCount()).toBe(0);
  });

  it('refuses a submission without a channel, with the message on the channel choice', async () => {
    const response = await submit(givorsAgent, { 'f.nom': 'Camille Dupont', 'f.courriel': 'camille@example.org', 'f.motif': 'bruit' });
    expect(response.status).toBe(422);
    const html = await response.text();
    expect(html).toContain('<a href="#canal">Canal de dépôt attendu');
    expect(html).toContain('id="canal-error"');
    expect(await demandCount()).toBe(0);
  });

  it('files the demand at the counter for a citizen without account: Givors, channel, agent, file, history', async () => {
    const response = await submit(
      givorsAgent,
      { canal: 'counter', 'f.nom': 'Camille Dupont', 'f.courriel': 'camille@example.org', 'f.motif': 'bruit', contact: 'Camille.Dupont@Example.org' },
      { field: 'f.justificatif', name: 'plan.png', content: PNG_BYTES, type: 'image/png' },
    );
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    const id = /^\/demandes\/([0-9a-f-]{36})\?fait=1$/.exec(location)![1];
    const [row] = await db().query<{ collectivity_id: string; channel: string; submitted_by_agent: string; account_sub: string | null; data: Record<string, unknown> }[]>(
      `SELECT collectivity_id, channel, submitted_by_agent, account_sub, data FROM demand WHERE id = $1`,
      [id],
    );
    expect(row).toMatchObject({ collectivity_id: seed.givorsId, channel: 'counter', submitted_by_agent: givorsSub, account_sub: null });
    expect(row.data).toMatchObject({ nom: 'Camille Dupont', courriel: 'camille@example.org', motif: 'bruit' });
    const attachments = await db().query<{ file_name: string; field_id: string }[]>(`SELECT file_name, field_id FROM attachment WHERE demand_id = $1`, [id]);
    expect(attachments).toEqual([{ file_name: 'plan.png', field_id: 'justificatif' }]);
    const [submitted] = await db().query<{ actor: Record<string, unknown>; payload: Record<string, unknown> }[]>(
      `SELECT actor, payload FROM demand_event WHERE demand_id = $1 AND kind = 'submitted'`,
      [id],
    );
    expect(submitted.actor).toMatchObject({ type: 'agent', sub: givorsSub });
    expect(submitted.payload).toMatchObject({ channel: 'counter' });

    const page = await givorsAgent.follow(`${backoffice.url}${location}`);
    expect(page.response.status).toBe(200);
    expect(page.html).toContain('L’action a été enregistrée.');
    expect(page.html).toContain('<div><dt>Canal</dt><dd>Guichet</dd></div>');
    expect(page.html).toMatch(/<strong>Demande déposée<\/strong> — Agent \(vous\)/);
  });

  it('answers « not found » to an agent of Bron on a Givors téléservice, on the page and on submission (nothing stored)', async () => {
    const before = await demandCount();
    const page = await bronAgent.follow(`${backoffice.url}/nouvelle-demande?teleservice=${givorsTeleservice.id}&canal=counter`);
    expect(page.response.status).toBe(404);
    const csrf = hiddenValue((await bronAgent.follow(`${backoffice.url}/nouvelle-demande`)).html, '_csrf');
    const response = await bronAgent.post(`${backoffice.url}/nouvelle-demande`, {
      _csrf: csrf,
      teleservice: givorsTeleservice.id,
      canal: 'counter',
      'f.nom': 'Intrus',
      'f.courriel': 'intrus@example.org',
      'f.motif': 'bruit',
    });
    expect(response.status).toBe(404);
    expect(await demandCount()).toBe(before);
  });

  it('refuses an account without agent role', async () => {
    const page = await citizen.follow(`${backoffice.url}/nouvelle-demande`);
    expect(page.response.status).toBe(403);
    const form = await citizen.follow(`${backoffice.url}/nouvelle-demande?teleservice=${givorsTeleservice.id}`);
    expect(form.response.status).toBe(403);
  });
  describe('in a real browser (Chromium)', () => {
    let chromium: Chromium;
    beforeAll(async () => {
      chromium = await launchBrowser();
    });
    afterAll(async () => {
      await chromium?.close();
    });

    it('chooses the téléservice and the channel, corrects an error from the summary, files the demand by phone; the pages pass axe-core', async () => {
      // CSP bypassed so that axe-core can be injected into the page showing the errors (the app's CSP refuses inline scripts).
      const context = await chromium.newContext({ bypassCSP: true });
      const page = await context.newPage();
      await page.goto(`${backoffice.url}/auth/login?returnTo=%2Fdemandes`);
      await page.getByLabel('Adresse électronique').fill(GIVORS_EMAIL);
      await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
      await Promise.all([page.waitForURL(`${backoffice.url}/demandes`), page.getByRole('button', { name: 'Se connecter' }).click()]);
      await page.getByRole('link', { name: 'Nouvelle demande' }).click();
      await page.waitForURL(`${backoffice.url}/nouvelle-demande`);
      await page.getByLabel('Téléservice').selectOption(givorsTeleservice.id);
      await page.getByLabel('Téléphone').check();
      await Promise.all([page.waitForURL(/teleservice=/), page.getByRole('button', { name: 'Saisir le formulaire' }).click()]);

      await page.getByLabel('Nom').fill('Dominique Petit');
      await page.getByLabel('Bruit').check();
      await page.getByRole('button', { name: 'Enregistrer la demande' }).click();
      await page.locator('.error-summary').waitFor();
      await page.locator('.error-summary a[href="#champ-courriel"]').click();
      expect(await page.getByLabel('Nom').inputValue()).toBe('Dominique Petit');

      const audit = await chromium.newContext({ bypassCSP: true });
      await audit.addCookies(await context.cookies());
      for (const path of ['/nouvelle-demande', `/nouvelle-demande?teleservice=${givorsTeleservice.id}&canal=phone`]) {
        const auditPage = await audit.newPage();
        await auditPage.goto(`${backoffice.url}${path}`);
        expect({ path, violations: await seriousAccessibilityViolations(auditPage) }).toEqual({ path, violations: [] });
        await auditPage.close();
      }
      expect({ path: 'erreurs', violations: await seriousAccessibilityViolations(page) }).toEqual({ path: 'erreurs', violations: [] });

      await page.getByLabel('Courriel', { exact: true }).fill('dominique.petit@example.org');
      await Promise.all([page.waitForURL(/\/demandes\/[0-9a-f-]{36}\?fait=1/), page.getByRole('button', { name: 'Enregistrer la demande' }).click()]);
      expect(await page.locator('main').innerText()).toContain('Téléphone');
      await audit.close();
      await context.close();
    });
  });
});
