import type { ClientService, ClientView } from './client.service.js';

export interface IdentitySeedUrls {
  /** Origin of the portal app, e.g. http://127.0.0.1:3000 */
  portal: string;
  /** Origin of the back-office app, e.g. http://127.0.0.1:3001 */
  backoffice: string;
}

/** Fixed development secrets of the seeded clients: local use only (never seeded in production). */
export const DEV_CLIENT_SECRETS = {
  'parvis-portal': 'dev-only-portal-secret-not-for-production',
  'parvis-backoffice': 'dev-only-backoffice-secret-not-for-production',
} as const;

/**
 * The platform's own relying parties for local use: the citizen portal and the back office, with their
 * callback and logout URIs on the given origins. Idempotent (upsert by client id; secrets kept once created).
 * The launcher can call it after the migrations: `seedIdentityClients(app.get(ClientService), urls)`.
 */
export async function seedIdentityClients(clients: ClientService, urls: IdentitySeedUrls): Promise<ClientView[]> {
  const seeded: ClientView[] = [];
  for (const [clientId, name, origin, scopes] of [
    ['parvis-portal', 'Guichet numérique de la Métropole', urls.portal, ['openid', 'profile', 'email', 'address', 'phone', 'certification', 'birth', 'quotient_familial', 'droits_sociaux', 'mandats']],
    ['parvis-backoffice', 'Back-office des agents', urls.backoffice, ['openid', 'profile', 'email']],
  ] as const) {
    const { client } = await clients.upsert(
      {
        clientId,
        name,
        redirectUris: [`${origin}/auth/callback`],
        postLogoutRedirectUris: [`${origin}/`],
        backchannelLogoutUri: `${origin}/auth/backchannel-logout`,
        allowedScopes: [...scopes],
        consentRequired: false,
        purpose: null,
      },
      DEV_CLIENT_SECRETS[clientId],
    );
    seeded.push(client);
  }
  return seeded;
}
