import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { CitizenDrafts, DemandEngine, DemandRepository, formatTrackingCode, platformScope, withTenant, type SubmitDemandResult } from '#demands';
import { ManualClock, startTestApp, type TestApp } from '#testing';
import { PNG_BYTES } from '../../apps/engine/engine-test-fixture.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { HELP_MAX_PER_IP, TRACKING_MAX_PER_CODE } from '../../apps/portal/citizen/tracking-throttle.js';
import { logInCitizen, notify, press, seedCitizenWorld, simpleData, submit, unescapeHtml, type CitizenSession, type CitizenWorld } from './portal-citizen-support.js';

/**
 * The citizen's follow-up over HTTP on a real database (issue 5): « Mes démarches », a demand's page, files,
 * messages, the answer to a request for information, notifications, the anonymous follow-up and help. Two
 * citizens: everything of the first one answers the second like something that does not exist.
 */
describe('portal: citizen follow-up', () => {
  let portal: TestApp;
  let world: CitizenWorld;
  let camille: CitizenSession;
  let dominique: CitizenSession;
  const camilleDemands: SubmitDemandResult[] = [];
  let fileId: string;

  const dataSource = () => portal.app.get(DataSource);
  const advance = (ms: number) => (portal.clock as ManualClock).advance(ms);
  const page = async (path: string, session?: CitizenSession, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('accept', 'text/html');
    if (session) headers.set('cookie', session.cookie);
    const response = await fetch(`${portal.url}${path}`, { ...init, headers, redirect: 'manual' });
    const body = response.headers.get('content-type')?.startsWith('text/html') ? await response.text() : '';
    return { response, html: body };
  };
  const post = (path: string, session: CitizenSession | undefined, form: Record<string, string>, headers: Record<string, string> = {}) =>
    page(path, session, { method: 'POST', body: new URLSearchParams({ ...(session ? { _csrf: session.csrf } : {}), ...form }), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const multipart = (path: string, session: CitizenSession, fields: Record<string, string>, files: { name: string; field: string; content: Buffer; type?: string }[] = []) => {
    const body = new FormData();
    for (const [key, value] of Object.entries(fields)) body.append(key, value);
    for (const file of files) body.append(file.field, new Blob([new Uint8Array(file.content)], { type: file.type ?? 'application/octet-stream' }), file.name);
    return page(`${path}?_csrf=${encodeURIComponent(session.csrf)}`, session, { method: 'POST', body });
  };
  const statusOf = async (id: string) => (await dataSource().query<{ status: string }[]>(`SELECT status FROM demand WHERE id = $1`, [id]))[0].status;
  const messageCount = async (id: string) => (await dataSource().query<{ n: number }[]>(`SELECT count(*)::int AS n FROM demand_message WHERE demand_id = $1`, [id]))[0].n;
  const demandLinks = (html: string) => [...html.matchAll(/<h3><a href="\/mes-demarches\/([0-9a-f-]{36})">/g)].map((m) => m[1]);
  const h1 = (html: string) => unescapeHtml(/<h1>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '');

  beforeAll(async () => {
    portal = await startTestApp(portalApp);
    world = await seedCitizenWorld(portal);
    camille = await logInCitizen(portal, 'sub-camille', 'Camille Martin', 'camille@example.org');
    dominique = await logInCitizen(portal, 'sub-dominique', 'Dominique Bernard', 'dominique@example.org');
    for (let i = 0; i < 3; i++) {
      camilleDemands.push(
        await submit(portal, { kind: 'citizen', sub: camille.sub }, world.simple.id, simpleData(`Camille ${i}`), i === 0 ? [{ fieldId: 'justificatif', name: 'plan été.png', content: PNG_BYTES }] : []),
      );
    }
    fileId = (await dataSource().query<{ id: string }[]>(`SELECT id FROM attachment WHERE demand_id = $1`, [camilleDemands[0].demand.id]))[0].id;
  });
  afterAll(async () => {
    await portal?.close();
  });

  it('asks a visitor who is not logged in to log in, coming back to the page afterwards', async () => {
    for (const path of ['/mes-demarches', `/mes-demarches/${camilleDemands[0].demand.id}`, '/notifications']) {
      const { response, html } = await page(path);
      expect(response.status).toBe(401);
      expect(html).toContain(`<a class="button" href="/auth/login?returnTo&#x3D;${encodeURIComponent(path)}">Se connecter</a>`);
      expect(html).toContain('>Se connecter</a>');
    }
  });

  it('lists the citizen’s own demands with their status, code and collectivity — and nothing of them to another citizen', async () => {
    const mine = await page('/mes-demarches', camille);
    expect(mine.response.status).toBe(200);
    expect(demandLinks(mine.html).sort()).toEqual(camilleDemands.map((d) => d.demand.id).sort());
    expect(mine.html).toContain(formatTrackingCode(camilleDemands[0].demand.trackingCode));
    expect(mine.html).toContain('traitée par Métropole de Lyon');
    expect(mine.html).toMatch(/<span class="status-chip"><svg[^>]*><circle cx="6" cy="6" r="6" fill="#1F5FAD"\/><\/svg>Demande reçue<\/span>/);
    expect(mine.html).toContain('<title>Mes démarches — ');

    const theirs = await page('/mes-demarches', dominique);
    expect(theirs.response.status).toBe(200);
    expect(demandLinks(theirs.html)).toEqual([]);
    expect(theirs.html).toContain('Vous n’avez encore déposé aucune demande.');
  });

  it('answers another citizen’s demand, a malformed id and an unknown id with the same 404 page', async () => {
    const own = await page(`/mes-demarches/${camilleDemands[0].demand.id}`, camille);
    expect(own.response.status).toBe(200);
    expect(h1(own.html)).toContain('Demande simple');
    expect(own.html).toContain('Camille 0');
    expect(own.html).toContain('plan été.png');

    const answers = await Promise.all([
      page(`/mes-demarches/${camilleDemands[0].demand.id}`, dominique),
      page('/mes-demarches/pas-un-identifiant', dominique),
      page('/mes-demarches/0b6b0a52-8f5d-4c55-9a4a-2f2a4f3c9b11', dominique),
    ]);
    const mainOf = (html: string) => /<main[\s\S]*<\/main>/.exec(html)?.[0];
    for (const answer of answers) {
      expect(answer.response.status).toBe(404);
      expect(mainOf(answer.html)).toBe(mainOf(answers[0].html));
    }
    expect(answers[0].html).not.toContain('Camille 0');
  });

  it('lets the citizen download their file as an attachment, and nobody else', async () => {
    const own = await page(`/mes-demarches/${camilleDemands[0].demand.id}/pieces-jointes/${fileId}`, camille);
    expect(own.response.status).toBe(200);
    expect(own.response.headers.get('content-disposition')).toBe(`attachment; filename="plan _t_.png"; filename*=UTF-8''plan%20%C3%A9t%C3%A9.png`);
    expect(own.response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await own.response.arrayBuffer()).equals(PNG_BYTES)).toBe(true);

    const theirs = await page(`/mes-demarches/${camilleDemands[0].demand.id}/pieces-jointes/${fileId}`, dominique);
    expect(theirs.response.status).toBe(404);
    // Even through one of their own demands' URL.
    const own2 = await submit(portal, { kind: 'citizen', sub: dominique.sub }, world.simple.id, simpleData('Dominique'));
    const crossed = await page(`/mes-demarches/${own2.demand.id}/pieces-jointes/${fileId}`, dominique);
    expect(crossed.response.status).toBe(404);
  });

  it('shows the documents the service issued to the citizen, and keeps internal history out of sight', async () => {
    const id = camilleDemands[0].demand.id;
    const stored = await portal.app.get(DemandEngine).storage.put(PNG_BYTES, { maxBytes: 10_000 });
    await withTenant(dataSource(), platformScope('données de test'), async (manager) => {
      const repository = new DemandRepository(manager);
      await repository.insertAttachment(camilleDemands[0].demand, { storageKey: stored.key, fileName: 'attestation.png', mimeType: stored.mimeType, sizeBytes: stored.sizeBytes, sha256: stored.sha256, at: portal.clock.now() });
      await repository.appendEvent(camilleDemands[0].demand, { at: portal.clock.now(), kind: 'comment', actor: { type: 'system', name: 'test' }, visibility: 'internal', payload: { text: 'Note interne à ne pas montrer' } });
    });
    const shown = await page(`/mes-demarches/${id}`, camille);
    expect(shown.html).toContain('Documents émis par le service');
    expect(shown.html).toMatch(/<a href="\/mes-demarches\/[0-9a-f-]+\/pieces-jointes\/[0-9a-f-]+" download>attestation\.png<\/a>/);
    expect(shown.html).not.toContain('Note interne à ne pas montrer');
  });

  it('posts a message with a file (multipart); refuses another citizen’s post; keeps what was typed on refusal', async () => {
    const id = camilleDemands[1].demand.id;
    const before = await messageCount(id);
    const intruder = await multipart(`/mes-demarches/${id}/messages`, dominique, { message: 'Je ne devrais pas pouvoir écrire ici.' });
    expect(intruder.response.status).toBe(404);
    expect(await messageCount(id)).toBe(before);

    const refused = await multipart(`/mes-demarches/${id}/messages`, camille, { message: '   ' }, [{ field: 'fichiers', name: 'photo.png', content: PNG_BYTES }]);
    expect(refused.response.status).toBe(422);
    expect(refused.html).toContain('Écrivez votre message.');
    expect(refused.html).toContain('<a href="#message">');
    expect(await messageCount(id)).toBe(before);

    const six = Array.from({ length: 6 }, (_, i) => ({ field: 'fichiers', name: `photo-${i}.png`, content: PNG_BYTES }));
    const tooMany = await multipart(`/mes-demarches/${id}/messages`, camille, { message: 'Six photos' }, six);
    expect(tooMany.response.status).toBe(422);
    expect(tooMany.html).toContain('5 fichiers au plus par message.');
    expect(tooMany.html).toContain('<a href="#message-fichiers">');
    expect(tooMany.html).toContain('Six photos</textarea>');

    const tooLong = 'Bonjour, voici ma question. '.repeat(400);
    const kept = await multipart(`/mes-demarches/${id}/messages`, camille, { message: tooLong });
    expect(kept.response.status).toBe(422);
    expect(kept.html).toContain('10000 caractères au plus.');
    expect(kept.html).toContain(tooLong.trim().slice(0, 200));

    const sent = await multipart(`/mes-demarches/${id}/messages`, camille, { message: 'Voici la photo demandée.' }, [{ field: 'fichiers', name: 'photo.png', content: PNG_BYTES }]);
    expect(sent.response.status).toBe(303);
    expect(sent.response.headers.get('location')).toBe(`/mes-demarches/${id}?fait=message#messages`);
    const after = await page(`/mes-demarches/${id}?fait=message`, camille);
    expect(after.html).toContain('Votre message a été envoyé.');
    expect(after.html).toContain('Voici la photo demandée.');
    expect(after.html).toMatch(/<a href="\/mes-demarches\/[0-9a-f-]+\/pieces-jointes\/[0-9a-f-]+" download>photo\.png<\/a>/);

    // Without the CSRF token: refused, nothing stored.
    const body = new FormData();
    body.append('message', 'Sans jeton');
    const forged = await page(`/mes-demarches/${id}/messages`, camille, { method: 'POST', body });
    expect(forged.response.status).toBe(403);
    expect(await messageCount(id)).toBe(before + 1);
  });

  it('shows the pending request for information and takes the answer of its citizen only; the demand resumes', async () => {
    const id = camilleDemands[2].demand.id;
    await press(portal, world.metropolisId, id, 'take');
    await press(portal, world.metropolisId, id, 'ask-info', { comment: 'Merci de préciser l’adresse exacte.' });
    expect(await statusOf(id)).toBe('awaiting_info');

    const shown = await page(`/mes-demarches/${id}`, camille);
    expect(shown.html).toContain('Le service attend un complément de votre part');
    expect(shown.html).toContain('Merci de préciser l’adresse exacte.');
    expect(shown.html).toContain('En attente de votre réponse');

    const intruder = await post(`/mes-demarches/${id}/complement`, dominique, { reponse: '12 rue de la République' });
    expect(intruder.response.status).toBe(404);
    expect(await statusOf(id)).toBe('awaiting_info');

    const empty = await post(`/mes-demarches/${id}/complement`, camille, { reponse: '' });
    expect(empty.response.status).toBe(422);
    expect(empty.html).toContain('Écrivez votre réponse.');

    const answered = await post(`/mes-demarches/${id}/complement`, camille, { reponse: '12 rue de la République, Lyon 2e' });
    expect(answered.response.status).toBe(303);
    expect(await statusOf(id)).toBe('in_progress');
    const after = await page(`/mes-demarches/${id}?fait=complement`, camille);
    expect(after.html).toContain('le traitement de votre demande reprend');
    expect(after.html).not.toContain('Le service attend un complément de votre part');
    expect(after.html).toContain('12 rue de la République, Lyon 2e');
    // History: citizen-visible only.
    expect(after.html).toContain('Complément demandé');
    expect(after.html).not.toContain('effect_deferred');

    // No pending request any more: a second answer is refused in French.
    const again = await post(`/mes-demarches/${id}/complement`, camille, { reponse: 'Encore' });
    expect(again.response.status).toBe(409);
  });

  it('filters open and closed demands (closed = final status)', async () => {
    const id = camilleDemands[2].demand.id; // in_progress
    advance(60_000);
    await press(portal, world.metropolisId, id, 'accept', { confirmed: true });
    const closed = await page('/mes-demarches?etat=terminees', camille);
    expect(demandLinks(closed.html)).toEqual([id]);
    expect(closed.html).toContain('Terminée');
    expect(closed.html).toContain('<title>Mes démarches terminées — ');
    const open = await page('/mes-demarches?etat=en-cours', camille);
    expect(demandLinks(open.html).sort()).toEqual([camilleDemands[0].demand.id, camilleDemands[1].demand.id].sort());
    const all = await page('/mes-demarches', camille);
    // Most recently updated first: the accepted one moved last.
    expect(demandLinks(all.html)[0]).toBe(id);
    // A closed demand takes no more messages.
    const detail = await page(`/mes-demarches/${id}`, camille);
    expect(detail.html).not.toContain('Écrire au service');
  });

  it('paginates with a cursor, newest first, without overlap', async () => {
    const many = await logInCitizen(portal, 'sub-nombreux', 'Alex Nombreux');
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      advance(1_000);
      ids.push((await submit(portal, { kind: 'citizen', sub: many.sub }, world.simple.id, simpleData(`Alex ${i}`))).demand.id);
    }
    const first = await page('/mes-demarches', many);
    const firstIds = demandLinks(first.html);
    expect(firstIds).toHaveLength(20);
    const next = unescapeHtml(/<a rel="next" href="([^"]+)"/.exec(first.html)![1]);
    const second = await page(next, many);
    const secondIds = demandLinks(second.html);
    expect(secondIds).toHaveLength(3);
    expect(new Set([...firstIds, ...secondIds]).size).toBe(23);
    expect([...firstIds, ...secondIds]).toEqual([...ids].reverse());
    expect(second.html).not.toContain('rel="next"');
    expect(second.html).toContain('Revenir aux plus récentes');
    const forged = await page('/mes-demarches?apres=nimportequoi', many);
    expect(forged.response.status).toBe(422);
  });

  it('lists drafts with « Reprendre » and deletes one after a confirmation page; another citizen cannot', async () => {
    const drafts = portal.app.get(CitizenDrafts);
    const versionId = (await dataSource().query<{ id: string }[]>(`SELECT id FROM teleservice_version WHERE teleservice_id = $1 AND state = 'published'`, [world.simple.id]))[0].id;
    const draft = await drafts.create(camille.sub, { teleserviceId: world.simple.id, versionId, data: { nom: 'Brouillon' }, currentPage: 'demande' });
    const list = await page('/mes-demarches', camille);
    expect(list.html).toContain('Démarches à terminer');
    expect(list.html).toContain(`<a class="button small" href="/brouillons/${draft.id}">Reprendre<span class="visually-hidden"> « Demande simple »</span></a>`);
    expect((await page('/mes-demarches', dominique)).html).not.toContain(draft.id);

    expect((await page(`/mes-demarches/brouillons/${draft.id}/supprimer`, dominique)).response.status).toBe(404);
    expect((await post(`/mes-demarches/brouillons/${draft.id}/supprimer`, dominique, {})).response.status).toBe(404);
    expect(await drafts.find(camille.sub, draft.id)).not.toBeNull();

    const confirm = await page(`/mes-demarches/brouillons/${draft.id}/supprimer`, camille);
    expect(confirm.response.status).toBe(200);
    expect(h1(confirm.html)).toBe('Supprimer le brouillon « Demande simple » ?');
    const deleted = await post(`/mes-demarches/brouillons/${draft.id}/supprimer`, camille, {});
    expect(deleted.response.status).toBe(303);
    expect(await drafts.find(camille.sub, draft.id)).toBeNull();
  });

  it('shows notifications unread first-marked, with a header counter; marking read is the account’s own', async () => {
    const id = camilleDemands[0].demand.id;
    const base = portal.clock.now().getTime();
    const older = await notify(portal, camille.sub, id, world.metropolisId, 'Votre demande a bien été reçue', new Date(base - 60_000));
    const newer = await notify(portal, camille.sub, id, world.metropolisId, 'Nouveau message sur votre demande', new Date(base));
    const home = await page('/', camille);
    expect(home.html).toMatch(/<a href="\/notifications" class="notifications-link">Notifications <span class="count-badge">2<span class="visually-hidden"> non lue\(s\)<\/span><\/span><\/a>/);

    const list = await page('/notifications', camille);
    expect(list.html).toContain('2 notifications non lues.');
    expect(list.html.indexOf('Nouveau message sur votre demande')).toBeLessThan(list.html.indexOf('Votre demande a bien été reçue'));
    expect(list.html.match(/class="item-unread"/g)).toHaveLength(2);

    // Another citizen: 404, and it stays unread.
    expect((await post(`/notifications/${newer}/ouvrir`, dominique, {})).response.status).toBe(404);
    expect((await post('/notifications/tout-lu', dominique, {})).response.status).toBe(303);
    expect((await page('/notifications', camille)).html).toContain('2 notifications non lues.');
    expect((await page('/notifications', dominique)).html).toContain('Vous n’avez reçu aucune notification.');

    const opened = await post(`/notifications/${newer}/ouvrir`, camille, {});
    expect(opened.response.status).toBe(303);
    expect(opened.response.headers.get('location')).toBe(`/mes-demarches/${id}`);
    const after = await page('/notifications', camille);
    expect(after.html).toContain('1 notification non lue.');
    expect(after.html).toContain('<span class="count-badge">1<');
    await post('/notifications/tout-lu', camille, {});
    const cleared = await page('/notifications', camille);
    expect(cleared.html).toContain('Aucune notification non lue.');
    expect(cleared.html).not.toContain('count-badge');
    expect(older).not.toBe(newer);
  });

  describe('anonymous follow-up by tracking code', () => {
    let anonymous: SubmitDemandResult;
    const ip = (n: number) => ({ 'x-forwarded-for': `203.0.113.${n}` });

    beforeAll(async () => {
      anonymous = await submit(portal, { kind: 'anonymous' }, world.simple.id, simpleData('Anonyme'));
    });

    const open = async (code: string, secret: string, headers: Record<string, string>) => {
      const start = await page('/suivi');
      const cookie = start.response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const csrf = unescapeHtml(/name="_csrf" value="([^"]+)"/.exec(start.html)![1]);
      const response = await fetch(`${portal.url}/suivi`, {
        method: 'POST',
        redirect: 'manual',
        headers: { accept: 'text/html', cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ _csrf: csrf, code, cle: secret }),
      });
      return { response, html: await response.text(), cookie };
    };

    it('opens the demand with the right code and secret, read-only view with its status and answers', async () => {
      const code = formatTrackingCode(anonymous.demand.trackingCode).toLowerCase();
      const opened = await open(code, anonymous.accessSecret!, ip(1));
      expect(opened.response.status).toBe(303);
      expect(opened.response.headers.get('location')).toBe('/suivi/demande');
      const view = await fetch(`${portal.url}/suivi/demande`, { headers: { accept: 'text/html', cookie: opened.cookie } });
      const html = await view.text();
      expect(view.status).toBe(200);
      expect(html).toContain(`Demande ${formatTrackingCode(anonymous.demand.trackingCode)}`);
      expect(html).toContain('Demande reçue');
      expect(html).toContain('Anonyme');
      expect(html).toContain('Écrire au service');
      // Without the session: back to the form.
      expect((await page('/suivi/demande')).response.status).toBe(303);
    });

    it('prefills the code from ?code=', async () => {
      const { html } = await page(`/suivi?code=${anonymous.demand.trackingCode}`);
      expect(html).toContain(`value="${formatTrackingCode(anonymous.demand.trackingCode)}"`);
    });

    it('gives a wrong secret, an unknown code and a logged-in citizen’s code the same answer', async () => {
      const wrong = await open(anonymous.demand.trackingCode, 'pas-la-bonne-cle', ip(2));
      const unknown = await open('ABC-DEFG-HJK', 'pas-la-bonne-cle', ip(2));
      const someonesElse = await open(camilleDemands[0].demand.trackingCode, '', ip(2));
      const errorOf = (html: string) => /<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0];
      for (const answer of [wrong, unknown, someonesElse]) {
        expect(answer.response.status).toBe(404);
        expect(errorOf(answer.html)).toBe(errorOf(wrong.html));
      }
      expect(wrong.html).toContain('Aucune demande ne correspond à ce code de suivi et à cette clé d’accès.');
    });

    it('opens a demand typed in by an agent (no secret) with its code alone, read-only: no reply form, a post is refused', async () => {
      const typedIn = await submit(portal, { kind: 'agent', sub: 'agent-de-test', collectivityIds: [world.metropolisId], functions: ['receiver'], permissions: ['demands:submit', 'demands:read', 'demands:write'] }, world.simple.id, simpleData('Au guichet'), [], 'counter');
      expect(typedIn.accessSecret).toBeNull();
      const opened = await open(typedIn.demand.trackingCode, '', ip(3));
      expect(opened.response.status).toBe(303);
      const view = await fetch(`${portal.url}/suivi/demande`, { headers: { accept: 'text/html', cookie: opened.cookie } });
      const html = await view.text();
      expect(html).toContain('Au guichet');
      expect(html).not.toContain('Écrire au service');
      expect(html).toContain('Cette demande se consulte seulement avec son code de suivi');
      const csrf = unescapeHtml(/name="_csrf" value="([^"]+)"/.exec(html)![1]);
      const body = new FormData();
      body.append('message', 'Je tente quand même');
      const refused = await fetch(`${portal.url}/suivi/demande/messages?_csrf=${encodeURIComponent(csrf)}`, { method: 'POST', body, headers: { accept: 'text/html', cookie: opened.cookie }, redirect: 'manual' });
      expect(refused.status).toBe(403);
      expect(await messageCount(typedIn.demand.id)).toBe(0);
    });

    it('limits attempts per code, whatever the address, with a French 429 page', async () => {
      const target = await submit(portal, { kind: 'anonymous' }, world.simple.id, simpleData('Cible'));
      for (let i = 0; i < TRACKING_MAX_PER_CODE; i++) {
        expect((await open(target.demand.trackingCode, `essai-${i}`, ip(10 + i))).response.status).toBe(404);
      }
      const limited = await open(target.demand.trackingCode, target.accessSecret!, ip(99));
      expect(limited.response.status).toBe(429);
      expect(limited.response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(limited.html).toContain('Trop de tentatives de suivi ont été faites');
      expect(limited.html).toContain('<title>Trop de tentatives');
    });
  });

  describe('help (SAU)', () => {
    const helpForm = (fields: Record<string, string>) => {
      const body = new FormData();
      for (const [key, value] of Object.entries(fields)) body.append(key, value);
      return body;
    };
    it('the « Besoin d’aide ? » link carries the page it is on', async () => {
      const { html } = await page('/demarches/givors/acte-etat-civil', camille);
      expect(html).toContain(`<a href="/aide?depuis=${encodeURIComponent('/demarches/givors/acte-etat-civil')}">Besoin d’aide ?</a>`);
    });

    it('sends a logged-in citizen’s request from a Givors téléservice to Givors’ help desk; it shows in « Mes démarches »', async () => {
      const form = await page(`/aide?depuis=${encodeURIComponent('/demarches/givors/acte-etat-civil')}`, camille);
      expect(form.html).toContain('Votre demande sera traitée par Givors, au sujet de la démarche « Demande d’acte d’état civil »');
      const sent = await multipart('/aide', camille, { depuis: '/demarches/givors/acte-etat-civil', sujet: 'demarche', message: 'Je ne trouve pas où indiquer ma date de naissance.' });
      expect(sent.response.status).toBe(303);
      expect(sent.response.headers.get('location')).toBe('/aide/envoyee');
      const confirmation = await page('/aide/envoyee', camille);
      expect(confirmation.html).toContain('Givors a bien reçu votre demande d’aide');
      const [demand] = await dataSource().query<{ id: string; data: Record<string, unknown>; collectivity_id: string; slug: string }[]>(
        `SELECT d.id, d.data, d.collectivity_id, t.slug FROM demand d JOIN teleservice t ON t.id = d.teleservice_id WHERE d.account_sub = $1 AND t.slug = 'aide-contact'`,
        [camille.sub],
      );
      expect(demand.collectivity_id).toBe(world.givorsId);
      expect(demand.data).toMatchObject({ page: '/demarches/givors/acte-etat-civil', demarche: 'Demande d’acte d’état civil', sujet: 'demarche', email: 'camille@example.org' });
      expect(confirmation.html).toContain(`href="/mes-demarches/${demand.id}"`);
      expect(demandLinks((await page('/mes-demarches', camille)).html)).toContain(demand.id);
    });

    it('sends a request made from a demand’s page to the collectivity handling that demand', async () => {
      const [givorsDemand] = await dataSource().query<{ id: string }[]>(`SELECT id FROM demand WHERE account_sub = $1 AND collectivity_id = $2`, [camille.sub, world.givorsId]);
      const fromDemand = await page(`/aide?depuis=${encodeURIComponent(`/mes-demarches/${givorsDemand.id}`)}`, camille);
      expect(fromDemand.html).toContain('Votre demande sera traitée par Givors.');
      // Someone else's demand page tells nothing: the metropolis.
      const fromOther = await page(`/aide?depuis=${encodeURIComponent(`/mes-demarches/${givorsDemand.id}`)}`, dominique);
      expect(fromOther.html).toContain('Votre demande sera traitée par Métropole de Lyon.');
      // From a step of a form: that téléservice's collectivity.
      expect((await page(`/aide?depuis=${encodeURIComponent('/demarches/givors/acte-etat-civil/formulaire/nouveau/etape/acte')}`)).html).toContain(
        'Votre demande sera traitée par Givors, au sujet de la démarche « Demande d’acte d’état civil »',
      );
      // A mutualised téléservice belongs to the metropolis.
      expect((await page('/aide?teleservice=metropole-de-lyon/signalement-anomalie')).html).toContain(
        'Votre demande sera traitée par Métropole de Lyon, au sujet de la démarche « Signaler une anomalie sur l’espace public »',
      );
    });

    it('keeps what was typed and says what is wrong in French; an anonymous request goes to the metropolis and shows its secret once', async () => {
      const start = await page('/aide?depuis=%2F');
      const cookie = start.response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const csrf = unescapeHtml(/name="_csrf" value="([^"]+)"|action="\/aide\?_csrf&#x3D;([^"]+)"/.exec(start.html)!.slice(1).find(Boolean)!);
      const send = (fields: Record<string, string>) => {
        const body = new FormData();
        for (const [key, value] of Object.entries(fields)) body.append(key, value);
        return fetch(`${portal.url}/aide?_csrf=${encodeURIComponent(csrf)}`, { method: 'POST', body, redirect: 'manual', headers: { accept: 'text/html', cookie } });
      };
      const refused = await send({ depuis: '/', sujet: 'compte', message: 'Trop court', email: 'pas-une-adresse' });
      const html = await refused.text();
      expect(refused.status).toBe(422);
      expect(html).toContain('<a href="#aide-email">');
      expect(html).toContain('Trop court');
      const sent = await send({ depuis: '/', sujet: 'compte', message: 'Je n’arrive pas à me connecter depuis hier.', email: 'anonyme@example.org' });
      expect(sent.status).toBe(303);
      const confirmation = await fetch(`${portal.url}/aide/envoyee`, { headers: { accept: 'text/html', cookie } });
      const text = await confirmation.text();
      expect(text).toContain('Métropole de Lyon a bien reçu votre demande d’aide');
      expect(text).toMatch(/<code>[A-Za-z0-9_-]{20,}<\/code>/);
      // Shown once.
      expect((await fetch(`${portal.url}/aide/envoyee`, { headers: { accept: 'text/html', cookie }, redirect: 'manual' })).status).toBe(303);
    });

    it('limits help requests per address (each one is a demand) with a French 429 page', async () => {
      const from = { 'x-forwarded-for': '198.51.100.7' };
      for (let i = 0; i < HELP_MAX_PER_IP; i++) {
        const response = await page(`/aide?_csrf=${encodeURIComponent(camille.csrf)}`, camille, { method: 'POST', body: helpForm({ sujet: 'autre', message: '' }), headers: from });
        expect(response.response.status).toBe(422);
      }
      const limited = await page(`/aide?_csrf=${encodeURIComponent(camille.csrf)}`, camille, { method: 'POST', body: helpForm({ sujet: 'autre', message: 'Une vraie question cette fois.' }), headers: from });
      expect(limited.response.status).toBe(429);
      expect(limited.html).toContain('Beaucoup de demandes d’aide ont été envoyées depuis cette connexion');
    });
  });
});
