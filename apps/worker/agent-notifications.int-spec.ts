import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createLogger, DomainError, ManualClock } from '#core';
import { AgentDigestJob, AgentNotificationPreferences } from '#notifications';
import { OutboxService, QueueRegistry, type JobEnvelope } from '#queue';
import { collectivity, startSmtpSink, startTestApp, type SmtpSink, type TestApp } from '#testing';
import { workerApp } from './worker.app.js';

async function until<T>(probe: () => Promise<T | undefined | null | false> | T, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(25);
  }
}

const T0 = new Date('2026-03-10T05:00:00.000Z'); // 6 h in Paris
const DAY = 24 * 3_600_000;

/**
 * Agents' notifications in the worker: `agents.notify` (a workflow's notify_agents) by preference — a mail now,
 * or a line of the daily digest — and `schedule.agent-digest`, one mail per agent and day. Real PostgreSQL, Redis, SMTP.
 */
describe('agents’ notifications: instant mails, daily digests, preferences, failing addresses', () => {
  let sink: SmtpSink;
  let app: TestApp;
  let db: DataSource;
  let givorsId: string;
  const clock = new ManualClock(T0);
  const context = { job: 'schedule.agent-digest' as const, key: 'test', attempt: 1, maxAttempts: 1, correlationId: 'test', logger: createLogger({ level: 'silent', app: 'worker' }) };

  const grant = (sub: string, email: string, functions: string[]) =>
    db.query(
      `INSERT INTO agent_role (account_sub, account_email, collectivity_id, role, functions, created_at) VALUES ($1, $2, $3, 'agent', $4, $5)`,
      [sub, email, givorsId, functions, T0],
    );
  const notify = (demandId: string, subject: string) =>
    db.transaction((manager) =>
      app.app.get(OutboxService).add(
        manager,
        'agents.notify',
        { demandId, collectivityId: givorsId, collectivityName: 'Givors', function: 'receiver', subject, text: 'Une demande attend votre prise en charge.' },
        { key: `demand/${demandId}/1-alert/agents` },
      ),
    );
  const mailsTo = (address: string) => sink.messages.filter((m) => m.to.includes(address));

  beforeAll(async () => {
    sink = await startSmtpSink();
    app = await startTestApp(workerApp, { clock, env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50', BACKOFFICE_PUBLIC_URL: 'https://agents.parvis.test' } });
    db = app.app.get(DataSource);
    givorsId = (await collectivity(db, '69091')).id;
    await grant('sub-alix', 'alix@givors.test', ['receiver']);
    await grant('sub-bea', 'bea@givors.test', ['receiver', 'desk']);
    await grant('sub-chloe', 'chloe@givors.test', ['desk']);
    await grant('sub-dan', 'dan@givors.test', ['receiver']);
    await grant('sub-eve', 'eve@givors.test', []); // a role without functions holds them all (as in the back office)
    // Dan's address bounced for good earlier: his account is marked failing.
    await db.query(`INSERT INTO identity.account (email, certification_level, certified_attributes, failing_email) VALUES ('dan@givors.test', 'none', '{}', true)`);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.close();
  });

  it('stores each agent’s preference: instant by default, a daily digest when chosen, anything else refused', async () => {
    const preferences = app.app.get(AgentNotificationPreferences);
    expect(await preferences.get('sub-bea')).toBe('instant');
    expect(await preferences.set('sub-bea', 'daily_digest')).toBe('daily_digest');
    expect(await preferences.get('sub-bea')).toBe('daily_digest');
    const refused = await preferences.set('sub-bea', 'weekly').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).fields).toEqual([{ path: 'mode', code: 'AGENT_PREFERENCE_INVALID', message: 'Choix invalide.' }]);
    expect(await preferences.get('sub-bea')).toBe('daily_digest');
  });

  it('mails at once the agents holding the function who want it, records a digest line for the others, skips a failing address', async () => {
    const demandId = randomUUID();
    await notify(demandId, 'Nouvelle demande ABCD2345EF');
    const mail = await sink.waitFor((m) => m.to.includes('alix@givors.test'));
    expect(mail.subject).toBe('Nouvelle demande ABCD2345EF');
    expect(mail.text).toContain(`Ouvrir la demande : https://agents.parvis.test/demandes/${demandId}`);
    expect(mail.headers['list-unsubscribe']).toBe('<https://agents.parvis.test/preferences/notifications>');
    await until(async () => (await db.query(`SELECT 1 FROM agent_digest_item WHERE demand_id = $1`, [demandId])).length === 1, 'ligne du récapitulatif');
    // A replay of the same step writes nothing twice.
    await notify(demandId, 'Nouvelle demande ABCD2345EF');
    await sleep(400);
    expect(mailsTo('alix@givors.test')).toHaveLength(1);
    expect(mailsTo('bea@givors.test')).toHaveLength(0); // digest
    expect(mailsTo('chloe@givors.test')).toHaveLength(0); // another function
    expect(mailsTo('dan@givors.test')).toHaveLength(0); // failing address, skipped
    expect(mailsTo('eve@givors.test')).toHaveLength(1);
    expect(await db.query(`SELECT account_sub, title, link FROM agent_digest_item WHERE demand_id = $1`, [demandId])).toEqual([
      { account_sub: 'sub-bea', title: 'Nouvelle demande ABCD2345EF', link: `https://agents.parvis.test/demandes/${demandId}` },
    ]);
  });

  it('sends each digest agent one mail a day listing the day’s lines, whatever the runs; later lines wait for the next day', async () => {
    const second = randomUUID();
    await notify(second, 'Nouvelle demande GHJK6789MN');
    await until(async () => (await db.query(`SELECT 1 FROM agent_digest_item WHERE demand_id = $1`, [second])).length === 1, 'deuxième ligne');

    // The scheduler's run (added as the job scheduler would, with its run id).
    const envelope: JobEnvelope = { payload: {}, correlationId: null, outboxId: null };
    await app.app.get(QueueRegistry).queue('scheduled').add('schedule.agent-digest', envelope, { jobId: `repeat:agent-digest:${T0.getTime()}` });
    const digest = await sink.waitFor((m) => m.to.includes('bea@givors.test'));
    expect(digest.subject).toBe('Récapitulatif du 10/03/2026 : 2 notifications');
    expect(digest.text).toContain('- Givors — Nouvelle demande ABCD2345EF');
    expect(digest.text).toContain('- Givors — Nouvelle demande GHJK6789MN');
    expect(digest.html).toContain(`<a href="https://agents.parvis.test/demandes/${second}">Nouvelle demande GHJK6789MN</a>`);

    // Another run the same day (a second worker, a retry), even with a new line: no second digest today.
    const third = randomUUID();
    await notify(third, 'Nouvelle demande PQRS2345TU');
    await until(async () => (await db.query(`SELECT 1 FROM agent_digest_item WHERE demand_id = $1`, [third])).length === 1, 'troisième ligne');
    await app.app.get(AgentDigestJob).handle({}, context);
    await sleep(400);
    expect(mailsTo('bea@givors.test')).toHaveLength(1);

    clock.advance(DAY);
    await app.app.get(AgentDigestJob).handle({}, context);
    const next = await until(() => mailsTo('bea@givors.test')[1], 'récapitulatif du lendemain');
    expect(next.subject).toBe('Récapitulatif du 11/03/2026 : 1 notification');
    expect(next.text).toContain('Nouvelle demande PQRS2345TU');
    expect(next.text).not.toContain('ABCD2345EF');
    expect(await db.query(`SELECT count(*)::int AS n FROM agent_digest_item WHERE digested_at IS NULL`)).toEqual([{ n: 0 }]);
  });

  it('does not attempt a mail to an address already marked failing: failed at once with the reason', async () => {
    await db.transaction((manager) =>
      app.app.get(OutboxService).add(manager, 'mail.send', { to: 'DAN@givors.test', subject: 'Essai', text: 'Bonjour' }, { key: 'failing-1' }),
    );
    const queue = app.app.get(QueueRegistry).queue('notifications');
    await until(async () => (await (await queue.getJob('mail.send/failing-1'))?.getState()) === 'failed', 'tâche en échec');
    const job = await queue.getJob('mail.send/failing-1');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toBe('MAIL_ADDRESS_FAILING : Adresse marquée en échec après un refus définitif : courriel non tenté.');
    expect(mailsTo('dan@givors.test')).toHaveLength(0);
  });
});
