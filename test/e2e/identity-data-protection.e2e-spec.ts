import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { Account, AccountErasure, Consent, DeletedAccount } from '#accounts';
import { fromRoot } from '#core';
import { ManualClock, startSmtpSink, startTestApp, type CapturedMail, type SmtpSink, type TestApp } from '#testing';
import { identityApp } from '../../apps/identity/identity.app.js';
import { workerApp } from '../../apps/worker/worker.app.js';
import { Browser, createClient, createVerifiedAccount, hiddenValue, logInAndConsent, relyingParty, startAuthorization, STRONG_PASSWORD } from './identity-support.js';

const DAY = 24 * 3600_000;

/**
 * Data protection (RGPD) of the territorial account, with the real provider, a partner relying party
 * (openid-client 6) and the worker delivering mails to an SMTP sink: the export of one's data, the deletion of
 * one's account, the deleted-accounts service partners read to purge their copies, and the deletion of accounts
 * unused for two years (warned by mail a month before).
 */
describe('identity: data protection (export, erasure, deleted accounts, inactivity)', () => {
  let sink: SmtpSink;
  let identity: TestApp;
  let worker: TestApp;
  let clock: ManualClock;
  let rp: oidc.Configuration;
  let secret: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    clock = new ManualClock();
    identity = await startTestApp(identityApp, { clock });
    worker = await startTestApp(workerApp, { clock, database: identity.database, env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
    secret = (await createClient(identity)).secret!;
    rp = await relyingParty(identity, 'mairie-givors', secret);
  });
  afterAll(async () => {
    await worker?.close();
    await identity?.close();
    await sink?.close();
  });

  const db = () => identity.app.get(DataSource);
  const mailTo = (to: string, subject: string): Promise<CapturedMail> => sink.waitFor((m) => m.to.includes(to) && m.subject === subject, 15_000);
  const basic = (id: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}` });

  async function page(browser: Browser, path: string) {
    const response = await browser.get(path);
    const html = await response.text();
    return { response, html, csrf: html.includes('name="_csrf"') ? hiddenValue(html, '_csrf') : '' };
  }

  /** Logs into the partner (consenting to profile and email); returns the browser and the partner's tokens. */
  async function partnerLogin(email: string) {
    const browser = new Browser(identity.url);
    const start = await startAuthorization(rp, { scope: 'openid profile email' });
    const { callback } = await logInAndConsent(browser, start.url, { email, password: STRONG_PASSWORD });
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    return { browser, tokens };
  }

  it('exports everything the account holds as a JSON file, to its signed-in owner only', async () => {
    const email = 'export@example.org';
    await createVerifiedAccount(identity, email, STRONG_PASSWORD, { phone: '04 72 00 00 00' });
    const { browser } = await partnerLogin(email);
    expect((await new Browser(identity.url).get('/compte/donnees/export')).status).toBe(303);

    const data = await page(browser, '/compte/donnees');
    expect(data.response.status).toBe(200);
    expect(data.html).toContain('<h1>Mes données</h1>');
    const response = await browser.get('/compte/donnees/export');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="compte-territorial-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const exported = (await response.json()) as Record<string, unknown>;
    expect(exported).toMatchObject({
      compte: { adresse_electronique: email, a_un_mot_de_passe: true },
      identite: { given_name: 'Camille', family_name: 'Martin', phone_number: '04 72 00 00 00', niveau_de_certification: 'none' },
      franceconnect: null,
      consentements: [expect.objectContaining({ service: 'Portail de la ville de Givors', identifiant_du_service: 'mairie-givors', donnees: ['email', 'profile'] })],
    });
  });

  it('deletes the account on request (password and confirmation), revokes the partners’ tokens, and lists it for them with their own sub', async () => {
    const email = 'suppression@example.org';
    const { id } = await createVerifiedAccount(identity, email);
    const { browser, tokens } = await partnerLogin(email);
    const other = await partnerLogin(email); // another device

    const form = await page(browser, '/compte/donnees');
    const wrong = await browser.post('/compte/supprimer', { _csrf: form.csrf, currentPassword: 'pas le bon', confirm: 'oui' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('<a href="#current-password">Le mot de passe actuel est incorrect.</a>');
    const unconfirmed = await browser.post('/compte/supprimer', { _csrf: form.csrf, currentPassword: STRONG_PASSWORD });
    expect(unconfirmed.status).toBe(422);
    expect(await unconfirmed.text()).toContain('<a href="#confirm">Cochez la case pour confirmer la suppression définitive de votre compte.</a>');
    expect(await db().getRepository(Account).countBy({ id })).toBe(1);
    expect((await browser.post('/compte/supprimer', { currentPassword: STRONG_PASSWORD, confirm: 'oui' })).status).toBe(403); // no CSRF token

    const done = await browser.post('/compte/supprimer', { _csrf: form.csrf, currentPassword: STRONG_PASSWORD, confirm: 'oui' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('<h1>Compte supprimé</h1>');
    await mailTo(email, 'Votre compte territorial a été supprimé');

    expect(await db().getRepository(Account).countBy({ id })).toBe(0);
    expect(await db().getRepository(Consent).countBy({ accountId: id })).toBe(0);
    expect(await db().query(`SELECT count(*)::int AS n FROM "identity"."oidc_artifact" WHERE payload->>'accountId' = $1`, [id])).toEqual([{ n: 0 }]);
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(rp, other.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await browser.get('/compte')).status).toBe(303);
    expect((await other.browser.get('/compte')).status).toBe(303);
    expect((await page(new Browser(identity.url), '/compte/connexion')).response.status).toBe(200);

    // The partner learns the deletion under the sub it knows; another partner gets its own sub.
    const listed = await fetch(`${identity.url}/api/comptes-supprimes`, { headers: basic('mairie-givors', secret) });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { comptes: { sub: string; supprime_le: string }[]; suite: string | null };
    expect(body.comptes).toContainEqual({ sub: tokens.claims()!.sub, supprime_le: clock.now().toISOString() });
    const { secret: bronSecret } = await createClient(identity, { clientId: 'mairie-bron', name: 'Portail de Bron', redirectUris: ['https://bron.example.org/retour'] });
    const bron = (await (await fetch(`${identity.url}/api/comptes-supprimes`, { headers: basic('mairie-bron', bronSecret!) })).json()) as typeof body;
    expect(bron.comptes).toHaveLength(body.comptes.length);
    expect(bron.comptes.map((c) => c.sub)).not.toContain(tokens.claims()!.sub);
    // Paging: nothing after the last entry; `depuis` after the deletion: nothing.
    const next = (await (await fetch(`${identity.url}/api/comptes-supprimes?apres=${body.suite}`, { headers: basic('mairie-givors', secret) })).json()) as typeof body;
    expect(next).toEqual({ comptes: [], suite: null });
    const later = new Date(clock.now().getTime() + 1000).toISOString();
    expect(((await (await fetch(`${identity.url}/api/comptes-supprimes?depuis=${later}`, { headers: basic('mairie-givors', secret) })).json()) as typeof body).comptes).toEqual([]);

    // Partners only, with their secret.
    for (const headers of [{}, basic('mairie-givors', 'mauvais-secret'), basic('inconnu', secret)]) {
      const refused = await fetch(`${identity.url}/api/comptes-supprimes`, { headers });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('Basic');
    }
    expect((await fetch(`${identity.url}/api/comptes-supprimes?depuis=hier`, { headers: basic('mairie-givors', secret) })).status).toBe(400);
  });

  it('warns an account unused for two years minus a month, deletes it a month later unless used, and forgets deletions after a year', async () => {
    const erasure = identity.app.get(AccountErasure);
    const link = `${identity.url}/compte/connexion`;
    const settle = () => erasure.applyInactivityRule(link); // earlier tests' accounts were used "now": untouched below
    const asleep = await createVerifiedAccount(identity, 'endormi@example.org', STRONG_PASSWORD, { lastLoginAt: clock.now() });
    const back = await createVerifiedAccount(identity, 'revenu@example.org', STRONG_PASSWORD, { lastLoginAt: clock.now() });

    clock.advance(699 * DAY);
    expect(await settle()).toMatchObject({ warned: 0, deleted: 0 });
    clock.advance(1 * DAY); // 700 days: a month before the two years
    const warned = await settle();
    expect(warned.warned).toBeGreaterThanOrEqual(2);
    const mail = await mailTo('endormi@example.org', 'Votre compte territorial va être supprimé');
    expect(mail.text).toContain(link);
    expect(mail.text).toMatch(/supprimé avec elles à partir du \d+ \S+ \d{4}\./);
    expect((await settle()).warned).toBe(0); // once per period of inactivity

    // One of them logs in again: it is kept.
    clock.advance(10 * DAY);
    const browser = new Browser(identity.url);
    const login = await page(browser, '/compte/connexion');
    expect((await browser.post('/compte/connexion', { _csrf: login.csrf, email: 'revenu@example.org', password: STRONG_PASSWORD })).status).toBe(303);

    clock.advance(19 * DAY); // 729 days: not yet two years
    expect((await settle()).deleted).toBe(0);
    clock.advance(2 * DAY); // 731 days, warned 31 days ago
    const result = await settle();
    expect(result.deleted).toBeGreaterThanOrEqual(1);
    expect(await db().getRepository(Account).countBy({ id: asleep.id })).toBe(0);
    expect(await db().getRepository(Account).countBy({ id: back.id })).toBe(1);
    expect(await db().getRepository(DeletedAccount).findOneByOrFail({ accountId: asleep.id })).toMatchObject({ reason: 'inactivity' });
    await mailTo('endormi@example.org', 'Votre compte territorial a été supprimé');

    clock.advance(366 * DAY);
    await settle();
    expect(await db().getRepository(DeletedAccount).countBy({ accountId: asleep.id })).toBe(0);
  });

  it('runs the inactivity rule from its command line (the job to schedule daily)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [fromRoot('dist/tools/identity-accounts.js'), 'apply-inactivity'], {
      env: { ...process.env, DATABASE_URL: identity.database.url, NODE_ENV: 'test' },
    });
    expect(stdout).toMatch(/^Comptes avertis : \d+ ; comptes supprimés : \d+ ; suppressions oubliées \(plus d’un an\) : \d+\.$/m);
    await expect(promisify(execFile)(process.execPath, [fromRoot('dist/tools/identity-accounts.js'), 'autre-chose'], { env: { ...process.env, DATABASE_URL: identity.database.url } })).rejects.toMatchObject({ code: 64 });
  });
});
