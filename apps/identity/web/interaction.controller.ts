import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Interaction } from 'oidc-provider';
import type { Logger } from 'pino';
import {
  AccountService,
  CERTIFICATION_REQUIRED_MESSAGE,
  ClientService,
  ConsentService,
  FranceConnectClient,
  FranceConnectErrors,
  LoginThrottle,
  SCOPES_WITHOUT_CONSENT,
} from '#accounts';
import { DomainError, LOGGER } from '#core';
import { TerritoryService } from '#territory';
import { ACR_LOCAL, requiresCertifiedIdentity, SCOPE_LABELS } from '../oidc/claims.js';
import { IdentityProvider, withFormAction } from '../oidc/identity-provider.js';
import { Csrf } from './csrf.js';
import { formErrors, noStore, STATUS_OF_KIND } from './form-view.js';

const INTERACTION_EXPIRED = 'INTERACTION_EXPIRED';

/**
 * The provider's interactions: login (email + password) and consent, as server-rendered French pages.
 * Each page is `no-store`, its forms carry the CSRF token, and its CSP lets the form's redirect chain end
 * at the client's registered origin.
 */
@Controller('interaction')
export class InteractionController {
  constructor(
    private readonly identity: IdentityProvider,
    private readonly csrf: Csrf,
    private readonly accounts: AccountService,
    private readonly clients: ClientService,
    private readonly consents: ConsentService,
    private readonly throttle: LoginThrottle,
    private readonly territory: TerritoryService,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly franceConnect: FranceConnectClient,
  ) {}

  @Get(':uid')
  async show(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response) {
    const details = await this.details(req, res, uid);
    if (!details) return;
    if (details.prompt.name === 'login') return this.renderLogin(req, res, details, 200);
    if (details.prompt.name === 'consent') return this.renderConsent(req, res, details);
    throw DomainError.invalid(INTERACTION_EXPIRED, 'Étape de connexion inconnue.');
  }

  @Post(':uid/login')
  async login(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const details = await this.details(req, res, uid);
    if (!details) return;
    if (details.prompt.name !== 'login') return res.redirect(303, `/interaction/${details.uid}`);
    const email = String(req.body?.email ?? '');
    const password = String(req.body?.password ?? '');
    try {
      // A client demanding a certified identity is not served by a password login (step-up through FranceConnect).
      if (requiresCertifiedIdentity(details.params.acr_values)) {
        throw new DomainError(FranceConnectErrors.CERTIFICATION_REQUIRED, CERTIFICATION_REQUIRED_MESSAGE, 'forbidden');
      }
      const account = await this.throttle.attemptLogin(email, req.ip ?? 'inconnue', () => this.accounts.authenticate(email, password));
      this.csrf.token(req, res, true); // a new CSRF value with the new session
      await (
        await this.identity.provider(req)
      ).interactionFinished(req, res, { login: { accountId: account.id, acr: ACR_LOCAL, amr: ['pwd'], remember: true } }, { mergeWithLastSubmission: false });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return this.renderLogin(req, res, details, STATUS_OF_KIND[error.kind] ?? 400, { email, error });
    }
  }

  @Post(':uid/consent')
  async consent(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const details = await this.details(req, res, uid);
    if (!details) return;
    if (details.prompt.name !== 'consent' || !details.session) return res.redirect(303, `/interaction/${details.uid}`);
    const provider = await this.identity.provider(req);
    if (req.body?.decision !== 'accepter') {
      return provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: "L'usager a refusé de transmettre ses données à ce service." },
        { mergeWithLastSubmission: false },
      );
    }
    const { accountId } = details.session;
    const clientId = details.params.client_id;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
    if (!grant) throw DomainError.invalid(INTERACTION_EXPIRED, 'La demande de connexion a expiré : recommencez depuis le service.');
    const missing = details.prompt.details.missingOIDCScope ?? [];
    if (missing.length) grant.addOIDCScope(missing.join(' '));
    if (details.prompt.details.missingOIDCClaims?.length) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    const consented = grant
      .getOIDCScope()
      .split(' ')
      .filter((scope) => scope && !SCOPES_WITHOUT_CONSENT.has(scope));
    if (consented.length) await this.consents.record(accountId, clientId, consented);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  @Post(':uid/abort')
  async abort(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const details = await this.details(req, res, uid);
    if (!details) return;
    await (
      await this.identity.provider(req)
    ).interactionFinished(req, res, { error: 'access_denied', error_description: "L'usager a abandonné la connexion." }, { mergeWithLastSubmission: false });
  }

  /** The interaction of the browser's cookie, which must be the one in the URL; renders an "expired" page otherwise. */
  private async details(req: Request, res: Response, uid: string): Promise<Interaction | undefined> {
    const provider = await this.identity.provider(req);
    let details: Interaction | undefined;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (error) {
      this.logger.info({ err: error }, 'Interaction introuvable ou expirée');
    }
    if (!details || details.uid !== uid) {
      noStore(res).status(400).render('message', {
        pageTitle: 'Demande de connexion expirée',
        message: 'Cette demande de connexion a expiré ou a déjà abouti. Retournez sur le service et recommencez.',
      });
      return undefined;
    }
    return details;
  }

  private async clientCsp(res: Response, clientId: string, extraTargets: string[] = []) {
    const client = await this.clients.get(clientId);
    res.setHeader('Content-Security-Policy', withFormAction(res.getHeader('Content-Security-Policy'), [...(client?.redirectUris ?? []), ...extraTargets]));
    return client;
  }

  private async renderLogin(req: Request, res: Response, details: Interaction, status: number, state: { email?: string; error?: DomainError } = {}) {
    const client = await this.clientCsp(res, details.params.client_id, this.franceConnect.formTargets());
    const certifiedRequired = requiresCertifiedIdentity(details.params.acr_values);
    noStore(res)
      .status(status)
      .render('login', {
        franceConnect: this.franceConnect.enabled ? { action: `/interaction/${details.uid}/franceconnect` } : undefined,
        certifiedRequired,
        franceConnectUnavailable: certifiedRequired && !this.franceConnect.enabled,
        pageTitle: 'Se connecter',
        uid: details.uid,
        csrf: this.csrf.token(req, res),
        clientName: client?.name,
        email: state.email ?? details.params.login_hint ?? '',
        errors: state.error ? formErrors(state.error, { _form: 'email' }) : undefined,
      });
  }

  private async renderConsent(req: Request, res: Response, details: Interaction) {
    const client = await this.clientCsp(res, details.params.client_id);
    const requested = new Set([...(details.prompt.details.missingOIDCScope ?? []), ...(details.params.scope ?? '').split(' ')]);
    const scopes = [...requested].filter((scope) => SCOPE_LABELS[scope]).map((scope) => SCOPE_LABELS[scope]);
    const collectivity = client?.collectivityId
      ? ((await this.territory.listCommunes()).find((commune) => commune.id === client.collectivityId)?.name ?? null)
      : null;
    noStore(res).render('consent', {
      pageTitle: 'Autoriser la transmission de vos données',
      uid: details.uid,
      csrf: this.csrf.token(req, res),
      clientName: client?.name ?? details.params.client_id,
      collectivity: collectivity ?? 'la Métropole',
      purpose: client?.purpose,
      scopes,
      keepsAccess: requested.has('offline_access'),
    });
  }
}
