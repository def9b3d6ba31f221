import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS } from '#platform';
import { seedDemoCatalogue, TeleserviceAuthoringService } from '#teleservices';
import { seedDemo } from '#territory';
import { ManualClock, startBanGeocoderDouble, startTestApp, type BanGeocoderDouble, type TestApp } from '#testing';
import { identityApp } from '../../apps/identity/identity.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { createVerifiedAccount, hiddenValue } from './identity-support.js';
import { publishBlockFilesForm } from './portal-form-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/** A 1×1 PNG image (real bytes: the type is detected from the content). */
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const ANOMALY = '/demarches/metropole-de-lyon/signalement-anomalie/formulaire';
const SCHOOL = '/demarches/bron/inscription-scolaire/formulaire';

/**
 * Form filling on the portal over HTTP (no browser): CSRF, drafts between two citizens, the draft limit, uploads
 * refused by content, values kept on errors, one demand for a form sent twice.
 */
describe('portal form filling (HTTP)', () => {
  let identity: TestApp;
  let portal: TestApp;
  let ban: BanGeocoderDouble;
  let db: DataSource;
  let storageDir: string;

  beforeAll(async () => {
    ban = await startBanGeocoderDouble();
    // Its own attachment folder: the tests count the files left in it.
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-portal-form-'));
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    portal = await startTestApp(portalApp, {
      database: identity.database,
      env: { IDENTITY_PUBLIC_URL: identity.url, GEOCODER_URL: ban.url, DRAFT_MAX_PER_ACCOUNT: '3', STORAGE_DIR: storageDir },
    });
    db = portal.app.get(DataSource);
    await seedDemo(db, portal.clock);
    await seedDemoCatalogue(db, portal.clock);
    await seedClients(identity, { portal: portal.url, backoffice: 'http://127.0.0.1:9' });
    await createVerifiedAccount(identity, 'alice@example.org', undefined, { givenName: 'Alice', familyName: 'Durand' });
    await createVerifiedAccount(identity, 'bruno@example.org', undefined, { givenName: 'Bruno', familyName: 'Petit' });
    await createVerifiedAccount(identity, 'chloe@example.org', undefined, { givenName: 'Chloé', familyName: 'Roux' });
    await createVerifiedAccount(identity, 'denise@example.org', undefined, {
      givenName: 'Denise',
      familyName: 'Certifiée',
      certificationLevel: 'eidas1',
      certificationSource: 'franceconnect',
      certifiedAttributes: ['given_name', 'family_name'],
    });
  });
  afterAll(async () => {
    await portal?.close();
    await identity?.close();
    await ban?.close();
    if (storageDir) await rm(storageDir, { recursive: true, force: true });
  });

  const demands = async () => Number((await db.query(`SELECT count(*)::int AS n FROM demand`))[0].n);

  /** Posts a page as multipart (file fields), the CSRF token in the query string as the page's form does. */
  async function postMultipart(browser: WebBrowser, url: string, csrf: string, fields: Record<string, string>, files: { name: string; field: string; bytes: Buffer; type: string }[] = []) {
    const body = new FormData();
    body.append('_csrf', csrf);
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    for (const file of files) body.append(file.field, new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
    return browser.follow(`${url}?_csrf=${encodeURIComponent(csrf)}`, { method: 'POST', body });
  }

  it('refuses a page sent without the CSRF token', async () => {
    const browser = new WebBrowser();
    const start = await browser.follow(`${portal.url}${SCHOOL.replace('bron/inscription-scolaire', 'metropole-de-lyon/aide-contact')}`);
    expect(start.response.status).toBe(200);
    const refused = await browser.post(start.url, { 'f.message': 'Bonjour' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Le formulaire a expiré ou ne vient pas de cette page.');
  });

  it('answers a French page for a téléservice that takes no demand: 410 archived or closed, 404 never published', async () => {
    await db.query(`UPDATE teleservice SET archived_at = now() WHERE slug = 'subvention-association'`);
    await db.query(`UPDATE teleservice SET closes_at = '2026-01-01T00:00:00Z' WHERE slug = 'occupation-domaine-public'`);
    await db.query(`UPDATE teleservice SET opens_at = '2099-06-01T00:00:00Z' WHERE slug = 'aide-contact' AND collectivity_id = (SELECT id FROM collectivity WHERE slug = 'bron')`);
    await db.query(
      `INSERT INTO teleservice (instance_id, collectivity_id, slug, kind, title, summary, theme)
       SELECT id, collectivity_id, 'brouillon-dechets', 'communal', 'Collecte des déchets verts', 'Brouillon jamais publié.', 'Déchets' FROM instance WHERE slug = 'givors'`,
    );
    const browser = new WebBrowser();
    for (const [path, status, text] of [
      ['/demarches/bron/aide-contact/formulaire', 404, 'ouvrira le 1 juin 2099'],
      ['/demarches/metropole-de-lyon/subvention-association/formulaire', 410, 'n’est plus proposée en ligne'],
      ['/demarches/dardilly/occupation-domaine-public/formulaire', 410, 'est close depuis le'],
      ['/demarches/givors/brouillon-dechets/formulaire', 404, 'n’est pas encore proposée en ligne'],
      ['/demarches/givors/inconnue/formulaire', 404, 'n’existe pas'],
    ] as const) {
      const page = await browser.follow(`${portal.url}${path}`);
      expect({ path, status: page.response.status, found: page.html.includes(text) }).toEqual({ path, status, found: true });
    }
  });

  it('sends an anonymous anomaly report: values kept on errors, a wrong file type refused in French, one demand when sent twice', async () => {
    const browser = new WebBrowser();
    const first = await browser.follow(`${portal.url}${ANOMALY}`);
    expect(first.url).toBe(`${portal.url}${ANOMALY}/nouveau/etape/anomalie`);
    expect(first.html).toContain('<title>Étape 1 sur 2 — L’anomalie — Signaler une anomalie sur l’espace public');
    const csrf = hiddenValue(first.html, '_csrf');

    // Bad values: the page comes back with them, the errors and a summary.
    const bad = await postMultipart(browser, first.url, csrf, { _action: 'continue', 'f.categorie': 'voirie', 'f.description': 'Trou', 'f.lieu.place': '', 'f.danger': 'true' }, [
      { field: 'f.photo', name: 'photo.png', bytes: Buffer.from('ceci est un texte, pas une image'), type: 'image/png' },
    ]);
    expect(bad.response.status).toBe(422);
    expect(bad.url).toMatch(/\/formulaire\/[0-9a-f-]{36}\/etape\/anomalie$/);
    expect(bad.html).toContain('<title>Erreur : Étape 1 sur 2');
    expect(bad.html).toContain('class="error-summary"');
    expect(bad.html).toContain('>Trou</textarea>');
    expect(bad.html).toContain('Ce champ doit compter au moins 10 caractères.');
    expect(bad.html).toContain('n’est pas d’un type accepté ici');
    expect(bad.html).toMatch(/value="voirie" checked/);

    // Fixed: a place typed instead of a map point, a real PNG.
    const good = await postMultipart(
      browser,
      bad.url,
      csrf,
      { _action: 'continue', 'f.categorie': 'voirie', 'f.description': 'Un grand trou dans la chaussée.', 'f.lieu.place': 'Place Bellecour 69002 Lyon', 'f.danger': 'false', _shown: hiddenValue(bad.html, '_shown') },
      [{ field: 'f.photo', name: 'trou.png', bytes: PNG_1PX, type: 'image/png' }],
    );
    expect(good.url).toMatch(/\/etape\/contact$/);
    const contact = await browser.follow(good.url, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: csrf, _action: 'continue', 'f.email': 'passant@example.org' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(contact.url).toMatch(/\/recapitulatif$/);
    expect(contact.html).toContain('Un grand trou dans la chaussée.');
    expect(contact.html).toContain('trou.png');
    expect(contact.html).toContain('45,7578 ; 4,832');

    const before = await demands();
    const sent = await browser.follow(contact.url, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(sent.url).toMatch(/\/recu$/);
    expect(sent.html).toContain('Votre demande a bien été envoyée');
    expect(sent.html).toMatch(/data-tracking-code>[A-Z0-9-]{6,}</);
    expect(sent.html).toContain('Notez votre code secret');
    expect(sent.html).toContain('sera transmise à la commune compétente');
    // Sent again (back button, double click): the same receipt, no second demand; the secret is not shown twice.
    const again = await browser.follow(contact.url, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(again.url).toBe(sent.url);
    expect(again.html).not.toContain('Notez votre code secret');
    expect(await demands()).toBe(before + 1);
    const [row] = await db.query(`SELECT d.data, (SELECT count(*)::int FROM attachment a WHERE a.demand_id = d.id) AS files FROM demand d ORDER BY d.submitted_at DESC, d.id LIMIT 1`);
    expect(row.data).toMatchObject({ categorie: 'voirie', danger: false, lieu: { lat: 45.7578, lon: 4.832 } });
    expect(row.files).toBe(1);
  });

  it('keeps a citizen’s draft private: another account gets 404', async () => {
    const alice = new WebBrowser();
    await logIn(alice, portal.url, 'alice@example.org');
    const page = await alice.follow(`${portal.url}${SCHOOL}`);
    expect(page.url).toBe(`${portal.url}${SCHOOL}/nouveau/etape/responsable`);
    // Prefilled from the profile.
    expect(page.html).toContain('value="Alice"');
    const saved = await alice.follow(page.url, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: hiddenValue(page.html, '_csrf'), _action: 'save', 'f.prenom': 'Alice', 'f.nom': 'Durand' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(saved.html).toContain('Votre démarche est enregistrée');
    const draftId = /formulaire\/([0-9a-f-]{36})\/enregistre/.exec(saved.url)![1];

    const bruno = new WebBrowser();
    await logIn(bruno, portal.url, 'bruno@example.org');
    for (const path of [`${SCHOOL}/${draftId}/etape/responsable`, `${SCHOOL}/${draftId}/recapitulatif`, `/brouillons/${draftId}`]) {
      const other = await bruno.follow(`${portal.url}${path}`);
      expect({ path, status: other.response.status }).toEqual({ path, status: 404 });
    }
    // Alice resumes it where she left it.
    const resumed = await alice.follow(`${portal.url}/brouillons/${draftId}`);
    expect(resumed.url).toBe(`${portal.url}${SCHOOL}/${draftId}/etape/responsable`);
    expect(resumed.html).toContain('value="Durand"');
  });

  it('refuses a draft beyond the per-account limit with a French message', async () => {
    const chloe = new WebBrowser();
    await logIn(chloe, portal.url, 'chloe@example.org');
    const start = async () => {
      const page = await chloe.follow(`${portal.url}${SCHOOL}/nouveau/etape/responsable`);
      return chloe.follow(page.url, {
        method: 'POST',
        body: new URLSearchParams({ _csrf: hiddenValue(page.html, '_csrf'), _action: 'save', 'f.prenom': 'Chloé' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    };
    for (let i = 0; i < 3; i++) expect((await start()).html).toContain('Votre démarche est enregistrée');
    const refused = await start();
    expect(refused.response.status).toBe(409);
    expect(refused.html).toContain('Vous avez déjà 3 démarches en cours, le maximum.');
    // The start page offers to resume one of them.
    const offer = await chloe.follow(`${portal.url}${SCHOOL}`);
    expect(offer.html).toContain('Reprendre ou commencer une demande');
    expect(offer.html.match(/>Reprendre</g)?.length).toBe(3);
    expect(offer.html).not.toContain('Commencer une nouvelle demande');
    // Another téléservice: said at once, before anything is typed.
    const other = await chloe.follow(`${portal.url}${ANOMALY}`);
    expect(other.response.status).toBe(409);
    expect(other.html).toContain('Terminez ou supprimez l’une d’elles depuis « Mes démarches »');
  });

  it('locks certified profile values: shown read-only, a changed value is ignored', async () => {
    const denise = new WebBrowser();
    await logIn(denise, portal.url, 'denise@example.org');
    const page = await denise.follow(`${portal.url}${SCHOOL}/nouveau/etape/responsable`);
    expect(page.html).toMatch(/id="f-prenom" name="f.prenom" type="text" value="Denise"[^>]* readonly aria-readonly="true"/);
    expect(page.html).toContain('Information vérifiée par FranceConnect');
    // The email is prefilled but not locked.
    expect(page.html).toMatch(/id="f-email" name="f.email" type="email" value="denise@example.org"(?![^>]*readonly)/);
    const saved = await denise.follow(page.url, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: hiddenValue(page.html, '_csrf'), _action: 'save', 'f.prenom': 'Usurpée', 'f.nom': 'Autre' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const draftId = /formulaire\/([0-9a-f-]{36})\/enregistre/.exec(saved.url)![1];
    const [draft] = await db.query(`SELECT data FROM draft WHERE id = $1`, [draftId]);
    expect(draft.data).toMatchObject({ prenom: 'Denise', nom: 'Certifiée' });
  });

  it('answers the JavaScript endpoints: visible fields, a staged upload refused by its content, address suggestions', async () => {
    const browser = new WebBrowser();
    const first = await browser.follow(`${portal.url}${ANOMALY}`);
    const csrf = hiddenValue(first.html, '_csrf');
    const json = { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf };
    const visible = await browser.request(`${first.url}/visibilite`, { method: 'POST', body: JSON.stringify({ 'f.categorie': 'autre' }), headers: json });
    expect(visible.status).toBe(200);
    expect((await visible.json()).shown).toEqual(expect.arrayContaining(['categorie', 'precision', 'lieu']));
    const hidden = await browser.request(`${first.url}/visibilite`, { method: 'POST', body: JSON.stringify({ 'f.categorie': 'voirie' }), headers: json });
    expect((await hidden.json()).shown).not.toContain('precision');

    const upload = async (bytes: Buffer, name: string) => {
      const body = new FormData();
      body.append('f.photo', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), name);
      return browser.request(`${first.url}/fichiers`, { method: 'POST', body, headers: { 'x-csrf-token': csrf, accept: 'application/json' } });
    };
    const refused = await upload(Buffer.from('%PDF-1.4 pas une photo'), 'photo.jpg');
    expect(refused.status).toBe(422);
    expect((await refused.json()).message).toBe('Le fichier « photo.jpg » n’est pas d’un type accepté ici (son contenu n’est pas JPEG, PNG, WebP).');
    const accepted = await upload(PNG_1PX, 'vraie.png');
    expect(accepted.status).toBe(200);
    expect((await accepted.json()).files).toEqual([expect.objectContaining({ field: 'photo', name: 'vraie.png', size: PNG_1PX.length, token: expect.any(String) })]);
    // Without the token: refused before anything is read.
    const noToken = await browser.request(`${first.url}/fichiers`, { method: 'POST', body: new FormData(), headers: { accept: 'application/json' } });
    expect(noToken.status).toBe(403);

    const suggestions = await browser.request(`${portal.url}/api/adresses?q=${encodeURIComponent('14 avenue Franklin Roosevelt Bron')}`, { headers: { accept: 'application/json' } });
    expect((await suggestions.json()).results[0]).toMatchObject({ postcode: '69500', commune: 'Bron', inseeCode: '69029' });
  });

  it('creates one demand when the same form is sent twice at once', async () => {
    const browser = new WebBrowser();
    const first = await browser.follow(`${portal.url}/demarches/metropole-de-lyon/aide-contact/formulaire`);
    const csrf = hiddenValue(first.html, '_csrf');
    const page = await postMultipart(browser, first.url, csrf, { _action: 'continue', 'f.sujet': 'autre', 'f.message': 'Une question sur les horaires.', 'f.email': 'double@example.org' });
    expect(page.url).toMatch(/\/recapitulatif$/);
    // Anonymous too: the start page offers to resume the form of this visit.
    const offer = await browser.follow(`${portal.url}/demarches/metropole-de-lyon/aide-contact/formulaire`);
    expect(offer.html).toContain('Reprendre ou commencer une demande');
    expect(offer.html).toContain('gardée le temps de votre visite');
    const before = await demands();
    const send = () => browser.request(page.url, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const answers = await Promise.all([send(), send(), send()]);
    expect(answers.map((a) => a.status).sort()).toEqual(expect.arrayContaining([303]));
    expect(answers.every((a) => a.status === 303 || a.status === 409)).toBe(true);
    expect(await demands()).toBe(before + 1);
    const receipt = await browser.follow(page.url.replace(/recapitulatif$/, 'recu'));
    expect(receipt.html).toContain('Votre demande a bien été envoyée');
  });

  it('sends a late duplicate (a request that read the form before the first one ended) to the receipt, without a second demand', async () => {
    const browser = new WebBrowser();
    const first = await browser.follow(`${portal.url}/demarches/metropole-de-lyon/aide-contact/formulaire`);
    const csrf = hiddenValue(first.html, '_csrf');
    const page = await postMultipart(browser, first.url, csrf, { _action: 'continue', 'f.sujet': 'autre', 'f.message': 'Une question en double.', 'f.email': 'tardif@example.org' });
    const formId = /formulaire\/([^/]+)\/recapitulatif$/.exec(page.url)![1];
    // What the first request leaves once its demand exists: the form's lock, marked « submitted ».
    const redis = portal.app.get<Redis>(REDIS);
    await redis.set(`${portal.config.redis.prefix}:portal:submit:${formId}`, 'submitted', 'EX', 60);
    const before = await demands();
    const late = await browser.request(page.url, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(late.status).toBe(303);
    expect(late.headers.get('location')).toMatch(/\/recu$/);
    expect(await demands()).toBe(before);
  });


  it('resumes a draft on the newly published version, keeping the answers whose fields still exist', async () => {
    const alice = new WebBrowser();
    await logIn(alice, portal.url, 'alice@example.org');
    const page = await alice.follow(`${portal.url}${SCHOOL}/nouveau/etape/responsable`);
    const saved = await alice.follow(page.url, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: hiddenValue(page.html, '_csrf'), _action: 'save', 'f.prenom': 'Alice', 'f.quotient': '620' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const draftId = /formulaire\/([0-9a-f-]{36})\/enregistre/.exec(saved.url)![1];

    // Bron publishes a version without the CAF quotient.
    const [ts] = await db.query(`SELECT t.id, t.collectivity_id FROM teleservice t JOIN instance i ON i.id = t.instance_id WHERE i.slug = 'bron' AND t.slug = 'inscription-scolaire'`);
    const [latest] = await db.query(`SELECT form, workflow, data_sources FROM teleservice_version WHERE teleservice_id = $1 AND state = 'published' ORDER BY number DESC LIMIT 1`, [ts.id]);
    const form = structuredClone(latest.form);
    form.pages[0].fields = form.pages[0].fields.filter((f: { id: string }) => f.id !== 'quotient');
    const authoring = new TeleserviceAuthoringService(db, portal.clock);
    const actor = { sub: 'agent-bron', collectivityId: ts.collectivity_id };
    await authoring.editDraft(actor, { teleserviceId: ts.id, form, workflow: latest.workflow, dataSources: latest.data_sources });
    const published = await authoring.publish(actor, ts.id);

    const resumed = await alice.follow(`${portal.url}/brouillons/${draftId}`);
    expect(resumed.url).toBe(`${portal.url}${SCHOOL}/${draftId}/etape/responsable`);
    expect(resumed.html).toContain('Ce formulaire a été mis à jour depuis votre dernier passage');
    expect(resumed.html).toContain('value="Alice"');
    expect(resumed.html).not.toContain('Quotient familial');
    const [draft] = await db.query(`SELECT version_id, data FROM draft WHERE id = $1`, [draftId]);
    expect(draft.version_id).toBe(published.id);
    expect(draft.data).toEqual({ prenom: 'Alice' });
  });


  it('leaves no staged file behind: deleted with the draft, and after the submission', async () => {
    const bruno = new WebBrowser();
    await logIn(bruno, portal.url, 'bruno@example.org');
    const HELP = '/demarches/metropole-de-lyon/aide-contact/formulaire';
    const staged = async (draftId: string) => {
      const [draft] = await db.query(`SELECT data FROM draft WHERE id = $1`, [draftId]);
      return (draft?.data.capture ?? []).map((file: { ref: string }) => join(portal.config.storage.dir, ...file.ref.split('/')));
    };
    const start = async (message: string) => {
      const page = await bruno.follow(`${portal.url}${HELP}/nouveau/etape/aide`);
      const csrf = hiddenValue(page.html, '_csrf');
      const sent = await postMultipart(bruno, page.url, csrf, { _action: 'continue', 'f.sujet': 'autre', 'f.message': message, 'f.email': 'bruno@example.org' }, [
        { field: 'f.capture', name: 'ecran.png', bytes: PNG_1PX, type: 'image/png' },
      ]);
      return { sent, csrf, draftId: /formulaire\/([0-9a-f-]{36})\//.exec(sent.url)![1] };
    };

    // Abandoned: the page had an error, the file is staged and tracked by the draft; deleting the draft deletes it.
    const abandoned = await start('court');
    expect(abandoned.sent.response.status).toBe(422);
    const [file] = await staged(abandoned.draftId);
    expect(existsSync(file)).toBe(true);
    await bruno.follow(`${portal.url}${HELP}/${abandoned.draftId}/supprimer`, { method: 'POST', body: new URLSearchParams({ _csrf: abandoned.csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(existsSync(file)).toBe(false);

    // Sent: the engine keeps its own copy (an attachment row), the staged one is deleted.
    const kept = await start('Ma capture d’écran montre le problème.');
    expect(kept.sent.url).toMatch(/\/recapitulatif$/);
    const [stagedFile] = await staged(kept.draftId);
    const done = await bruno.follow(kept.sent.url, { method: 'POST', body: new URLSearchParams({ _csrf: kept.csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(done.html).toContain('Votre demande a bien été envoyée');
    expect(existsSync(stagedFile)).toBe(false);
    const demandId = /\/mes-demarches\/([0-9a-f-]{36})/.exec(done.html)![1];
    const [attachment] = await db.query(`SELECT storage_key, file_name FROM attachment WHERE demand_id = $1`, [demandId]);
    expect(attachment.file_name).toBe('ecran.png');
    expect(existsSync(join(portal.config.storage.dir, ...attachment.storage_key.split('/')))).toBe(true);
  });

  it('takes files in a repeatable block’s items: staged with and without JavaScript, removed with their item, sent as `enfants[i].certificat`', async () => {
    const FORM = await publishBlockFilesForm(db, portal.clock);
    await createVerifiedAccount(identity, 'emile@example.org', undefined, { givenName: 'Émile', familyName: 'Blanc' });
    const emile = new WebBrowser();
    await logIn(emile, portal.url, 'emile@example.org');
    const onDisk = (ref: string) => existsSync(join(portal.config.storage.dir, ...ref.split('/')));
    const draftData = async (id: string) => (await db.query(`SELECT data FROM draft WHERE id = $1`, [id]))[0]?.data;
    const storedFiles = async () => (await readdir(portal.config.storage.dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;

    // The first item is there from the start, with its file input; the page is sent as multipart.
    const first = await emile.follow(`${portal.url}${FORM}/nouveau/etape/pieces`);
    expect(first.html).toContain('name="f.enfants.0.certificat"');
    expect(first.html).toContain('enctype="multipart/form-data"');
    expect(first.html).not.toContain('n’est pas encore possible');
    const csrf = hiddenValue(first.html, '_csrf');

    // Without JavaScript: the file goes with the page (here « Ajouter un enfant »), tracked by the draft at once.
    const added = await postMultipart(emile, first.url, csrf, { _action: 'add:enfants', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': 'Léa', 'f.email': 'emile@example.org' }, [
      { field: 'f.enfants.0.certificat', name: 'certificat-lea.png', bytes: PNG_1PX, type: 'image/png' },
    ]);
    const draftId = /formulaire\/([0-9a-f-]{36})\//.exec(added.url)![1];
    expect(added.html).toContain('certificat-lea.png');
    expect(added.html).toContain('value="remove-file:enfants.0.certificat:0"');
    expect(added.html).toContain('name="f.enfants.1.certificat"');
    const lea = (await draftData(draftId)).enfants[0].certificat[0];
    expect(lea).toEqual(expect.objectContaining({ name: 'certificat-lea.png', mimeType: 'image/png' }));
    expect(onDisk(lea.ref)).toBe(true);

    // A refused type is a French error on the item's field, nothing kept.
    const page = `${portal.url}${FORM}/${draftId}/etape/pieces`;
    const refused = await postMultipart(emile, page, csrf, { _action: 'continue', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': 'Léa', 'f.enfants.1._saved': '1', 'f.enfants.1.prenom': 'Tom', 'f.email': 'emile@example.org' }, [
      { field: 'f.enfants.1.certificat', name: 'tom.png', bytes: Buffer.from('pas une image'), type: 'image/png' },
    ]);
    expect(refused.response.status).toBe(422);
    expect(refused.html).toContain('Le fichier « tom.png » n’est pas d’un type accepté ici');
    expect(refused.html).toContain('href="#f-enfants-1-certificat"');
    expect((await draftData(draftId)).enfants[1].certificat).toBeUndefined();

    // With JavaScript: the file is staged alone, its token sent with the page; the first item was removed in
    // place (its inputs are gone from the body): its file is deleted, Tom's item keeps its own.
    const upload = async (bytes: Buffer, name: string) => {
      const body = new FormData();
      body.append('f.enfants.1.certificat', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), name);
      return emile.request(`${page}/fichiers`, { method: 'POST', body, headers: { 'x-csrf-token': csrf, accept: 'application/json' } });
    };
    const staged = await upload(PNG_1PX, 'tom.png');
    expect(staged.status).toBe(200);
    const [token] = (await staged.json()).files;
    expect(token).toEqual(expect.objectContaining({ field: 'enfants.1.certificat', name: 'tom.png', token: expect.any(String) }));
    const sent = await postMultipart(emile, page, csrf, { _action: 'continue', 'f.enfants.1._saved': '1', 'f.enfants.1.prenom': 'Tom', 'f.enfants.1.certificat.staged': token.token, 'f.email': 'emile@example.org' });
    expect(sent.url).toMatch(/\/recapitulatif$/);
    expect(onDisk(lea.ref)).toBe(false);
    const data = await draftData(draftId);
    expect(data.enfants).toEqual([{ prenom: 'Tom', certificat: [expect.objectContaining({ name: 'tom.png', mimeType: 'image/png' })] }]);
    const tom = data.enfants[0].certificat[0].ref;

    // Sent: the engine stores its own copy for `enfants[0].certificat`, the staged one is deleted.
    const done = await emile.follow(sent.url, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(done.html).toContain('Votre demande a bien été envoyée');
    expect(onDisk(tom)).toBe(false);
    const demandId = /\/mes-demarches\/([0-9a-f-]{36})/.exec(done.html)![1];
    const attachments = await db.query(`SELECT field_id, file_name, storage_key FROM attachment WHERE demand_id = $1`, [demandId]);
    expect(attachments.map((a: { field_id: string; file_name: string }) => [a.field_id, a.file_name])).toEqual([['enfants[0].certificat', 'tom.png']]);
    expect(onDisk(attachments[0].storage_key)).toBe(true);

    // Without JavaScript, « Retirer » and « Supprimer cet élément » delete the files they take away; a file sent
    // for an item the page does not have is not kept; a deleted draft takes its block items' files with it.
    const again = await emile.follow(`${portal.url}${FORM}/nouveau/etape/pieces`);
    const storedBefore = await storedFiles();
    const post = (url: string, fields: Record<string, string>, files: { field: string; name: string }[] = []) =>
      postMultipart(emile, url, csrf, { 'f.email': 'emile@example.org', ...fields }, files.map((f) => ({ ...f, bytes: PNG_1PX, type: 'image/png' })));
    const abandoned = await post(again.url, { _action: 'continue', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': '' }, [{ field: 'f.enfants.0.certificat', name: 'a.png' }]);
    expect(abandoned.response.status).toBe(422);
    const abandonedId = /formulaire\/([0-9a-f-]{36})\//.exec(abandoned.url)![1];
    const refs = async () => (await draftData(abandonedId)).enfants.map((item: { certificat?: { ref: string }[] }) => (item.certificat ?? []).map((f) => f.ref));
    const [[a]] = await refs();
    const draftPage = `${portal.url}${FORM}/${abandonedId}/etape/pieces`;
    const removedFile = await post(draftPage, { _action: 'remove-file:enfants.0.certificat:0', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': 'Zoé' });
    expect(removedFile.html).toContain('Le fichier a été retiré.');
    expect(onDisk(a)).toBe(false);
    expect(await refs()).toEqual([[]]);
    await post(draftPage, { _action: 'add:enfants', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': 'Zoé' }, [
      { field: 'f.enfants.0.certificat', name: 'b.png' },
      { field: 'f.enfants.7.certificat', name: 'sans-element.png' },
    ]);
    const [[b], none] = await refs();
    expect(none).toEqual([]);
    expect(await storedFiles()).toBe(storedBefore + 1);
    const removedItem = await post(draftPage, { _action: 'remove:enfants:0', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': 'Zoé', 'f.enfants.1._saved': '1', 'f.enfants.1.prenom': 'Paul' });
    expect(removedItem.html).toContain('L’élément a été supprimé.');
    expect(onDisk(b)).toBe(false);
    expect((await draftData(abandonedId)).enfants).toEqual([{ prenom: 'Paul' }]);
    await post(draftPage, { _action: 'continue', 'f.enfants.0._saved': '1', 'f.enfants.0.prenom': '' }, [{ field: 'f.enfants.0.certificat', name: 'c.png' }]);
    const [[forgotten]] = await refs();
    expect(onDisk(forgotten)).toBe(true);
    await emile.follow(`${portal.url}${FORM}/${abandonedId}/supprimer`, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(await draftData(abandonedId)).toBeUndefined();
    expect(onDisk(forgotten)).toBe(false);
  });

  it('shows the branding of the instance’s collectivity on its téléservice and form pages, and serves its logo', async () => {
    const [bron] = await db.query(`SELECT c.id, c.slug FROM instance i JOIN collectivity c ON c.id = i.collectivity_id WHERE i.slug = 'bron'`);
    await db.query(
      `INSERT INTO collectivity_branding (collectivity_id, display_name, accent_color, logo, logo_media_type, updated_at, updated_by)
       VALUES ($1, 'Ville de Bron — Éducation', '#005a9c', $2, 'image/png', now(), 'admin-bron')`,
      [bron.id, PNG_1PX],
    );
    await createVerifiedAccount(identity, 'fanny@example.org', undefined, { givenName: 'Fanny', familyName: 'Morel' });
    const browser = new WebBrowser();
    await logIn(browser, portal.url, 'fanny@example.org');
    const brandBand = (html: string) => /<div class="collectivity-brand"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
    for (const path of ['/demarches/bron/inscription-scolaire', `${SCHOOL}/nouveau/etape/responsable`]) {
      const page = await browser.follow(`${portal.url}${path}`);
      expect(page.response.status).toBe(200);
      const band = brandBand(page.html);
      expect(band).toContain('<p class="collectivity-brand-name">Ville de Bron — Éducation</p>');
      expect(band).toMatch(new RegExp(`<img class="collectivity-brand-logo" src="/marque/${bron.slug}/logo\\?v(=|&#x3D;)\\d+" alt=""`));
      expect(page.html).toMatch(new RegExp(`<link rel="stylesheet" href="/marque/${bron.slug}/style.css\\?v(=|&#x3D;)\\d+">`));
    }
    // A collectivity without branding: the platform's look, nothing to serve.
    const plain = await browser.follow(`${portal.url}/demarches/metropole-de-lyon/signalement-anomalie`);
    expect(plain.html).not.toContain('collectivity-brand');
    expect((await browser.request(`${portal.url}/marque/metropole-de-lyon/logo`)).status).toBe(404);
    expect((await browser.request(`${portal.url}/marque/..%2Fetc/logo`)).status).toBe(404);

    // The logo, from the portal itself: the sniffed type, never an active document.
    const logo = await browser.request(`${portal.url}/marque/${bron.slug}/logo`);
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/png');
    expect(logo.headers.get('x-content-type-options')).toBe('nosniff');
    expect(logo.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(Buffer.from(await logo.arrayBuffer()).equals(PNG_1PX)).toBe(true);
    // The accent colour: the band's border and the name only.
    const style = await browser.request(`${portal.url}/marque/${bron.slug}/style.css`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const css = await style.text();
    expect(css).toContain('.collectivity-brand{border-left-color:#005a9c}');
    expect(css).toContain('.collectivity-brand-name{color:#005a9c}');
    expect(css.match(/#005a9c/g)).toHaveLength(2);
  });

});
