import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, Clock, DomainError, type AppConfig, type FieldError } from '#core';
import { SecretBox } from '../crypto/secret-box.js';
import { randomToken } from '../crypto/tokens.js';
import { OidcClient, type ClientAuthMethod } from '../entities/oidc-client.entity.js';
import { AccountErrors } from '../accounts/accounts.errors.js';

/** Scopes a client may be allowed; `offline_access` asks for refresh tokens beyond the session. */
export const SUPPORTED_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'address', 'phone', 'certification', 'birth', 'quotient_familial', 'droits_sociaux', 'mandats'] as const;
const SECRET_PURPOSE = 'oidc-client-secret';

export interface ClientCommand {
  clientId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string | null;
  allowedScopes: string[];
  consentRequired: boolean;
  collectivityId?: string | null;
  purpose?: string | null;
  /** A public client (browser or mobile app) has no secret: PKCE alone protects its codes. */
  publicClient?: boolean;
}

export interface ClientView {
  clientId: string;
  name: string;
  tokenEndpointAuthMethod: ClientAuthMethod;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  allowedScopes: string[];
  consentRequired: boolean;
  collectivityId: string | null;
  purpose: string | null;
  createdAt: Date;
  secretRotatedAt: Date | null;
}

/** Client metadata as oidc-provider reads it (RFC 7591 names). */
export type ProviderClientMetadata = Record<string, unknown> & { client_id: string };

const view = (c: OidcClient): ClientView => ({
  clientId: c.clientId,
  name: c.name,
  tokenEndpointAuthMethod: c.tokenEndpointAuthMethod,
  redirectUris: c.redirectUris,
  postLogoutRedirectUris: c.postLogoutRedirectUris,
  backchannelLogoutUri: c.backchannelLogoutUri,
  allowedScopes: c.allowedScopes,
  consentRequired: c.consentRequired,
  collectivityId: c.collectivityId,
  purpose: c.purpose,
  createdAt: c.createdAt,
  secretRotatedAt: c.secretRotatedAt,
});

/**
 * Partner clients (the connection kit) registered by the platform team. The secret is generated here, shown
 * once, and stored encrypted (the provider needs it in clear to check `client_secret_basic`).
 */
@Injectable()
export class ClientService {
  private readonly box: SecretBox;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.box = new SecretBox(config.identity.secretKey);
  }

  async create(command: ClientCommand): Promise<{ client: ClientView; secret: string | null }> {
    this.validate(command);
    const repo = this.dataSource.getRepository(OidcClient);
    if (await repo.existsBy({ clientId: command.clientId })) {
      throw DomainError.conflict(AccountErrors.CLIENT_EXISTS, `Le client « ${command.clientId} » existe déjà.`);
    }
    const secret = command.publicClient ? null : randomToken(32);
    const client = await repo.save(repo.create({ ...this.columns(command), secretEncrypted: secret ? this.box.seal(secret, SECRET_PURPOSE) : null }));
    return { client: view(client), secret };
  }

  /** Creates or updates a client, keeping its secret (seed). Returns the secret only when it was created now. */
  async upsert(command: ClientCommand, secret?: string): Promise<{ client: ClientView; created: boolean }> {
    this.validate(command);
    const repo = this.dataSource.getRepository(OidcClient);
    const existing = await repo.findOneBy({ clientId: command.clientId });
    if (existing) {
      await repo.update({ clientId: command.clientId }, this.columns(command, existing));
      return { client: view(await repo.findOneByOrFail({ clientId: command.clientId })), created: false };
    }
    const value = command.publicClient ? null : (secret ?? randomToken(32));
    const client = await repo.save(repo.create({ ...this.columns(command), secretEncrypted: value ? this.box.seal(value, SECRET_PURPOSE) : null }));
    return { client: view(client), created: true };
  }

  async list(): Promise<ClientView[]> {
    return (await this.dataSource.getRepository(OidcClient).find({ order: { clientId: 'ASC' } })).map(view);
  }

  async get(clientId: string): Promise<ClientView | null> {
    const client = await this.dataSource.getRepository(OidcClient).findOneBy({ clientId });
    return client ? view(client) : null;
  }

  /** A new secret, effective at once (the previous one stops working): shown once to the caller. */
  async rotateSecret(clientId: string): Promise<string> {
    const repo = this.dataSource.getRepository(OidcClient);
    const client = await repo.findOneBy({ clientId });
    if (!client) throw DomainError.notFound(AccountErrors.CLIENT_NOT_FOUND, `Le client « ${clientId} » n'existe pas.`);
    if (client.tokenEndpointAuthMethod === 'none') {
      throw DomainError.invalid(AccountErrors.CLIENT_INVALID, `Le client « ${clientId} » est public : il n'a pas de secret.`);
    }
    const secret = randomToken(32);
    await repo.update({ clientId }, { secretEncrypted: this.box.seal(secret, SECRET_PURPOSE), secretRotatedAt: this.clock.now() });
    return secret;
  }

  /**
   * Deletes a client for good, in one transaction: its grants, codes and tokens (the provider's artefacts naming it)
   * are removed first, so nothing it obtained keeps working, then the client (its consents follow by ON DELETE
   * CASCADE). The provider reads clients at each use: the next authorization or token request is `invalid_client`.
   */
  async remove(clientId: string): Promise<{ artefactsRevoked: number }> {
    return this.dataSource.transaction(async (manager) => {
      const client = await manager.getRepository(OidcClient).findOne({ where: { clientId }, lock: { mode: 'pessimistic_write' } });
      if (!client) throw DomainError.notFound(AccountErrors.CLIENT_NOT_FOUND, `Le client « ${clientId} » n'existe pas.`);
      const [, revoked] = (await manager.query(
        `WITH grants AS (SELECT id FROM "identity"."oidc_artifact" WHERE model = 'Grant' AND payload->>'clientId' = $1)
         DELETE FROM "identity"."oidc_artifact"
          WHERE payload->>'clientId' = $1 OR grant_id IN (SELECT id FROM grants) OR (model = 'Grant' AND id IN (SELECT id FROM grants))`,
        [clientId],
      )) as [unknown, number];
      await manager.getRepository(OidcClient).delete({ clientId });
      return { artefactsRevoked: revoked };
    });
  }

  /** The client as oidc-provider wants it, secret decrypted; undefined when unknown. */
  async providerMetadata(clientId: string): Promise<ProviderClientMetadata | undefined> {
    const client = await this.dataSource.getRepository(OidcClient).findOneBy({ clientId });
    if (!client) return undefined;
    return {
      client_id: client.clientId,
      ...(client.secretEncrypted ? { client_secret: this.box.open(client.secretEncrypted, SECRET_PURPOSE) } : {}),
      client_name: client.name,
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris,
      ...(client.backchannelLogoutUri ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      scope: client.allowedScopes.join(' '),
      subject_type: 'pairwise',
      id_token_signed_response_alg: 'RS256',
    };
  }

  private columns(command: ClientCommand, existing?: OidcClient): Partial<OidcClient> {
    return {
      clientId: command.clientId,
      name: command.name.trim(),
      tokenEndpointAuthMethod: command.publicClient ? 'none' : 'client_secret_basic',
      redirectUris: command.redirectUris,
      postLogoutRedirectUris: command.postLogoutRedirectUris ?? [],
      backchannelLogoutUri: command.backchannelLogoutUri ?? null,
      allowedScopes: [...new Set(['openid', ...command.allowedScopes])],
      consentRequired: command.consentRequired,
      collectivityId: command.collectivityId ?? null,
      purpose: command.purpose?.trim() || null,
      ...(existing ? {} : { createdAt: this.clock.now(), secretRotatedAt: null }),
    };
  }

  private validate(command: ClientCommand) {
    const fields: FieldError[] = [];
    if (!/^[a-z0-9][a-z0-9._-]{2,63}$/.test(command.clientId ?? '')) {
      fields.push({ path: 'clientId', code: 'INVALID', message: 'identifiant : 3 à 64 caractères, minuscules, chiffres, « . _ - »' });
    }
    if (!command.name?.trim()) fields.push({ path: 'name', code: 'REQUIRED', message: 'le nom affiché aux usagers est obligatoire' });
    if (!command.redirectUris?.length) fields.push({ path: 'redirectUris', code: 'REQUIRED', message: 'au moins une adresse de retour' });
    const hosts = new Set<string>();
    const uriFields: [string, string[]][] = [
      ['redirectUris', command.redirectUris ?? []],
      ['postLogoutRedirectUris', command.postLogoutRedirectUris ?? []],
      ['backchannelLogoutUri', command.backchannelLogoutUri ? [command.backchannelLogoutUri] : []],
    ];
    for (const [path, uris] of uriFields) {
      uris.forEach((uri, index) => {
        const problem = this.uriProblem(uri);
        if (problem) fields.push({ path: `${path}.${index}`, code: 'INVALID', message: problem });
        else if (path === 'redirectUris') hosts.add(new URL(uri).host);
      });
    }
    // Pairwise subjects are computed per sector (the redirect URIs' host): one host per client.
    if (hosts.size > 1) fields.push({ path: 'redirectUris', code: 'MULTIPLE_HOSTS', message: 'les adresses de retour doivent être sur un seul hôte' });
    for (const scope of command.allowedScopes ?? []) {
      if (!(SUPPORTED_SCOPES as readonly string[]).includes(scope)) fields.push({ path: 'allowedScopes', code: 'UNKNOWN', message: `portée inconnue : ${scope}` });
    }
    if (fields.length) throw DomainError.invalid(AccountErrors.CLIENT_INVALID, 'La description du client est invalide.', fields);
  }

  private uriProblem(uri: string): string | null {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return `adresse invalide : ${uri}`;
    }
    if (url.hash) return `pas de fragment (#) dans une adresse de retour : ${uri}`;
    const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (url.protocol === 'https:') return null;
    if (url.protocol === 'http:' && (local || this.config.env !== 'production')) return null;
    return `https obligatoire (http seulement pour une adresse locale) : ${uri}`;
  }
}
