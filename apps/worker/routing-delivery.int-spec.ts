import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createLogger, ManualClock } from '#core';
import { agentScope, citizenScope, DeliverDemandJob, RouteDemandJob, SubmitDemand, SubmitDemandCommand, withTenant } from '#demands';
import { OutboxService, QueueRegistry } from '#queue';
import { TeleserviceRepository, type Teleservice } from '#teleservices';
import { collectivity, givenInstance, givenMembership, startSmtpSink, startTestApp, type SmtpSink, type TestApp } from '#testing';
import { engineApp } from '../engine/engine.app.js';
import { seedEngine, T0, TEST_WORKFLOW, type EngineSeed } from '../engine/engine-test-fixture.js';
import { workerApp } from './worker.app.js';

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(50);
  }
}

/** A mutualised request whose competent commune is an explicit `commune` field. */
const COMMUNE_FORM = {
  schemaVersion: 1,
  title: 'Demande à la commune',
  pages: [
    {
      id: 'p',
      title: 'Votre demande',
      fields: [
        { id: 'commune', type: 'commune', label: 'Commune concernée', required: true },
        { id: 'objet', type: 'text', label: 'Objet de la demande', required: true, maxLength: 200 },
        { id: 'courriel', type: 'email', label: 'Courriel', required: true, personalData: true },
      ],
    },
  ],
};

/**
 * Delivery after routing and the first notification channels, end to end: the engine app submits, the worker
 * app (relay, BullMQ, real handlers) routes, delivers and sends to a real SMTP server; PostgreSQL and Redis real.
 */
describe('routing delivery and notifications in the worker (PostgreSQL, Redis, SMTP)', () => {
  let engine: TestApp;
  let worker: TestApp;
  let db: DataSource;
  let seed: EngineSeed;
  let sink: SmtpSink;
  let storageDir: string;
  let mutualised: Teleservice;
  const clock = new ManualClock(T0);
  const context = <J extends 'demand.route' | 'demand.deliver'>(job: J) => ({
    job,
    key: 'replay',
    attempt: 1,
    maxAttempts: 1,
    correlationId: 'test',
    logger: createLogger({ level: 'silent', app: 'worker' }),
  });

  const submit = async (sub: string, teleservice: { id: string }, data: Record<string, unknown>) =>
    (await engine.app.get(SubmitDemand).execute(SubmitDemandCommand.create({ kind: 'citizen', sub }, { teleservice, data }))).demand.id;
  const toCommune = (insee: string, sub = 'citoyen-routage') => submit(sub, mutualised, { commune: insee, objet: 'Élagage d’un arbre', courriel: 'usager@example.org' });
  const eventsOf = (id: string): Promise<{ kind: string; visibility: string; collectivity_id: string; payload: Record<string, unknown> }[]> =>
    db.query(`SELECT kind, visibility, collectivity_id, payload FROM demand_event WHERE demand_id = $1 ORDER BY id`, [id]);
  const eventOf = (id: string, kind: string) => until(async () => (await eventsOf(id)).find((e) => e.kind === kind), `événement ${kind}`);
  const outboxKeys = async (pattern: string) =>
    (await db.query<{ job_key: string }[]>(`SELECT job_key FROM outbox_message WHERE job_key LIKE $1 ORDER BY job_key`, [pattern])).map((r) => r.job_key);

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-delivery-'));
    sink = await startSmtpSink();
    engine = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = engine.app.get(DataSource);
    seed = await seedEngine(db);
    const [{ id: instanceId }] = await db.query<{ id: string }[]>(`SELECT instance_id AS id FROM teleservice WHERE id = $1`, [seed.simple.id]);
    mutualised = await new TeleserviceRepository(db.manager).create({
      instanceId,
      collectivityId: seed.metropolisId,
      slug: 'demande-a-la-commune',
      kind: 'mutualised',
      title: 'Demande d’intervention communale',
      summary: 'Transmise à la commune concernée',
      anonymousAllowed: false,
      routingRule: { by: 'commune', field: 'commune' },
      now: T0,
    });
    await seed.publish(mutualised, COMMUNE_FORM, TEST_WORKFLOW);
    worker = await startTestApp(workerApp, {
      database: engine.database,
      clock,
      env: { STORAGE_DIR: storageDir, OUTBOX_POLL_MS: '50', SMTP_URL: sink.url, BACKOFFICE_PUBLIC_URL: 'https://agents.parvis.test' },
    });
  });

  afterAll(async () => {
    await worker?.close();
    await engine?.close();
    await sink?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('relays a demand routed to a non-adhering commune by one mail with a readable summary, tells the citizen, and never twice', async () => {
    const ecully = await collectivity(db, '69081');
    await db.query(`UPDATE collectivity SET contact_email = 'mairie@ecully.test' WHERE id = $1`, [ecully.id]);
    const id = await toCommune('69081');

    const relayed = await eventOf(id, 'relayed_by_email');
    expect(relayed.visibility).toBe('citizen');
    expect(relayed.payload.text).toBe('Votre demande a été transmise par courriel à la commune d’Écully, qui la traitera.');
    expect(relayed.payload).toMatchObject({ collectivityId: ecully.id, decision: { outcome: 'routed', collectivity: { inseeCode: '69081' } } });
    // The commune has no GRU: the metropolis keeps the demand (its agents follow it through the mail's link).
    const [row] = await db.query(`SELECT collectivity_id, tracking_code FROM demand WHERE id = $1`, [id]);
    expect(row.collectivity_id).toBe(seed.metropolisId);

    const mail = await sink.waitFor((m) => m.to.includes('mairie@ecully.test'));
    expect(mail.subject).toBe(`Demande transmise : Demande d’intervention communale (n° ${row.tracking_code})`);
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain(row.tracking_code);
      expect(part).toContain('Objet de la demande');
      expect(part).toContain('Élagage d’un arbre');
      expect(part).toContain('Commune concernée');
      expect(part).toContain(`https://agents.parvis.test/demandes/${id}`);
      expect(part).toContain('Métropole de Lyon');
    }
    expect(mail.text).not.toContain('&#'); // the text part is not HTML-escaped
    expect(await outboxKeys(`mail.send/relay/${id}/%`)).toEqual([`mail.send/relay/${id}/${ecully.id}`]);

    // The same jobs replayed (a redelivered route job, a delivery job for the same demand): no second mail.
    await worker.app.get(RouteDemandJob).handle({ demandId: id }, context('demand.route'));
    await worker.app.get(DeliverDemandJob).handle({ demandId: id }, context('demand.deliver'));
    await sleep(500);
    expect(sink.messages.filter((m) => m.to.includes('mairie@ecully.test'))).toHaveLength(1);
    expect((await eventsOf(id)).filter((e) => e.kind === 'relayed_by_email')).toHaveLength(1);
    expect(await outboxKeys(`mail.send/relay/${id}/%`)).toHaveLength(1);
  });

  it('records a pending connector delivery with a snapshot for a Connecté commune', async () => {
    const { collectivityId } = await givenMembership(db, '69259', 'connecte');
    const id = await toCommune('69259');
    const delivery = await until(async () => (await db.query(`SELECT * FROM connector_delivery WHERE demand_id = $1`, [id]))[0], 'livraison au connecteur');
    expect(delivery).toMatchObject({ collectivity_id: collectivityId, status: 'pending' });
    expect(delivery.payload.demand).toMatchObject({ id, data: { commune: '69259', objet: 'Élagage d’un arbre' }, teleservice: { slug: 'demande-a-la-commune' } });
    const delivered = await eventOf(id, 'delivered');
    expect(delivered).toMatchObject({ visibility: 'internal', payload: { channel: 'connector', collectivityId } });
    await worker.app.get(DeliverDemandJob).handle({ demandId: id }, context('demand.deliver'));
    expect(await db.query(`SELECT count(*)::int AS n FROM connector_delivery WHERE demand_id = $1`, [id])).toEqual([{ n: 1 }]);
  });

  it('mails each agent of a Partenaire commune once about a new demand (routed, or made on the commune’s own téléservice)', async () => {
    const { collectivityId } = await givenMembership(db, '69266', 'partenaire');
    const grant = (sub: string, email: string | null, role = 'agent', revoked = false) =>
      db.query(
        `INSERT INTO agent_role (account_sub, account_email, collectivity_id, role, functions, created_at, revoked_at) VALUES ($1, $2, $3, $4, '{receiver}', $5, $6)`,
        [sub, email, collectivityId, role, T0, revoked ? T0 : null],
      );
    await grant('agent-1', 'agent1@villeurbanne.test');
    await grant('agent-1', 'agent1@villeurbanne.test', 'administrator'); // two roles, one person: one mail
    await grant('agent-2', 'agent2@villeurbanne.test');
    await grant('agent-3', 'agent3@villeurbanne.test', 'agent', true); // revoked
    await grant('agent-4', null); // no known address
    const agentMails = (trackingCode: string) => sink.messages.filter((m) => m.subject.includes(trackingCode) && m.to[0]!.endsWith('@villeurbanne.test'));

    const id = await toCommune('69266');
    const [{ tracking_code: code }] = await db.query(`SELECT tracking_code FROM demand WHERE id = $1`, [id]);
    await until(async () => agentMails(code).length >= 2, 'deux courriels aux agents');
    await worker.app.get(RouteDemandJob).handle({ demandId: id }, context('demand.route'));
    await worker.app.get(DeliverDemandJob).handle({ demandId: id }, context('demand.deliver'));
    await sleep(500);
    const mails = agentMails(code);
    expect(mails.map((m) => m.to[0]).sort()).toEqual(['agent1@villeurbanne.test', 'agent2@villeurbanne.test']);
    expect(mails[0]!.subject).toBe(`Nouvelle demande : Demande d’intervention communale (n° ${code})`);
    expect(mails[0]!.text).toContain(`https://agents.parvis.test/demandes/${id}`);
    expect(mails[0]!.headers['list-unsubscribe']).toBe('<https://agents.parvis.test/preferences/notifications>');
    expect((await outboxKeys(`mail.send/agent-new/${id}/%`)).length).toBe(2);
    expect(await eventOf(id, 'delivered')).toMatchObject({ visibility: 'internal', payload: { channel: 'gru', agentsNotified: 2 } });

    // A demand made directly on the commune's own téléservice is delivered the same way.
    const { instanceId } = await givenInstance(db, '69266');
    const own = await new TeleserviceRepository(db.manager).create({
      instanceId,
      collectivityId,
      slug: 'demande-villeurbanne',
      kind: 'communal',
      title: 'Demande à Villeurbanne',
      summary: 'Téléservice communal',
      anonymousAllowed: false,
      now: T0,
    });
    await seed.publish(own, COMMUNE_FORM, TEST_WORKFLOW);
    const direct = await submit('citoyen-villeurbanne', own, { commune: '69266', objet: 'Banc cassé', courriel: 'v@example.org' });
    const [{ tracking_code: directCode }] = await db.query(`SELECT tracking_code FROM demand WHERE id = $1`, [direct]);
    await until(async () => agentMails(directCode).length >= 2, 'deux courriels aux agents (téléservice communal)');
    await sleep(300);
    expect(agentMails(directCode)).toHaveLength(2);
  });

  it('tells each agent of a Partenaire commune by their preference: a mail now, a line of the daily digest, or nothing for a failing address', async () => {
    const { collectivityId } = await givenMembership(db, '69286', 'partenaire');
    const grant = async (sub: string, email: string) =>
      (
        await db.query(
          `INSERT INTO agent_role (account_sub, account_email, collectivity_id, role, functions, created_at) VALUES ($1, $2, $3, 'agent', '{receiver}', $4) RETURNING id`,
          [sub, email, collectivityId, T0],
        )
      )[0].id as string;
    await grant('rx-instant', 'instant@rillieux.test');
    await grant('rx-digest', 'recap@rillieux.test');
    const failingRole = await grant('rx-failing', 'rebond@rillieux.test');
    await db.query(`INSERT INTO agent_notification_preference (account_sub, mode, updated_at) VALUES ('rx-digest', 'daily_digest', $1)`, [T0]);
    await db.query(`INSERT INTO identity.account (email, certification_level, certified_attributes, failing_email) VALUES ('rebond@rillieux.test', 'none', '{}', true)`);

    const id = await toCommune('69286');
    const delivered = await eventOf(id, 'delivered');
    expect(delivered.payload).toMatchObject({
      channel: 'gru',
      agentsNotified: 2,
      agentsInDigest: 1,
      agentsSkipped: [{ roleId: failingRole, reason: 'adresse de l’agent en échec (courriel refusé définitivement) : envoi non tenté' }],
    });
    expect(delivered.payload.text).toMatch(/2 agent\(s\) prévenu\(s\) par courriel \(dont 1 par le récapitulatif quotidien\) ; 1 agent\(s\) non prévenu\(s\) : adresse de l’agent en échec/);
    const [{ tracking_code: code }] = await db.query(`SELECT tracking_code FROM demand WHERE id = $1`, [id]);
    await sink.waitFor((m) => m.to.includes('instant@rillieux.test') && m.subject.includes(code));
    expect(await db.query(`SELECT account_sub, title, link FROM agent_digest_item WHERE demand_id = $1`, [id])).toEqual([
      { account_sub: 'rx-digest', title: `Nouvelle demande : Demande d’intervention communale (n° ${code})`, link: `https://agents.parvis.test/demandes/${id}` },
    ]);
    await sleep(300);
    expect(sink.messages.filter((m) => m.to[0]!.endsWith('@rillieux.test'))).toHaveLength(1);
  });

  it('keeps a demand for a non-adhering commune without contact address with the metropolis, with an internal event', async () => {
    const id = await toCommune('69029');
    const blocked = await eventOf(id, 'delivery_blocked');
    expect(blocked.visibility).toBe('internal');
    expect(blocked.payload.text).toMatch(/^Adresse de contact manquante pour la commune de Bron/);
    expect(blocked.payload).toMatchObject({ decision: { outcome: 'routed', collectivity: { inseeCode: '69029' } } });
    const [row] = await db.query(`SELECT collectivity_id FROM demand WHERE id = $1`, [id]);
    expect(row.collectivity_id).toBe(seed.metropolisId);
    expect((await eventsOf(id)).map((e) => e.kind)).not.toContain('routed');
    await worker.app.get(RouteDemandJob).handle({ demandId: id }, context('demand.route'));
    expect((await eventsOf(id)).filter((e) => e.kind === 'delivery_blocked')).toHaveLength(1);
  });

  it('writes a portal notification for a notify_citizen portal effect, visible in that citizen’s scope only, with a branded mail', async () => {
    const id = await submit('citoyen-portail', seed.simple, { nom: 'Alix', courriel: 'alix@example.org', motif: 'bruit' });
    const row = await until(async () => (await db.query(`SELECT * FROM notification WHERE demand_id = $1`, [id]))[0], 'notification du portail');
    const [{ tracking_code: code }] = await db.query(`SELECT tracking_code FROM demand WHERE id = $1`, [id]);
    expect(row).toMatchObject({ account_sub: 'citoyen-portail', collectivity_id: seed.metropolisId, kind: 'demand.update', title: `Votre demande ${code} a bien été reçue`, read_at: null });
    expect(row.body).toContain('Métropole de Lyon a bien reçu votre demande.');
    expect((await eventsOf(id)).filter((e) => e.kind === 'effect_deferred')).toEqual([]);

    const seen = (scope: Parameters<typeof withTenant>[1]) => withTenant(db, scope, (m) => m.query(`SELECT id FROM notification WHERE demand_id = $1`, [id]));
    expect(await seen(citizenScope('citoyen-portail'))).toHaveLength(1);
    expect(await seen(citizenScope('quelqu-un-d-autre'))).toHaveLength(0);
    expect(await seen(agentScope([seed.metropolisId]))).toHaveLength(0);

    const mail = await sink.waitFor((m) => m.to.includes('alix@example.org'));
    expect(mail.text).toContain('Métropole de Lyon a bien reçu votre demande.');
    expect(mail.html).toContain('Métropole de Lyon');
    expect(mail.html).toMatch(/<p[^>]*>Métropole de Lyon<\/p>/);
  });

  it('marks the account’s address failing on a permanent SMTP rejection (550), without retrying', async () => {
    await db.query(
      `INSERT INTO identity.account (email, certification_level, certified_attributes) VALUES ('rebond@example.org', 'none', '{}')`,
    );
    sink.rejectRecipients.add('rebond@example.org');
    const id = await submit('citoyen-rebond', seed.simple, { nom: 'Rebond', courriel: 'rebond@example.org', motif: 'bruit' });
    await until(async () => (await db.query(`SELECT failing_email FROM identity.account WHERE email = 'rebond@example.org'`))[0].failing_email, 'adresse marquée en échec');
    const queue = worker.app.get(QueueRegistry).queue('notifications');
    const job = await until(async () => {
      const found = await queue.getJob(`mail.send/demand/${id}/1-ack/email`);
      return found && (await found.getState()) === 'failed' ? found : null;
    }, 'tâche en échec');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/refusé définitivement/);
    await sleep(500);
    expect(await job.getState()).toBe('failed');
    expect(sink.messages.filter((m) => m.to.includes('rebond@example.org'))).toEqual([]);
    // The same key written again is the same job: nothing is enqueued twice.
    const again = await db.transaction((m) =>
      worker.app.get(OutboxService).add(m, 'mail.send', { to: 'rebond@example.org', subject: 'x', text: 'x' }, { key: `demand/${id}/1-ack/email` }),
    );
    expect(again.created).toBe(false);
  });
});
