import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { JobReceipts, OutboxRelay, OutboxService, QueueMetrics, QueueRegistry, type OutboxRelayOptions } from '#queue';
import { startSmtpSink, startTcpProxy, startTestApp, type SmtpSink, type TcpProxy, type TestApp } from '#testing';
import { workerApp } from './worker.app.js';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await sleep(25);
  }
}

/**
 * The worker app as deployed (relay, BullMQ workers, the real `mail.send` handler over SMTP) against a real
 * SMTP server, reached through a TCP proxy that can go down. The app's own relay is stopped: each test drives
 * its relays (stopped mid-way, crashing, running two at once).
 */
describe('mail.send from the outbox to the SMTP server, exactly once', () => {
  let sink: SmtpSink;
  let smtpProxy: TcpProxy;
  let app: TestApp;
  let dataSource: DataSource;
  let outbox: OutboxService;
  let metrics: QueueMetrics;
  let deps: OutboxRelay['deps'];

  const relay = (options: Partial<OutboxRelayOptions> = {}) =>
    new OutboxRelay(deps, { pollMs: 20, batchSize: 4, listen: false, purgeEveryMs: 0, ...options });
  const queue = () => app.app.get(QueueRegistry).queue('notifications');
  const mailsOf = (batch: string) => sink.messages.filter((m) => m.subject.startsWith(`${batch} n°`));

  /** N mails, written in three transactions as three requests would. */
  async function writeMails(batch: string, count: number) {
    for (let start = 0; start < count; start += Math.ceil(count / 3)) {
      await dataSource.transaction(async (manager) => {
        for (let i = start; i < Math.min(count, start + Math.ceil(count / 3)); i++) {
          await outbox.add(
            manager,
            'mail.send',
            { to: `usager${i}@example.org`, subject: `${batch} n°${i}`, text: `Votre demande ${i} est bien reçue.` },
            { key: `${batch}-${i}` },
          );
        }
      });
    }
  }

  const pending = async (batch: string) =>
    Number(
      (
        await dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM outbox_message WHERE relayed_at IS NULL AND job_key LIKE $1`, [
          `mail.send/${batch}-%`,
        ])
      )[0]!.n,
    );

  /** Waits until every row of the batch is relayed, the queue is idle and the mails have arrived, then a little more. */
  async function settle(batch: string, count: number) {
    await until(async () => (await pending(batch)) === 0, `toutes les lignes « ${batch} » sont relayées`);
    await until(async () => {
      const counts = await queue().getJobCounts('waiting', 'active', 'delayed');
      return counts.waiting + counts.active + counts.delayed === 0 && mailsOf(batch).length >= count;
    }, `les ${count} courriels « ${batch} » sont envoyés`);
    await sleep(300); // a duplicate, if any, would arrive now
  }

  function expectExactlyOnce(batch: string, count: number) {
    const mails = mailsOf(batch);
    expect(mails).toHaveLength(count);
    expect(new Set(mails.map((m) => m.subject)).size).toBe(count);
    expect(new Set(mails.map((m) => m.headers['message-id'])).size).toBe(count);
    for (const m of mails) expect(m.to).toEqual([`usager${m.subject.split('n°')[1]}@example.org`]);
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    smtpProxy = await startTcpProxy(sink.url);
    app = await startTestApp(workerApp, { env: { SMTP_URL: smtpProxy.via(sink.url), OUTBOX_POLL_MS: '50' } });
    dataSource = app.app.get(DataSource);
    outbox = app.app.get(OutboxService);
    metrics = app.app.get(QueueMetrics);
    const appRelay = app.app.get(OutboxRelay);
    await appRelay.stop();
    deps = appRelay.deps;
  });
  afterAll(async () => {
    await app?.close();
    await smtpProxy?.close();
    await sink?.close();
  });

  it('delivers 30 committed mails exactly once when the relay is stopped mid-way (stop waits for its tick) and restarted', async () => {
    await writeMails('arret', 30);
    let started = 0;
    let finished = 0;
    const first = relay({ hooks: { afterEnqueue: async () => void (started++, await sleep(40), finished++) } });
    first.start();
    await until(() => started >= 2, 'le premier relais a commencé deux lots');
    await first.stop();
    expect(finished).toBe(started);
    const left = await pending('arret');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(30);

    const second = relay();
    second.start();
    try {
      await settle('arret', 30);
    } finally {
      await second.stop();
    }
    expectExactlyOnce('arret', 30);
  });

  it('delivers exactly once when a relay crashes between adding jobs to the queue and marking rows relayed, and when the rows are replayed later', async () => {
    await writeMails('panne', 30);
    let crashes = 0;
    const crashing = relay({
      batchSize: 10,
      hooks: {
        afterEnqueue: () => {
          if (crashes < 2) {
            crashes++;
            throw new Error("panne simulée entre l'ajout à la file et le marquage");
          }
        },
      },
    });
    crashing.start();
    try {
      await settle('panne', 30);
    } finally {
      await crashing.stop();
    }
    expect(crashes).toBe(2); // the same 10 rows were added twice: BullMQ kept one job per job id
    expectExactlyOnce('panne', 30);

    // Later: the finished jobs have left Redis and the rows are relayed again (a restored backup, a manual replay).
    const duplicatesBefore = metrics.snapshot().duplicates['mail.send'] ?? 0;
    await queue().clean(0, 10_000, 'completed');
    await dataSource.query(`UPDATE outbox_message SET relayed_at = NULL WHERE job_key LIKE 'mail.send/panne-%'`);
    const replay = relay({ batchSize: 50 });
    replay.start();
    try {
      await until(() => (metrics.snapshot().duplicates['mail.send'] ?? 0) - duplicatesBefore === 30, 'les 30 tâches rejouées sont reconnues');
      await settle('panne', 30);
    } finally {
      await replay.stop();
    }
    expect(await app.app.get(JobReceipts).has('mail.send/panne-0')).toBe(true);
    expectExactlyOnce('panne', 30);
  });

  it('delivers exactly once with two relays running at the same time, each row relayed by one of them only', async () => {
    await writeMails('concurrence', 30);
    const relayedBefore = metrics.snapshot().relayed;
    const relayedBy = new Map<string, string[]>();
    const make = (name: string) =>
      relay({
        pollMs: 5,
        batchSize: 3,
        hooks: {
          afterEnqueue: async (rows) => {
            for (const row of rows) relayedBy.set(row.id, [...(relayedBy.get(row.id) ?? []), name]);
            await sleep(15); // hold the row locks a while, so the two relays overlap
          },
        },
      });
    const [a, b] = [make('A'), make('B')];
    a.start();
    b.start();
    try {
      await settle('concurrence', 30);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(metrics.snapshot().relayed - relayedBefore).toBe(30);
    expect(relayedBy.size).toBe(30);
    expect([...relayedBy.values()].every((names) => names.length === 1)).toBe(true);
    const byA = [...relayedBy.values()].filter(([name]) => name === 'A').length;
    expect(byA).toBeGreaterThan(0);
    expect(byA).toBeLessThan(30);
    expectExactlyOnce('concurrence', 30);
  });

  it('fails a mail refused with 550 at once: one attempt, no retry, no mail, no receipt', async () => {
    sink.rejectRecipients.add('inconnu@example.org');
    const before = metrics.snapshot();
    await dataSource.transaction((manager) =>
      outbox.add(manager, 'mail.send', { to: 'inconnu@example.org', subject: 'refus n°1', text: 'Bonjour' }, { key: 'refus-1' }),
    );
    const relaying = relay();
    relaying.start();
    try {
      await until(async () => (await (await queue().getJob('mail.send/refus-1'))?.getState()) === 'failed', 'la tâche est en échec définitif');
    } finally {
      await relaying.stop();
    }
    const job = await queue().getJob('mail.send/refus-1');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/^MAIL_REJECTED : Le serveur de messagerie a refusé définitivement ce courriel \(réponse 550\)/);
    const after = metrics.snapshot();
    expect((after.failed['mail.send'] ?? 0) - (before.failed['mail.send'] ?? 0)).toBe(1);
    expect((after.retried['mail.send'] ?? 0) - (before.retried['mail.send'] ?? 0)).toBe(0);
    expect(await app.app.get(JobReceipts).has('mail.send/refus-1')).toBe(false);
    expect(sink.messages.filter((m) => m.to.includes('inconnu@example.org'))).toHaveLength(0);
  });

  it('retries a mail while the SMTP server is unreachable, and delivers it once when it comes back', async () => {
    const before = metrics.snapshot();
    smtpProxy.down();
    await dataSource.transaction((manager) =>
      outbox.add(manager, 'mail.send', { to: 'usager@example.org', subject: 'reprise n°1', text: 'Bonjour' }, { key: 'reprise-1' }),
    );
    const relaying = relay();
    relaying.start();
    try {
      await until(async () => ((await queue().getJob('mail.send/reprise-1'))?.attemptsMade ?? 0) >= 1, 'la première tentative a échoué');
      expect(await (await queue().getJob('mail.send/reprise-1'))?.getState()).toBe('delayed');
      smtpProxy.up();
      await until(async () => (await (await queue().getJob('mail.send/reprise-1'))?.getState()) === 'completed', 'la nouvelle tentative réussit');
    } finally {
      smtpProxy.up();
      await relaying.stop();
    }
    const job = await queue().getJob('mail.send/reprise-1');
    expect(job?.attemptsMade).toBe(2);
    expect(mailsOf('reprise')).toHaveLength(1);
    const after = metrics.snapshot();
    expect((after.retried['mail.send'] ?? 0) - (before.retried['mail.send'] ?? 0)).toBe(1);
    expect((after.failed['mail.send'] ?? 0) - (before.failed['mail.send'] ?? 0)).toBe(0);
  });
});
