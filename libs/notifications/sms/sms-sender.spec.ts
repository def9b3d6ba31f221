import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { loadConfig, type AppConfig } from '#core';
import { toWorkerError } from '#queue';
import { startSmsProviderDouble, type SmsProviderDouble } from '#testing';
import { UnrecoverableError } from 'bullmq';
import { DomainError } from '#core';
import { HttpSmsSender, SMS_NOT_CONFIGURED, SMS_REJECTED, SMS_UNAVAILABLE, smsReferenceFor } from './sms-sender.js';

const configWith = (env: Record<string, string>): AppConfig =>
  loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/y', REDIS_URL: 'redis://127.0.0.1:6379', ...env });

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('HttpSmsSender against an SMS provider speaking the documented HTTP format', () => {
  let provider: SmsProviderDouble;
  let sender: HttpSmsSender;
  /** The same sender with a short timeout, for the hanging provider only (answers on a loaded CI machine may take 300 ms). */
  let impatient: HttpSmsSender;
  const sms = { to: '+33612345678', text: 'Givors : votre demande est acceptée.', reference: smsReferenceFor('sms.send/demand/1/3-ok/sms') };

  beforeAll(async () => {
    provider = await startSmsProviderDouble();
    const settings = { SMS_PROVIDER_URL: provider.url, SMS_PROVIDER_TOKEN: provider.token, SMS_SENDER: 'Givors' };
    sender = new HttpSmsSender(configWith({ ...settings, SMS_TIMEOUT_MS: '10000' }));
    impatient = new HttpSmsSender(configWith({ ...settings, SMS_TIMEOUT_MS: '300' }));
  });
  afterAll(() => provider.close());
  beforeEach(() => provider.reset());

  it('posts JSON with the bearer token, the sender and an idempotency key; the provider’s id comes back', async () => {
    const before = provider.messages.length;
    await expect(sender.send(sms)).resolves.toEqual({ providerId: expect.stringMatching(/^sms-\d+$/) });
    expect(provider.messages.slice(before)).toEqual([{ to: '+33612345678', from: 'Givors', text: sms.text, reference: sms.reference, idempotencyKey: sms.reference }]);
    expect(sms.reference).toMatch(/^[0-9a-f]{32}$/);
  });

  it('takes a 5xx, a 429 or a timeout as temporary (retried), any other 4xx as permanent (failed at once)', async () => {
    provider.failNext(1, 503);
    const busy = await failure(sender.send(sms));
    expect(busy.code).toBe(SMS_UNAVAILABLE);
    expect(toWorkerError(busy)).toBe(busy);

    provider.failNext(1, 429);
    expect((await failure(sender.send(sms))).code).toBe(SMS_UNAVAILABLE);

    provider.hanging = true;
    const slow = await failure(impatient.send(sms));
    expect(slow.code).toBe(SMS_UNAVAILABLE);
    expect(slow.message).toContain('pas de réponse en 300 ms');
    provider.hanging = false;

    provider.failNext(1, 400);
    const refused = await failure(sender.send(sms));
    expect(refused.code).toBe(SMS_REJECTED);
    expect(refused.message).toBe('Le fournisseur de SMS a refusé définitivement ce message (réponse 400).');
    expect(toWorkerError(refused)).toBeInstanceOf(UnrecoverableError);
  });

  it('is refused by the provider without the right token (permanent), and fails clearly when no provider is configured', async () => {
    const wrongToken = new HttpSmsSender(configWith({ SMS_PROVIDER_URL: provider.url, SMS_PROVIDER_TOKEN: 'mauvais' }));
    expect((await failure(wrongToken.send(sms))).code).toBe(SMS_REJECTED);
    const none = await failure(new HttpSmsSender(configWith({})).send(sms));
    expect(none.code).toBe(SMS_NOT_CONFIGURED);
    expect(toWorkerError(none)).toBeInstanceOf(UnrecoverableError);
  });

  it('never sends the number or the text anywhere but in the body (no query string)', async () => {
    await sender.send(sms);
    expect(provider.url).not.toContain('?');
    expect(provider.requests.at(-1)).toEqual({ status: 202, idempotencyKey: sms.reference });
  });
});
