import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, DomainError, type AppConfig } from '#core';

export const SMS_REJECTED = 'SMS_REJECTED';
export const SMS_UNAVAILABLE = 'SMS_UNAVAILABLE';
export const SMS_NOT_CONFIGURED = 'SMS_NOT_CONFIGURED';

export interface OutgoingSms {
  /** E.164 number (`+33612345678`). */
  to: string;
  text: string;
  /** Idempotency key (sent as `Idempotency-Key`, a hash of the job key: no personal data). */
  reference: string;
}

/** The SMS channel's port: one implementation per provider. Errors are `DomainError`s: `SMS_REJECTED` (permanent) or `SMS_UNAVAILABLE` (retried). */
export interface SmsSender {
  send(sms: OutgoingSms): Promise<{ providerId: string | null }>;
}

/** Nest token of the `SmsSender` the worker uses (`HttpSmsSender` unless a test replaces it). */
export const SMS_SENDER = Symbol('SMS_SENDER');

/** A provider reference derived from a job key: stable across retries and replays, opaque, no personal data. */
export function smsReferenceFor(key: string): string {
  return createHash('sha256').update(`sms:${key}`).digest('hex').slice(0, 32);
}

/**
 * The HTTP SMS provider (format in docs/worker.md): `POST <SMS_PROVIDER_URL>` with
 * `Authorization: Bearer <SMS_PROVIDER_TOKEN>`, `Idempotency-Key: <reference>` and the JSON body
 * `{ "to": "+336…", "from": "<SMS_SENDER>", "text": "…", "reference": "<reference>" }`; a 2xx answer (JSON
 * `{ "id": "…" }`, optional) means accepted. 408 and 429 and 5xx, timeouts (`SMS_TIMEOUT_MS`) and network errors
 * are temporary (retried with backoff); any other 4xx is permanent (a bad number, a refused sender, a wrong token).
 * The provider's answer text is never logged nor kept (it may quote the number).
 */
@Injectable()
export class HttpSmsSender implements SmsSender {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async send(sms: OutgoingSms): Promise<{ providerId: string | null }> {
    const { url, token, sender, timeoutMs } = this.config.sms;
    if (!url) throw new DomainError(SMS_NOT_CONFIGURED, 'Aucun fournisseur de SMS n’est configuré (SMS_PROVIDER_URL) : SMS non envoyé.', 'invalid');
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'idempotency-key': sms.reference,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ to: sms.to, from: sender, text: sms.text, reference: sms.reference }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `pas de réponse en ${timeoutMs} ms` : 'connexion impossible';
      throw DomainError.unavailable(SMS_UNAVAILABLE, `Le fournisseur de SMS est injoignable (${reason}).`);
    }
    const body = await response.text().catch(() => '');
    if (response.ok) {
      return { providerId: providerIdOf(body) };
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      throw DomainError.unavailable(SMS_UNAVAILABLE, `Le fournisseur de SMS a différé l’envoi (réponse ${response.status}).`);
    }
    throw new DomainError(SMS_REJECTED, `Le fournisseur de SMS a refusé définitivement ce message (réponse ${response.status}).`, 'invalid');
  }
}

/** The provider's message id from its JSON answer, if any. */
function providerIdOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { id?: unknown };
    return typeof parsed.id === 'string' ? parsed.id.slice(0, 200) : null;
  } catch {
    return null;
  }
}
