import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#core';

export type AccountLookupResult =
  | { kind: 'found'; name: string | null; sub: string }
  | { kind: 'not_found'; message: string }
  | { kind: 'refused'; status: number; message: string };

const TIMEOUT_MS = 5_000;
const UNAVAILABLE = 'La recherche de compte est momentanément indisponible : réessayez, ou déposez la demande sans compte.';

/**
 * The back office's side of the identity's internal account lookup (`POST /api/comptes/recherche`, see
 * apps/identity/web/account-lookup.controller.ts): authenticated with the back office's OIDC client id and secret
 * (HTTP Basic, both parts form-urlencoded as at the token endpoint), by exact email, naming the agent who asks (for
 * the identity's per-agent rate limit and audit). Answers the person's display name and the **portal's** `sub`.
 */
@Injectable()
export class AccountLookupClient {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async find(email: string, agentSub: string): Promise<AccountLookupResult> {
    const { oidcClientId, oidcClientSecret } = this.config.webApps.backoffice;
    const identity = this.config.identity.publicUrl ?? `http://${this.config.host === '0.0.0.0' ? '127.0.0.1' : this.config.host}:${this.config.ports.identity}`;
    const basic = Buffer.from(`${formEncode(oidcClientId)}:${formEncode(oidcClientSecret)}`).toString('base64');
    let response: Response;
    try {
      response = await fetch(`${identity}/api/comptes/recherche`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email, agent: agentSub }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
    } catch {
      return { kind: 'refused', status: 503, message: UNAVAILABLE };
    }
    const body = (await response.json().catch(() => null)) as { compte?: { nom?: unknown; sub?: unknown }; message?: unknown } | null;
    if (response.status === 200 && typeof body?.compte?.sub === 'string') {
      return { kind: 'found', name: typeof body.compte.nom === 'string' ? body.compte.nom : null, sub: body.compte.sub };
    }
    if (response.status === 404) return { kind: 'not_found', message: 'Aucun compte territorial vérifié n’utilise cette adresse électronique. Vérifiez-la, ou déposez la demande sans compte.' };
    if (response.status === 429) return { kind: 'refused', status: 429, message: `Trop de recherches de comptes. ${typeof body?.message === 'string' ? body.message : ''}`.trim() };
    if (response.status === 422) return { kind: 'refused', status: 422, message: 'Saisissez l’adresse électronique complète du compte.' };
    return { kind: 'refused', status: 503, message: UNAVAILABLE };
  }
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
