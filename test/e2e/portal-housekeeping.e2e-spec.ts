import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccountErasure } from '#accounts';
import { APP_CONFIG, type AppConfig } from '#core';
import { AccountPurge, ATTACHMENT_STORAGE, DELETED_ACCOUNT_SUB_PREFIX, DemandEngine, openByTrackingCode, StagedUploads, type AttachmentStorage } from '#demands';
import { QueueRegistry, type JobEnvelope } from '#queue';
import { seedDemoCatalogue } from '#teleservices';
import { seedDemo } from '#territory';
import { ManualClock, startTestApp, type TestApp } from '#testing';
import { identityApp } from '../../apps/identity/identity.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { workerApp } from '../../apps/worker/worker.app.js';
import { createVerifiedAccount, hiddenValue } from './identity-support.js';
import { CONDITIONAL_FILE_FORM, publishFixtureForm } from './portal-form-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/** A 1×1 PNG image (real bytes: the type is detected from the content). */
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const HOUR = 3_600_000;

jest.setTimeout(60_000);

/**
 * The portal's storage and account housekeeping, with the real identity, portal and worker on one database and
 * real files on disk: staged uploads deleted at once when removed (JavaScript « Retirer ») or hidden by a condition,
 * the hourly storage sweep (abandoned anonymous forms, referenced files kept), and the account purge that reads the
 * identity's deleted-accounts service (drafts, their files, notifications, the demands' link to the account).
 */
describe('portal housekeeping: staged files and deleted accounts', () => {
  let identity: TestApp;
  let portal: TestApp;
  let worker: TestApp;
  let db: DataSource;
  let storageDir: string;
  let formUrl: string;
  const clock = new ManualClock(new Date('2026-11-20T09:00:00Z'));

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-portal-housekeeping-'));
    identity = await startTestApp(identityApp, { clock });
    portal = await startTestApp(portalApp, { database: identity.database, clock, env: { IDENTITY_PUBLIC_URL: identity.url, STORAGE_DIR: storageDir } });
    worker = await startTestApp(workerApp, { database: identity.database, clock, env: { IDENTITY_PUBLIC_URL: identity.url, STORAGE_DIR: storageDir, OUTBOX_POLL_MS: '50' } });
    db = portal.app.get(DataSource);
    await seedDemo(db, clock);
    await seedDemoCatalogue(db, clock);
    await seedClients(identity, { portal: portal.url, backoffice: 'http://127.0.0.1:9' });
    formUrl = `${portal.url}${await publishFixtureForm(db, clock, CONDITIONAL_FILE_FORM)}`;
  });
  afterAll(async () => {
    await worker?.close();
    await portal?.close();
    await identity?.close();
    if (storageDir) await rm(storageDir, { recursive: true, force: true });
  });

  const onDisk = (key: string) => existsSync(join(storageDir, ...key.split('/')));
  const stagedKeys = async (): Promise<string[]> => (await db.query(`SELECT storage_key FROM staged_upload ORDER BY staged_at, storage_key`)).map((r: { storage_key: string }) => r.storage_key);
  const newKeys = async (before: string[]) => (await stagedKeys()).filter((k) => !before.includes(k));

  /** Runs a scheduled job on the worker, as its scheduler would, and waits for its end. */
  let runs = 0;
  async function runScheduled(job: 'schedule.storage-sweep' | 'schedule.account-purge') {
    const queue = worker.app.get(QueueRegistry).queue('scheduled');
    const jobId = `test-${job}-${++runs}`;
    await queue.add(job, { payload: {}, correlationId: null, outboxId: null } satisfies JobEnvelope, { jobId });
    for (let i = 0; i < 400; i++) {
      const state = await queue.getJobState(jobId);
      if (state === 'completed') return;
      if (state === 'failed') throw new Error(`${job} en échec : ${(await queue.getJob(jobId))?.failedReason}`);
      await sleep(50);
    }
    throw new Error(`${job} n’a pas fini`);
  }

  /** Opens the fixture form (anonymous or logged in): the first page's URL and CSRF token. */
  async function openForm(browser: WebBrowser) {
    const first = await browser.follow(formUrl);
    expect(first.url).toBe(`${formUrl}/nouveau/etape/piece`);
    return { url: first.url, csrf: hiddenValue(first.html, '_csrf') };
  }

  /** Posts the page as multipart, as its form does without JavaScript (token in the query string). */
  async function postPage(browser: WebBrowser, url: string, csrf: string, fields: Record<string, string>, file?: string) {
    const body = new FormData();
    body.append('_csrf', csrf);
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    if (file) body.append('f.justificatif', new Blob([new Uint8Array(PNG_1PX)], { type: 'image/png' }), file);
    return browser.follow(`${url}?_csrf=${encodeURIComponent(csrf)}`, { method: 'POST', body });
  }

  /** Uploads the file as the JavaScript does (`…/fichiers`); answers the upload's token. */
  async function uploadWithScript(browser: WebBrowser, pageUrl: string, csrf: string): Promise<string> {
    const body = new FormData();
    body.append('f.justificatif', new Blob([new Uint8Array(PNG_1PX)], { type: 'image/png' }), 'script.png');
    const response = await browser.request(`${pageUrl}/fichiers`, { method: 'POST', body, headers: { 'x-csrf-token': csrf, accept: 'application/json' } });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { files: { token: string; name: string }[] };
    expect(answer.files[0]).toMatchObject({ name: 'script.png' });
    return answer.files[0]!.token;
  }

  it('deletes at once a file uploaded by the JavaScript then removed in the browser', async () => {
    const browser = new WebBrowser();
    const { url, csrf } = await openForm(browser);
    const before = await stagedKeys();
    const token = await uploadWithScript(browser, url, csrf);
    const [key] = await newKeys(before);
    expect(onDisk(key!)).toBe(true);

    const remove = (sent: Record<string, string>, headers: Record<string, string> = { 'x-csrf-token': csrf }) =>
      browser.request(`${url}/fichiers/retirer`, { method: 'POST', body: JSON.stringify(sent), headers: { 'content-type': 'application/json', accept: 'application/json', ...headers } });
    // Without the CSRF token, or for another field: refused, the file stays.
    expect((await remove({ field: 'f.justificatif', token }, {})).status).toBe(403);
    const wrongField = await remove({ field: 'f.email', token });
    expect(wrongField.status).toBe(404);
    expect(((await wrongField.json()) as { code: string }).code).toBe('UPLOAD_NOT_FOUND');
    expect(onDisk(key!)).toBe(true);
    // Another visitor cannot remove it either (the token lives in this visitor's session).
    const other = new WebBrowser();
    const otherForm = await openForm(other);
    expect((await other.request(`${url}/fichiers/retirer`, { method: 'POST', body: JSON.stringify({ field: 'f.justificatif', token }), headers: { 'content-type': 'application/json', 'x-csrf-token': otherForm.csrf } })).status).toBe(404);
    expect(onDisk(key!)).toBe(true);

    expect((await remove({ field: 'f.justificatif', token })).status).toBe(204);
    expect(onDisk(key!)).toBe(false);
    expect(await stagedKeys()).not.toContain(key);
    // Once only.
    expect((await remove({ field: 'f.justificatif', token })).status).toBe(404);
  });

  it('deletes at once the file of a field that a condition hid when the page is sent', async () => {
    const browser = new WebBrowser();
    const { url, csrf } = await openForm(browser);
    const before = await stagedKeys();
    // « Oui » and a file, the e-mail missing: the page comes back, the file kept with the form.
    const first = await postPage(browser, url, csrf, { _action: 'continue', 'f.avec_piece': 'oui', _shown: 'avec_piece,justificatif,email' }, 'piece.png');
    expect(first.response.status).toBe(422);
    expect(first.html).toContain('piece.png');
    const [key] = await newKeys(before);
    expect(onDisk(key!)).toBe(true);

    // « Non »: the field is hidden, its file leaves the answers and the storage.
    const second = await postPage(browser, first.url, csrf, { _action: 'continue', 'f.avec_piece': 'non', 'f.email': 'cache@example.org', _shown: 'avec_piece,email' });
    expect(second.url).toMatch(/\/recapitulatif$/);
    expect(second.html).not.toContain('piece.png');
    expect(onDisk(key!)).toBe(false);
    expect(await stagedKeys()).not.toContain(key);

    // Sent: one demand, without any file; nothing staged is left by this form.
    const sent = await browser.follow(second.url, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(sent.url).toMatch(/\/recu$/);
    const [demand] = await db.query(`SELECT d.data, (SELECT count(*)::int FROM attachment a WHERE a.demand_id = d.id) AS files FROM demand d WHERE d.data->>'email' = 'cache@example.org'`);
    expect(demand).toMatchObject({ files: 0 });
    expect(demand.data.justificatif).toBeUndefined();
  });

  it('sweeps, a day later, the files of abandoned anonymous forms and JavaScript uploads never sent; keeps a live draft’s and recent ones', async () => {
    // An anonymous visitor leaves a form with a file (the session expires: no draft row will ever reference it).
    const anonymous = new WebBrowser();
    const before = await stagedKeys();
    const left = await openForm(anonymous);
    await postPage(anonymous, left.url, left.csrf, { _action: 'continue', 'f.avec_piece': 'oui', _shown: 'avec_piece,justificatif,email' }, 'abandon.png');
    const [abandoned] = await newKeys(before);
    // Another one uploads with the JavaScript and never sends the page.
    const scripted = new WebBrowser();
    const open = await openForm(scripted);
    const beforeScript = await stagedKeys();
    await uploadWithScript(scripted, open.url, open.csrf);
    const [neverSent] = await newKeys(beforeScript);

    // A logged-in citizen's draft holds a file.
    const alice = await createVerifiedAccount(identity, 'alice.menage@example.org', undefined, { givenName: 'Alice', familyName: 'Durand' });
    const citizen = new WebBrowser();
    await logIn(citizen, portal.url, alice.email);
    const draftForm = await openForm(citizen);
    const beforeDraft = await stagedKeys();
    const draftPage = await postPage(citizen, draftForm.url, draftForm.csrf, { _action: 'continue', 'f.avec_piece': 'oui', _shown: 'avec_piece,justificatif,email' }, 'brouillon.png');
    expect(draftPage.response.status).toBe(422);
    const [drafted] = await newKeys(beforeDraft);
    expect(Number((await db.query(`SELECT count(*) AS n FROM draft WHERE data::text LIKE '%' || $1 || '%'`, [drafted]))[0].n)).toBe(1);
    for (const key of [abandoned, neverSent, drafted]) expect(onDisk(key!)).toBe(true);

    // Less than a day later: nothing is swept.
    clock.advance(23 * HOUR);
    await runScheduled('schedule.storage-sweep');
    for (const key of [abandoned, neverSent, drafted]) expect(onDisk(key!)).toBe(true);

    // A fresh upload, then more than a day after the first ones.
    const fresh = new WebBrowser();
    const freshForm = await openForm(fresh);
    const beforeFresh = await stagedKeys();
    await uploadWithScript(fresh, freshForm.url, freshForm.csrf);
    const [recent] = await newKeys(beforeFresh);
    clock.advance(2 * HOUR);
    await runScheduled('schedule.storage-sweep');
    expect({ abandoned: onDisk(abandoned!), neverSent: onDisk(neverSent!), drafted: onDisk(drafted!), recent: onDisk(recent!) }).toEqual({
      abandoned: false,
      neverSent: false,
      drafted: true,
      recent: true,
    });
    const rows = await stagedKeys();
    expect(rows).not.toContain(abandoned);
    expect(rows).not.toContain(neverSent);
    expect(rows).toEqual(expect.arrayContaining([drafted, recent]));
    // Again: nothing more to do; a demand's attachments are never touched.
    const attachments = (await db.query(`SELECT storage_key FROM attachment`)).map((r: { storage_key: string }) => r.storage_key);
    await runScheduled('schedule.storage-sweep');
    for (const key of [drafted, recent, ...attachments]) expect(onDisk(key!)).toBe(true);
  });

  it('purges the data of an account the identity deleted: drafts and their files, notifications, the demands’ link', async () => {
    const bruno = await createVerifiedAccount(identity, 'bruno.supprime@example.org', undefined, { givenName: 'Bruno', familyName: 'Petit' });
    const claire = await createVerifiedAccount(identity, 'claire.gardee@example.org', undefined, { givenName: 'Claire', familyName: 'Roux' });
    const browser = new WebBrowser();
    await logIn(browser, portal.url, bruno.email);

    // Bruno sends a demand (without a file), then leaves a draft with a file.
    let form = await openForm(browser);
    const done = await postPage(browser, form.url, form.csrf, { _action: 'continue', 'f.avec_piece': 'non', 'f.email': 'bruno.supprime@example.org', _shown: 'avec_piece,email' });
    const receipt = await browser.follow(done.url, { method: 'POST', body: new URLSearchParams({ _csrf: form.csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(receipt.url).toMatch(/\/recu$/);
    form = await openForm(browser);
    const before = await stagedKeys();
    await postPage(browser, form.url, form.csrf, { _action: 'continue', 'f.avec_piece': 'oui', _shown: 'avec_piece,justificatif,email' }, 'bruno.png');
    const [file] = await newKeys(before);
    const [{ account_sub: sub }] = await db.query(`SELECT account_sub FROM draft WHERE data::text LIKE '%' || $1 || '%'`, [file]);
    const [demand] = await db.query(`SELECT id, collectivity_id, tracking_code FROM demand WHERE account_sub = $1`, [sub]);
    expect(demand).toBeDefined();
    const [event] = await db.query(`SELECT actor FROM demand_event WHERE demand_id = $1 AND actor->>'type' = 'citizen' LIMIT 1`, [demand.id]);
    expect(event.actor).toMatchObject({ type: 'citizen', sub });
    const notify = (account: string) =>
      db.query(`INSERT INTO notification (account_sub, demand_id, collectivity_id, kind, title, body, created_at) VALUES ($1, $2, $3, 'demand.status', 'Votre demande avance', 'Elle est en cours de traitement.', now())`, [
        account,
        demand.id,
        demand.collectivity_id,
      ]);
    await notify(sub);
    await notify('sub-de-claire');

    // Claire's draft stays: only deleted accounts are purged.
    const claireBrowser = new WebBrowser();
    await logIn(claireBrowser, portal.url, claire.email);
    const claireForm = await openForm(claireBrowser);
    await postPage(claireBrowser, claireForm.url, claireForm.csrf, { _action: 'continue', 'f.avec_piece': 'non', _shown: 'avec_piece,email' });
    const drafts = async (account: string) => Number((await db.query(`SELECT count(*) AS n FROM draft WHERE account_sub = $1`, [account]))[0].n);
    const [{ account_sub: claireSub }] = await db.query(`SELECT account_sub FROM draft WHERE account_sub <> $1 ORDER BY created_at DESC LIMIT 1`, [sub]);
    expect(await drafts(claireSub)).toBe(1);

    // Bruno deletes his territorial account; the worker's next run purges the portal's copies.
    clock.advance(60_000);
    expect(await identity.app.get(AccountErasure).delete(bruno.id, 'request')).toBe(true);
    await runScheduled('schedule.account-purge');

    expect(await drafts(sub)).toBe(0);
    expect(onDisk(file!)).toBe(false);
    expect(await stagedKeys()).not.toContain(file);
    expect(Number((await db.query(`SELECT count(*) AS n FROM notification WHERE account_sub = $1`, [sub]))[0].n)).toBe(0);
    expect(Number((await db.query(`SELECT count(*) AS n FROM notification WHERE account_sub = 'sub-de-claire'`))[0].n)).toBe(1);
    // The demand stays (an administrative record), linked to no account anyone can log in as, nor to the old sub.
    const [kept] = await db.query(`SELECT account_sub FROM demand WHERE id = $1`, [demand.id]);
    expect(kept.account_sub).toBe(`${DELETED_ACCOUNT_SUB_PREFIX}${demand.id}`);
    expect(Number((await db.query(`SELECT count(*) AS n FROM demand_event WHERE actor->>'sub' = $1`, [sub]))[0].n)).toBe(0);
    expect(await drafts(claireSub)).toBe(1);
    // Bruno's « Mes démarches » (an old session) shows nothing of it any more.
    const dashboard = await browser.follow(`${portal.url}/mes-demarches`);
    expect(dashboard.html).not.toContain(demand.id);
    // The tracking code does not open it either (it is not a demand typed in without an account).
    await expect(openByTrackingCode(db, demand.tracking_code, undefined)).rejects.toMatchObject({ code: 'DEMAND_TRACKING_ACCESS_REFUSED' });
    const [cursor] = await db.query(`SELECT after, purged_accounts FROM account_purge_cursor`);
    expect(cursor.after).toMatch(/^\d{13}\.[0-9a-f-]{36}$/);
    expect(cursor.purged_accounts).toBe(1);

    // Idempotent: the next run reads nothing new and changes nothing.
    await runScheduled('schedule.account-purge');
    expect(await db.query(`SELECT after, purged_accounts FROM account_purge_cursor`)).toEqual([cursor]);
    expect(await drafts(claireSub)).toBe(1);
  });

  it('sweeps and purges safely from two workers at once: each file deleted once, each deleted account purged once', async () => {
    // Two engines (the portal's and the worker's processes) sweep the same old files at the same time.
    const engines = [portal.app.get(DemandEngine), worker.app.get(DemandEngine)];
    // The earlier tests' leftovers first (the recent upload is old by now).
    clock.advance(25 * HOUR);
    await new StagedUploads(engines[0]!).sweep();
    const storage = portal.app.get<AttachmentStorage>(ATTACHMENT_STORAGE);
    const keys: string[] = [];
    for (let i = 0; i < 30; i++) keys.push((await storage.put(PNG_1PX, { maxBytes: 1024 })).key);
    await new StagedUploads(engines[0]!).record(keys);
    clock.advance(25 * HOUR);
    const swept = await Promise.all(engines.map((engine) => new StagedUploads(engine).sweep(24 * HOUR, 7)));
    expect(swept[0]! + swept[1]!).toBe(30);
    for (const key of keys) expect(onDisk(key)).toBe(false);
    expect((await stagedKeys()).filter((k) => keys.includes(k))).toEqual([]);

    // Two purges read the same new page: one purges it, the other sees the moved cursor and reads on.
    const denise = await createVerifiedAccount(identity, 'denise.double@example.org');
    clock.advance(60_000);
    await identity.app.get(AccountErasure).delete(denise.id, 'request');
    const [before] = await db.query(`SELECT purged_accounts FROM account_purge_cursor`);
    const config = worker.app.get<AppConfig>(APP_CONFIG);
    const runs = await Promise.all(engines.map((engine) => new AccountPurge(engine, config).run()));
    expect(runs[0]!.accounts + runs[1]!.accounts).toBe(1);
    const [after] = await db.query(`SELECT purged_accounts FROM account_purge_cursor`);
    expect(after.purged_accounts).toBe(before.purged_accounts + 1);
  });
});
