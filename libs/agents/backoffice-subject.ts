import type { DataSource } from 'typeorm';
import { Account, ClientService, hmacHex, normalizeEmail } from '#accounts';
import { Clock, DomainError, type AppConfig } from '#core';

export const ACCOUNT_NOT_FOUND = 'ACCOUNT_NOT_FOUND';

/**
 * The `sub` the territorial account gives a client for an account: pairwise, HMAC(IDENTITY_PAIRWISE_SALT,
 * "<sector>|<account id>") where the sector is the host (with port) of the client's first redirect URI — the
 * same computation as the provider's `pairwiseIdentifier` (apps/identity) with oidc-provider's default sector.
 * Lets the CLI grant a role by email before the agent's first login. Needs the identity app's salt.
 */
export function pairwiseSubject(pairwiseSalt: string, redirectUri: string, accountId: string): string {
  return hmacHex(pairwiseSalt, `${new URL(redirectUri).host}|${accountId}`);
}

/** The back office's `sub` of the account with this email (error when no account or no back-office client). */
export async function backofficeSubjectForEmail(dataSource: DataSource, config: AppConfig, clock: Clock, email: string): Promise<{ sub: string; email: string }> {
  const account = await dataSource.getRepository(Account).findOneBy({ email: normalizeEmail(email) });
  if (!account) throw DomainError.notFound(ACCOUNT_NOT_FOUND, `Aucun compte territorial pour ${email}.`);
  const clientId = config.webApps.backoffice.oidcClientId;
  const client = await new ClientService(dataSource, clock, config).get(clientId);
  const redirectUri = client?.redirectUris[0];
  if (!redirectUri) throw DomainError.notFound(ACCOUNT_NOT_FOUND, `Le client OIDC du back-office (${clientId}) n'est pas enregistré.`);
  return { sub: pairwiseSubject(config.identity.pairwiseSalt, redirectUri, account.id), email: account.email };
}
