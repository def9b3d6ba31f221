import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser as Chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail } from '#agents';
import { DemandEngine, DemandRepository, platformScope, withTenant, type Demand } from '#demands';
import { TeleserviceRepository, type Teleservice } from '#teleservices';
import { launchBrowser, ManualClock, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { seedEngine, PNG_BYTES, TEST_FORM, TEST_WORKFLOW, type EngineSeed } from '../../apps/engine/engine-test-fixture.js';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createVerifiedAccount, hiddenValue, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/**
 * The agent's inbox and demand page (issue 7, first increment), through the real provider login. Givors'
 * agent works on Givors' demands; every attempt on a Bron demand (page, file, action, listing, counts, filter
 * choices) is refused by row-level security and answers as if the demand did not exist.
 */
const BASE = Date.parse('2026-02-02T08:00:00.000Z');
const AGENT_EMAIL = 'claude.instructeur@example.org';

describe('back-office inbox and demand view', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let seed: EngineSeed;
  let bronId: string;
  let bronOnly: Teleservice;
  let anomalyVersionId: string;
  const givors: Demand[] = [];
  const givorsAnomaly: Demand[] = [];
  const bron: Demand[] = [];
  let givorsFileId: string;
  let bronFileId: string;
  let agent: WebBrowser;

  const dataSource = () => backoffice.app.get(DataSource);
  const insert = (collectivityId: string, teleserviceId: string, versionId: string, minutes: number, extra: Record<string, unknown> = {}) =>
    withTenant(dataSource(), platformScope('données de test'), (manager) =>
      new DemandRepository(manager).insertDemand({
        collectivityId,
        teleserviceId,
        versionId,
        channel: 'web',
        data: { nom: `Camille Martin ${minutes}`, courriel: 'camille@example.org', motif: 'bruit', ...extra },
        status: 'received',
        submittedAt: new Date(BASE + minutes * 60_000),
      }),
    );
  const attach = async (demand: Demand) => {
    const stored = await backoffice.app.get(DemandEngine).storage.put(PNG_BYTES, { maxBytes: 10_000 });
    return withTenant(dataSource(), platformScope('données de test'), (manager) =>
      new DemandRepository(manager).insertAttachment(demand, { fieldId: 'justificatif', storageKey: stored.key, fileName: 'plan été.png', mimeType: stored.mimeType, sizeBytes: stored.sizeBytes, sha256: stored.sha256, at: new Date(BASE) }),
    );
  };
  const statusOf = async (id: string) => (await dataSource().query<{ status: string }[]>(`SELECT status FROM demand WHERE id = $1`, [id]))[0].status;
  const codesIn = (html: string) => [...html.matchAll(/<a href="\/demandes\/([0-9a-f-]{36})">([A-Z0-9-]+)<\/a>/g)].map((m) => m[1]);
  const link = (html: string, rel: 'next' | 'prev') => {
    const href = new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(html)?.[1];
    return href ? href.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=') : null;
  };
  const get = (path: string) => agent.follow(`${backoffice.url}${path}`);

  beforeAll(async () => {
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });

    seed = await seedEngine(dataSource());
    bronId = (await dataSource().query<{ id: string }[]>(`SELECT id FROM collectivity WHERE insee_code = '69029'`))[0].id;
    anomalyVersionId = (await dataSource().query<{ id: string }[]>(`SELECT id FROM teleservice_version WHERE teleservice_id = $1 AND state = 'published'`, [seed.anomaly.id]))[0].id;
    const [instance] = await dataSource().query<{ id: string }[]>(`SELECT instance_id AS id FROM teleservice WHERE id = $1`, [seed.simple.id]);
    bronOnly = await new TeleserviceRepository(dataSource().manager).create({
      instanceId: instance.id,
      collectivityId: seed.metropolisId,
      slug: 'service-bron-seulement',
      kind: 'metropolitan',
      title: 'Service réservé aux demandes de Bron',
      summary: 'Pour les tests',
      anonymousAllowed: true,
      now: new Date(BASE),
    });
    const bronOnlyVersion = await seed.publish(bronOnly, TEST_FORM, TEST_WORKFLOW);

    // Givors: 45 « Demande simple » (minutes 1–45, newest last) and 3 anomalies; Bron: 2 + 2, interleaved in time.
    for (let i = 1; i <= 45; i++) givors.push(await insert(seed.givorsId, seed.simple.id, seed.simpleV1.id, i, i === 7 ? { motif: 'autre', precision: 'Tondeuse du voisin' } : {}));
    for (let i = 0; i < 3; i++) givorsAnomaly.push(await insert(seed.givorsId, seed.anomaly.id, anomalyVersionId, 100 + i, { description: 'Nid-de-poule' }));
    bron.push(await insert(bronId, seed.simple.id, seed.simpleV1.id, 10, { precision: 'Tondeuse du voisin', motif: 'autre' }));
    bron.push(await insert(bronId, seed.simple.id, seed.simpleV1.id, 20));
    bron.push(await insert(bronId, bronOnly.id, bronOnlyVersion.id, 30));
    bron.push(await insert(bronId, bronOnly.id, bronOnlyVersion.id, 40));
    givorsFileId = (await attach(givors[0])).id;
    await withTenant(dataSource(), platformScope('données de test'), (manager) =>
      new DemandRepository(manager).appendEvent(givors[1], { at: new Date(BASE), kind: 'comment', actor: { type: 'system', name: 'test' }, visibility: 'internal', payload: { text: 'Note de service' } }),
    );
    bronFileId = (await attach(bron[0])).id;

    await createVerifiedAccount(identity, AGENT_EMAIL, STRONG_PASSWORD, { givenName: 'Claude', familyName: 'Instructeur' });
    const { sub } = await backofficeSubjectForEmail(dataSource(), backoffice.config, backoffice.clock, AGENT_EMAIL);
    await backoffice.app.get(AgentRoleService).grant({ accountSub: sub, accountEmail: AGENT_EMAIL, collectivity: 'givors', role: 'agent' });
    agent = new WebBrowser();
    const page = await logIn(agent, backoffice.url, AGENT_EMAIL, { returnTo: '/demandes' });
    expect(page.url).toBe(`${backoffice.url}/demandes`);
  });
  afterAll(async () => {
    await backoffice?.close();
    await identity?.close();
  });

  describe('an agent of Givors', () => {
    it('sees Givors’ demands only, newest first, in an accessible table', async () => {
      const page = await get('/demandes');
      expect(page.response.status).toBe(200);
      expect(page.html).toContain('48 demande(s)');
      expect(page.html).toContain('<caption id="liste-demandes">');
      expect(page.html).toContain('<th scope="col">Statut</th>');
      expect(page.html).toContain('<span class="badge badge-open">Demande reçue');
      const ids = codesIn(page.html);
      expect(ids).toEqual([...givorsAnomaly].reverse().concat([...givors].reverse()).slice(0, 20).map((d) => d.id));
    });

    it('shows « N ouvertes sur M » per téléservice on the dashboard, for Givors only', async () => {
      const page = await get('/tableau-de-bord');
      expect(page.html).toMatch(/Demande simple<\/a><\/th><td class="counter">45 ouvertes sur 45<\/td>/);
      expect(page.html).toMatch(/Signaler une anomalie sur l’espace public<\/a><\/th><td class="counter">3 ouvertes sur 3<\/td>/);
    });

    it('filters by status, téléservice, dates and text (tracking code or data)', async () => {
      const byTeleservice = await get(`/demandes?teleservice=${seed.anomaly.id}`);
      expect(codesIn(byTeleservice.html)).toEqual([...givorsAnomaly].reverse().map((d) => d.id));
      const byCode = await get(`/demandes?q=${encodeURIComponent(givors[3].trackingCode.toLowerCase())}`);
      expect(codesIn(byCode.html)).toEqual([givors[3].id]);
      const byText = await get(`/demandes?q=tondeuse`);
      expect(codesIn(byText.html)).toEqual([givors[6].id]);
      expect(byText.html).toContain('value="tondeuse"');
      // Dates are Europe/Paris days: 2026-02-02 09:00 to 09:45 (Paris) are minutes 1–45; 10:40 onwards the anomalies.
      const byDates = await get('/demandes?du=2026-02-02&au=2026-02-02');
      expect(byDates.html).toContain('48 demande(s)');
      expect(codesIn((await get('/demandes?au=2026-02-01')).html)).toEqual([]);
      const invalid = await get('/demandes?du=2026-13-40');
      expect(invalid.response.status).toBe(422);
      expect(invalid.html).toContain('doit être une date valide');
      const byStatus = await get('/demandes?statut=received');
      expect(byStatus.html).toContain('48 demande(s)');
      expect(codesIn((await get('/demandes?statut=accepted')).html)).toEqual([]);
    });

    it('pages with cursors: 3 pages, stable order, filters kept in « Suivants » / « Précédents »', async () => {
      const first = await get(`/demandes?teleservice=${seed.simple.id}`);
      const next1 = link(first.html, 'next')!;
      expect(link(first.html, 'prev')).toBeNull();
      expect(next1).toContain(`teleservice=${seed.simple.id}`);
      const second = await get(next1);
      const next2 = link(second.html, 'next')!;
      expect(next2).toContain(`teleservice=${seed.simple.id}`);
      const third = await get(next2);
      expect(link(third.html, 'next')).toBeNull();
      const pages = [first, second, third].map((p) => codesIn(p.html));
      expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
      expect(pages.flat()).toEqual([...givors].reverse().map((d) => d.id));
      const back = await get(link(third.html, 'prev')!);
      expect(codesIn(back.html)).toEqual(pages[1]);
      expect(link(back.html, 'prev')).toContain(`teleservice=${seed.simple.id}`);
      const backToFirst = await get(link(back.html, 'prev')!);
      expect(codesIn(backToFirst.html)).toEqual(pages[0]);
      expect(link(backToFirst.html, 'prev')).toBeNull();
      expect((await get('/demandes?apres=nimportequoi')).response.status).toBe(422);
    });

    it('opens a demand: fields, file, history with internal events, action buttons; downloads the file as an attachment', async () => {
      const page = await get(`/demandes/${givors[6].id}`);
      expect(page.response.status).toBe(200);
      expect(page.html).toContain(`<h1>Demande ${givors[6].trackingCode}</h1>`);
      expect(page.html).toMatch(/<dt>Précisez<\/dt><dd>Tondeuse du voisin/);
      expect(page.html).toMatch(/<dt>Motif<\/dt><dd>Autre/);
      expect(page.html).toContain('>Prendre en charge</button>');

      const withFile = await get(`/demandes/${givors[0].id}`);
      expect(withFile.html).toContain(`href="/demandes/${givors[0].id}/pieces-jointes/${givorsFileId}"`);
      const file = await agent.request(`${backoffice.url}/demandes/${givors[0].id}/pieces-jointes/${givorsFileId}`);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-disposition')).toBe(`attachment; filename="plan _t_.png"; filename*=UTF-8''plan%20%C3%A9t%C3%A9.png`);
      expect(file.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await file.arrayBuffer())).toEqual(PNG_BYTES);
    });

    it('acts on a demand: the status moves and the history shows it (internal events marked « interne »)', async () => {
      const target = givors[1];
      const page = await get(`/demandes/${target.id}`);
      const csrf = hiddenValue(page.html, '_csrf');
      const taken = await agent.post(`${backoffice.url}/demandes/${target.id}/actions`, { _csrf: csrf, actionId: 'take', version: String(target.lockVersion) });
      expect(taken.status).toBe(303);
      expect(taken.headers.get('location')).toBe(`/demandes/${target.id}?fait=1`);
      expect(await statusOf(target.id)).toBe('in_progress');
      const after = await get(`/demandes/${target.id}?fait=1`);
      expect(after.html).toContain('L’action a été enregistrée.');
      expect(after.html).toMatch(/id="statut-demande">En cours d’instruction</);
      expect(after.html).toMatch(/<strong>Changement de statut<\/strong> : En cours d’instruction — Agent/);
      expect(after.html).toContain('>Accepter</button>');
      expect(after.html).toMatch(/<strong>Commentaire<\/strong> — Système, [^<]+ <span class="badge badge-internal">interne<\/span><\/p>\s*<p class="timeline-detail">Note de service<\/p>/);

      // A required comment and a confirmation are honoured, with the French message of the refusal.
      const noComment = await agent.post(`${backoffice.url}/demandes/${target.id}/actions`, { _csrf: csrf, actionId: 'refuse', comment: '  ' });
      expect(noComment.status).toBe(422);
      expect(await noComment.text()).toContain('L’action n’a pas été effectuée');
      const unconfirmed = await agent.post(`${backoffice.url}/demandes/${target.id}/actions`, { _csrf: csrf, actionId: 'accept' });
      expect(unconfirmed.status).toBe(422);
      expect(await statusOf(target.id)).toBe('in_progress');

      // The page was read at an older version: someone else acted in between.
      const stale = await agent.post(`${backoffice.url}/demandes/${target.id}/actions`, { _csrf: csrf, actionId: 'accept', confirmed: 'oui', version: String(target.lockVersion) });
      expect(stale.status).toBe(409);
      expect(await stale.text()).toContain('La demande a été modifiée entre-temps');
      expect(await statusOf(target.id)).toBe('in_progress');
    });

    it('refuses an action without the CSRF token (403), and the demand does not move', async () => {
      const target = givors[2];
      const refused = await agent.post(`${backoffice.url}/demandes/${target.id}/actions`, { actionId: 'take' });
      expect(refused.status).toBe(403);
      expect(await statusOf(target.id)).toBe('received');
    });
  });

  describe('isolation: the same agent and Bron’s demands', () => {
    it('gets 404 on a Bron demand’s page', async () => {
      const page = await get(`/demandes/${bron[0].id}`);
      expect(page.response.status).toBe(404);
      expect(page.html).not.toContain(bron[0].trackingCode);
    });

    it('gets 404 on a Bron attachment, through the Bron demand and through one of its own demands', async () => {
      expect((await agent.request(`${backoffice.url}/demandes/${bron[0].id}/pieces-jointes/${bronFileId}`)).status).toBe(404);
      expect((await agent.request(`${backoffice.url}/demandes/${givors[0].id}/pieces-jointes/${bronFileId}`)).status).toBe(404);
    });

    it('gets 404 on an action POST on a Bron demand, which stays as it was', async () => {
      const page = await get('/demandes');
      const response = await agent.post(`${backoffice.url}/demandes/${bron[1].id}/actions`, { _csrf: hiddenValue(page.html, '_csrf'), actionId: 'take' });
      expect(response.status).toBe(404);
      expect(await statusOf(bron[1].id)).toBe('received');
      expect((await dataSource().query(`SELECT count(*)::int AS n FROM demand_event WHERE demand_id = $1`, [bron[1].id]))[0].n).toBe(0);
    });

    it('never lists Bron’s demands, even searched by tracking code or by text', async () => {
      const all: string[] = [];
      let path: string | null = '/demandes';
      while (path) {
        const page = await get(path);
        all.push(...codesIn(page.html));
        path = link(page.html, 'next');
      }
      expect(all).toHaveLength(48);
      for (const demand of bron) expect(all).not.toContain(demand.id);
      expect(codesIn((await get(`/demandes?q=${bron[3].trackingCode}`)).html)).toEqual([]);
      expect(codesIn((await get(`/demandes?teleservice=${bronOnly.id}`)).html)).toEqual([]);
    });

    it('never counts Bron’s demands (totals and dashboard counters)', async () => {
      expect((await get('/demandes')).html).toContain('48 demande(s)');
      expect((await get(`/demandes?q=${bron[3].trackingCode}`)).html).toContain('0 demande(s)');
      const dashboard = await get('/tableau-de-bord');
      expect(dashboard.html).toContain('45 ouvertes sur 45');
      expect(dashboard.html).not.toContain('Service réservé aux demandes de Bron');
    });

    it('never offers Bron’s téléservices in the filters', async () => {
      const page = await get('/demandes');
      expect(page.html).toContain(`<option value="${seed.simple.id}"`);
      expect(page.html).not.toContain(bronOnly.id);
      expect(page.html).not.toContain('Service réservé aux demandes de Bron');
    });
  });

  describe('in a real browser (Chromium)', () => {
    let chromium: Chromium;
    beforeAll(async () => {
      chromium = await launchBrowser();
    });
    afterAll(async () => {
      await chromium?.close();
    });

    it('logs in, filters the inbox by status, opens a demand, presses an action and sees the new status; pages pass axe-core', async () => {
      const context = await chromium.newContext({ bypassCSP: false });
      const page = await context.newPage();
      await page.goto(`${backoffice.url}/demandes`);
      expect(await page.locator('h1').innerText()).not.toBe('Demandes'); // 401 page
      await page.getByRole('link', { name: 'Se connecter' }).first().click();
      await page.getByLabel('Adresse électronique').fill(AGENT_EMAIL);
      await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
      await Promise.all([page.waitForURL(`${backoffice.url}/demandes`), page.getByRole('button', { name: 'Se connecter' }).click()]);
      expect(await page.locator('h1').innerText()).toBe('Demandes');

      await page.getByLabel('Statut', { exact: true }).selectOption({ label: 'En cours d’instruction' });
      await page.getByRole('button', { name: 'Filtrer' }).click();
      await page.waitForURL(/statut=in_progress/);
      const rows = page.locator('table.inbox-table tbody tr');
      expect(await rows.count()).toBe(1);
      await rows.first().getByRole('link').click();
      await page.waitForURL(`${backoffice.url}/demandes/${givors[1].id}`);

      await page.getByLabel('Accepter définitivement ?').check();
      await Promise.all([page.waitForURL(/fait=1/), page.getByRole('button', { name: 'Accepter' }).click()]);
      expect(await page.locator('#statut-demande').innerText()).toBe('Acceptée');
      expect(await page.getByRole('status').first().innerText()).toContain('L’action a été enregistrée.');

      const audit = await chromium.newContext({ bypassCSP: true });
      await audit.addCookies(await context.cookies());
      for (const path of ['/demandes?statut=received', `/demandes/${givors[6].id}`, '/tableau-de-bord']) {
        const auditPage = await audit.newPage();
        await auditPage.goto(`${backoffice.url}${path}`);
        expect({ path, violations: await seriousAccessibilityViolations(auditPage) }).toEqual({ path, violations: [] });
        await auditPage.close();
      }
      await audit.close();
      await context.close();
    });
  });
});
