import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser as Chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail } from '#agents';
import { DemandJobsModule, DemandQueries, DemandRepository, DemandsBulkJob, platformScope, withTenant, type Demand } from '#demands';
import { MailModule, SendMailJob } from '#notifications';
import { createRedis, type HttpAppSpec } from '#platform';
import { idleHandlerClasses, QueueWorkerModule } from '#queue';
import { TeleserviceRepository } from '#teleservices';
import { givenMembership, launchBrowser, ManualClock, seriousAccessibilityViolations, startSmtpSink, startTestApp, type SmtpSink, type TestApp } from '#testing';
import { seedEngine, PNG_BYTES, TEST_WORKFLOW, type EngineSeed } from '../../apps/engine/engine-test-fixture.js';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createVerifiedAccount, hiddenValue, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

const run = promisify(execFile);

/** A worker running the jobs this suite needs for real (mails, bulk operations); the others idle. */
const workerApp: HttpAppSpec = {
  app: 'worker',
  module: QueueWorkerModule.forRoot({
    imports: [MailModule, DemandJobsModule],
    handlers: [SendMailJob, DemandsBulkJob, ...idleHandlerClasses(['mail.send', 'demands.bulk'])],
    connect: ({ config, logger, name }) => createRedis(config.redis.url, logger, `worker:${name}`, { forQueues: true }),
  }),
};

/**
 * An agent's daily work on a demand (issue 7) and re-routing (issue 6), through the real login: internal comments
 * (never seen by the citizen), messages with files, assignment, re-routing by a metropolis agent (GRU + agents'
 * mails, or email relay), CSV and ODS exports of the listing. Every attempt on another commune's demand is refused
 * by row-level security (404, nothing written). Mails go through the outbox and the worker to a real SMTP server.
 */
const BASE = Date.parse('2026-02-02T08:00:00.000Z');
const GIVORS_EMAIL = 'dominique.givors@example.org';
const METRO_EMAIL = 'alex.metropole@example.org';

/** A Givors téléservice whose listing shows two form fields. */
const LISTING_FORM = {
  schemaVersion: 1,
  title: 'Inscription',
  pages: [
    {
      id: 'p',
      title: 'Inscription',
      fields: [
        { id: 'nom', type: 'text', label: 'Nom de famille', required: true, maxLength: 100, inListings: true },
        { id: 'ville', type: 'text', label: 'Ville de naissance', required: true, maxLength: 100, inListings: true },
        { id: 'courriel', type: 'email', label: 'Courriel', required: true },
      ],
    },
  ],
};

describe('back-office work on a demand: comments, messages, assignment, re-routing, exports', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let worker: TestApp;
  let sink: SmtpSink;
  let seed: EngineSeed;
  let bronId: string;
  let villeurbanneId: string;
  let ecullyId: string;
  let listingTeleserviceId: string;
  let givorsSub: string;
  let colleagueSub: string;
  const givors: Demand[] = [];
  const listed: Demand[] = [];
  const metropolis: Demand[] = [];
  let bron: Demand;
  let sameCitizenGivors: Demand;
  let sameCitizenBron: Demand;
  let givorsAgent: WebBrowser;
  let metroAgent: WebBrowser;
  let downloads: string;

  const db = () => backoffice.app.get(DataSource);
  let minutes = 0;
  const insert = (collectivityId: string, data: Record<string, unknown> = {}, teleservice?: { id: string; versionId: string }, accountSub: string | null = null) =>
    withTenant(db(), platformScope('données de test'), (manager) =>
      new DemandRepository(manager).insertDemand({
        collectivityId,
        teleserviceId: teleservice?.id ?? seed.simple.id,
        versionId: teleservice?.versionId ?? seed.simpleV1.id,
        channel: 'web',
        accountSub,
        data: { nom: 'Camille Martin', courriel: 'camille@example.org', motif: 'bruit', ...data },
        status: 'received',
        submittedAt: new Date(BASE + ++minutes * 60_000),
      }),
    );
  const row = async (id: string) =>
    (await db().query<{ collectivity_id: string; assigned_agent: string | null; assigned_function: string | null; lock_version: number; status: string }[]>(`SELECT * FROM demand WHERE id = $1`, [id]))[0];
  const eventsOf = (id: string) =>
    db().query<{ kind: string; visibility: string; collectivity_id: string; payload: Record<string, unknown>; actor: Record<string, unknown> }[]>(
      `SELECT kind, visibility, collectivity_id, payload, actor FROM demand_event WHERE demand_id = $1 ORDER BY id`,
      [id],
    );
  const pageOf = (browser: WebBrowser, path: string) => browser.follow(`${backoffice.url}${path}`);
  const csrfOf = async (browser: WebBrowser) => hiddenValue((await pageOf(browser, '/tableau-de-bord')).html, '_csrf');
  const post = async (browser: WebBrowser, path: string, form: Record<string, string>) => browser.post(`${backoffice.url}${path}`, { _csrf: await csrfOf(browser), ...form });

  beforeAll(async () => {
    downloads = await mkdtemp(join(tmpdir(), 'parvis-bo-exports-'));
    sink = await startSmtpSink();
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    worker = await startTestApp(workerApp, { database: identity.database, env: { OUTBOX_POLL_MS: '50', SMTP_URL: sink.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });
    seed = await seedEngine(db());
    const idOf = async (insee: string) => (await db().query<{ id: string }[]>(`SELECT id FROM collectivity WHERE insee_code = $1`, [insee]))[0].id;
    bronId = await idOf('69029');
    ecullyId = await idOf('69081');
    villeurbanneId = (await givenMembership(db(), '69266', 'partenaire')).collectivityId;
    await db().query(`UPDATE collectivity SET contact_email = 'mairie@ecully.test' WHERE id = $1`, [ecullyId]);

    const [{ id: givorsInstance }] = await db().query<{ id: string }[]>(`SELECT id FROM instance WHERE collectivity_id = $1`, [seed.givorsId]);
    const listing = await new TeleserviceRepository(db().manager).create({
      instanceId: givorsInstance,
      collectivityId: seed.givorsId,
      slug: 'inscription-givors',
      kind: 'communal',
      title: 'Inscription à Givors',
      summary: 'Pour les exports',
      anonymousAllowed: true,
      now: new Date(BASE),
    });
    // « Prendre en charge » allowed in bulk on this téléservice.
    const bulkWorkflow = structuredClone(TEST_WORKFLOW) as { statuses: { actions: Record<string, unknown>[] }[] };
    bulkWorkflow.statuses[0].actions.find((a) => a.id === 'take')!.bulkAllowed = true;
    const listingVersion = await seed.publish(listing, LISTING_FORM, bulkWorkflow);
    listingTeleserviceId = listing.id;
    const ts = { id: listing.id, versionId: listingVersion.id };
    listed.push(await insert(seed.givorsId, { nom: '=HYPERLINK("http://x.test")', ville: 'Lyon; 7e' }, ts));
    listed.push(await insert(seed.givorsId, { nom: '+33 6 00', ville: '-2' }, ts));
    listed.push(await insert(seed.givorsId, { nom: '@SOMME(A1)', ville: 'Givors\nRhône' }, ts));
    listed.push(await insert(seed.givorsId, { nom: 'Dupont', ville: 'Saint-Étienne' }, ts));

    for (let i = 0; i < 6; i++) givors.push(await insert(seed.givorsId, {}, undefined, i === 0 ? 'citoyen-givors' : null));
    bron = await insert(bronId);
    const [{ id: anomalyVersionId }] = await db().query<{ id: string }[]>(`SELECT id FROM teleservice_version WHERE teleservice_id = $1 AND state = 'published'`, [seed.anomaly.id]);
    sameCitizenGivors = await insert(seed.givorsId, { description: 'Trottoir abîmé' }, { id: seed.anomaly.id, versionId: anomalyVersionId }, 'citoyen-givors');
    sameCitizenBron = await insert(bronId, {}, undefined, 'citoyen-givors');
    for (let i = 0; i < 3; i++) metropolis.push(await insert(seed.metropolisId, { nom: `Usager métropole ${i}` }, undefined, `citoyen-metro-${i}`));

    const roles = backoffice.app.get(AgentRoleService);
    const grant = async (email: string, collectivity: string, password = true) => {
      if (password) await createVerifiedAccount(identity, email, STRONG_PASSWORD, { givenName: 'Agent', familyName: 'Test' });
      const { sub } = await backofficeSubjectForEmail(db(), backoffice.config, backoffice.clock, email);
      await roles.grant({ accountSub: sub, accountEmail: email, collectivity, role: 'agent' });
      return sub;
    };
    givorsSub = await grant(GIVORS_EMAIL, 'givors');
    await grant(METRO_EMAIL, 'metropole-de-lyon');
    colleagueSub = 'collegue-givors-sub';
    await roles.grant({ accountSub: colleagueSub, accountEmail: 'collegue@givors.test', collectivity: 'givors', role: 'agent' });
    await roles.grant({ accountSub: 'agent-bron-sub', accountEmail: 'agent@bron.test', collectivity: 'bron', role: 'agent' });
    await roles.grant({ accountSub: 'agent-villeurbanne-1', accountEmail: 'v1@villeurbanne.test', collectivity: 'villeurbanne', role: 'agent' });
    await roles.grant({ accountSub: 'agent-villeurbanne-2', accountEmail: 'v2@villeurbanne.test', collectivity: 'villeurbanne', role: 'administrator' });

    givorsAgent = new WebBrowser();
    await logIn(givorsAgent, backoffice.url, GIVORS_EMAIL, { returnTo: '/tableau-de-bord' });
    metroAgent = new WebBrowser();
    await logIn(metroAgent, backoffice.url, METRO_EMAIL, { returnTo: '/tableau-de-bord' });
  });
  afterAll(async () => {
    await worker?.close();
    await backoffice?.close();
    await identity?.close();
    await sink?.close();
    await rm(downloads, { recursive: true, force: true });
  });

  describe('internal comments', () => {
    it('adds an internal comment shown to agents under « Commentaires internes » and marked « interne » in the history', async () => {
      const target = givors[0];
      const response = await post(givorsAgent, `/demandes/${target.id}/commentaires`, { texte: 'Voisin déjà signalé en 2025, voir dossier papier.' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`/demandes/${target.id}?fait=commentaire#commentaires-titre`);
      const page = await pageOf(givorsAgent, `/demandes/${target.id}?fait=commentaire`);
      expect(page.html).toContain('Le commentaire interne a été ajouté.');
      expect(page.html).toMatch(/<strong>vous<\/strong>, [^<]+<\/p><p class="message-body">Voisin déjà signalé en 2025, voir dossier papier.<\/p>/);
      expect(page.html).toMatch(/<strong>Commentaire<\/strong> — Agent \(vous\), [^<]+ <span class="badge badge-internal">interne<\/span>/);
      expect(await eventsOf(target.id)).toContainEqual(expect.objectContaining({ kind: 'comment', visibility: 'internal', payload: { text: 'Voisin déjà signalé en 2025, voir dossier papier.' } }));
    });

    it('never reaches the citizen: their history and messages (row-level security) hold no trace of it', async () => {
      const queries = backoffice.app.get(DemandQueries);
      const detail = await queries.get({ kind: 'citizen', sub: 'citoyen-givors' }, givors[0].id);
      expect(detail.demand.id).toBe(givors[0].id);
      expect(detail.history.map((e) => e.kind)).not.toContain('comment');
      expect(JSON.stringify(detail)).not.toContain('Voisin déjà signalé');
      const { messages } = await queries.messages({ kind: 'citizen', sub: 'citoyen-givors' }, givors[0].id);
      expect(JSON.stringify(messages)).not.toContain('Voisin déjà signalé');
    });

    it('refuses an empty comment with a French message linked to the field (422), nothing written', async () => {
      const before = (await eventsOf(givors[1].id)).length;
      const response = await post(givorsAgent, `/demandes/${givors[1].id}/commentaires`, { texte: '   ' });
      expect(response.status).toBe(422);
      const html = await response.text();
      expect(html).toContain('<a href="#commentaire-texte">');
      expect(html).toContain('Écrivez votre commentaire.');
      expect((await eventsOf(givors[1].id)).length).toBe(before);
    });

    it('answers 404 for a comment on a Bron demand, and writes nothing', async () => {
      const response = await post(givorsAgent, `/demandes/${bron.id}/commentaires`, { texte: 'Intrusion' });
      expect(response.status).toBe(404);
      expect(await eventsOf(bron.id)).toEqual([]);
    });
  });

  describe('messages with the citizen', () => {
    it('sends a message with a file (multipart form, CSRF in the action): the citizen sees it and gets a mail', async () => {
      const target = givors[0];
      const page = await pageOf(givorsAgent, `/demandes/${target.id}`);
      const action = /<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(page.html)![1].replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
      const form = new FormData();
      form.set('texte', 'Merci de nous transmettre le plan joint, complété.');
      form.set('fichiers', new Blob([PNG_BYTES], { type: 'image/png' }), 'plan à compléter.png');
      const response = await givorsAgent.request(`${backoffice.url}${action}`, { method: 'POST', body: form });
      expect(response.status).toBe(303);
      const after = await pageOf(givorsAgent, `/demandes/${target.id}?fait=message`);
      expect(after.html).toContain('Le message a été envoyé à l’usager.');
      expect(after.html).toContain('Merci de nous transmettre le plan joint, complété.');
      expect(after.html).toContain('plan à compléter.png</a>');

      const { messages, attachments } = await backoffice.app.get(DemandQueries).messages({ kind: 'citizen', sub: 'citoyen-givors' }, target.id);
      expect(messages.map((m) => m.body)).toEqual(['Merci de nous transmettre le plan joint, complété.']);
      expect(attachments.map((a) => [a.fileName, a.mimeType])).toEqual([['plan à compléter.png', 'image/png']]);
      const mail = await sink.waitFor((m) => m.to.includes('camille@example.org') && m.subject.includes(target.trackingCode));
      expect(mail.subject).toBe(`Nouveau message sur votre demande ${target.trackingCode}`);
    });

    it('refuses a multipart message without the CSRF token (403) and an empty one (422)', async () => {
      const form = new FormData();
      form.set('texte', 'Sans jeton');
      expect((await givorsAgent.request(`${backoffice.url}/demandes/${givors[1].id}/messages`, { method: 'POST', body: form })).status).toBe(403);
      const empty = new FormData();
      empty.set('texte', ' ');
      const refused = await givorsAgent.request(`${backoffice.url}/demandes/${givors[1].id}/messages?_csrf=${encodeURIComponent(await csrfOf(givorsAgent))}`, { method: 'POST', body: empty });
      expect(refused.status).toBe(422);
      expect(await refused.text()).toContain('Écrivez votre message.');
    });
  });

  describe('assignment', () => {
    it('assigns to me (« à traiter par moi » on the dashboard), then to a colleague, then to a function — each in the history', async () => {
      const target = givors[2];
      const me = await post(givorsAgent, `/demandes/${target.id}/attribution`, { attribuer: 'moi', version: String(target.lockVersion) });
      expect(me.status).toBe(303);
      expect((await row(target.id)).assigned_agent).toBe(givorsSub);
      const page = await pageOf(givorsAgent, `/demandes/${target.id}`);
      expect(page.html).toContain('<dd id="attribuee-a">vous</dd>');
      expect(page.html).toMatch(/<strong>Attribution<\/strong> — Agent \(vous\), [^<]+<span class="badge badge-internal">interne<\/span><\/p>\s*<p class="timeline-detail">Attribuée à vous.<\/p>/);

      const dashboard = await pageOf(givorsAgent, '/tableau-de-bord');
      expect(dashboard.html).toMatch(/Demande simple<\/a><\/th><td class="counter">6 ouvertes sur 6<\/td><td class="counter"><a href="[^"]+">1<span class="visually-hidden"> à traiter par moi/);
      expect(dashboard.html).toContain(`<a href="/demandes/${target.id}">${target.trackingCode}</a>`);
      const mine = await pageOf(givorsAgent, '/demandes?attribution=moi');
      expect(mine.html).toContain('1 demande(s) correspondant aux filtres');

      const version = hiddenValue(page.html, 'version');
      expect((await post(givorsAgent, `/demandes/${target.id}/attribution`, { attribuer: `agent:${colleagueSub}`, version })).status).toBe(303);
      expect(await row(target.id)).toMatchObject({ assigned_agent: colleagueSub, assigned_function: null });
      const colleague = await pageOf(givorsAgent, `/demandes/${target.id}`);
      expect(colleague.html).toContain('<dd id="attribuee-a">collegue@givors.test</dd>');

      expect((await post(givorsAgent, `/demandes/${target.id}/attribution`, { attribuer: 'fonction:receiver', version: hiddenValue(colleague.html, 'version') })).status).toBe(303);
      expect(await row(target.id)).toMatchObject({ assigned_agent: null, assigned_function: 'receiver' });
      expect((await pageOf(givorsAgent, `/demandes/${target.id}`)).html).toContain('<dd id="attribuee-a">la fonction « Agent instructeur »</dd>');
      const assigned = (await eventsOf(target.id)).filter((e) => e.kind === 'assigned');
      expect(assigned.map((e) => e.payload.to)).toEqual([
        { agent: givorsSub, function: null },
        { agent: colleagueSub, function: null },
        { agent: null, function: 'receiver' },
      ]);
      expect(assigned.every((e) => e.visibility === 'internal')).toBe(true);
    });

    it('refuses a stale version (409), an agent of another commune (422), and a Bron demand (404)', async () => {
      const target = givors[3];
      const stale = await post(givorsAgent, `/demandes/${target.id}/attribution`, { attribuer: 'moi', version: String(target.lockVersion + 5) });
      expect(stale.status).toBe(409);
      expect(await stale.text()).toContain('La demande a été modifiée entre-temps');
      const stranger = await post(givorsAgent, `/demandes/${target.id}/attribution`, { attribuer: 'agent:agent-bron-sub' });
      expect(stranger.status).toBe(422);
      expect(await stranger.text()).toContain('Cet agent ne traite pas les demandes de cette collectivité.');
      expect((await row(target.id)).assigned_agent).toBeNull();
      expect((await post(givorsAgent, `/demandes/${bron.id}/attribution`, { attribuer: 'moi' })).status).toBe(404);
      expect((await row(bron.id)).assigned_agent).toBeNull();
      expect(await eventsOf(bron.id)).toEqual([]);
    });
  });

  describe('re-routing by a metropolis agent', () => {
    it('is not offered to a commune’s agent, and refused if forged (403)', async () => {
      const page = await pageOf(givorsAgent, `/demandes/${givors[4].id}`);
      expect(page.html).not.toContain('Réorienter la demande');
      const forged = await post(givorsAgent, `/demandes/${givors[4].id}/reorientation`, { commune: villeurbanneId });
      expect(forged.status).toBe(403);
      expect((await row(givors[4].id)).collectivity_id).toBe(seed.givorsId);
    });

    it('moves a demand to a Partenaire commune: its agents are mailed, the history records both communes, the citizen is told', async () => {
      const target = metropolis[0];
      const page = await pageOf(metroAgent, `/demandes/${target.id}`);
      expect(page.html).toContain('<h2 id="reorienter-titre">Réorienter vers une autre commune</h2>');
      expect(page.html).toContain(`<option value="${villeurbanneId}">Villeurbanne</option>`);
      const response = await post(metroAgent, `/demandes/${target.id}/reorientation`, { commune: villeurbanneId, motif: 'Adresse à Villeurbanne', version: hiddenValue(page.html, 'version') });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`/demandes?fait=reorientation&code=${target.trackingCode}`);
      expect((await pageOf(metroAgent, response.headers.get('location')!)).html).toContain(`La demande ${target.trackingCode} a été réorientée.`);
      expect((await row(target.id)).collectivity_id).toBe(villeurbanneId);

      const events = await eventsOf(target.id);
      expect(events.every((e) => e.collectivity_id === villeurbanneId)).toBe(true);
      expect(events.find((e) => e.kind === 'rerouted')).toMatchObject({
        visibility: 'internal',
        actor: { type: 'agent' },
        payload: { from: { id: seed.metropolisId, name: 'Métropole de Lyon' }, to: { id: villeurbanneId, name: 'Villeurbanne' }, reason: 'Adresse à Villeurbanne', delivery: 'gru' },
      });
      expect(events.find((e) => e.kind === 'delivered')).toMatchObject({ payload: { channel: 'gru', agentsNotified: 2 } });
      const mails = await sink.waitForCount(sink.messages.filter((m) => !m.subject.includes(target.trackingCode)).length + 2);
      const agentMails = mails.filter((m) => m.subject.includes(target.trackingCode));
      expect(agentMails.map((m) => m.to[0]).sort()).toEqual(['v1@villeurbanne.test', 'v2@villeurbanne.test']);
      expect(agentMails[0].text).toContain(`/demandes/${target.id}`);

      const citizen = await backoffice.app.get(DemandQueries).get({ kind: 'citizen', sub: 'citoyen-metro-0' }, target.id);
      const told = citizen.history.find((e) => e.kind === 'collectivity_changed');
      expect(told?.payload).toMatchObject({ text: 'Votre demande est désormais traitée par la commune de Villeurbanne.' });
      expect(citizen.history.map((e) => e.kind)).not.toContain('rerouted');
      // Out of the metropolis agent's sight now (row-level security).
      expect((await pageOf(metroAgent, `/demandes/${target.id}`)).response.status).toBe(404);
    });

    it('relays a demand to a non-adhering commune by email: it stays with the metropolis, the citizen is told which commune handles it', async () => {
      const target = metropolis[1];
      const response = await post(metroAgent, `/demandes/${target.id}/reorientation`, { commune: ecullyId, version: String(target.lockVersion) });
      expect(response.status).toBe(303);
      expect((await row(target.id)).collectivity_id).toBe(seed.metropolisId);
      const mail = await sink.waitFor((m) => m.to.includes('mairie@ecully.test') && m.subject.includes(target.trackingCode));
      expect(mail.text).toContain(`/demandes/${target.id}`);
      const events = await eventsOf(target.id);
      expect(events.find((e) => e.kind === 'rerouted')).toMatchObject({ payload: { to: { id: ecullyId }, delivery: 'email_relay' } });
      const citizen = await backoffice.app.get(DemandQueries).get({ kind: 'citizen', sub: 'citoyen-metro-1' }, target.id);
      expect(citizen.history.find((e) => e.kind === 'relayed_by_email')?.payload).toMatchObject({ text: 'Votre demande a été transmise par courriel à la commune d’Écully, qui la traitera.' });
      const page = await pageOf(metroAgent, `/demandes/${target.id}`);
      expect(page.html).toMatch(/<strong>Demande réorientée<\/strong> — Agent \(vous\)/);
      expect(page.html).toContain('<strong>Demande relayée par courriel</strong>');

      // Re-routed to the same commune again (e.g. after its contact address was corrected): relayed again, once.
      const again = await post(metroAgent, `/demandes/${target.id}/reorientation`, { commune: ecullyId, version: String((await row(target.id)).lock_version) });
      expect(again.status).toBe(303);
      const relays = () => sink.messages.filter((m) => m.to.includes('mairie@ecully.test') && m.subject.includes(target.trackingCode));
      await sink.waitFor((m) => relays().length >= 2 && m.to.includes('mairie@ecully.test'));
      expect((await eventsOf(target.id)).filter((e) => e.kind === 'relayed_by_email')).toHaveLength(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(relays()).toHaveLength(2);
    });

    it('cannot re-route another collectivity’s demand (404), nor to the commune that already has it (422)', async () => {
      expect((await post(metroAgent, `/demandes/${givors[5].id}/reorientation`, { commune: villeurbanneId })).status).toBe(404);
      expect((await row(givors[5].id)).collectivity_id).toBe(seed.givorsId);
      const same = await post(metroAgent, `/demandes/${metropolis[2].id}/reorientation`, { commune: '' });
      expect(same.status).toBe(422);
      expect(await same.text()).toContain('Choisissez la commune compétente.');
    });

    it('lets a commune agent send a mis-routed demand back to the metropolis with a reason; the metropolis sees it flagged and re-routes it', async () => {
      const target = await insert(seed.givorsId, { nom: 'Mal orientée' }, undefined, 'citoyen-renvoi');
      await db().query(`UPDATE demand SET assigned_agent = $2 WHERE id = $1`, [target.id, givorsSub]);
      const page = await pageOf(givorsAgent, `/demandes/${target.id}`);
      expect(page.html).toContain('<h2 id="renvoi-titre">Renvoyer à la métropole</h2>');
      const version = hiddenValue(page.html, 'version');

      // The reason is required: 422, linked to the field, nothing moves.
      const empty = await post(givorsAgent, `/demandes/${target.id}/renvoi`, { motif: '   ', version });
      expect(empty.status).toBe(422);
      const emptyHtml = await empty.text();
      expect(emptyHtml).toMatch(/<a href="#renvoi-motif">[^<]*Indiquez pourquoi la demande ne relève pas de votre commune\.<\/a>/);
      expect(emptyHtml).toContain('aria-invalid="true">');
      expect((await row(target.id)).collectivity_id).toBe(seed.givorsId);
      // Another commune's demand: 404; a metropolis demand cannot be "returned" (422), and is not offered.
      expect((await post(givorsAgent, `/demandes/${bron.id}/renvoi`, { motif: 'Pas chez nous' })).status).toBe(404);
      expect((await pageOf(metroAgent, `/demandes/${metropolis[2].id}`)).html).not.toContain('Renvoyer à la métropole');
      const notReturnable = await post(metroAgent, `/demandes/${metropolis[2].id}/renvoi`, { motif: 'Pas chez nous' });
      expect(notReturnable.status).toBe(422);
      expect(await notReturnable.text()).toContain('Seule une demande déposée sur un téléservice de la métropole et transmise à votre commune peut être renvoyée à la métropole.');

      const reason = 'L’adresse est à Villeurbanne, pas à Givors.';
      // A version that is not the one read: 409 « modifiée entre-temps », nothing moves.
      const stale = await post(givorsAgent, `/demandes/${target.id}/renvoi`, { motif: reason, version: String(Number(version) + 1) });
      expect(stale.status).toBe(409);
      expect(await stale.text()).toContain('La demande a été modifiée entre-temps');
      expect((await row(target.id)).collectivity_id).toBe(seed.givorsId);
      const response = await post(givorsAgent, `/demandes/${target.id}/renvoi`, { motif: reason, version });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`/demandes?fait=renvoi&code=${target.trackingCode}`);
      expect((await pageOf(givorsAgent, response.headers.get('location')!)).html).toContain(`La demande ${target.trackingCode} a été renvoyée à la métropole.`);
      expect(await row(target.id)).toMatchObject({ collectivity_id: seed.metropolisId, assigned_agent: null, assigned_function: null });
      // Out of the commune's sight (row-level security), in the metropolis' listing flagged with the reason.
      expect((await pageOf(givorsAgent, `/demandes/${target.id}`)).response.status).toBe(404);
      expect((await pageOf(givorsAgent, '/demandes?vue=aucune')).html).not.toContain(target.trackingCode);
      const listing = await pageOf(metroAgent, '/demandes?vue=aucune');
      expect(listing.html).toMatch(
        new RegExp(`<a href="/demandes/${target.id}">${target.trackingCode}</a>.*<span class="badge badge-internal">renvoyée par Givors</span><span class="row-summary">Motif : L’adresse est à Villeurbanne, pas à Givors\\.</span>`),
      );
      const metroPage = await pageOf(metroAgent, `/demandes/${target.id}`);
      expect(metroPage.html).toContain('<strong>Renvoyée par Givors</strong>');
      expect(metroPage.html).toContain(`<p>Motif : ${reason}</p>`);
      expect(metroPage.html).toMatch(/<strong>Demande renvoyée à la métropole<\/strong> — Agent \(un agent\)/);

      const events = await eventsOf(target.id);
      expect(events.find((e) => e.kind === 'returned_to_metropolis')).toMatchObject({
        visibility: 'internal',
        actor: { type: 'agent', sub: givorsSub },
        payload: { from: { id: seed.givorsId, name: 'Givors' }, reason },
      });
      // The citizen sees a neutral line, never the reason.
      const citizen = await backoffice.app.get(DemandQueries).get({ kind: 'citizen', sub: 'citoyen-renvoi' }, target.id);
      expect(citizen.history.find((e) => e.kind === 'collectivity_changed')?.payload).toMatchObject({ text: 'Votre demande est transmise à la Métropole de Lyon, qui l’oriente vers le service compétent.' });
      expect(citizen.history.map((e) => e.kind)).not.toContain('returned_to_metropolis');
      expect(JSON.stringify(citizen)).not.toContain('Villeurbanne');
      // The metropolis' agents are told (by their preference: a mail now here).
      const mail = await sink.waitFor((m) => m.to.includes(METRO_EMAIL) && m.subject.includes(target.trackingCode));
      expect(mail.subject).toBe(`Demande renvoyée par Givors : Demande simple (n° ${target.trackingCode})`);
      expect(mail.text).toContain(`Motif : ${reason}`);
      expect(mail.text).toContain(`/demandes/${target.id}`);

      // A metropolis agent re-routes it to the right commune: a delivery round of its own, Villeurbanne's agents mailed.
      const rerouted = await post(metroAgent, `/demandes/${target.id}/reorientation`, { commune: villeurbanneId, motif: 'Villeurbanne', version: hiddenValue(metroPage.html, 'version') });
      expect(rerouted.status).toBe(303);
      expect((await row(target.id)).collectivity_id).toBe(villeurbanneId);
      const after = await eventsOf(target.id);
      expect(after.find((e) => e.kind === 'delivered')).toMatchObject({ payload: { collectivityId: villeurbanneId, channel: 'gru', round: expect.stringMatching(/^reroute-\d+$/) } });
      const agentMails = await sink.waitForCount(sink.messages.filter((m) => !m.subject.includes(target.trackingCode)).length + 3);
      expect(agentMails.filter((m) => m.subject.includes(target.trackingCode) && m.to[0].endsWith('@villeurbanne.test')).map((m) => m.to[0]).sort()).toEqual(['v1@villeurbanne.test', 'v2@villeurbanne.test']);
      expect((await pageOf(metroAgent, `/demandes/${target.id}`)).response.status).toBe(404);
    });
  });

  describe('exports of the listing', () => {
    it('exports CSV for French spreadsheets: BOM, « ; », listing columns, formula-like cells neutralised, Givors only', async () => {
      const response = await givorsAgent.request(`${backoffice.url}/demandes/export.csv?teleservice=${listingTeleserviceId}&colonnes=teleservice,collectivite,depot,statut,canal,close,resume,champs`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="demandes-\d{4}-\d{2}-\d{2}\.csv"$/);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = bytes.toString('utf8').slice(1);
      const lines = text.split('\r\n');
      expect(lines[0]).toBe('Numéro de suivi;Téléservice;Collectivité;Déposée le;Statut;Canal;Close le;Résumé;Nom de famille;Ville de naissance');
      expect(lines).toHaveLength(6); // header, 4 rows, the empty string after the last CRLF
      const byCode = (d: Demand) => lines.find((l) => l.startsWith(`${d.trackingCode};`))!;
      expect(byCode(listed[0])).toMatch(/;Inscription à Givors;Givors;[^;]+;Demande reçue;En ligne;;[^;]*;"'=HYPERLINK\(""http:\/\/x\.test""\)";"Lyon; 7e"$/);
      expect(byCode(listed[1])).toMatch(/;'\+33 6 00;'-2$/);
      expect(text).toContain(`;'@SOMME(A1);"Givors\nRhône"\r\n`);
      expect(byCode(listed[3])).toMatch(/;Dupont;Saint-Étienne$/);

      const all = Buffer.from(await (await givorsAgent.request(`${backoffice.url}/demandes/export.csv`)).arrayBuffer()).toString('utf8');
      for (const d of [...listed, ...givors]) expect(all).toContain(d.trackingCode);
      expect(all).not.toContain(bron.trackingCode);
      for (const d of metropolis) expect(all).not.toContain(d.trackingCode);
    });

    it('exports ODS: a valid zip whose first entry is the stored « mimetype », with the rows in content.xml', async () => {
      const response = await givorsAgent.request(`${backoffice.url}/demandes/export.ods?teleservice=${listingTeleserviceId}&colonnes=depot,champs`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/vnd.oasis.opendocument.spreadsheet');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.readUInt32LE(0)).toBe(0x04034b50); // local file header
      expect(bytes.readUInt16LE(8)).toBe(0); // stored, not deflated
      expect(bytes.subarray(30, 30 + bytes.readUInt16LE(26)).toString()).toBe('mimetype');
      expect(bytes.subarray(30 + 8 + bytes.readUInt16LE(28), 30 + 8 + bytes.readUInt16LE(28) + 46).toString()).toBe('application/vnd.oasis.opendocument.spreadsheet');
      const file = join(downloads, 'export.ods');
      await writeFile(file, bytes);
      const { stdout: test } = await run('unzip', ['-t', file]);
      expect(test).toContain('No errors detected');
      const { stdout: names } = await run('unzip', ['-Z1', file]);
      expect(names.trim().split('\n')).toEqual(['mimetype', 'META-INF/manifest.xml', 'content.xml']);
      const { stdout: content } = await run('unzip', ['-p', file, 'content.xml']);
      expect(content).toContain('<table:table table:name="Demandes">');
      expect(content).toContain(`<text:p>${listed[3].trackingCode}</text:p>`);
      expect(content).toContain('<text:p>=HYPERLINK(&#34;http://x.test&#34;)</text:p>');
      expect(content).not.toContain(bron.trackingCode);
    });

    it('follows the listing’s columns and order (oldest first)', async () => {
      const response = await givorsAgent.request(`${backoffice.url}/demandes/export.csv?teleservice=${listingTeleserviceId}&colonnes=depot,champs&tri=anciennes`);
      const lines = Buffer.from(await response.arrayBuffer()).toString('utf8').slice(1).split('\r\n');
      expect(lines[0]).toBe('Numéro de suivi;Déposée le;Nom de famille;Ville de naissance');
      expect(lines[1].startsWith(`${listed[0].trackingCode};`)).toBe(true);
      expect(lines[4].startsWith(`${listed[3].trackingCode};`)).toBe(true);
    });

    it('refuses an unknown format (404) and bad filters (422)', async () => {
      expect((await givorsAgent.request(`${backoffice.url}/demandes/export.xls`)).status).toBe(404);
      expect((await givorsAgent.request(`${backoffice.url}/demandes/export.csv?du=2026-99-99`)).status).toBe(422);
    });
  });

  describe('listing filters', () => {
    const codes = (html: string) => [...html.matchAll(/<a href="\/demandes\/([0-9a-f-]{36})">/g)].map((m) => m[1]);

    it('filters on a form field (equals, contains), on the channel and on open demands', async () => {
      expect(codes((await pageOf(givorsAgent, '/demandes?champ=nom&champ_op=egal&valeur=Dupont')).html)).toEqual([listed[3].id]);
      expect(codes((await pageOf(givorsAgent, '/demandes?champ=ville&champ_op=contient&valeur=%C3%A9tienne')).html)).toEqual([listed[3].id]);
      expect((await pageOf(givorsAgent, '/demandes?canal=phone')).html).toContain('0 demande(s)');
      expect((await pageOf(givorsAgent, '/demandes?champ=nom&champ_op=egal')).response.status).toBe(422);
    });

    it('filters the demands waiting for the citizen (an information request pending)', async () => {
      const target = givors[3];
      expect((await post(givorsAgent, `/demandes/${target.id}/actions`, { actionId: 'take' })).status).toBe(303);
      expect((await post(givorsAgent, `/demandes/${target.id}/actions`, { actionId: 'ask-info', comment: 'Merci de préciser l’adresse.' })).status).toBe(303);
      const waiting = await pageOf(givorsAgent, '/demandes?etat=attente');
      expect(waiting.html).toContain('1 demande(s) correspondant aux filtres');
      expect(codes(waiting.html)).toEqual([target.id]);
      expect((await pageOf(givorsAgent, '/demandes?etat=ouvertes')).html).toContain(target.trackingCode);
    });
  });

  describe('columns, order and saved views of the listing', () => {
    const codes = (html: string) => [...html.matchAll(/<a href="\/demandes\/([0-9a-f-]{36})">/g)].map((m) => m[1]);

    it('shows the chosen columns, oldest first', async () => {
      const page = await pageOf(givorsAgent, `/demandes?teleservice=${listingTeleserviceId}&colonnes=canal&colonnes=champs&tri=anciennes`);
      expect(page.html).toContain('<th scope="col">Canal</th>');
      expect(page.html).toContain('<th scope="col">Champs du formulaire</th>');
      expect(page.html).not.toContain('<th scope="col">Statut</th>');
      expect(page.html).toContain('<dt>Ville de naissance</dt><dd>Saint-Étienne</dd>');
      expect(codes(page.html)).toEqual(listed.map((d) => d.id));
      expect(page.html).toContain('les plus anciennes d’abord</caption>');
    });

    it('saves a shared view, opens it, makes it the default (opened by /demandes), and keeps it from other communes (404)', async () => {
      const parametres = `teleservice=${listingTeleserviceId}&colonnes=depot,champs&tri=anciennes`;
      const saved = await post(givorsAgent, '/demandes/vues', { parametres, nom: 'Inscriptions', partage: 'oui', defaut: 'oui' });
      expect(saved.status).toBe(303);
      const viewId = /vue=([0-9a-f-]{36})/.exec(saved.headers.get('location')!)![1];
      const [row] = await db().query(`SELECT collectivity_id, owner_sub, visibility, is_default, query FROM saved_view WHERE id = $1`, [viewId]);
      expect(row).toEqual({ collectivity_id: seed.givorsId, owner_sub: givorsSub, visibility: 'shared', is_default: true, query: `teleservice=${listingTeleserviceId}&colonnes=depot%2Cchamps&tri=anciennes` });

      const home = await pageOf(givorsAgent, '/demandes');
      expect(home.url).toBe(`${backoffice.url}/demandes?teleservice=${listingTeleserviceId}&colonnes=depot%2Cchamps&tri=anciennes&vue=${viewId}`);
      expect(home.html).toContain('<h1>Demandes — vue « Inscriptions »</h1>');
      expect(codes(home.html)).toEqual(listed.map((d) => d.id));
      expect(home.html).toMatch(/<a href="\/demandes\?vue=[0-9a-f-]{36}" aria-current="page">Inscriptions<\/a>\s*<span class="badge">partagée \(Givors\)<\/span>\s*<span class="badge">par défaut<\/span>/);

      // The metropolis agent neither sees it listed nor opens it.
      expect((await pageOf(metroAgent, '/demandes?vue=aucune')).html).not.toContain('Inscriptions');
      expect((await pageOf(metroAgent, `/demandes?vue=${viewId}`)).response.status).toBe(404);
      // A duplicate name is refused with a message.
      const again = await pageOf(givorsAgent, '/demandes?vue=aucune');
      const duplicate = await givorsAgent.post(`${backoffice.url}/demandes/vues`, { _csrf: hiddenValue(again.html, '_csrf'), parametres: '', nom: 'Inscriptions' });
      expect(duplicate.headers.get('location')).toContain('fait=vue-nom-pris');

      // No default any more: /demandes lists everything again.
      expect((await post(givorsAgent, '/demandes/vues/par-defaut', { vue: 'aucune' })).status).toBe(303);
      expect((await pageOf(givorsAgent, '/demandes')).url).toBe(`${backoffice.url}/demandes`);
      expect((await post(metroAgent, '/demandes/vues/supprimer', { vue: viewId })).status).toBe(404);
      expect((await post(givorsAgent, '/demandes/vues/supprimer', { vue: viewId })).status).toBe(303);
      expect(await db().query(`SELECT id FROM saved_view WHERE id = $1`, [viewId])).toEqual([]);
    });
  });

  describe('user card and notification preferences', () => {
    it('lists every demand of the citizen within Givors, never Bron’s', async () => {
      const demandPage = await pageOf(givorsAgent, `/demandes/${givors[0].id}`);
      expect(demandPage.html).toContain(`<a href="/demandes/${givors[0].id}/usager">Toutes les demandes de cet usager</a>`);
      const card = await pageOf(givorsAgent, `/demandes/${givors[0].id}/usager`);
      expect(card.response.status).toBe(200);
      expect(card.html).toContain('2 demande(s) de cet usager');
      expect(card.html).toContain(`<a href="/demandes/${sameCitizenGivors.id}">${sameCitizenGivors.trackingCode}</a>`);
      expect(card.html).toContain(`<a href="/demandes/${givors[0].id}" aria-current="page">${givors[0].trackingCode}</a>`);
      expect(card.html).not.toContain(sameCitizenBron.trackingCode);
      expect((await pageOf(givorsAgent, `/demandes/${givors[1].id}/usager`)).html).toContain('faite sans compte territorial');
      expect((await pageOf(givorsAgent, `/demandes/${sameCitizenBron.id}/usager`)).response.status).toBe(404);
    });

    it('lets the agent choose instant mails or a daily digest (the page agents’ mails point to)', async () => {
      const page = await pageOf(givorsAgent, '/preferences/notifications');
      expect(page.html).toMatch(/id="mode-instant" name="mode" type="radio" value="instant" aria-describedby="mode-instant-aide" checked>/);
      expect((await post(givorsAgent, '/preferences/notifications', { mode: 'daily_digest' })).headers.get('location')).toBe('/preferences/notifications?fait=1');
      expect(await db().query(`SELECT mode FROM agent_notification_preference WHERE account_sub = $1`, [givorsSub])).toEqual([{ mode: 'daily_digest' }]);
      const after = await pageOf(givorsAgent, '/preferences/notifications?fait=1');
      expect(after.html).toContain('Votre préférence a été enregistrée.');
      expect(after.html).toMatch(/value="daily_digest" aria-describedby="mode-daily_digest-aide" checked>/);
      const invalid = await post(givorsAgent, '/preferences/notifications', { mode: 'jamais' });
      expect(invalid.status).toBe(422);
      expect(await invalid.text()).toContain('Choisissez « à chaque demande » ou « un récapitulatif par jour ».');
      await post(givorsAgent, '/preferences/notifications', { mode: 'instant' });
    });
  });

  describe('bulk actions (background job with progress)', () => {
    const progressOf = async (id: string) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const page = await pageOf(givorsAgent, `/demandes/lots/${id}`);
        if (page.html.includes('<dd id="lot-etat">Terminée</dd>') || Date.now() > deadline) return page;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const start = async (ids: string[], operation: string) => {
      const csrf = await csrfOf(givorsAgent);
      const body = new URLSearchParams([['_csrf', csrf], ['operation', operation], ...ids.map((id) => ['demandes', id])]);
      return givorsAgent.request(`${backoffice.url}/demandes/lots`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    };

    it('offers the selection and the bulk-allowed buttons on the listing', async () => {
      const page = await pageOf(givorsAgent, `/demandes?teleservice=${listingTeleserviceId}`);
      expect(page.html).toContain(`<input id="choisir-${listed[0].id}" type="checkbox" name="demandes" value="${listed[0].id}" form="selection">`);
      expect(page.html).toContain('<option value="action:take">Action : Prendre en charge</option>');
    });

    it('presses a bulk-allowed button on a selection in the worker, with progress and one refusal recorded', async () => {
      const started = await start([listed[0].id, listed[1].id, givors[4].id], 'action:take');
      expect(started.status).toBe(303);
      const id = /\/demandes\/lots\/([0-9a-f-]{36})$/.exec(started.headers.get('location')!)![1];
      const page = await progressOf(id);
      expect(page.html).toContain('<dd id="lot-etat">Terminée</dd>');
      expect(page.html).toContain('3 traitée(s) sur 3 : 2 réussie(s), 1 refusée(s)');
      expect(page.html).toContain(`<a href="/demandes/${givors[4].id}">${givors[4].trackingCode}</a> : refusé — Cette action n’est pas possible en lot`);
      expect((await row(listed[0].id)).status).toBe('in_progress');
      expect((await row(listed[1].id)).status).toBe('in_progress');
      expect((await row(givors[4].id)).status).toBe('received');
      expect((await eventsOf(listed[0].id)).find((e) => e.kind === 'status_changed')?.actor).toMatchObject({ type: 'agent', sub: givorsSub });
    });

    it('assigns a selection to me in bulk', async () => {
      const started = await start([listed[2].id, listed[3].id], 'moi');
      const id = /([0-9a-f-]{36})$/.exec(started.headers.get('location')!)![1];
      expect((await progressOf(id)).html).toContain('2 traitée(s) sur 2 : 2 réussie(s), 0 refusée(s)');
      expect((await row(listed[2].id)).assigned_agent).toBe(givorsSub);
      expect((await row(listed[3].id)).assigned_agent).toBe(givorsSub);
    });

    it('refuses a selection holding a Bron demand as a whole (422), and keeps operations to their owner (404)', async () => {
      const before = (await db().query(`SELECT count(*)::int AS n FROM bulk_operation`))[0].n;
      const refused = await start([givors[3].id, bron.id], 'moi');
      expect(refused.status).toBe(422);
      expect(await refused.text()).toContain('Certaines demandes sélectionnées sont introuvables.');
      expect((await db().query(`SELECT count(*)::int AS n FROM bulk_operation`))[0].n).toBe(before);
      expect((await row(bron.id)).assigned_agent).toBeNull();
      const [{ id }] = await db().query(`SELECT id FROM bulk_operation ORDER BY created_at LIMIT 1`);
      expect((await pageOf(metroAgent, `/demandes/lots/${id}`)).response.status).toBe(404);
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

    it('logs in, filters, opens a demand, comments, assigns it to themself, presses a button, exports CSV; pages pass axe-core', async () => {
      const context = await chromium.newContext({ acceptDownloads: true });
      const page = await context.newPage();
      await page.goto(`${backoffice.url}/auth/login?returnTo=%2Fdemandes`);
      await page.getByLabel('Adresse électronique').fill(GIVORS_EMAIL);
      await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
      await Promise.all([page.waitForURL(`${backoffice.url}/demandes`), page.getByRole('button', { name: 'Se connecter' }).click()]);

      await page.getByLabel('Numéro de suivi ou texte').fill(givors[5].trackingCode);
      await page.getByRole('button', { name: 'Filtrer' }).click();
      await page.waitForURL(/q=/);
      await page.getByRole('link', { name: givors[5].trackingCode }).click();
      await page.waitForURL(`${backoffice.url}/demandes/${givors[5].id}`);

      await page.getByLabel('Nouveau commentaire interne').fill('Appeler l’usager demain matin.');
      await Promise.all([page.waitForURL(/fait=commentaire/), page.getByRole('button', { name: 'Ajouter le commentaire' }).click()]);
      expect(await page.getByRole('status').first().innerText()).toContain('Le commentaire interne a été ajouté.');

      await Promise.all([page.waitForURL(/fait=attribution/), page.getByRole('button', { name: 'M’attribuer la demande' }).click()]);
      expect(await page.locator('#attribuee-a').innerText()).toBe('vous');

      await Promise.all([page.waitForURL(/fait=1/), page.getByRole('button', { name: 'Prendre en charge' }).click()]);
      expect(await page.locator('#statut-demande').innerText()).toBe('En cours d’instruction');

      await page.goto(`${backoffice.url}/demandes?attribution=moi`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Exporter en CSV' }).click()]);
      const csv = await readFile((await download.path())!, 'utf8');
      expect(csv.startsWith('\uFEFFNuméro de suivi;')).toBe(true);
      expect(csv.split('\r\n')[0]).toBe('\uFEFFNuméro de suivi;Téléservice;Déposée le;Statut');
      expect(csv).toMatch(new RegExp(`${givors[5].trackingCode};Demande simple;[^;]+;En cours d’instruction\r\n`));

      const audit = await chromium.newContext({ bypassCSP: true });
      await audit.addCookies(await context.cookies());
      for (const path of ['/tableau-de-bord', '/demandes?attribution=moi', `/demandes/${givors[5].id}`, `/demandes/${givors[0].id}/usager`, '/preferences/notifications']) {
        const auditPage = await audit.newPage();
        await auditPage.goto(`${backoffice.url}${path}`);
        expect({ path, violations: await seriousAccessibilityViolations(auditPage) }).toEqual({ path, violations: [] });
        await auditPage.close();
      }
      await audit.close();
      await context.close();
    }, 120_000); // a real browser and five axe audits: about 25 s alone, more on a loaded machine
  });
});
