import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ClientService, SUPPORTED_SCOPES, type ClientView } from '#accounts';
import { APP_CONFIG, Clock, DomainError, type AppConfig } from '#core';
import type { AdminActor } from './admin-access.js';
import { AdminJournal } from './admin-journal.js';

export const SCOPE_LABELS: Record<string, string> = {
  openid: 'openid — identifiant (toujours)',
  offline_access: 'offline_access — jetons de rafraîchissement',
  profile: 'profile — nom, prénom',
  email: 'email — adresse électronique',
  address: 'address — adresse postale',
  phone: 'phone — téléphone',
  certification: 'certification — niveau de certification de l’identité',
  birth: 'birth — date et lieu de naissance',
  quotient_familial: 'quotient_familial — quotient familial (CAF ou MSA, identité certifiée, accord de l’usager toujours demandé)',
  droits_sociaux: 'droits_sociaux — C2S et RSA (identité certifiée, accord de l’usager toujours demandé)',
};

/** The form of a client, as typed (URIs one per line). */
export interface ClientForm {
  clientId: string;
  name: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  scopes: string[];
  consentRequired: boolean;
  publicClient: boolean;
  purpose: string;
}

const lines = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);

/**
 * Identity clients of partner portals (the connection kit), managed in-process with `ClientService` of #accounts:
 * the back office and the identity app share the database, and the provider reads clients from it at each use
 * (`ClientAdapter`), so a change or a rotated secret applies at once. The secret is shown once, never stored in clear
 * outside the encrypted column, never logged.
 */
@Injectable()
export class IdentityClients {
  private readonly clients: ClientService;

  constructor(
    dataSource: DataSource,
    clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly journal: AdminJournal,
  ) {
    this.clients = new ClientService(dataSource, clock, config);
  }

  readonly scopes = SUPPORTED_SCOPES;

  list(): Promise<ClientView[]> {
    return this.clients.list();
  }

  async get(clientId: string): Promise<ClientView> {
    const client = /^[a-z0-9][a-z0-9._-]{2,63}$/.test(clientId) ? await this.clients.get(clientId) : null;
    if (!client) throw DomainError.notFound('CLIENT_NOT_FOUND', 'Ce client d’identité n’existe pas.');
    return client;
  }

  async create(actor: AdminActor, form: ClientForm): Promise<{ client: ClientView; secret: string | null }> {
    const created = await this.clients.create({
      clientId: form.clientId.trim(),
      name: form.name,
      redirectUris: lines(form.redirectUris),
      postLogoutRedirectUris: lines(form.postLogoutRedirectUris),
      allowedScopes: form.scopes,
      consentRequired: form.consentRequired,
      publicClient: form.publicClient,
      purpose: form.purpose,
    });
    await this.journal.record(actor, { collectivityId: null, action: 'client.created', subject: created.client.clientId, details: { scopes: created.client.allowedScopes } });
    return created;
  }

  async update(actor: AdminActor, clientId: string, form: Omit<ClientForm, 'clientId' | 'publicClient'>): Promise<ClientView> {
    const existing = await this.get(clientId);
    const { client } = await this.clients.upsert({
      clientId,
      name: form.name,
      redirectUris: lines(form.redirectUris),
      postLogoutRedirectUris: lines(form.postLogoutRedirectUris),
      backchannelLogoutUri: existing.backchannelLogoutUri,
      allowedScopes: form.scopes,
      consentRequired: form.consentRequired,
      collectivityId: existing.collectivityId,
      purpose: form.purpose,
      publicClient: existing.tokenEndpointAuthMethod === 'none',
    });
    await this.journal.record(actor, { collectivityId: null, action: 'client.updated', subject: clientId, details: { redirectUris: client.redirectUris, scopes: client.allowedScopes, consentRequired: client.consentRequired } });
    return client;
  }

  async rotate(actor: AdminActor, clientId: string): Promise<string> {
    await this.get(clientId);
    const secret = await this.clients.rotateSecret(clientId);
    await this.journal.record(actor, { collectivityId: null, action: 'client.secret_rotated', subject: clientId, details: {} });
    return secret;
  }

  /**
   * Deletes a client once the platform team typed its identifier (`confirmation`): its grants, codes and tokens are
   * revoked with it (`ClientService.remove`), so the partner portal can neither start an authorization nor use what
   * it obtained (`invalid_client`). Journalled with the number of artefacts revoked.
   */
  async remove(actor: AdminActor, clientId: string, confirmation: string): Promise<void> {
    const client = await this.get(clientId);
    if (confirmation.trim() !== client.clientId) {
      const message = `Saisissez exactement l’identifiant du client (${client.clientId}) pour confirmer la suppression.`;
      throw DomainError.invalid('CLIENT_DELETE_UNCONFIRMED', message, [{ path: 'confirmation', code: 'MISMATCH', message }]);
    }
    const { artefactsRevoked } = await this.clients.remove(client.clientId);
    await this.journal.record(actor, { collectivityId: null, action: 'client.deleted', subject: client.clientId, details: { name: client.name, artefactsRevoked } });
  }
}
