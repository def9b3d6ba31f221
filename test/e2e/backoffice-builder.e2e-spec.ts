import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser as Chromium, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail } from '#agents';
import { fromRoot, ManualClock } from '#core';
import { seedDemo } from '#territory';
import { launchBrowser, seriousAccessibilityViolations, startTestApp, type TestApp } from '#testing';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createVerifiedAccount, hiddenValue, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/**
 * The téléservice builder (issue 7): a Givors administrator builds a téléservice form by form, sees a
 * validation error on the field it belongs to, publishes it on the test instance, promotes it to production,
 * compares versions, exports and imports a bundle. An agent without the administrator role is refused (403),
 * a Bron administrator does not even see Givors' téléservices (404).
 */
const SCREENSHOTS = fromRoot('test-artifacts', 'screenshots');
const ADMIN = 'camille.admin@example.org';
const AGENT = 'sacha.agent@example.org';
const BRON_ADMIN = 'alex.admin-bron@example.org';

type Page_ = { response: Response; url: string; html: string };

describe('back-office téléservice builder', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let admin: WebBrowser;
  let agent: WebBrowser;
  let bronAdmin: WebBrowser;
  let givorsTestInstance: string;
  let teleserviceId = '';
  let productionId = '';

  const dataSource = () => backoffice.app.get(DataSource);
  const get = (who: WebBrowser, path: string) => who.follow(`${backoffice.url}${path}`);
  /** Posts a form (with the page's CSRF token) and follows the redirect. */
  const submit = async (who: WebBrowser, path: string, fields: Record<string, string | string[]>, from?: Page_): Promise<Page_> => {
    const token = hiddenValue((from ?? (await get(who, '/teleservices'))).html, '_csrf');
    const body = new URLSearchParams({ _csrf: token });
    for (const [name, value] of Object.entries(fields)) for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
    return who.follow(`${backoffice.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  };
  const revisionOf = (page: Page_) => hiddenValue(page.html, 'revision');
  const decode = (html: string) => html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

  const account = async (email: string, collectivity: string, role: 'agent' | 'administrator') => {
    await createVerifiedAccount(identity, email, STRONG_PASSWORD, { givenName: 'Test', familyName: 'Builder' });
    const { sub } = await backofficeSubjectForEmail(dataSource(), backoffice.config, backoffice.clock, email);
    await backoffice.app.get(AgentRoleService).grant({ accountSub: sub, accountEmail: email, collectivity, role });
    const browser = new WebBrowser();
    await logIn(browser, backoffice.url, email, { returnTo: '/tableau-de-bord' });
    return browser;
  };

  beforeAll(async () => {
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });
    await seedDemo(dataSource(), backoffice.clock);
    givorsTestInstance = (await dataSource().query<{ id: string }[]>(`SELECT id FROM instance WHERE slug = 'givors-test'`))[0].id;
    admin = await account(ADMIN, 'givors', 'administrator');
    agent = await account(AGENT, 'givors', 'agent');
    bronAdmin = await account(BRON_ADMIN, 'bron', 'administrator');
  });
  afterAll(async () => {
    await backoffice?.close();
    await identity?.close();
  });

  it('lists the instances of the collectivity with « Créer un téléservice »', async () => {
    const page = await get(admin, '/teleservices');
    expect(page.response.status).toBe(200);
    expect(page.html).toContain('<h1>Téléservices</h1>');
    expect(page.html).toContain('Instance Test');
    expect(page.html).toContain('Instance Production');
    expect(page.html).toContain('Créer un téléservice');
    expect(page.html).toContain('<option value="communal">Communal</option>');
    expect(page.html).not.toContain('Mutualisé');
  });

  it('refuses a creation with every error next to its input', async () => {
    const page = await submit(admin, '/teleservices', { instance: givorsTestInstance, titre: 'Ab', identifiant: 'Pas Bon', type: 'communal', resume: '' });
    expect(page.response.status).toBe(422);
    expect(page.html).toContain('id="creer-identifiant-error"');
    expect(page.html).toContain('Minuscules, chiffres et tirets uniquement');
    expect(page.html).toContain('<a href="#creer-titre">');
  });

  it('creates a téléservice, adds a page, a text field and a choice field, and shows a bad identifier on its field', async () => {
    let page = await submit(admin, '/teleservices', {
      instance: givorsTestInstance,
      titre: 'Permis de végétaliser',
      identifiant: 'permis-vegetaliser',
      type: 'communal',
      resume: 'Fleurir un pied d’arbre ou un trottoir',
      theme: 'cadre de vie',
    });
    expect(page.response.status).toBe(200);
    const created = /\/teleservices\/([0-9a-f-]{36})\?fait=cree$/.exec(page.url);
    expect(created).not.toBeNull();
    teleserviceId = created![1];
    expect(page.html).toContain('Le téléservice a été créé');
    const base = `/teleservices/${teleserviceId}`;

    page = await submit(admin, `${base}/pages`, { revision: revisionOf(page), titre: 'Votre projet' }, page);
    expect(page.url).toBe(`${backoffice.url}${base}/pages/1?fait=ajoute`);
    expect(page.html).toContain('<h1>Page « Votre projet »</h1>');

    page = await submit(admin, `${base}/pages/1/champs`, { revision: revisionOf(page), type: 'text' }, page);
    expect(page.url).toBe(`${backoffice.url}${base}/champs/1-0?fait=ajoute`);
    page = await submit(admin, `${base}/champs/1-0`, { revision: revisionOf(page), id: 'Adresse Projet', label: 'Adresse du projet', required: 'oui', maxLength: '200' }, page);
    expect(page.url).toBe(`${backoffice.url}${base}/champs/1-0?fait=enregistre`);
    expect(decode(page.html)).toContain(
      '<p class="error-message" id="f-id-error"><span class="visually-hidden">Erreur : </span>Identifiant invalide : minuscules, chiffres et « _ », commençant par une lettre.</p>',
    );
    expect(page.html).toContain('aria-describedby="f-id-hint f-id-error"');
    expect(page.html).toContain('<a href="#f-id">Identifiant : Identifiant invalide');
    const overview = await get(admin, base);
    expect(overview.html).toContain(`<a href="${base}/champs/1-0#f-id">Page « Votre projet », champ « Adresse du projet » — Identifiant invalide`);

    // Not a number: refused before anything is saved, the typed values kept.
    const notANumber = await submit(admin, `${base}/champs/1-0`, { revision: revisionOf(page), id: 'adresse_projet', label: 'Adresse du projet', maxLength: 'deux cents' }, page);
    expect(notANumber.response.status).toBe(422);
    expect(notANumber.html).toContain('Saisissez un nombre entier.');
    expect(notANumber.html).toContain('value="deux cents"');

    page = await submit(admin, `${base}/champs/1-0`, { revision: revisionOf(page), id: 'adresse_projet', label: 'Adresse du projet', required: 'oui', maxLength: '200' }, page);
    expect(page.html).not.toContain('f-id-error');
    expect(page.html).toContain('Les modifications ont été enregistrées dans le brouillon.');

    page = await get(admin, `${base}/pages/1`);
    page = await submit(admin, `${base}/pages/1/champs`, { revision: revisionOf(page), type: 'choice' }, page);
    expect(page.url).toBe(`${backoffice.url}${base}/champs/1-1?fait=ajoute`);
    page = await submit(
      admin,
      `${base}/champs/1-1`,
      { revision: revisionOf(page), id: 'plantation', label: 'Que souhaitez-vous planter ?', required: 'oui', display: 'radio', options: 'fleurs | Des fleurs\narbustes | Des arbustes\nPlantes grimpantes' },
      page,
    );
    expect(page.html).not.toContain('class="error-message"');
    expect(page.html).toContain('plantes_grimpantes | Plantes grimpantes');

    // The first page got its own field too (a page without field would be refused at publication).
    page = await get(admin, `${base}/pages/0`);
    page = await submit(admin, `${base}/pages/0/champs`, { revision: revisionOf(page), type: 'email' }, page);
    page = await submit(admin, `${base}/champs/0-0`, { revision: revisionOf(page), id: 'courriel', label: 'Votre adresse électronique', required: 'oui', 'prefill.attribute': 'email' }, page);
    expect(page.html).toContain('<option value="email" selected>');

    const draft = (await dataSource().query<{ form: { pages: { fields: unknown[] }[] } }[]>(`SELECT form FROM teleservice_version WHERE teleservice_id = $1 AND state = 'draft'`, [teleserviceId]))[0];
    expect(draft.form.pages[1].fields).toEqual([
      { type: 'text', id: 'adresse_projet', label: 'Adresse du projet', required: true, maxLength: 200 },
      {
        type: 'choice',
        id: 'plantation',
        label: 'Que souhaitez-vous planter ?',
        required: true,
        display: 'radio',
        options: [
          { value: 'fleurs', label: 'Des fleurs' },
          { value: 'arbustes', label: 'Des arbustes' },
          { value: 'plantes_grimpantes', label: 'Plantes grimpantes' },
        ],
      },
    ]);
    expect(draft.form.pages[0].fields).toEqual([{ type: 'email', id: 'courriel', label: 'Votre adresse électronique', required: true, prefill: { from: 'profile', attribute: 'email' } }]);
  });

  it('edits the workflow: a status and a button action, with errors on the action', async () => {
    const base = `/teleservices/${teleserviceId}`;
    let page = await get(admin, `${base}/workflow`);
    expect(page.html).toContain('Demande reçue');
    page = await submit(admin, `${base}/statuts`, { revision: revisionOf(page), libelle: 'Transmise au service espaces verts' }, page);
    expect(page.url).toMatch(/\/statuts\/5\?fait=ajoute$/);
    page = await submit(admin, `${base}/statuts/5`, { revision: revisionOf(page), id: 'transmise', label: 'Transmise au service espaces verts', colour: 'vert', visibility: 'oui' }, page);
    expect(page.html).toContain('id="s-colour-error"');
    expect(page.html).toContain('Couleur invalide : attendu #RRGGBB');
    page = await submit(admin, `${base}/statuts/5`, { revision: revisionOf(page), id: 'transmise', label: 'Transmise au service espaces verts', colour: '#18753C', visibility: 'oui', final: 'oui' }, page);
    expect(page.html).not.toContain('s-colour-error');

    page = await get(admin, `${base}/statuts/1`);
    page = await submit(admin, `${base}/statuts/1/actions`, { revision: revisionOf(page), type: 'button' }, page);
    expect(page.url).toMatch(/\/statuts\/1\/actions\/3\?fait=ajoute$/);
    page = await submit(
      admin,
      `${base}/statuts/1/actions/3`,
      { revision: revisionOf(page), id: 'transmettre', label: 'Transmettre', target: 'transmise', functions: 'receiver', confirm: 'Transmettre la demande ?', commentRequired: 'oui' },
      page,
    );
    expect(page.html).not.toContain('class="error-message"');
    page = await get(admin, `${base}/statuts/1`);
    page = await submit(admin, `${base}/statuts/1/actions`, { revision: revisionOf(page), type: 'auto_jump' }, page);
    page = await submit(admin, `${base}/statuts/1/actions/4`, { revision: revisionOf(page), id: 'relance', 'trigger.kind': 'afterDelay', 'trigger.afterDelay': 'trente jours', target: 'refused' }, page);
    expect(page.html).toContain('id="a-trigger-afterDelay-error"');
    page = await submit(admin, `${base}/statuts/1/actions/4`, { revision: revisionOf(page), id: 'relance', 'trigger.kind': 'afterDelay', 'trigger.afterDelay': 'P30D', target: 'refused' }, page);
    expect(page.html).not.toContain('class="error-message"');
    const workflow = (await dataSource().query<{ workflow: { statuses: { id: string; actions: unknown[] }[] } }[]>(`SELECT workflow FROM teleservice_version WHERE teleservice_id = $1 AND state = 'draft'`, [teleserviceId]))[0].workflow;
    expect(workflow.statuses[1].actions.slice(3)).toEqual([
      { id: 'transmettre', kind: 'button', label: 'Transmettre', target: 'transmise', functions: ['receiver'], confirm: 'Transmettre la demande ?', commentRequired: true },
      { id: 'relance', kind: 'auto_jump', trigger: { afterDelay: 'P30D' }, target: 'refused' },
    ]);
  });

  it('edits the presentation (not versioned) and the declared data sources used by a field', async () => {
    const base = `/teleservices/${teleserviceId}`;
    let page = await get(admin, base);
    const refused = await submit(admin, `${base}/presentation`, { title: 'P', summary: 'Fleurir la ville', theme: '', description: '' }, page);
    expect(refused.response.status).toBe(422);
    expect(refused.html).toContain('id="presentation-title-error"');
    expect(refused.html).toContain('<a href="#presentation-title">Titre : Titre requis (3 caractères au moins).</a>');
    page = await submit(admin, `${base}/presentation`, { title: 'Permis de végétaliser', summary: 'Fleurir un pied d’arbre', theme: 'cadre de vie', description: '', anonymousAllowed: 'oui' }, page);
    expect(page.html).toContain('La présentation du téléservice a été enregistrée.');
    const [row] = await dataSource().query<{ summary: string; anonymous_allowed: boolean; description: string | null }[]>(`SELECT summary, anonymous_allowed, description FROM teleservice WHERE id = $1`, [teleserviceId]);
    expect(row).toEqual({ summary: 'Fleurir un pied d’arbre', anonymous_allowed: true, description: null });

    page = await submit(admin, `${base}/fenetre`, { ouverture: '2026-04-01', fermeture: '2026-09-30' }, page);
    expect(page.html).toContain('Les dates d’ouverture ont été enregistrées.');
    expect(page.html).toContain('value="2026-04-01"');
    expect(page.html).toContain('value="2026-09-30"');
    const [window] = await dataSource().query<{ opens_at: Date; closes_at: Date }[]>(`SELECT opens_at, closes_at FROM teleservice WHERE id = $1`, [teleserviceId]);
    expect([window.opens_at.toISOString(), window.closes_at.toISOString()]).toEqual(['2026-03-31T22:00:00.000Z', '2026-09-30T22:00:00.000Z']);
    const badWindow = await submit(admin, `${base}/fenetre`, { ouverture: '2026-09-30', fermeture: '2026-04-01' }, page);
    expect(badWindow.response.status).toBe(422);
    expect(badWindow.html).toContain('La date de fermeture doit suivre la date d');
    const cleared = await submit(admin, `${base}/fenetre`, { ouverture: '', fermeture: '' }, page);
    expect(cleared.html).toContain('Les dates d’ouverture ont été enregistrées.');

    page = await get(admin, `${base}/sources`);
    page = await submit(admin, `${base}/sources`, { revision: revisionOf(page), libelle: 'Essences d’arbres' }, page);
    expect(page.url).toMatch(/\/sources\/0\?fait=ajoute$/);
    page = await submit(
      admin,
      `${base}/sources/0`,
      { revision: revisionOf(page), id: 'essences', label: 'Essences d’arbres', 'source.url': 'https://data.example.org/essences.json', 'source.valuePath': 'code', 'source.labelPath': 'nom', 'source.cacheSeconds': '600' },
      page,
    );
    expect(page.html).not.toContain('class="error-message"');
    page = await get(admin, `${base}/pages/0`);
    page = await submit(admin, `${base}/pages/0/champs`, { revision: revisionOf(page), type: 'data_source' }, page);
    expect(page.url).toMatch(/\/champs\/0-1\?fait=ajoute$/);
    const fieldOf = (url: string) => ({ id: 'essence', label: 'Essence souhaitée', 'source.kind': 'url', 'source.url': url, 'source.valuePath': 'code', 'source.labelPath': 'nom' });
    page = await submit(admin, `${base}/champs/0-1`, { revision: revisionOf(page), ...fieldOf('https://autre.example.org/liste.json') }, page);
    expect(page.html).toContain('id="f-source-url-error"');
    expect(decode(page.html)).toContain('n\'est pas déclarée dans les sources de données de la version');
    page = await submit(admin, `${base}/champs/0-1`, { revision: revisionOf(page), ...fieldOf('https://data.example.org/essences.json') }, page);
    expect(page.html).not.toContain('class="error-message"');
    const [draft] = await dataSource().query<{ data_sources: unknown; form: { pages: { fields: unknown[] }[] } }[]>(
      `SELECT data_sources, form FROM teleservice_version WHERE teleservice_id = $1 AND state = 'draft'`,
      [teleserviceId],
    );
    expect(draft.data_sources).toEqual([
      { id: 'essences', label: 'Essences d’arbres', source: { kind: 'url', url: 'https://data.example.org/essences.json', valuePath: 'code', labelPath: 'nom', cacheSeconds: 600 } },
    ]);
    // A field changes type (common settings kept) and moves to another page.
    page = await get(admin, `${base}/pages/0`);
    page = await submit(admin, `${base}/pages/0/champs`, { revision: revisionOf(page), type: 'text' }, page);
    page = await submit(admin, `${base}/champs/0-2`, { revision: revisionOf(page), id: 'surface', label: 'Surface', hint: 'En m²', required: 'oui' }, page);
    page = await submit(admin, `${base}/champs/0-2/type`, { revision: revisionOf(page), type: 'number' }, page);
    expect(page.html).toContain('(Nombre)');
    page = await submit(admin, `${base}/champs/0-2/page`, { revision: revisionOf(page), page: '1' }, page);
    expect(page.url).toMatch(/\/champs\/1-2\?fait=deplace$/);
    const [moved] = await dataSource().query<{ form: { pages: { fields: unknown[] }[] } }[]>(`SELECT form FROM teleservice_version WHERE teleservice_id = $1 AND state = 'draft'`, [teleserviceId]);
    expect(moved.form.pages[1].fields[2]).toEqual({ type: 'number', id: 'surface', label: 'Surface', hint: 'En m²', required: true });
    page = await submit(admin, `${base}/champs/1-2/supprimer`, { revision: revisionOf(page) }, page);
    expect(page.html).toContain('L’élément a été supprimé du brouillon.');

    expect(draft.form.pages[0].fields[1]).toEqual({
      type: 'data_source',
      id: 'essence',
      label: 'Essence souhaitée',
      source: { kind: 'url', url: 'https://data.example.org/essences.json', valuePath: 'code', labelPath: 'nom' },
    });
  });

  it('previews the citizen form', async () => {
    const page = await get(admin, `/teleservices/${teleserviceId}/apercu`);
    expect(page.response.status).toBe(200);
    expect(page.html).toContain('Étape 2 sur 2 : Votre projet');
    expect(page.html).toContain('<label for="apercu-1-plantation-0">Des fleurs</label>');
  });

  it('publishes to the test instance, then promotes to production', async () => {
    const base = `/teleservices/${teleserviceId}`;
    let page = await get(admin, base);
    expect(page.html).toContain('Le brouillon est prêt à être publié.');
    page = await submit(admin, `${base}/publier`, {}, page);
    expect(page.url).toBe(`${backoffice.url}${base}?fait=publie`);
    expect(page.html).toContain('version 1, le');
    page = await submit(admin, `${base}/promouvoir`, {}, page);
    const promoted = /\/teleservices\/([0-9a-f-]{36})\?fait=promu$/.exec(page.url);
    expect(promoted).not.toBeNull();
    productionId = promoted![1];
    expect(productionId).not.toBe(teleserviceId);
    expect(page.html).toContain('Production (givors)');
    const rows = await dataSource().query<{ slug: string; instance: string; state: string; checksum: string }[]>(
      `SELECT t.slug, i.slug AS instance, v.state, v.checksum FROM teleservice_version v JOIN teleservice t ON t.id = v.teleservice_id JOIN instance i ON i.id = t.instance_id
        WHERE t.slug = 'permis-vegetaliser' ORDER BY i.slug`,
    );
    expect(rows.map((r) => [r.instance, r.state])).toEqual([
      ['givors', 'published'],
      ['givors-test', 'published'],
    ]);
    expect(rows[0].checksum).toBe(rows[1].checksum);
  });

  it('refuses the second of two saves made on the same revision, and shows the diff of versions in French', async () => {
    const base = `/teleservices/${teleserviceId}`;
    let page = await submit(admin, `${base}/brouillon`, {}, await get(admin, base));
    expect(page.html).toContain('Un nouveau brouillon a été ouvert');
    page = await get(admin, `${base}/champs/1-0`);
    const revision = revisionOf(page);
    const first = await submit(admin, `${base}/champs/1-0`, { revision, id: 'adresse_projet', label: 'Adresse exacte du projet', required: 'oui' }, page);
    expect(first.response.status).toBe(200);
    const second = await submit(admin, `${base}/champs/1-0`, { revision, id: 'adresse_projet', label: 'Adresse', required: 'oui' }, page);
    expect(second.response.status).toBe(409);
    expect(second.html).toContain('Ce brouillon a été modifié par une autre personne');
    page = await submit(admin, `${base}/publier`, {}, await get(admin, base));
    expect(page.url).toBe(`${backoffice.url}${base}?fait=publie`);
    page = await get(admin, `${base}/versions`);
    expect(page.html).toContain('Changements de la version 1 à la version 2');
    expect(page.html).toContain('Champ adresse_projet : libellé « Adresse du projet » → « Adresse exacte du projet ».');
  });

  it('refuses publication with every error linked to where it is edited', async () => {
    const base = `/teleservices/${teleserviceId}`;
    const opened = await submit(admin, `${base}/brouillon`, {}, await get(admin, base));
    expect(opened.response.status).toBe(200);
    const field = await get(admin, `${base}/champs/1-1`);
    const saved = await submit(admin, `${base}/champs/1-1`, { revision: revisionOf(field), id: 'adresse_projet', label: 'Doublon', options: 'a | A' }, field);
    expect(saved.html).toContain('id="f-id-error"');
    const page = await submit(admin, `${base}/publier`, {}, await get(admin, base));
    expect(page.response.status).toBe(422);
    expect(page.html).toContain('Publication refusée');
    expect(page.html).toContain(`href="${base}/champs/1-1#f-id"`);
  });

  it('exports a bundle and imports it (errors listed when it was altered)', async () => {
    const exported = await admin.request(`${backoffice.url}/teleservices/${teleserviceId}/export`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="permis-vegetaliser-v2.json"');
    const bundle = (await exported.json()) as { format: string; teleservice: { slug: string }; version: { form: { title?: string } } };
    expect(bundle.format).toBe('parvis-teleservice-bundle');

    const token = hiddenValue((await get(admin, '/teleservices/importer')).html, '_csrf');
    const upload = (content: unknown, fields: Record<string, string>) => {
      const form = new FormData();
      form.set('_csrf', token);
      for (const [name, value] of Object.entries(fields)) form.set(name, value);
      form.set('paquet', new Blob([JSON.stringify(content)], { type: 'application/json' }), 'paquet.json');
      return admin.follow(`${backoffice.url}/teleservices/importer?_csrf=${encodeURIComponent(token)}`, { method: 'POST', body: form });
    };
    const altered = await upload({ ...bundle, version: { ...bundle.version, form: { ...bundle.version.form, title: 'Modifié' } } }, { instance: givorsTestInstance, mode: 'new', identifiant: 'permis-copie' });
    expect(altered.response.status).toBe(422);
    expect(altered.html).toContain('Le paquet n’a pas été importé');
    expect(altered.html).toContain('/version/checksum : La somme de contrôle ne correspond pas');

    const imported = await upload(bundle, { instance: givorsTestInstance, mode: 'new', identifiant: 'permis-copie' });
    expect(imported.response.status).toBe(200);
    expect(imported.url).toMatch(/\/teleservices\/[0-9a-f-]{36}\?fait=importe$/);
    expect(imported.html).toContain('permis-copie');
    expect(imported.html).toContain('Le paquet a été importé comme brouillon');

    // What cannot be undone asks first: a page with fields, then archiving.
    const copy = new URL(imported.url).pathname;
    const asked = await submit(admin, `${copy}/pages/1/supprimer`, { revision: revisionOf(imported) }, imported);
    expect(asked.response.status).toBe(200);
    expect(asked.html).toContain('<h1>Supprimer la page « Votre projet » ?</h1>');
    const deleted = await submit(admin, `${copy}/pages/1/supprimer`, { revision: revisionOf(imported), confirme: 'oui' }, asked);
    expect(deleted.html).toContain('L’élément a été supprimé du brouillon.');
    expect(deleted.html).not.toContain('Votre projet');
    const archiving = await submit(admin, `${copy}/archiver`, {}, deleted);
    expect(archiving.html).toContain('Archiver définitivement');
    const archived = await submit(admin, `${copy}/archiver`, { confirme: 'oui' }, archiving);
    expect(archived.html).toContain('Le téléservice a été archivé.');
    expect((await get(admin, `${copy}/pages/0`)).response.status).toBe(409);
  });

  it('refuses an agent without the administrator role (403) and another commune’s administrator (404)', async () => {
    const base = `/teleservices/${teleserviceId}`;
    expect((await get(agent, '/teleservices')).response.status).toBe(403);
    expect((await get(agent, base)).response.status).toBe(403);
    const agentHome = await get(agent, '/tableau-de-bord');
    expect((await submit(agent, `${base}/publier`, {}, agentHome)).response.status).toBe(403);

    const bronList = await get(bronAdmin, '/teleservices');
    expect(bronList.response.status).toBe(200);
    expect(bronList.html).not.toContain('Permis de végétaliser');
    expect((await get(bronAdmin, base)).response.status).toBe(404);
    expect((await get(bronAdmin, `${base}/export`)).response.status).toBe(404);
    expect((await submit(bronAdmin, `${base}/publier`, {}, bronList)).response.status).toBe(404);
    expect((await submit(bronAdmin, `${base}/pages`, { revision: 'x', titre: 'Intrusion' }, bronList)).response.status).toBe(404);
    const versions = await dataSource().query<{ n: number }[]>(`SELECT count(*)::int AS n FROM teleservice_version WHERE teleservice_id = $1`, [teleserviceId]);
    expect(versions[0].n).toBe(3);
  });

  describe('in a real browser (Chromium)', () => {
    let chromium: Chromium;
    beforeAll(async () => {
      chromium = await launchBrowser();
      mkdirSync(SCREENSHOTS, { recursive: true });
    });
    afterAll(async () => {
      await chromium?.close();
    });

    it('builds a small téléservice without JavaScript tricks; every page type passes axe at desktop and 360 px', async () => {
      const context = await chromium.newContext({ bypassCSP: false });
      const page = await context.newPage();
      await page.goto(`${backoffice.url}/auth/login?returnTo=${encodeURIComponent('/teleservices')}`);
      await page.getByLabel('Adresse électronique').fill(ADMIN);
      await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
      await Promise.all([page.waitForURL(`${backoffice.url}/teleservices`), page.getByRole('button', { name: 'Se connecter' }).click()]);

      await page.getByLabel('Instance').selectOption({ label: 'Givors — Test (givors-test)' });
      await page.getByLabel('Titre').fill('Inscription au marché de Noël');
      await page.getByLabel('Identifiant (adresse web)').fill('marche-de-noel');
      await page.getByLabel('Résumé').fill('Réserver un stand au marché de Noël');
      await Promise.all([page.waitForURL(/fait=cree/), page.getByRole('button', { name: 'Créer le téléservice' }).click()]);
      const base = new URL(page.url()).pathname;

      await page.getByRole('link', { name: 'Vos informations' }).click();
      await page.getByLabel('Type du nouveau champ').selectOption({ label: 'Texte court' });
      await Promise.all([page.waitForURL(/champs\/0-0/), page.getByRole('button', { name: 'Ajouter le champ' }).click()]);
      await page.getByLabel('Identifiant', { exact: true }).fill('Nom Stand');
      await page.getByLabel('Libellé', { exact: true }).fill('Nom du stand');
      await Promise.all([page.waitForURL(/fait=enregistre/), page.getByRole('button', { name: 'Enregistrer le champ' }).click()]);
      expect(await page.locator('#f-id-error').innerText()).toContain('Identifiant invalide');
      expect(await page.getByRole('link', { name: /Identifiant : Identifiant invalide/ }).getAttribute('href')).toBe('#f-id');
      await page.getByLabel('Identifiant', { exact: true }).fill('nom_stand');
      await Promise.all([page.waitForURL(/fait=enregistre/), page.getByRole('button', { name: 'Enregistrer le champ' }).click()]);
      expect(await page.locator('#f-id-error').count()).toBe(0);

      await page.goto(`${backoffice.url}${base}`);
      await Promise.all([page.waitForURL(/fait=publie/), page.getByRole('button', { name: /Publier le brouillon/ }).click()]);
      expect(await page.getByRole('status').innerText()).toContain('Le brouillon a été publié.');
      await Promise.all([page.waitForURL(/fait=promu/), page.getByRole('button', { name: 'Promouvoir en production' }).click()]);
      expect(await page.getByRole('status').innerText()).toContain('publiée en production');

      const audit = await chromium.newContext({ bypassCSP: true });
      await audit.addCookies(await context.cookies());
      const testBase = base;
      await page.goto(`${backoffice.url}${testBase}`);
      await Promise.all([page.waitForURL(/fait=brouillon/), page.getByRole('button', { name: /Ouvrir un brouillon/ }).click()]);
      const paths: [string, string][] = [
        ['liste', '/teleservices'],
        ['editeur', testBase],
        ['page', `${testBase}/pages/0`],
        ['champ', `${testBase}/champs/0-0`],
        ['workflow', `${testBase}/workflow`],
        ['statut', `${testBase}/statuts/1`],
        ['action', `${testBase}/statuts/1/actions/0`],
        ['apercu', `${testBase}/apercu`],
        ['versions', `${testBase}/versions`],
        ['import', '/teleservices/importer'],
        ['json', `${testBase}/json`],
        ['sources', `${testBase}/sources`],
      ];
      const check = async (name: string, path: string, auditPage: Page, width: number) => {
        await auditPage.setViewportSize({ width, height: 900 });
        await auditPage.goto(`${backoffice.url}${path}`);
        expect({ path, width, violations: await seriousAccessibilityViolations(auditPage) }).toEqual({ path, width, violations: [] });
        const overflow = await auditPage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        const wide = await auditPage.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => !e.closest('.table-scroll') && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 5).map((e) => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`));
        if (width === 360) expect({ path, overflow, wide }).toEqual({ path, overflow: 0, wide: [] });
        await auditPage.screenshot({ path: `${SCREENSHOTS}/backoffice-builder-${name}-${width}.png`, fullPage: true });
      };
      const auditPage = await audit.newPage();
      for (const [name, path] of paths) {
        await check(name, path, auditPage, 1280);
        await check(name, path, auditPage, 360);
      }
      // A field page showing an error, too.
      await auditPage.goto(`${backoffice.url}${testBase}/champs/0-0`);
      await auditPage.getByLabel('Identifiant', { exact: true }).fill('Mauvais');
      await auditPage.getByRole('button', { name: 'Enregistrer le champ' }).click();
      await auditPage.waitForURL(/fait=enregistre/);
      await check('champ-erreur', `${testBase}/champs/0-0`, auditPage, 360);
      await audit.close();
      await context.close();
    }, 180_000);
  });
});
