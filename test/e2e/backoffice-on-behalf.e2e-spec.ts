import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser as Chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { DEV_CLIENT_SECRETS } from '#accounts';
import { AgentRoleService, backofficeSubjectForEmail, pairwiseSubject } from '#agents';
import { fromRoot, type DomainError } from '#core';
import { DemandRepository, platformScope, SubmitDemandCommand, withTenant } from '#demands';
import { TeleserviceRepository, type Teleservice } from '#teleservices';
import { launchBrowser, ManualClock, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { seedEngine, PNG_BYTES, TEST_FORM, TEST_WORKFLOW, type EngineSeed } from '../../apps/engine/engine-test-fixture.js';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { LOOKUP_AGENT_RULE } from '../../apps/identity/web/account-lookup.controller.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { createVerifiedAccount, hiddenValue, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/**
 * Submission on behalf of a citizen (issue 7): an agent types a demand received at the counter, by phone or by
 * mail into one page of the back office. The engine validates it (errors next to their field, typed values
 * kept), files it in the téléservice's collectivity with the channel and the agent, and the demand page shows
 * both. An agent of another commune gets « not found »; an account without agent role is refused.
 * With an account: the agent finds it by its exact email through the identity's internal lookup (refused to
 * other clients and without credentials), confirms the person, and the demand is in the citizen's « Mes démarches »
 * on the portal (real login). Every field type is typed in: address, map point, repeatable blocks, data sources.
 */
const SCREENSHOTS = fromRoot('test-artifacts', 'screenshots');
const GIVORS_EMAIL = 'guichet.givors@example.org';
const BRON_EMAIL = 'guichet.bron@example.org';
const CITIZEN_EMAIL = 'simple.usager@example.org';
const CAMILLE_EMAIL = 'camille.usager@example.org';

/** Every field type the page used to refuse: address, map point, a repeatable block with a file, data sources. */
const FIELDS_FORM = {
  schemaVersion: 1,
  title: 'Tous les types',
  pages: [
    {
      id: 'lieu_page',
      title: 'Le lieu',
      fields: [
        { id: 'adresse', type: 'address', label: 'Adresse du demandeur', required: true },
        { id: 'lieu', type: 'map_point', label: 'Emplacement', required: true },
        { id: 'collectivite', type: 'data_source', label: 'Collectivité concernée', required: true, display: 'list', source: { kind: 'collectivities' } },
        {
          id: 'taille',
          type: 'data_source',
          label: 'Taille',
          required: true,
          display: 'radio',
          source: { kind: 'static', options: [{ value: 'p', label: 'Petite' }, { value: 'g', label: 'Grande' }] },
        },
      ],
    },
    {
      id: 'enfants_page',
      title: 'Les enfants',
      fields: [
        {
          id: 'enfants',
          type: 'block',
          label: 'Enfants',
          itemLabel: 'Enfant',
          required: true,
          minItems: 1,
          maxItems: 4,
          fields: [
            { id: 'prenom', type: 'text', label: 'Prénom', required: true },
            { id: 'certificat', type: 'file', label: 'Certificat', accept: ['image/png'], maxFiles: 1, maxSizeBytes: 1024 * 1024 },
            { id: 'domicile', type: 'address', label: 'Domicile', withinCommunes: true },
          ],
        },
        { id: 'courriel', type: 'email', label: 'Courriel', required: true },
      ],
    },
  ],
};

describe('back office: submission on behalf of a citizen', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let portal: TestApp;
  let fieldsTeleservice: Teleservice;
  let seed: EngineSeed;
  let givorsTeleservice: Teleservice;
  let givorsSub: string;
  let givorsAgent: WebBrowser;
  let bronAgent: WebBrowser;
  let citizen: WebBrowser;

  const db = () => backoffice.app.get(DataSource);
  let agentOf: (email: string, collectivity: string | null) => Promise<WebBrowser>;
  const demandCount = async () => Number((await db().query<{ n: string }[]>(`SELECT count(*) AS n FROM demand WHERE teleservice_id = $1`, [givorsTeleservice.id]))[0].n);
  const formPage = (browser: WebBrowser, teleservice = givorsTeleservice) => browser.follow(`${backoffice.url}/nouvelle-demande?teleservice=${teleservice.id}&canal=counter`);
  /** Posts the page's form as the browser would (multipart, CSRF token in the action). */
  const submit = async (
    browser: WebBrowser,
    fields: Record<string, string>,
    file?: { field: string; name: string; content: Buffer; type: string },
    teleservice = givorsTeleservice,
  ) => {
    const page = await formPage(browser, teleservice);
    expect(page.response.status).toBe(200);
    const action = /<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(page.html)![1].replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    const form = new FormData();
    form.set('_csrf', hiddenValue(page.html, '_csrf'));
    form.set('teleservice', teleservice.id);
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    if (file) form.set(file.field, new Blob([new Uint8Array(file.content)], { type: file.type }), file.name);
    return browser.request(new URL(action, backoffice.url).toString(), { method: 'POST', body: form });
  };
  const lookup = (body: unknown, credentials?: { id: string; secret: string }) =>
    fetch(`${identity.url}/api/comptes/recherche`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(credentials ? { authorization: `Basic ${Buffer.from(`${credentials.id}:${credentials.secret}`).toString('base64')}` } : {}),
      },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    portal = await startTestApp(portalApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: portal.url, backoffice: backoffice.url });
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
    fieldsTeleservice = await new TeleserviceRepository(db().manager).create({
      instanceId: givorsInstance,
      collectivityId: seed.givorsId,
      slug: 'tous-les-types',
      kind: 'communal',
      title: 'Tous les types de champs',
      summary: 'Adresse, point, blocs, listes',
      anonymousAllowed: false,
      now: new Date('2026-01-10T08:00:00.000Z'),
    });
    await seed.publish(fieldsTeleservice, FIELDS_FORM, TEST_WORKFLOW);
    await createVerifiedAccount(identity, CAMILLE_EMAIL, STRONG_PASSWORD, { givenName: 'Camille', familyName: 'Usager' });

    const roles = backoffice.app.get(AgentRoleService);
    const agent = async (email: string, collectivity: string | null) => {
      await createVerifiedAccount(identity, email, STRONG_PASSWORD, { givenName: 'Agent', familyName: 'Guichet' });
      const { sub } = await backofficeSubjectForEmail(db(), backoffice.config, backoffice.clock, email);
      if (collectivity) await roles.grant({ accountSub: sub, accountEmail: email, collectivity, role: 'agent' });
      const browser = new WebBrowser();
      await logIn(browser, backoffice.url, email, { returnTo: '/tableau-de-bord' });
      return { sub, browser };
    };
    agentOf = async (email, collectivity) => (await agent(email, collectivity)).browser;
    ({ sub: givorsSub, browser: givorsAgent } = await agent(GIVORS_EMAIL, 'givors'));
    ({ browser: bronAgent } = await agent(BRON_EMAIL, 'bron'));
    ({ browser: citizen } = await agent(CITIZEN_EMAIL, null));
  });
  afterAll(async () => {
    await portal?.close();
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
    expect(html).toContain('<a href="#f-courriel">Courriel : ');
    expect(html).toMatch(/<p class="error-message" id="f-courriel-error"><span class="visually-hidden">Erreur : <\/span>[^<]*adresse[^<]*<\/p>/i);
    expect(html).toMatch(/<input type="email" id="f-courriel" name="f.courriel" value="pas-une-adresse" autocomplete="off" aria-invalid="true" aria-describedby="f-courriel-error">/);
    expect(html).toMatch(/<input type="text" id="f-nom" name="f.nom" value="Camille Dupont" maxlength="100" autocomplete="off">/);
    expect(html).toMatch(/<input type="radio" id="f-motif-0" name="f.motif" value="bruit" checked>/);
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
    // Who filed it for whom: the agent, for a citizen without account (no user card to open).
    expect(page.html).toContain('<div><dt>Déposée par</dt><dd id="deposee-par">Agent (vous), pour l’usager</dd></div>');
    expect(page.html).toContain('<dd id="compte-usager">Sans compte territorial : l’usager est informé par courriel</dd>');
    expect(page.html).not.toContain(`/demandes/${id}/usager`);
    // A colleague of Givors sees the agent by their address.
    const colleague = await agentOf('collegue.givors@example.org', 'givors');
    const seen = await colleague.follow(`${backoffice.url}/demandes/${id}`);
    expect(seen.html).toContain(`<dd id="deposee-par">Agent (${GIVORS_EMAIL}), pour l’usager</dd>`);
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
  describe('for a citizen with a territorial account', () => {
    let linkedId = '';
    const camilleFields = { canal: 'phone', 'f.nom': 'Camille Usager', 'f.courriel': 'autre.adresse@example.org', 'f.motif': 'bruit' };

    it('answers the lookup API only to the back office’s client with its secret: 401 without or with wrong credentials, 403 to the portal’s client', async () => {
      const none = await lookup({ email: CAMILLE_EMAIL, agent: givorsSub });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Basic');
      expect(await none.json()).toMatchObject({ erreur: 'authentification_requise' });
      const wrong = await lookup({ email: CAMILLE_EMAIL, agent: givorsSub }, { id: 'parvis-backoffice', secret: 'pas-le-bon-secret-du-tout' });
      expect(wrong.status).toBe(401);
      const portalClient = await lookup({ email: CAMILLE_EMAIL, agent: givorsSub }, { id: 'parvis-portal', secret: DEV_CLIENT_SECRETS['parvis-portal'] });
      expect(portalClient.status).toBe(403);
      expect(await portalClient.json()).toEqual({ erreur: 'recherche_non_autorisee', message: 'Ce client n’est pas autorisé à rechercher des comptes.' });

      const backofficeClient = { id: 'parvis-backoffice', secret: DEV_CLIENT_SECRETS['parvis-backoffice'] };
      const [{ id: accountId }] = await db().query<{ id: string }[]>(`SELECT id FROM identity.account WHERE email = $1`, [CAMILLE_EMAIL]);
      const found = await lookup({ email: ' Camille.Usager@Example.org ', agent: givorsSub }, backofficeClient);
      expect(found.status).toBe(200);
      expect(found.headers.get('cache-control')).toContain('no-store');
      expect(await found.json()).toEqual({ compte: { nom: 'Camille Usager', sub: pairwiseSubject(identity.config.identity.pairwiseSalt, `${portal.url}/auth/callback`, accountId) } });
      // Exact addresses only: no partial search.
      for (const email of ['camille.usager@example', 'camille.usager', '%@example.org', 'inconnu@example.org']) {
        const answer = await lookup({ email, agent: givorsSub }, backofficeClient);
        expect([404, 422]).toContain(answer.status);
        expect(JSON.stringify(await answer.json())).not.toContain('Camille');
      }
    });

    it('finds the account by its exact email, asks the agent to confirm the person, then files the demand in the citizen’s « Mes démarches » with the receipt notification', async () => {
      const before = await demandCount();
      // « Rechercher le compte »: the name is shown, the typed answers are kept, nothing is filed.
      const searched = await submit(givorsAgent, { ...camilleFields, compte: 'Camille.Usager@example.org', _action: 'rechercher' });
      expect(searched.status).toBe(200);
      const searchedHtml = await searched.text();
      expect(searchedHtml).toContain('Compte trouvé : <strong>Camille Usager (camille.usager@example.org)</strong>');
      expect(searchedHtml).toContain('<input type="hidden" name="compte_verifie" value="camille.usager@example.org">');
      expect(searchedHtml).toMatch(/<input type="text" id="f-nom" name="f.nom" value="Camille Usager"/);
      expect(await demandCount()).toBe(before);

      // Filed without the confirmation: refused, the checkbox in error, nothing filed.
      const unconfirmed = await submit(givorsAgent, { ...camilleFields, compte: CAMILLE_EMAIL, compte_verifie: CAMILLE_EMAIL });
      expect(unconfirmed.status).toBe(422);
      const unconfirmedHtml = await unconfirmed.text();
      expect(unconfirmedHtml).toContain('<a href="#compte-confirme">Confirmez que la personne est bien Camille Usager (camille.usager@example.org).</a>');
      expect(unconfirmedHtml).toContain('aria-describedby="compte-confirme-error"');
      // Another address than the one looked up, even « confirmed »: refused too.
      const switched = await submit(givorsAgent, { ...camilleFields, compte: CAMILLE_EMAIL, compte_verifie: 'quelquun@example.org', compte_confirme: '1' });
      expect(switched.status).toBe(422);
      expect(await demandCount()).toBe(before);

      const filed = await submit(givorsAgent, { ...camilleFields, compte: CAMILLE_EMAIL, compte_verifie: CAMILLE_EMAIL, compte_confirme: '1' });
      expect(filed.status).toBe(303);
      const id = /^\/demandes\/([0-9a-f-]{36})\?fait=1$/.exec(filed.headers.get('location')!)![1];
      const [{ id: accountId }] = await db().query<{ id: string }[]>(`SELECT id FROM identity.account WHERE email = $1`, [CAMILLE_EMAIL]);
      const portalSub = pairwiseSubject(identity.config.identity.pairwiseSalt, `${portal.url}/auth/callback`, accountId);
      const [row] = await db().query<{ account_sub: string; channel: string; submitted_by_agent: string; tracking_code: string }[]>(
        `SELECT account_sub, channel, submitted_by_agent, tracking_code FROM demand WHERE id = $1`,
        [id],
      );
      expect(row).toMatchObject({ account_sub: portalSub, channel: 'phone', submitted_by_agent: givorsSub });
      linkedId = id;
      // Who filed it for whom, in the history.
      const [submitted] = await db().query<{ actor: Record<string, unknown>; payload: Record<string, unknown> }[]>(
        `SELECT actor, payload FROM demand_event WHERE demand_id = $1 AND kind = 'submitted'`,
        [id],
      );
      expect(submitted.actor).toMatchObject({ type: 'agent', sub: givorsSub });
      expect(submitted.payload).toMatchObject({ channel: 'phone', onBehalfOf: { accountSub: portalSub } });
      // The usual receipt: a mail to the account's address, and the portal's notification centre.
      const jobs = await db().query<{ job_name: string; payload: Record<string, unknown> }[]>(
        `SELECT job_name, payload FROM outbox_message WHERE job_name IN ('mail.send', 'notification.portal') AND payload::text LIKE $1`,
        [`%${id}%`],
      );
      const mails = await db().query<{ payload: { to: string; subject: string } }[]>(`SELECT payload FROM outbox_message WHERE job_name = 'mail.send' AND payload->>'to' = $1`, [CAMILLE_EMAIL]);
      expect(mails.map((m) => m.payload.subject)).toContainEqual(expect.stringContaining(row.tracking_code));
      expect(jobs.find((j) => j.job_name === 'notification.portal')?.payload).toMatchObject({ accountSub: portalSub, demandId: id, kind: 'demand.update' });

      // The citizen logs in on the portal (real login through the territorial account) and sees it.
      const camille = new WebBrowser();
      await logIn(camille, portal.url, CAMILLE_EMAIL, { returnTo: '/mes-demarches' });
      const dashboard = await camille.follow(`${portal.url}/mes-demarches`);
      expect(dashboard.response.status).toBe(200);
      expect(dashboard.html).toContain(`<a href="/mes-demarches/${id}">`);
      const detail = await camille.follow(`${portal.url}/mes-demarches/${id}`);
      expect(detail.response.status).toBe(200);
      expect(detail.html).toContain('Camille Usager');
    });

    it('shows on the demand page the channel, the agent who filed it and the link to the citizen’s account (never its sub); the user card finds the demands filed for that account', async () => {
      expect(linkedId).not.toBe('');
      const [{ account_sub: portalSub }] = await db().query<{ account_sub: string }[]>(`SELECT account_sub FROM demand WHERE id = $1`, [linkedId]);
      const page = await givorsAgent.follow(`${backoffice.url}/demandes/${linkedId}`);
      expect(page.response.status).toBe(200);
      expect(page.html).toContain('<div><dt>Canal</dt><dd>Téléphone</dd></div>');
      expect(page.html).toContain('<div><dt>Déposée par</dt><dd id="deposee-par">Agent (vous), pour l’usager</dd></div>');
      expect(page.html).toContain('<div><dt>Compte de l’usager</dt><dd id="compte-usager">Liée au compte territorial de l’usager</dd></div>');
      expect(page.html).toContain(`<a href="/demandes/${linkedId}/usager">Toutes les demandes de cet usager</a>`);
      expect(page.html).not.toContain(portalSub);

      // A second demand for Camille, by post this time: the user card of either lists both, with their channels.
      const second = await submit(givorsAgent, { ...camilleFields, canal: 'mail', compte: CAMILLE_EMAIL, compte_verifie: CAMILLE_EMAIL, compte_confirme: '1' });
      expect(second.status).toBe(303);
      const secondId = /^\/demandes\/([0-9a-f-]{36})\?fait=1$/.exec(second.headers.get('location')!)![1];
      const codes = await db().query<{ id: string; tracking_code: string }[]>(`SELECT id, tracking_code FROM demand WHERE id = ANY($1::uuid[])`, [[linkedId, secondId]]);
      const card = await givorsAgent.follow(`${backoffice.url}/demandes/${secondId}/usager`);
      expect(card.response.status).toBe(200);
      expect(card.html).toContain('2 demande(s) de cet usager');
      for (const { id, tracking_code: code } of codes) expect(card.html).toContain(`<a href="/demandes/${id}"${id === secondId ? ' aria-current="page"' : ''}>${code}</a>`);
      expect(card.html).toContain('<td>Téléphone (saisie par un agent)</td>');
      expect(card.html).toContain('<td>Courrier (saisie par un agent)</td>');
      expect(card.html).not.toContain(portalSub);
      expect(codes).toHaveLength(2);
      // Demands filed without account are not on it.
      const [{ n: unlinked }] = await db().query<{ n: string }[]>(`SELECT count(*) AS n FROM demand WHERE teleservice_id = $1 AND account_sub IS NULL`, [givorsTeleservice.id]);
      expect(Number(unlinked)).toBeGreaterThan(0);
      // Another commune's agent: « not found », like the demand itself.
      expect((await bronAgent.follow(`${backoffice.url}/demandes/${secondId}/usager`)).response.status).toBe(404);
    });

    it('shows the person’s name when the filing recorded one, and « L’usager » for a demand made online with the account', async () => {
      const [{ account_sub: portalSub, version_id: versionId }] = await db().query<{ account_sub: string; version_id: string }[]>(`SELECT account_sub, version_id FROM demand WHERE id = $1`, [linkedId]);
      const insert = (channel: 'counter' | 'web', byAgent: string | null, payload: Record<string, unknown>) =>
        withTenant(db(), platformScope('données de test'), async (manager) => {
          const repository = new DemandRepository(manager);
          const demand = await repository.insertDemand({
            collectivityId: seed.givorsId,
            teleserviceId: givorsTeleservice.id,
            versionId,
            channel,
            accountSub: portalSub,
            submittedByAgent: byAgent,
            data: { nom: 'Camille Usager', courriel: CAMILLE_EMAIL, motif: 'bruit' },
            status: 'received',
            submittedAt: new Date('2026-02-01T08:00:00Z'),
          });
          await repository.appendEvent(demand, {
            at: new Date('2026-02-01T08:00:00Z'),
            kind: 'submitted',
            actor: byAgent ? { type: 'agent', sub: byAgent, collectivityId: seed.givorsId } : { type: 'citizen', sub: portalSub },
            visibility: 'citizen',
            payload,
          });
          return demand.id;
        });
      const named = await insert('counter', givorsSub, { channel: 'counter', onBehalfOf: { accountSub: portalSub, name: 'Camille Usager' } });
      const namedPage = await givorsAgent.follow(`${backoffice.url}/demandes/${named}`);
      expect(namedPage.html).toContain('<dd id="compte-usager">Liée au compte territorial de l’usager : Camille Usager</dd>');
      expect(namedPage.html).not.toContain(portalSub);
      const online = await insert('web', null, { channel: 'web' });
      const onlinePage = await givorsAgent.follow(`${backoffice.url}/demandes/${online}`);
      expect(onlinePage.html).toContain('<div><dt>Canal</dt><dd>En ligne</dd></div>');
      expect(onlinePage.html).toContain('<dd id="deposee-par">L’usager</dd>');
      expect(onlinePage.html).toContain('<dd id="compte-usager">Faite avec le compte territorial de l’usager</dd>');
      // Both are on the same user card as the demands filed on the person’s behalf.
      const card = await givorsAgent.follow(`${backoffice.url}/demandes/${online}/usager`);
      expect(card.html).toContain('4 demande(s) de cet usager');
      expect(card.html).toContain('<td>En ligne</td>');
    });

    it('says in French that no account has this address, and files nothing', async () => {
      const before = await demandCount();
      const searched = await submit(givorsAgent, { ...camilleFields, compte: 'personne.inconnue@example.org', _action: 'rechercher' });
      expect(searched.status).toBe(422);
      const html = await searched.text();
      expect(html).toContain('<a href="#compte">Aucun compte territorial vérifié n’utilise cette adresse électronique. Vérifiez-la, ou déposez la demande sans compte.</a>');
      expect(html).toMatch(/<input id="compte" name="compte" type="email" value="personne.inconnue@example.org" autocomplete="off" aria-invalid="true"/);
      expect(html).not.toContain('compte_verifie');
      const filed = await submit(givorsAgent, { ...camilleFields, compte: 'personne.inconnue@example.org', compte_verifie: 'personne.inconnue@example.org', compte_confirme: '1' });
      expect(filed.status).toBe(422);
      expect(await demandCount()).toBe(before);
    });

    it('audits each lookup in the log with the client and the outcome, never the address, the name or the sub', async () => {
      const backofficeClient = { id: 'parvis-backoffice', secret: DEV_CLIENT_SECRETS['parvis-backoffice'] };
      const info = jest.spyOn(identity.logger, 'info');
      try {
        const found = (await (await lookup({ email: CAMILLE_EMAIL, agent: givorsSub }, backofficeClient)).json()) as { compte: { sub: string } };
        await lookup({ email: 'personne.inconnue@example.org', agent: givorsSub }, backofficeClient);
        await lookup({ email: CAMILLE_EMAIL, agent: givorsSub }, { id: 'parvis-portal', secret: DEV_CLIENT_SECRETS['parvis-portal'] });
        const audits = info.mock.calls.map(([entry]) => entry as Record<string, unknown>).filter((entry) => entry?.event === 'account_lookup');
        expect(audits.map((entry) => [entry.client, entry.outcome])).toEqual([
          ['parvis-backoffice', 'found'],
          ['parvis-backoffice', 'not_found'],
          ['parvis-portal', 'forbidden'],
        ]);
        const logged = JSON.stringify(info.mock.calls);
        for (const secret of [CAMILLE_EMAIL, 'personne.inconnue@example.org', 'Camille', found.compte.sub, givorsSub]) expect(logged).not.toContain(secret);
      } finally {
        info.mockRestore();
      }
    });

    it('limits lookups per agent: past the free budget the API answers 429 with the wait in French', async () => {
      const backofficeClient = { id: 'parvis-backoffice', secret: DEV_CLIENT_SECRETS['parvis-backoffice'] };
      const statuses: number[] = [];
      for (let i = 0; i < LOOKUP_AGENT_RULE.freeFailures + 2; i++) statuses.push((await lookup({ email: `essai-${i}@example.org`, agent: 'agent-trop-curieux' }, backofficeClient)).status);
      expect(statuses.slice(0, LOOKUP_AGENT_RULE.freeFailures + 1).every((status) => status === 404)).toBe(true);
      const refused = await lookup({ email: CAMILLE_EMAIL, agent: 'agent-trop-curieux' }, backofficeClient);
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ erreur: 'trop_de_recherches', message: expect.stringMatching(/^Trop de tentatives : réessayez dans \d+ minute/) });
      // Another agent of the same client is not held back.
      expect((await lookup({ email: CAMILLE_EMAIL, agent: givorsSub }, backofficeClient)).status).toBe(200);
    });

    it('takes the account only from an agent in the engine: a citizen, a partner key or a malformed account are refused', () => {
      const input = { teleservice: { id: givorsTeleservice.id }, data: {}, channel: 'counter', onBehalfOf: { accountSub: 'a'.repeat(64) } };
      const refusal = (caller: Parameters<typeof SubmitDemandCommand.create>[0], body: Parameters<typeof SubmitDemandCommand.create>[1]) => {
        try {
          SubmitDemandCommand.create(caller, body);
          return null;
        } catch (error) {
          return (error as DomainError).fields;
        }
      };
      expect(refusal({ kind: 'citizen', sub: 'b'.repeat(64) }, input)).toContainEqual(expect.objectContaining({ path: 'onBehalfOf', code: 'NOT_ALLOWED' }));
      expect(refusal({ kind: 'api', apiKeyId: 'k', collectivityId: seed.givorsId, scopes: ['demands:write'] }, input)).toContainEqual(expect.objectContaining({ path: 'onBehalfOf', code: 'NOT_ALLOWED' }));
      const agent = { kind: 'agent' as const, sub: givorsSub, collectivityIds: [seed.givorsId], functions: [], permissions: ['demands:submit' as const] };
      expect(refusal(agent, { ...input, onBehalfOf: { accountSub: 'pas un sub' } })).toContainEqual(expect.objectContaining({ path: 'onBehalfOf.accountSub', code: 'INVALID_FORMAT' }));
      expect(SubmitDemandCommand.create(agent, input).onBehalfOfAccount).toBe('a'.repeat(64));
    });

    it('does not let an agent of Bron file for a citizen on a Givors téléservice (404, nothing filed)', async () => {
      const before = await demandCount();
      const csrf = hiddenValue((await bronAgent.follow(`${backoffice.url}/nouvelle-demande`)).html, '_csrf');
      const response = await bronAgent.post(`${backoffice.url}/nouvelle-demande`, {
        _csrf: csrf,
        teleservice: givorsTeleservice.id,
        ...camilleFields,
        compte: CAMILLE_EMAIL,
        compte_verifie: CAMILLE_EMAIL,
        compte_confirme: '1',
      });
      expect(response.status).toBe(404);
      expect(await demandCount()).toBe(before);
    });
  });

  describe('every field type', () => {
    const fieldsCount = async () => Number((await db().query<{ n: string }[]>(`SELECT count(*) AS n FROM demand WHERE teleservice_id = $1`, [fieldsTeleservice.id]))[0].n);

    it('shows address, map point, repeatable block and data-source fields, the lists resolved on the server', async () => {
      const page = await formPage(givorsAgent, fieldsTeleservice);
      expect(page.response.status).toBe(200);
      expect(page.html).not.toContain('ne peut pas être saisi ici');
      expect(page.html).toContain('<input type="text" id="f-adresse-street" name="f.adresse.street"');
      expect(page.html).toContain('<input type="text" id="f-adresse-postcode" name="f.adresse.postcode"');
      expect(page.html).toContain('<option value="69091" data-codes-postaux="69700">Givors</option>');
      const script = /<script type="module" src="(\/nouvelle-demande\/communes\.js\?v(?:=|&#x3D;)[0-9a-f]{12})"><\/script>/.exec(page.html);
      expect(script).not.toBeNull();
      // Served to agents as JavaScript (the app's CSP allows same-origin scripts only).
      const served = await givorsAgent.request(new URL(script![1].replace('&#x3D;', '='), backoffice.url).toString());
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await served.text()).toContain("document.querySelectorAll('select[data-code-postal-de]')");
      expect((await new WebBrowser().request(`${backoffice.url}/nouvelle-demande/communes.js`)).status).not.toBe(200);
      expect(page.html).toContain('name="f.adresse.inseeAutre"');
      expect(page.html).toContain('<label for="f-lieu-lat">Latitude');
      expect(page.html).toContain('<input type="text" id="f-lieu-lon" name="f.lieu.lon"');
      expect(page.html).toContain('<button class="button secondary" id="f-enfants-add" type="submit" name="_action" value="add:enfants">Ajouter un enfant</button>');
      // `collectivities` source: the metropolis and its communes, resolved by the engine's data sources.
      expect(page.html).toMatch(/<select id="f-collectivite" name="f.collectivite"[^>]*><option value="">— choisir —<\/option>.*<option value="givors">Givors<\/option>/s);
      expect(page.html).toContain('<input type="radio" id="f-taille-1" name="f.taille" value="g">');
    });

    it('adds and removes block items with buttons (no JavaScript), keeping what was typed; files nothing meanwhile', async () => {
      const added = await submit(givorsAgent, { canal: 'mail', 'f.adresse.street': '2 place Camille Vallin', _action: 'add:enfants' }, undefined, fieldsTeleservice);
      expect(added.status).toBe(200);
      const one = await added.text();
      expect(one).toContain('<legend>Enfant 1</legend>');
      expect(one).toContain('name="f.enfants.0.prenom"');
      expect(one).toContain('name="f.enfants.0.certificat"');
      expect(one).toContain('value="2 place Camille Vallin"');

      const two = await (await submit(givorsAgent, { canal: 'mail', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': 'Léa', _action: 'add:enfants' }, undefined, fieldsTeleservice)).text();
      expect(two).toContain('<legend>Enfant 2</legend>');
      expect(two).toMatch(/name="f.enfants.0.prenom" value="Léa"/);

      const removed = await submit(
        givorsAgent,
        { canal: 'mail', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': 'Léa', 'f.enfants.1._saved': '1', 'f.enfants.1.prenom': 'Tom', _action: 'remove:enfants:0' },
        undefined,
        fieldsTeleservice,
      );
      expect(removed.status).toBe(200);
      const html = await removed.text();
      expect(html).toMatch(/name="f.enfants.0.prenom" value="Tom"/);
      expect(html).not.toContain('Léa');
      expect(html).not.toContain('<legend>Enfant 2</legend>');
      expect(await fieldsCount()).toBe(0);
    });

    it('refuses an incomplete address and map point with messages linked to their inputs', async () => {
      const response = await submit(givorsAgent, { canal: 'mail', 'f.adresse.postcode': '69700', 'f.lieu.lat': '45.59', 'f.taille': 'p' }, undefined, fieldsTeleservice);
      expect(response.status).toBe(422);
      const html = await response.text();
      expect(html).toContain('<a href="#f-adresse-street">Adresse du demandeur : ');
      expect(html).toContain('<a href="#f-lieu-lat">Emplacement : ');
      expect(html).toContain('value="69700"');
      expect(html).toContain('value="45.59"');
      expect(await fieldsCount()).toBe(0);
    });

    it('files address (commune of the metropolis, and outside it by INSEE code), map point, block items with a file and data-source choices', async () => {
      const response = await submit(
        givorsAgent,
        {
          canal: 'mail',
          'f.adresse.street': '2 place Camille Vallin',
          'f.adresse.postcode': '69700',
          'f.adresse.inseeCode': '69091',
          'f.lieu.lat': '45.5899',
          'f.lieu.lon': '4.7714',
          'f.collectivite': 'givors',
          'f.taille': 'g',
          'f.enfants.0._saved': '1',
          'f.enfants.0.prenom': 'Léa',
          'f.enfants.3._saved': '1',
          'f.enfants.3.prenom': 'Tom',
          'f.courriel': 'famille@example.org',
        },
        { field: 'f.enfants.3.certificat', name: 'certificat-tom.png', content: PNG_BYTES, type: 'image/png' },
        fieldsTeleservice,
      );
      expect(response.status).toBe(303);
      const id = /^\/demandes\/([0-9a-f-]{36})\?fait=1$/.exec(response.headers.get('location')!)![1];
      const [row] = await db().query<{ data: Record<string, unknown>; channel: string; account_sub: string | null }[]>(`SELECT data, channel, account_sub FROM demand WHERE id = $1`, [id]);
      expect(row.channel).toBe('mail');
      expect(row.account_sub).toBeNull();
      expect(row.data.adresse).toEqual({ street: '2 place Camille Vallin', postcode: '69700', commune: 'Givors', inseeCode: '69091' });
      expect(row.data.lieu).toEqual({ lat: 45.5899, lon: 4.7714 });
      expect(row.data.collectivite).toBe('givors');
      expect(row.data.taille).toBe('g');
      const enfants = row.data.enfants as { prenom: string; certificat?: { name: string }[] }[];
      expect(enfants.map((e) => e.prenom)).toEqual(['Léa', 'Tom']);
      expect(enfants[0].certificat).toBeUndefined();
      expect(enfants[1].certificat).toEqual([expect.objectContaining({ name: 'certificat-tom.png', mimeType: 'image/png' })]);
      const attachments = await db().query<{ file_name: string; field_id: string }[]>(`SELECT file_name, field_id FROM attachment WHERE demand_id = $1`, [id]);
      expect(attachments).toEqual([{ file_name: 'certificat-tom.png', field_id: 'enfants[1].certificat' }]);

      const outside = await submit(
        givorsAgent,
        {
          canal: 'mail',
          'f.adresse.street': '1 place de l’Hôtel de Ville',
          'f.adresse.postcode': '38200',
          'f.adresse.commune': 'Vienne',
          'f.adresse.inseeAutre': '38544',
          'f.lieu.lat': '45.5899',
          'f.lieu.lon': '4.7714',
          'f.collectivite': 'givors',
          'f.taille': 'p',
          'f.enfants.0.prenom': 'Léa',
          'f.courriel': 'famille@example.org',
        },
        undefined,
        fieldsTeleservice,
      );
      expect(outside.status).toBe(303);
      const outsideId = /^\/demandes\/([0-9a-f-]{36})\?fait=1$/.exec(outside.headers.get('location')!)![1];
      const [outsideRow] = await db().query<{ data: Record<string, unknown> }[]>(`SELECT data FROM demand WHERE id = $1`, [outsideId]);
      expect(outsideRow.data.adresse).toEqual({ street: '1 place de l’Hôtel de Ville', postcode: '38200', commune: 'Vienne', inseeCode: '38544' });
    });

    it('narrows the commune list to the communes of the typed postcode with « Vérifier le code postal » (no JavaScript), files nothing', async () => {
      const options = (html: string) => [...html.matchAll(/<select id="f-adresse-inseeCode"[^>]*>(.*?)<\/select>/gs)].flatMap((m) => [...m[1].matchAll(/<option value="(\d*)"(?: data-codes-postaux="[^"]*")?( selected)?>/g)].map((o) => `${o[1]}${o[2] ? '*' : ''}`));
      const before = await fieldsCount();
      const full = options((await formPage(givorsAgent, fieldsTeleservice)).html);
      expect(full.length).toBeGreaterThan(50);

      // A postcode shared by several communes: only those, none chosen, the agent is told to choose.
      const shared = await submit(givorsAgent, { canal: 'mail', 'f.adresse.street': '1 rue de la Mairie', 'f.adresse.postcode': '69250', _action: 'codepostal:adresse' }, undefined, fieldsTeleservice);
      expect(shared.status).toBe(200);
      const sharedHtml = await shared.text();
      expect(sharedHtml).toMatch(/Le code postal 69250 est commun à \d communes \([^)]+\) : choisissez la commune dans la liste\./);
      expect(sharedHtml).toContain('<label for="f-adresse-inseeCode">Commune (communes du code postal 69250)</label>');
      const narrowed = options(sharedHtml);
      expect(narrowed[0]).toBe('');
      expect(narrowed.length - 1).toBeGreaterThan(1);
      expect(narrowed.length - 1).toBeLessThan(10);
      expect(narrowed).toContain('69143');
      expect(narrowed).not.toContain('69091');
      expect(sharedHtml).toContain('value="1 rue de la Mairie"');

      // A commune of the metropolis chosen that the postcode does not serve: the whole list, the choice kept.
      const mismatch = await submit(givorsAgent, { canal: 'mail', 'f.adresse.postcode': '69250', 'f.adresse.inseeCode': '69091', _action: 'add:enfants' }, undefined, fieldsTeleservice);
      const mismatchOptions = options(await mismatch.text());
      expect(mismatchOptions).toHaveLength(full.length);
      expect(mismatchOptions).toContain('69091*');
      // « Vérifier le code postal » then says so, and offers the postcode's communes only.
      const checked = await (await submit(givorsAgent, { canal: 'mail', 'f.adresse.postcode': '69250', 'f.adresse.inseeCode': '69091', _action: 'codepostal:adresse' }, undefined, fieldsTeleservice)).text();
      expect(checked).toContain('(Givors, choisie avant, n’en fait pas partie).');
      expect(options(checked)).toEqual(narrowed);

      // A postcode of one commune: chosen at once.
      const single = await (await submit(givorsAgent, { canal: 'mail', 'f.adresse.postcode': '69 700', _action: 'codepostal:adresse' }, undefined, fieldsTeleservice)).text();
      expect(single).toContain('Code postal 69700 : commune Givors.');
      expect(options(single)).toEqual(['', '69091*']);

      // A postcode outside the metropolis: the full list, and the agent is sent to « Commune hors Métropole ».
      const outside = await submit(givorsAgent, { canal: 'mail', 'f.adresse.postcode': '38200', _action: 'codepostal:adresse' }, undefined, fieldsTeleservice);
      expect(outside.status).toBe(200);
      const outsideHtml = await outside.text();
      expect(outsideHtml).toContain('Le code postal 38200 n’est pas celui d’une commune de la Métropole : saisissez la commune hors Métropole et son code INSEE.');
      expect(options(outsideHtml)).toEqual(full);

      // Not a postcode: an error linked to the postcode input.
      const wrong = await submit(givorsAgent, { canal: 'mail', 'f.adresse.postcode': '69A', _action: 'codepostal:adresse' }, undefined, fieldsTeleservice);
      expect(wrong.status).toBe(422);
      const wrongHtml = await wrong.text();
      expect(wrongHtml).toContain('<a href="#f-adresse-postcode">Adresse du demandeur : Saisissez un code postal de cinq chiffres, par exemple 69700.</a>');
      expect(wrongHtml).toMatch(/<input type="text" id="f-adresse-postcode" name="f.adresse.postcode" value="69A"[^>]*aria-invalid="true"/);

      // In a block item, the same button for the item's address; a postcode outside the metropolis is an error there
      // (the field takes the metropolis' communes only).
      const item = { canal: 'mail', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': 'Léa' };
      const inBlock = await submit(givorsAgent, { ...item, 'f.enfants.0.domicile.postcode': '69250', _action: 'codepostal:enfants.0.domicile' }, undefined, fieldsTeleservice);
      expect(inBlock.status).toBe(200);
      const inBlockHtml = await inBlock.text();
      expect(inBlockHtml).toContain('<button class="button secondary" type="submit" name="_action" value="codepostal:enfants.0.domicile" id="f-enfants-0-domicile-verifier">Vérifier le code postal</button>');
      const itemOptions = [...inBlockHtml.matchAll(/<select id="f-enfants-0-domicile-inseeCode"[^>]*>(.*?)<\/select>/gs)].flatMap((m) => [...m[1].matchAll(/<option value="(\d*)"/g)].map((o) => o[1]));
      expect(itemOptions.slice(1).sort()).toEqual(narrowed.slice(1).sort());
      expect(inBlockHtml).toMatch(/name="f.enfants.0.prenom" value="Léa"/);
      const outsideItem = await submit(givorsAgent, { ...item, 'f.enfants.0.domicile.postcode': '38200', _action: 'codepostal:enfants.0.domicile' }, undefined, fieldsTeleservice);
      expect(outsideItem.status).toBe(422);
      expect(await outsideItem.text()).toContain('<a href="#f-enfants-0-domicile-postcode">Enfant 1 — Domicile : Le code postal 38200 n’est pas celui d’une commune de la Métropole.</a>');
      expect(await fieldsCount()).toBe(before);
    });

    it('answers « not found » to an agent of Bron on this Givors téléservice', async () => {
      const page = await bronAgent.follow(`${backoffice.url}/nouvelle-demande?teleservice=${fieldsTeleservice.id}&canal=mail`);
      expect(page.response.status).toBe(404);
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

    it('chooses the téléservice and the channel, corrects an error from the summary, links the citizen’s account with the keyboard, files the demand by phone; the pages pass axe-core', async () => {
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
      await page.locator('.error-summary a[href="#f-courriel"]').click();
      expect(await page.getByLabel('Nom').inputValue()).toBe('Dominique Petit');

      const audit = await chromium.newContext({ bypassCSP: true });
      await audit.addCookies(await context.cookies());
      for (const path of ['/nouvelle-demande', `/nouvelle-demande?teleservice=${givorsTeleservice.id}&canal=phone`, `/nouvelle-demande?teleservice=${fieldsTeleservice.id}&canal=mail`]) {
        const auditPage = await audit.newPage();
        await auditPage.goto(`${backoffice.url}${path}`);
        expect({ path, violations: await seriousAccessibilityViolations(auditPage) }).toEqual({ path, violations: [] });
        await auditPage.close();
      }
      expect({ path: 'erreurs', violations: await seriousAccessibilityViolations(page) }).toEqual({ path: 'erreurs', violations: [] });

      // Linking the account: « Rechercher le compte », the name shown, the confirmation box (checked with the keyboard).
      await page.getByLabel('Adresse électronique du compte territorial').fill(CAMILLE_EMAIL);
      await page.getByRole('button', { name: 'Rechercher le compte' }).click();
      await page.getByText('Compte trouvé : Camille Usager').waitFor();
      expect({ path: 'compte trouvé', violations: await seriousAccessibilityViolations(page) }).toEqual({ path: 'compte trouvé', violations: [] });
      await page.getByLabel(/J’ai vérifié que la personne est bien Camille Usager/).focus();
      await page.keyboard.press('Space');
      await page.getByLabel('Courriel', { exact: true }).fill('dominique.petit@example.org');
      await Promise.all([page.waitForURL(/\/demandes\/[0-9a-f-]{36}\?fait=1/), page.getByRole('button', { name: 'Enregistrer la demande' }).click()]);
      expect(await page.locator('main').innerText()).toContain('Téléphone');
      const linkedId = /\/demandes\/([0-9a-f-]{36})/.exec(page.url())![1];
      const [linked] = await db().query<{ account_sub: string | null }[]>(`SELECT account_sub FROM demand WHERE id = $1`, [linkedId]);
      expect(linked.account_sub).toMatch(/^[0-9a-f]{64}$/);
      await audit.close();
      await context.close();
      // Four axe-core audits and two round trips to the identity: more than the default 30 s on a loaded machine.
    }, 120_000);

    it('narrows the commune list as the postcode is typed (the page’s script), keeping a choice the postcode does not serve', async () => {
      const context = await chromium.newContext();
      const page = await context.newPage();
      // Script errors, and the script's own download (the browser's other requests, a favicon, do not matter here).
      const errors: string[] = [];
      const scriptStatuses: number[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('response', (response) => {
        if (new URL(response.url()).pathname === '/nouvelle-demande/communes.js') scriptStatuses.push(response.status());
      });
      await page.goto(`${backoffice.url}/auth/login?returnTo=%2Fdemandes`);
      await page.getByLabel('Adresse électronique').fill(GIVORS_EMAIL);
      await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
      await Promise.all([page.waitForURL(`${backoffice.url}/demandes`), page.getByRole('button', { name: 'Se connecter' }).click()]);
      await page.goto(`${backoffice.url}/nouvelle-demande?teleservice=${fieldsTeleservice.id}&canal=mail`);
      const communes = page.locator('#f-adresse-inseeCode');
      const values = () => communes.locator('option').evaluateAll((options) => options.map((o) => o.getAttribute('value') ?? ''));
      const all = await values();
      expect(all.length).toBeGreaterThan(50);

      await page.locator('#f-adresse-postcode').pressSequentially('69250');
      await page.getByText(/^Code postal 69250 : \d communes possibles dans la liste\.$/).waitFor();
      const narrowed = await values();
      expect(narrowed[0]).toBe('');
      expect(narrowed).toContain('69143');
      expect(narrowed).not.toContain('69091');
      expect(narrowed.length).toBeLessThan(10);
      expect(await communes.inputValue()).toBe('');
      await mkdir(SCREENSHOTS, { recursive: true });
      await page.locator('#f-adresse').screenshot({ path: join(SCREENSHOTS, 'backoffice-on-behalf-code-postal.png') });

      await page.locator('#f-adresse-postcode').fill('');
      await page.locator('#f-adresse-postcode').pressSequentially('69700');
      await page.getByText('Code postal 69700 : commune Givors.').waitFor();
      expect(await values()).toEqual(['', '69091']);
      expect(await communes.inputValue()).toBe('69091');

      // Givors chosen, then a postcode it does not serve: the whole list stays, Givors still chosen.
      await page.locator('#f-adresse-postcode').fill('69250');
      await page.locator('#f-adresse-postcode').dispatchEvent('input');
      expect(await values()).toEqual(all);
      expect(await communes.inputValue()).toBe('69091');
      expect(errors).toEqual([]);
      expect(scriptStatuses).toEqual([200]);
      await context.close();
    }, 60_000);
  });
});
