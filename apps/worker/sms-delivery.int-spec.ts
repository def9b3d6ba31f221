import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { SubmitDemand, SubmitDemandCommand } from '#demands';
import { JobReceipts, OutboxService, QueueMetrics, QueueRegistry } from '#queue';
import { TeleserviceRepository } from '#teleservices';
import { startSmsProviderDouble, startTestApp, type SmsProviderDouble, type TestApp } from '#testing';
import { engineApp } from '../engine/engine.app.js';
import { seedEngine, T0, type EngineSeed } from '../engine/engine-test-fixture.js';
import { workerApp } from './worker.app.js';

/**
 * A form whose `mobile` field is marked as the citizen's phone (phone_fr, prefilled from the profile's phone), with
 * the consent box `consentement_sms`: the way to SMS for a demand without account.
 */
const SMS_FORM = {
  schemaVersion: 1,
  title: 'Demande avec SMS',
  pages: [
    {
      id: 'p',
      title: 'Vos coordonnées',
      fields: [
        { id: 'nom', type: 'text', label: 'Nom', required: true },
        { id: 'mobile', type: 'text', label: 'Téléphone mobile', format: 'phone_fr', prefill: { from: 'profile', attribute: 'phone' } },
        { id: 'consentement_sms', type: 'checkbox', label: 'J’accepte de recevoir par SMS le suivi de ma demande' },
      ],
    },
  ],
};

const SMS_WORKFLOW = {
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

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(25);
  }
}

/** `sms.send` from the outbox to an SMS provider speaking the documented HTTP format (a real HTTP server). */
describe('sms.send through the HTTP provider: retried while it is busy, failed at once when refused, never sent twice', () => {
  let provider: SmsProviderDouble;
  let app: TestApp;
  let engine: TestApp;
  let seed: EngineSeed;
  let db: DataSource;

  const write = (key: string, to: string, text: string) =>
    db.transaction((manager) => app.app.get(OutboxService).add(manager, 'sms.send', { to, text }, { key }));
  const job = (key: string) => app.app.get(QueueRegistry).queue('notifications').getJob(`sms.send/${key}`);

  beforeAll(async () => {
    provider = await startSmsProviderDouble();
    engine = await startTestApp(engineApp);
    seed = await seedEngine(engine.app.get(DataSource));
    app = await startTestApp(workerApp, {
      database: engine.database,
      env: { SMS_PROVIDER_URL: provider.url, SMS_PROVIDER_TOKEN: provider.token, SMS_SENDER: 'Givors', OUTBOX_POLL_MS: '50' },
    });
    db = app.app.get(DataSource);
  });
  afterAll(async () => {
    await app?.close();
    await engine?.close();
    await provider?.close();
  });

  it('delivers once after the provider answered 503 twice (exponential backoff), and a replay sends nothing', async () => {
    provider.failNext(2, 503);
    await write('sms-reprise', '+33612345678', 'Givors : votre demande est acceptée.');
    await until(async () => (await (await job('sms-reprise'))?.getState()) === 'completed', 'SMS remis après deux refus temporaires');
    expect((await job('sms-reprise'))?.attemptsMade).toBe(3);
    expect(provider.requests.map((r) => r.status)).toEqual([503, 503, 202]);
    expect(provider.messages).toEqual([expect.objectContaining({ to: '+33612345678', from: 'Givors', text: 'Givors : votre demande est acceptée.' })]);
    expect(await app.app.get(JobReceipts).has('sms.send/sms-reprise')).toBe(true);
    expect(app.app.get(QueueMetrics).snapshot().retried['sms.send']).toBe(2);

    // The same row relayed again (a restored backup): the receipt stops it.
    await db.query(`UPDATE outbox_message SET relayed_at = NULL WHERE job_key = 'sms.send/sms-reprise'`);
    await app.app.get(QueueRegistry).queue('notifications').clean(0, 100, 'completed');
    await until(() => (app.app.get(QueueMetrics).snapshot().duplicates['sms.send'] ?? 0) === 1, 'rejeu reconnu');
    expect(provider.requests).toHaveLength(3);
  });

  it('fails a message the provider refuses (400) at once: one attempt, the error kept in the failed state, no receipt', async () => {
    provider.reset();
    provider.failNext(1, 400);
    await write('sms-refus', '+33712345678', 'Givors : message refusé');
    await until(async () => (await (await job('sms-refus'))?.getState()) === 'failed', 'SMS en échec définitif');
    const failed = await job('sms-refus');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toBe('SMS_REJECTED : Le fournisseur de SMS a refusé définitivement ce message (réponse 400).');
    expect(provider.requests).toHaveLength(1);
    expect(await app.app.get(JobReceipts).has('sms.send/sms-refus')).toBe(false);
    // Nothing personal in the failure.
    expect(failed?.failedReason).not.toContain('712345678');
  });

  it('texts a demand without account at a workflow step with the sms channel, at the number of the form’s marked phone field, only with its consent box ticked', async () => {
    provider.reset();
    const before = provider.messages.length;
    const [{ id: instanceId }] = await db.query<{ id: string }[]>(`SELECT instance_id AS id FROM teleservice WHERE id = $1`, [seed.simple.id]);
    const teleservice = await new TeleserviceRepository(db.manager).create({
      instanceId,
      collectivityId: seed.metropolisId,
      slug: 'demande-avec-sms',
      kind: 'metropolitan',
      title: 'Demande avec SMS',
      summary: 'Accusé de réception par SMS',
      anonymousAllowed: true,
      now: T0,
    });
    await seed.publish(teleservice, SMS_FORM, SMS_WORKFLOW);
    const submitted = await engine.app
      .get(SubmitDemand)
      .execute(SubmitDemandCommand.create({ kind: 'anonymous' }, { teleservice, data: { nom: 'Alix', mobile: '06 98 76 54 32', consentement_sms: true } }));
    await provider.waitForCount(before + 1);
    expect(provider.messages.at(-1)).toMatchObject({ to: '+33698765432', from: 'Givors', text: `Métropole de Lyon : Votre demande ${submitted.demand.trackingCode} est reçue` });
    const events = await db.query(`SELECT kind FROM demand_event WHERE demand_id = $1 ORDER BY id`, [submitted.demand.id]);
    expect(events.map((e: { kind: string }) => e.kind)).not.toContain('effect_deferred');

    // The box unticked: no SMS job, the effect deferred with its reason in the internal history.
    const unticked = await engine.app
      .get(SubmitDemand)
      .execute(SubmitDemandCommand.create({ kind: 'anonymous' }, { teleservice, data: { nom: 'Bo', mobile: '06 98 76 54 33', consentement_sms: false } }));
    const deferred = await db.query(`SELECT payload FROM demand_event WHERE demand_id = $1 AND kind = 'effect_deferred'`, [unticked.demand.id]);
    expect(deferred).toEqual([{ payload: expect.objectContaining({ channel: 'sms', reason: expect.stringMatching(/^Pas de numéro de mobile/) }) }]);
    expect(await db.query(`SELECT 1 FROM outbox_message WHERE job_key = $1`, [`sms.send/demand/${unticked.demand.id}/1-ack/sms`])).toEqual([]);
  });
});
