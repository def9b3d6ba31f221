import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { createLogger, currentCorrelationId, DomainError, ManualClock } from '#core';
import { RETENTION_STANDARD, RETRY_STANDARD } from '../catalogue/job-options.js';
import type { JobContext, JobHandler } from '../handlers/job-handler.js';
import { JobRunner, type RunnableJob } from './job-runner.js';
import type { ReceiptStore } from './job-receipts.js';

const catalogue = {
  'mail.send': {
    queue: 'notifications' as const,
    payload: z.strictObject({ to: z.email(), subject: z.string() }),
    retry: RETRY_STANDARD,
    retention: RETENTION_STANDARD,
    description: 'test',
  },
};

class MemoryReceipts implements ReceiptStore {
  readonly keys = new Map<string, { job: string; at: Date }>();
  async has(key: string) {
    return this.keys.has(key);
  }
  async record(key: string, job: string, at: Date) {
    this.keys.set(key, { job, at });
  }
}

class ScriptedHandler implements JobHandler<'mail.send'> {
  readonly job = 'mail.send';
  readonly seen: { payload: unknown; context: JobContext<'mail.send'>; correlationId: string | undefined }[] = [];
  failWith: unknown;
  async handle(payload: never, context: JobContext<'mail.send'>) {
    this.seen.push({ payload, context, correlationId: currentCorrelationId() });
    context.logger.info('envoi');
    if (this.failWith) throw this.failWith;
  }
}

function setup() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', app: 'worker', destination });
  const handler = new ScriptedHandler();
  const receipts = new MemoryReceipts();
  const clock = new ManualClock('2026-03-01T10:00:00.000Z');
  const runner = new JobRunner(catalogue, new Map([['mail.send', handler]]), receipts, clock, logger);
  return { runner, handler, receipts, lines, clock };
}

function job(overrides: Partial<RunnableJob> = {}): RunnableJob {
  return {
    id: 'mail.send/demande-42-recue',
    name: 'mail.send',
    data: { payload: { to: 'jeanne@example.org', subject: 'Votre demande' }, correlationId: 'req-0123456789', outboxId: '7' },
    attemptsMade: 0,
    opts: { attempts: 5 },
    ...overrides,
  };
}

describe('JobRunner', () => {
  it('runs the handler under the correlation id of the outbox row, and every log line of the job carries it', async () => {
    const { runner, handler, lines } = setup();
    await expect(runner.run(job())).resolves.toBe('done');
    expect(handler.seen).toHaveLength(1);
    expect(handler.seen[0]!.correlationId).toBe('req-0123456789');
    expect(handler.seen[0]!.context).toMatchObject({ job: 'mail.send', key: 'mail.send/demande-42-recue', attempt: 1, maxAttempts: 5, correlationId: 'req-0123456789' });
    const fromJob = lines.filter((l) => l.jobId === 'mail.send/demande-42-recue');
    expect(fromJob.map((l) => l.msg)).toEqual(expect.arrayContaining(['envoi', 'Tâche terminée']));
    for (const line of fromJob) expect(line.correlationId).toBe('req-0123456789');
    // The payload (personal data) is never logged.
    expect(JSON.stringify(lines)).not.toContain('jeanne@example.org');
  });

  it('gives a job without correlation id a fresh one', async () => {
    const { runner, handler } = setup();
    await runner.run(job({ data: { payload: { to: 'a@example.org', subject: 's' }, correlationId: null, outboxId: '1' } }));
    expect(handler.seen[0]!.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('records a receipt after success, and a replay of the same key does not run the handler again', async () => {
    const { runner, handler, receipts, clock } = setup();
    await runner.run(job());
    expect(receipts.keys.get('mail.send/demande-42-recue')).toEqual({ job: 'mail.send', at: clock.now() });
    await expect(runner.run(job({ attemptsMade: 0 }))).resolves.toBe('duplicate');
    expect(handler.seen).toHaveLength(1);
  });

  it('rethrows a failure as is (BullMQ retries it) and records no receipt', async () => {
    const { runner, handler, receipts } = setup();
    handler.failWith = new Error('ECONNRESET');
    const error = await runner.run(job({ attemptsMade: 2 })).catch((e: unknown) => e);
    expect(error).toBe(handler.failWith);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(handler.seen[0]!.context.attempt).toBe(3);
    expect(receipts.keys.size).toBe(0);
  });

  it('retries a DomainError of kind unavailable, fails at once on any other kind', async () => {
    const { runner, handler } = setup();
    handler.failWith = DomainError.unavailable('MAIL_UNAVAILABLE', 'Serveur injoignable');
    expect(await runner.run(job()).catch((e: unknown) => e)).toBe(handler.failWith);

    handler.failWith = new DomainError('MAIL_REJECTED', 'Refus définitif', 'invalid');
    const permanent = await runner.run(job()).catch((e: unknown) => e);
    expect(permanent).toBeInstanceOf(UnrecoverableError);
    expect((permanent as Error).message).toBe('MAIL_REJECTED : Refus définitif');
  });

  it('fails at once, without running the handler, a payload that does not match the catalogue or an unknown job', async () => {
    const { runner, handler } = setup();
    const invalid = await runner.run(job({ data: { payload: { to: 'pas-une-adresse' }, correlationId: null, outboxId: '1' } })).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(UnrecoverableError);
    expect((invalid as Error).message).toContain('(to, subject)');
    const unknown = await runner.run(job({ name: 'sms.send' })).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnrecoverableError);
    expect((unknown as Error).message).toContain('« sms.send »');
    expect(handler.seen).toHaveLength(0);
  });
});
