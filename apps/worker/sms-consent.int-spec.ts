import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { Account, ClientService, hmacHex, PasswordHasher } from '#accounts';
import { APP_CONFIG, createLogger, type AppConfig } from '#core';
import { DemandQueries, SubmitDemand, SubmitDemandCommand } from '#demands';
import { SendSmsJob } from '#notifications';
import { JobReceipts, QueueRegistry } from '#queue';
import { TeleserviceRepository, type Teleservice } from '#teleservices';
import { startSmsProviderDouble, startTestApp, type SmsProviderDouble, type TestApp } from '#testing';
import { engineApp } from '../engine/engine.app.js';
import { seedEngine, T0, type EngineSeed } from '../engine/engine-test-fixture.js';
import { identityApp } from '../identity/identity.app.js';
import { workerApp } from './worker.app.js';

/** A form with a phone field of its own: for a demand with an account, the account's number is used, not this one. */
const FORM = {
  schemaVersion: 1,
  title: 'Demande avec SMS',
  pages: [
    {
      id: 'p',
      title: 'Vos coordonnées',
      fields: [
        { id: 'nom', type: 'text', label: 'Nom', required: true },
        { id: 'mobile', type: 'text', label: 'Téléphone mobile', format: 'phone_fr', prefill: { from: 'profile', attribute: 'phone' } },
      ],
    },
  ],
};

const WORKFLOW = {
  schemaVersion: 1,
  name: 'Accusé de réception par SMS',
  initialStatus: 'received',
  functions: [{ id: 'receiver', label: 'Agent instructeur' }],
  statuses: [
    {
      id: 'received',
      label: 'Demande reçue',
      colour: '#1F5FAD',
      visibility: 'citizen',
      final: false,
      actions: [{ id: 'ack', kind: 'notify_citizen', channels: ['sms'], subject: 'Votre demande {{demand.trackingCode}} est reçue', body: 'Merci.' }],
    },
  ],
};

const PASSWORD = 'une phrase de passe assez longue';
const PORTAL_CALLBACK = 'https://portail.parvis.test/connexion/retour';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(25);
  }
}

/** A person's browser on the identity app: cookies kept, no automatic redirects. */
class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(new URL(path, this.base), { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1).trim());
    }
    return response;
  }

  async page(path: string): Promise<{ html: string; csrf: string }> {
    const html = await (await this.request(path)).text();
    const csrf = /<input type="hidden" name="_csrf" value="([^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=') ?? '';
    return { html, csrf };
  }

  post(path: string, form: Record<string, string>) {
    return this.request(path, { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
}

/**
 * SMS to the citizen from their territorial account, end to end: the choice « Recevoir les SMS de suivi de mes
 * démarches » made on the identity's account page, a demand submitted with the portal's subject of the account, the
 * worker texting the SMS provider double (a real HTTP server) at the **account's** number only with the choice, and
 * a withdrawal stopping every later SMS.
 */
describe('SMS from the citizen’s account: sent to the profile’s mobile with consent, never without, stopped by a withdrawal', () => {
  let provider: SmsProviderDouble;
  let engine: TestApp;
  let identity: TestApp;
  let worker: TestApp;
  let seed: EngineSeed;
  let db: DataSource;
  let config: AppConfig;
  let teleservice: Teleservice;

  /** The `sub` the portal's client knows an account by (pairwise: the host of its redirect URI, as the provider computes it). */
  const portalSub = (accountId: string) => hmacHex(config.identity.pairwiseSalt, `${new URL(PORTAL_CALLBACK).host}|${accountId}`);

  async function createAccount(email: string, phone: string | null): Promise<Account> {
    const repo = db.getRepository(Account);
    return repo.save(
      repo.create({
        email,
        passwordHash: await identity.app.get(PasswordHasher).hash(PASSWORD),
        emailVerifiedAt: T0,
        certificationLevel: 'none',
        certificationSource: null,
        certifiedAttributes: [],
        failingEmail: false,
        createdAt: T0,
        givenName: 'Camille',
        familyName: 'Martin',
        phone,
      }),
    );
  }

  async function signedIn(email: string): Promise<Browser> {
    const browser = new Browser(identity.url);
    const { csrf } = await browser.page('/compte/connexion');
    const response = await browser.post('/compte/connexion', { _csrf: csrf, email, password: PASSWORD });
    expect(response.headers.get('location')).toBe('/compte');
    return browser;
  }

  /** Ticks (or unticks) the box on « Mon compte » and saves the choice. */
  async function chooseSms(browser: Browser, consent: boolean): Promise<Response> {
    const { csrf } = await browser.page('/compte');
    return browser.post('/compte/sms', consent ? { _csrf: csrf, smsConsent: 'oui' } : { _csrf: csrf });
  }

  /** Submits a demand as the portal does for a logged-in citizen; returns it once its SMS job has run (sent or not). */
  async function submitAs(sub: string, mobile: string) {
    const { demand } = await engine.app
      .get(SubmitDemand)
      .execute(SubmitDemandCommand.create({ kind: 'citizen', sub }, { teleservice: { id: teleservice.id }, data: { nom: 'Camille', mobile } }));
    await until(() => worker.app.get(JobReceipts).has(`sms.send/demand/${demand.id}/1-ack/sms`), 'tâche SMS terminée');
    return demand;
  }
  const textsAbout = (trackingCode: string) => provider.messages.filter((m) => m.text.includes(trackingCode));
  /** The history's `sms_not_sent` events of a demand, as stored (agents' view). */
  const notSentEvents = (demandId: string): Promise<{ visibility: string; actor: unknown; payload: Record<string, unknown> }[]> =>
    db.query(`SELECT visibility, actor, payload FROM demand_event WHERE demand_id = $1 AND kind = 'sms_not_sent' ORDER BY id`, [demandId]);
  const smsJobKey = (demandId: string) => `sms.send/demand/${demandId}/1-ack/sms`;

  beforeAll(async () => {
    provider = await startSmsProviderDouble();
    engine = await startTestApp(engineApp);
    seed = await seedEngine(engine.app.get(DataSource));
    identity = await startTestApp(identityApp, { database: engine.database });
    worker = await startTestApp(workerApp, {
      database: engine.database,
      env: { SMS_PROVIDER_URL: provider.url, SMS_PROVIDER_TOKEN: provider.token, SMS_SENDER: 'Parvis', OUTBOX_POLL_MS: '50' },
    });
    db = worker.app.get(DataSource);
    config = identity.app.get<AppConfig>(APP_CONFIG);
    // Parvis' own portal as a client of the territorial account (its redirect URI's host is its pairwise sector).
    await identity.app.get(ClientService).create({
      clientId: config.webApps.portal.oidcClientId,
      name: 'Guichet numérique',
      redirectUris: [PORTAL_CALLBACK],
      allowedScopes: ['openid', 'profile', 'email', 'phone'],
      consentRequired: false,
    });
    const [{ id: instanceId }] = await db.query<{ id: string }[]>(`SELECT instance_id AS id FROM teleservice WHERE id = $1`, [seed.simple.id]);
    teleservice = await new TeleserviceRepository(db.manager).create({
      instanceId,
      collectivityId: seed.metropolisId,
      slug: 'suivi-par-sms',
      kind: 'metropolitan',
      title: 'Suivi par SMS',
      summary: 'Accusé de réception par SMS',
      anonymousAllowed: false,
      now: T0,
    });
    await seed.publish(teleservice, FORM, WORKFLOW);
  });
  afterAll(async () => {
    await worker?.close();
    await identity?.close();
    await engine?.close();
    await provider?.close();
  });

  it('texts the mobile number of the profile, not the form’s, once the citizen ticked « Recevoir les SMS de suivi de mes démarches »', async () => {
    const account = await createAccount('alix.sms@example.org', '06 11 22 33 44');
    const browser = await signedIn('alix.sms@example.org');
    const before = await browser.page('/compte');
    expect(before.html).toContain('<label for="sms-consent">Recevoir les SMS de suivi de mes démarches</label>');
    expect(before.html).toMatch(/<input id="sms-consent" name="smsConsent" type="checkbox" value="oui" aria-describedby/); // unticked by default

    const saved = await chooseSms(browser, true);
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/compte?sms=1');
    const after = await browser.page('/compte?sms=1');
    expect(after.html).toContain('Votre choix pour les SMS de suivi est enregistré.');
    expect(after.html).toMatch(/<input id="sms-consent" name="smsConsent" type="checkbox" value="oui" checked/);
    const stored = await db.getRepository(Account).findOneByOrFail({ id: account.id });
    expect(stored.smsConsent).toBe(true);
    expect(stored.smsConsentAt).toBeInstanceOf(Date);
    // The choice is part of the person's data export (RGPD portability).
    const exported = (await (await browser.request('/compte/donnees/export')).json()) as Record<string, unknown>;
    expect(exported.sms_de_suivi).toEqual({ accepte: true, choix_fait_le: stored.smsConsentAt!.toISOString() });

    const demand = await submitAs(portalSub(account.id), '07 99 99 99 99');
    expect(textsAbout(demand.trackingCode)).toEqual([
      expect.objectContaining({ to: '+33611223344', from: 'Parvis', text: `Métropole de Lyon : Votre demande ${demand.trackingCode} est reçue` }),
    ]);
    const events = await db.query(`SELECT kind FROM demand_event WHERE demand_id = $1`, [demand.id]);
    expect(events.map((e: { kind: string }) => e.kind)).not.toContain('effect_deferred');
    expect(events.map((e: { kind: string }) => e.kind)).not.toContain('sms_not_sent');
  });

  it('sends nothing to a citizen who never ticked the box, even with a mobile in the profile and in the form', async () => {
    const account = await createAccount('bastien.sms@example.org', '06 55 44 33 22');
    const demand = await submitAs(portalSub(account.id), '06 55 44 33 22');
    expect(textsAbout(demand.trackingCode)).toEqual([]);
    // Agents see why in the demand's history: one internal event, the reason in French, no phone number.
    const [notSent, ...more] = await notSentEvents(demand.id);
    expect(more).toEqual([]);
    expect(notSent).toEqual({
      visibility: 'internal',
      actor: { type: 'system', name: 'notifications' },
      payload: { jobKey: smsJobKey(demand.id), refusal: 'no_link', text: 'SMS non envoyé : aucun choix SMS enregistré pour ce compte.' },
    });
    expect(JSON.stringify(notSent)).not.toMatch(/06 ?55|\+33655/);
    // The same after an explicit « no » (the box left unticked and saved).
    expect((await chooseSms(await signedIn('bastien.sms@example.org'), false)).status).toBe(303);
    const again = await submitAs(portalSub(account.id), '06 55 44 33 22');
    expect(textsAbout(again.trackingCode)).toEqual([]);
    expect((await notSentEvents(again.id)).map((e) => e.payload.text)).toEqual(['SMS non envoyé : l’usager n’a pas accepté les SMS de suivi, ou a retiré son accord.']);
    expect(provider.messages.some((m) => m.to === '+33655443322')).toBe(false);
  });

  it('stops every later SMS once the citizen unticks the box, and texts again after a new consent', async () => {
    const account = await createAccount('chloe.sms@example.org', '+33 7 12 34 56 78');
    const browser = await signedIn('chloe.sms@example.org');
    await chooseSms(browser, true);
    const first = await submitAs(portalSub(account.id), '');
    expect(textsAbout(first.trackingCode)).toEqual([expect.objectContaining({ to: '+33712345678' })]);

    expect((await chooseSms(browser, false)).status).toBe(303);
    expect((await db.getRepository(Account).findOneByOrFail({ id: account.id })).smsConsent).toBe(false);
    const second = await submitAs(portalSub(account.id), '');
    expect(textsAbout(second.trackingCode)).toEqual([]);

    await chooseSms(browser, true);
    const third = await submitAs(portalSub(account.id), '');
    expect(textsAbout(third.trackingCode)).toEqual([expect.objectContaining({ to: '+33712345678' })]);
    expect(provider.messages.filter((m) => m.to === '+33712345678')).toHaveLength(2);
  });

  it('reads the choice when the SMS is due, not when it was decided: an SMS waiting in the queue is not sent after a withdrawal', async () => {
    const account = await createAccount('farid.sms@example.org', '06 21 22 23 24');
    const browser = await signedIn('farid.sms@example.org');
    await chooseSms(browser, true);
    const queue = worker.app.get(QueueRegistry).queue('notifications');
    await queue.pause();
    try {
      const { demand } = await engine.app
        .get(SubmitDemand)
        .execute(SubmitDemandCommand.create({ kind: 'citizen', sub: portalSub(account.id) }, { teleservice: { id: teleservice.id }, data: { nom: 'Farid' } }));
      const jobId = `sms.send/demand/${demand.id}/1-ack/sms`;
      await until(async () => (await queue.getJob(jobId)) !== undefined, 'SMS en file d’attente');
      expect((await chooseSms(browser, false)).status).toBe(303);
      await queue.resume();
      await until(() => worker.app.get(JobReceipts).has(jobId), 'tâche SMS terminée');
      expect(textsAbout(demand.trackingCode)).toEqual([]);
      expect(provider.messages.some((m) => m.to === '+33621222324')).toBe(false);
    } finally {
      await queue.resume();
    }
  });

  it('refuses the choice without a mobile number in the profile: 422, the message linked to the box, nothing stored', async () => {
    const account = await createAccount('dan.sms@example.org', '04 72 00 00 00');
    const browser = await signedIn('dan.sms@example.org');
    const refused = await chooseSms(browser, true);
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('href="#sms-consent"');
    expect(html).toContain('id="sms-consent-erreur"');
    expect(html).toContain('Pour recevoir les SMS de suivi, indiquez d’abord un numéro de mobile (06 ou 07)');
    expect(html).toMatch(/aria-describedby="sms-consent-aide sms-consent-erreur" aria-invalid="true"/);
    expect((await db.getRepository(Account).findOneByOrFail({ id: account.id })).smsConsent).toBe(false);
    expect(await db.query(`SELECT 1 FROM citizen_sms_subject WHERE account_id = $1`, [account.id])).toEqual([]);
    // Without the CSRF token: refused before anything.
    expect((await browser.post('/compte/sms', { smsConsent: 'oui' })).status).toBe(403);
  });

  it('forgets the link with the account: a deleted account gets no SMS', async () => {
    const account = await createAccount('eve.sms@example.org', '06 01 02 03 04');
    await chooseSms(await signedIn('eve.sms@example.org'), true);
    await db.query(`DELETE FROM "identity"."account" WHERE id = $1`, [account.id]);
    expect(await db.query(`SELECT 1 FROM citizen_sms_subject WHERE account_id = $1`, [account.id])).toEqual([]);
    const demand = await submitAs(portalSub(account.id), '06 01 02 03 04');
    expect(textsAbout(demand.trackingCode)).toEqual([]);
    expect((await notSentEvents(demand.id)).map((e) => e.payload.refusal)).toEqual(['no_link']);
  });

  it('records an SMS not sent once in the agents’ history, even when the job is replayed, and never shows it to the citizen', async () => {
    const account = await createAccount('gael.sms@example.org', null);
    await chooseSms(await signedIn('gael.sms@example.org'), false);
    const sub = portalSub(account.id);
    const demand = await submitAs(sub, '');
    expect(await notSentEvents(demand.id)).toHaveLength(1);

    // The same job run again (a retry after a lost acknowledgement, a manual replay): same key, nothing more.
    const context = { job: 'sms.send' as const, key: smsJobKey(demand.id), attempt: 2, maxAttempts: 5, correlationId: 'test', logger: createLogger({ level: 'silent', app: 'worker' }) };
    const job = worker.app.get(SendSmsJob);
    await job.handle({ accountSub: sub, text: 'Métropole de Lyon : relance', demandId: demand.id }, context);
    await job.handle({ accountSub: sub, text: 'Métropole de Lyon : relance', demandId: demand.id }, { ...context, attempt: 3 });
    expect(await notSentEvents(demand.id)).toHaveLength(1);
    expect(textsAbout(demand.trackingCode)).toEqual([]);
    // A job queued before the payload named its demand still runs, and records nothing.
    await job.handle({ accountSub: sub, text: 'Ancien format' }, { ...context, key: 'sms.send/ancien' });
    expect(await notSentEvents(demand.id)).toHaveLength(1);

    // The citizen's view of the demand (the portal's query, row-level security of a citizen) does not show it.
    const queries = engine.app.get(DemandQueries);
    const seen = await queries.get({ kind: 'citizen', sub }, demand.id);
    expect(seen.history.length).toBeGreaterThan(0);
    expect(seen.history.map((e) => e.kind)).not.toContain('sms_not_sent');
    // An agent of the collectivity sees it.
    const agent = await queries.get(
      { kind: 'agent', sub: 'agent-sms', collectivityIds: [seed.metropolisId], functions: ['receiver'], permissions: ['demands:read'] },
      demand.id,
    );
    expect(agent.history.filter((e) => e.kind === 'sms_not_sent').map((e) => e.visibility)).toEqual(['internal']);
  });
});
