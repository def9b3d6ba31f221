import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { currentCorrelationId, DomainError, ManualClock, runWithCorrelation } from '#core';
import { createRedis, type HttpAppSpec } from '#platform';
import {
  idleHandlerClasses,
  JOB_PAYLOAD_INVALID,
  JobReceipts,
  OutboxRelay,
  OutboxService,
  QueueRegistry,
  QueueWorkerModule,
  RECEIPT_RETENTION_MS,
  OUTBOX_RETENTION_MS,
  type JobContext,
  type JobHandler,
  type JobPayload,
} from '#queue';
import { startTestApp, type TestApp } from '#testing';

interface Call {
  key: string;
  subject: string;
  correlationId: string | undefined;
  context: JobContext<'mail.send'>;
}
const calls: Call[] = [];

/** Stands for the real mail handler: records what it is given. */
@Injectable()
class RecordingMailJob implements JobHandler<'mail.send'> {
  readonly job = 'mail.send';
  async handle(payload: JobPayload<'mail.send'>, context: JobContext<'mail.send'>) {
    calls.push({ key: context.key, subject: payload.subject, correlationId: currentCorrelationId(), context });
  }
}


const spec: HttpAppSpec = {
  app: 'worker',
  module: QueueWorkerModule.forRoot({
    handlers: [RecordingMailJob, ...idleHandlerClasses(['mail.send'])],
    connect: ({ config, logger, name }) => createRedis(config.redis.url, logger, name, { forQueues: true }),
  }),
};

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(20);
  }
}

const mail = (subject: string) => ({ to: 'usager@example.org', subject, text: 'Bonjour' });

describe('outbox → relay → BullMQ → handler (PostgreSQL and Redis)', () => {
  let app: TestApp;
  let dataSource: DataSource;
  let outbox: OutboxService;
  let relay: OutboxRelay;
  let clock: ManualClock;

  const callsFor = (key: string) => calls.filter((c) => c.key === `mail.send/${key}`);
  const row = async (key: string) =>
    (
      await dataSource.query<{ relayed_at: Date | null; attempts: number; last_error: string | null; correlation_id: string | null; available_at: Date }[]>(
        `SELECT relayed_at, attempts, last_error, correlation_id, available_at FROM outbox_message WHERE job_key = $1`,
        [key],
      )
    )[0];
  const write = (key: string, subject = key, options: { delayMs?: number } = {}) =>
    dataSource.transaction((manager) => outbox.add(manager, 'mail.send', mail(subject), { key, ...options }));

  beforeAll(async () => {
    app = await startTestApp(spec, { env: { OUTBOX_POLL_MS: '50' } });
    dataSource = app.app.get(DataSource);
    outbox = app.app.get(OutboxService);
    relay = app.app.get(OutboxRelay);
    clock = app.clock as ManualClock;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('never relays nor runs a job whose transaction was rolled back', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await outbox.add(manager, 'mail.send', mail('annulé'), { key: 'rollback-1' });
        throw new Error('transaction annulée');
      }),
    ).rejects.toThrow('transaction annulée');
    // A committed row written after it is delivered: the relay has run; give it several more ticks.
    await write('after-rollback-1');
    await until(() => callsFor('after-rollback-1').length === 1, 'la ligne validée est traitée');
    await sleep(300);
    expect(callsFor('rollback-1')).toHaveLength(0);
    expect(await row('mail.send/rollback-1')).toBeUndefined();
    expect(await app.app.get(QueueRegistry).queue('notifications').getJob('mail.send/rollback-1')).toBeUndefined();
  });

  it('carries the correlation id of the writing request to the handler', async () => {
    const result = await runWithCorrelation('requete-correlee-0001', () => write('correlated-1'));
    expect(result).toEqual({ jobKey: 'mail.send/correlated-1', created: true });
    expect((await row('mail.send/correlated-1'))?.correlation_id).toBe('requete-correlee-0001');
    await until(() => callsFor('correlated-1').length === 1, 'la tâche corrélée est traitée');
    const [call] = callsFor('correlated-1');
    expect(call!.correlationId).toBe('requete-correlee-0001');
    expect(call!.context).toMatchObject({ correlationId: 'requete-correlee-0001', attempt: 1, key: 'mail.send/correlated-1' });
  });

  it('writes one job for one idempotency key: a second write with the same key is ignored', async () => {
    expect((await write('same-key-1', 'premier')).created).toBe(true);
    expect((await write('same-key-1', 'second')).created).toBe(false);
    await until(() => callsFor('same-key-1').length === 1, 'la tâche est traitée');
    await sleep(200);
    expect(callsFor('same-key-1').map((c) => c.subject)).toEqual(['premier']);
    expect(await app.app.get(JobReceipts).has('mail.send/same-key-1')).toBe(true);
  });

  it('holds a delayed job in PostgreSQL until the clock reaches it', async () => {
    await write('delayed-1', 'différé', { delayMs: 60_000 });
    await sleep(300);
    expect(callsFor('delayed-1')).toHaveLength(0);
    expect((await row('mail.send/delayed-1'))?.relayed_at).toBeNull();
    clock.advance(60_000);
    await until(() => callsFor('delayed-1').length === 1, 'la tâche différée part une fois son heure venue');
  });

  it('refuses an invalid payload or key with a clear error and stores nothing; refuses to write outside a transaction', async () => {
    const invalid = await dataSource
      .transaction((manager) => outbox.add(manager, 'mail.send', { to: 'pas-une-adresse', subject: 'a\nb', text: 'x' }, { key: 'invalid-1' }))
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(DomainError);
    expect((invalid as DomainError).code).toBe(JOB_PAYLOAD_INVALID);
    expect((invalid as DomainError).fields?.map((f) => f.path).sort()).toEqual(['payload.subject', 'payload.to']);
    const badKey = await dataSource.transaction((manager) => outbox.add(manager, 'mail.send', mail('x'), { key: 'a:b' })).catch((e: unknown) => e);
    expect((badKey as DomainError).code).toBe('JOB_KEY_INVALID');
    await expect(outbox.add(dataSource.manager, 'mail.send', mail('x'), { key: 'no-tx' })).rejects.toThrow('transaction ouverte');
    expect(await dataSource.query(`SELECT 1 FROM outbox_message WHERE job_key IN ('mail.send/invalid-1', 'mail.send/no-tx')`)).toEqual([]);
  });

  it('sets aside a row of a job this version does not know (error recorded, backed off) and relays the others', async () => {
    await dataSource.query(
      `INSERT INTO outbox_message (job_name, payload, job_key, created_at, available_at) VALUES ('ancienne.tache', '{}', 'ancienne.tache/1', $1, $1)`,
      [clock.now()],
    );
    await write('after-unknown-1');
    await until(() => callsFor('after-unknown-1').length === 1, 'la ligne connue est relayée');
    await until(async () => ((await row('ancienne.tache/1'))?.attempts ?? 0) >= 1, 'la ligne inconnue est mise de côté');
    const unknown = await row('ancienne.tache/1');
    expect(unknown?.relayed_at).toBeNull();
    expect(unknown?.last_error).toBe('tâche inconnue du catalogue de cette version');
    expect(unknown!.available_at.getTime()).toBeGreaterThan(clock.now().getTime());
    await dataSource.query(`DELETE FROM outbox_message WHERE job_key = 'ancienne.tache/1'`);
  });

  it('wakes on the PostgreSQL notification of an insert instead of waiting for its next poll', async () => {
    await relay.stop();
    const listening = new OutboxRelay(relay.deps, { pollMs: 60_000, batchSize: 10, listen: true, purgeEveryMs: 0 });
    try {
      listening.start();
      await until(() => listening.isListening, "l'écoute des notifications est en place");
      await sleep(100); // the first tick (at start) is over: only a notification can wake the relay now
      await write('notified-1');
      await until(() => callsFor('notified-1').length === 1, 'la notification réveille le relais', 5_000);
    } finally {
      await listening.stop();
      relay.start();
    }
    expect(listening.isListening).toBe(false);
  });

  it('keeps relaying by polling when it cannot LISTEN, and still stops promptly', async () => {
    await relay.stop();
    const deaf = new OutboxRelay({ ...relay.deps, databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere' }, { pollMs: 50, batchSize: 10, purgeEveryMs: 0 });
    try {
      deaf.start();
      await write('unheard-1');
      await until(() => callsFor('unheard-1').length === 1, 'la scrutation relaie sans notifications');
      expect(deaf.isListening).toBe(false);
      const stopping = Date.now();
      await deaf.stop();
      expect(Date.now() - stopping).toBeLessThan(3_000);
    } finally {
      await deaf.stop();
      relay.start();
    }
  });

  it('purges relayed rows and receipts past their retention, keeps the recent ones and the pending ones', async () => {
    const now = clock.now().getTime();
    const old = new Date(now - OUTBOX_RETENTION_MS - 60_000);
    const recent = new Date(now - 60_000);
    await dataSource.query(
      `INSERT INTO outbox_message (job_name, payload, job_key, created_at, available_at, relayed_at)
       VALUES ('mail.send', '{}', 'mail.send/purge-old', $1, $1, $1), ('mail.send', '{}', 'mail.send/purge-recent', $2, $2, $2)`,
      [old, recent],
    );
    await dataSource.query(
      `INSERT INTO job_receipt (job_key, job_name, completed_at) VALUES ('mail.send/receipt-old', 'mail.send', $1), ('mail.send/receipt-recent', 'mail.send', $2)`,
      [new Date(now - RECEIPT_RETENTION_MS - 60_000), recent],
    );
    const purged = await relay.purge();
    expect(purged.messages).toBeGreaterThanOrEqual(1);
    expect(purged.receipts).toBeGreaterThanOrEqual(1);
    const keys = (await dataSource.query<{ job_key: string }[]>(`SELECT job_key FROM outbox_message UNION ALL SELECT job_key FROM job_receipt`)).map(
      (r) => r.job_key,
    );
    expect(keys).toEqual(expect.arrayContaining(['mail.send/purge-recent', 'mail.send/receipt-recent']));
    expect(keys).not.toContain('mail.send/purge-old');
    expect(keys).not.toContain('mail.send/receipt-old');
  });
});
