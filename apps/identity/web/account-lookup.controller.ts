import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Account, ClientService, hmacHex, LoginThrottle, normalizeEmail, sha256Hex, IP_RULE, type ThrottleKey, type ThrottleRule } from '#accounts';
import { APP_CONFIG, DomainError, LOGGER, type AppConfig } from '#core';
import { authenticatedClient, refuseUnauthenticated } from './client-credentials.js';
import { noStore } from './form-view.js';

/** Lookups allowed per calling client (all its agents together), then progressively delayed. */
export const LOOKUP_CLIENT_RULE: ThrottleRule = { freeFailures: 600, baseDelayMs: 60_000, maxDelayMs: 15 * 60_000, windowMs: 3600_000 };
/** Lookups allowed per agent (the `agent` the client names), then progressively delayed. */
export const LOOKUP_AGENT_RULE: ThrottleRule = { freeFailures: 60, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000, windowMs: 3600_000 };

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/;
const AGENT = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Internal account lookup for submissions on behalf of a citizen (issue 7): `POST /api/comptes/recherche` with
 * `{ "email": "…", "agent": "<agent's sub at the caller>" }`, authenticated with the caller's OIDC client id and
 * secret (HTTP Basic, like the deleted-accounts API) and allowed only to the clients of
 * `IDENTITY_ACCOUNT_LOOKUP_CLIENTS` (default: the back office). Exact match of a **verified** address only
 * (no partial search, no listing). Answers the account's display name and the `sub` the **portal's** client
 * knows the person by (pairwise: HMAC of the salt over the portal client's sector and the account id), so that
 * a demand filed with it appears in the person's « Mes démarches ».
 *
 * Rate-limited per client and per agent (Redis, `LoginThrottle` counters: every lookup counts); failed
 * authentications count against the IP. Each call is audited in the log as an event `account_lookup` with the
 * client, a hash of the agent and the outcome — never the address, the name or the `sub`.
 */
@Controller('api/comptes/recherche')
export class AccountLookupController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ClientService,
    private readonly throttle: LoginThrottle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post()
  @HttpCode(200)
  async lookup(@Req() req: Request, @Res() res: Response) {
    noStore(res);
    const ip = req.ip ?? 'inconnue';
    const audit = (outcome: string, client: string | null, agent: string | null) =>
      this.logger.info({ event: 'account_lookup', client, agent: agent ? sha256Hex(agent).slice(0, 16) : null, outcome }, 'Recherche de compte par adresse');
    const ipKey: ThrottleKey[] = [{ rule: IP_RULE, key: `lookup:ip:${ip}` }];
    try {
      await this.throttle.assertAllowed(ipKey);
    } catch (error) {
      return this.refuse(res, error, () => audit('throttled', null, null));
    }
    const client = await authenticatedClient(this.clients, req);
    if (!client) {
      await this.throttle.fail(ipKey).catch(() => undefined);
      audit('unauthenticated', null, null);
      return refuseUnauthenticated(res);
    }
    if (!this.config.identity.accountLookupClients.includes(client.client_id)) {
      audit('forbidden', client.client_id, null);
      return res.status(403).json({ erreur: 'recherche_non_autorisee', message: 'Ce client n’est pas autorisé à rechercher des comptes.' });
    }
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const email = typeof body.email === 'string' ? normalizeEmail(body.email) : '';
    const agent = typeof body.agent === 'string' ? body.agent : '';
    if (!EMAIL.test(email) || email.length > 254 || !AGENT.test(agent)) {
      audit('invalid', client.client_id, null);
      return res.status(422).json({
        erreur: 'requete_invalide',
        message: 'Indiquez « email » (une adresse électronique complète) et « agent » (l’identifiant de l’agent qui recherche).',
      });
    }
    const keys: ThrottleKey[] = [
      { rule: LOOKUP_CLIENT_RULE, key: `lookup:client:${client.client_id}` },
      { rule: LOOKUP_AGENT_RULE, key: `lookup:agent:${client.client_id}:${agent}` },
    ];
    try {
      await this.throttle.assertAllowed(keys);
      await this.throttle.fail(keys);
    } catch (error) {
      return this.refuse(res, error, () => audit('throttled', client.client_id, agent));
    }
    const account = await this.dataSource.getRepository(Account).findOneBy({ email });
    if (!account?.emailVerifiedAt) {
      audit('not_found', client.client_id, agent);
      return res.status(404).json({ erreur: 'compte_introuvable', message: 'Aucun compte territorial vérifié n’utilise cette adresse électronique.' });
    }
    const portal = await this.clients.get(this.config.webApps.portal.oidcClientId);
    const redirectUri = portal?.redirectUris[0];
    if (!redirectUri) {
      audit('portal_client_missing', client.client_id, agent);
      return res.status(503).json({ erreur: 'portail_non_enregistre', message: 'Le client OIDC du portail n’est pas enregistré : le compte ne peut pas être rattaché.' });
    }
    audit('found', client.client_id, agent);
    const name = [account.givenName, account.familyName].filter(Boolean).join(' ') || account.preferredUsername || null;
    return res.status(200).json({
      compte: {
        nom: name,
        // The portal's pairwise `sub`: the provider's sector of a client is the host of its redirect URI.
        sub: hmacHex(this.config.identity.pairwiseSalt, `${new URL(redirectUri).host}|${account.id}`),
      },
    });
  }

  private refuse(res: Response, error: unknown, audit: () => void) {
    audit();
    if (error instanceof DomainError && error.kind === 'too_many') {
      return res.status(429).setHeader('Retry-After', '60').json({ erreur: 'trop_de_recherches', message: error.message });
    }
    return res.status(503).json({ erreur: 'indisponible', message: 'La recherche de compte est momentanément indisponible.' });
  }
}
