import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import {
  AccountService,
  ClientService,
  FranceConnectAccounts,
  FranceConnectClient,
  FranceConnectErrors,
  LoginThrottle,
  randomToken,
  safeEqual,
  SUB_ALREADY_LINKED_MESSAGE,
  type Account,
} from '#accounts';
import { DomainError, LOGGER } from '#core';
import { ACR_EIDAS1 } from '../oidc/claims.js';
import { FLOW_TTL_S, FranceConnectSessions, type FranceConnectFlow } from '../oidc/franceconnect-sessions.js';
import { IdentityProvider, SESSION_ABSOLUTE_S, withFormAction } from '../oidc/identity-provider.js';
import { AccountSession } from './account-session.js';
import { Csrf, readCookie } from './csrf.js';
import { formErrors, noStore, STATUS_OF_KIND } from './form-view.js';

const EXPIRED_MESSAGE = 'Cette connexion avec FranceConnect a expiré ou a déjà abouti. Retournez sur le service et recommencez.';

/**
 * "S'identifier avec FranceConnect": the identity app as a FranceConnect client. The flow (state, nonce, PKCE
 * verifier, the interaction it belongs to) is kept in Redis under a random handle held by an HttpOnly cookie,
 * so the callback is accepted only in the browser that started it and only with the state sent. A FranceConnect
 * identity already linked logs into its account; otherwise the person creates an account from it, or links an
 * existing account by logging into it with its password.
 */
@Controller()
export class FranceConnectController {
  constructor(
    private readonly identity: IdentityProvider,
    private readonly csrf: Csrf,
    private readonly client: FranceConnectClient,
    private readonly fcAccounts: FranceConnectAccounts,
    private readonly sessions: FranceConnectSessions,
    private readonly accounts: AccountService,
    private readonly clients: ClientService,
    private readonly throttle: LoginThrottle,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly accountSessions: AccountSession,
  ) {}

  private cookieName(req: Request) {
    return this.identity.secure(req) ? '__Host-parvis_fc' : 'parvis_fc';
  }

  private handle(req: Request): string | undefined {
    return readCookie(req, this.cookieName(req));
  }

  private message(res: Response, status: number, pageTitle: string, message: string, link?: { href: string; label: string }) {
    noStore(res).status(status).render('message', { pageTitle, message, link });
  }

  private refuse(res: Response, error: unknown, flow?: FranceConnectFlow | null) {
    if (!(error instanceof DomainError)) throw error;
    this.logger.info({ code: error.code, err: error.cause }, 'Connexion FranceConnect refusée');
    const back = flow?.uid
      ? { href: `/interaction/${flow.uid}`, label: 'Revenir à la page de connexion' }
      : flow
        ? { href: flow.sessionAccountId ? '/compte' : '/compte/connexion', label: flow.sessionAccountId ? 'Revenir à mon compte' : 'Revenir à la page de connexion' }
        : undefined;
    this.message(res, STATUS_OF_KIND[error.kind] ?? 400, 'Connexion avec FranceConnect impossible', error.message, back);
  }

  /** Starts the authorization at FranceConnect for the login interaction `uid`. */
  @Post('interaction/:uid/franceconnect')
  async startFromLogin(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const provider = await this.identity.provider(req);
    const details = await provider.interactionDetails(req, res).catch(() => undefined);
    if (!details || details.uid !== uid) return this.message(res, 400, 'Demande de connexion expirée', EXPIRED_MESSAGE);
    return this.start(req, res, { uid, clientId: details.params.client_id, sessionAccountId: details.session?.accountId ?? null });
  }

  /** Starts the authorization at FranceConnect from the registration page (no interaction): ends at « Mon compte ». */
  @Post('franceconnect/connexion')
  async startFromRegistration(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    return this.start(req, res, { uid: null, clientId: null, sessionAccountId: null });
  }

  /** Starts the authorization at FranceConnect from the account area's login page: ends signed in at « Mon compte ». */
  @Post('compte/franceconnect')
  async startFromAccountLogin(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    return this.start(req, res, { uid: null, clientId: null, sessionAccountId: null });
  }

  /** « Relier à FranceConnect » from « Mon compte »: the signed-in account is linked (its password is asked again). */
  @Post('compte/franceconnect/relier')
  async startLinkFromAccount(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.accountSessions.current(req, res);
    if (!current) return noStore(res).redirect(303, '/compte/connexion');
    return this.start(req, res, { uid: null, clientId: null, sessionAccountId: current.account.id });
  }

  private async start(req: Request, res: Response, context: Pick<FranceConnectFlow, 'uid' | 'clientId' | 'sessionAccountId'>) {
    try {
      const authorization = await this.client.authorize(this.identity.origin(req));
      const handle = randomToken();
      await this.sessions.saveFlow(handle, { ...context, state: authorization.state, nonce: authorization.nonce, codeVerifier: authorization.codeVerifier });
      res.cookie(this.cookieName(req), handle, { httpOnly: true, sameSite: 'lax', secure: this.identity.secure(req), path: '/', maxAge: FLOW_TTL_S * 1000 });
      noStore(res).redirect(303, authorization.url);
    } catch (error) {
      this.refuse(res, error);
    }
  }

  /** FranceConnect's callback: state, code exchange, ID token and signed userinfo, then the account. */
  @Get('franceconnect/retour')
  async callback(@Query('state') state: string | undefined, @Query('error') fcError: string | undefined, @Req() req: Request, @Res() res: Response) {
    const handle = this.handle(req);
    const flow = await this.sessions.flow(handle);
    if (!handle || !flow || flow.result) return this.message(res, 400, 'Connexion avec FranceConnect impossible', EXPIRED_MESSAGE);
    if (!state || !safeEqual(state, flow.state)) {
      await this.sessions.dropFlow(handle);
      return this.message(res, 400, 'Connexion avec FranceConnect impossible', 'La réponse de FranceConnect ne correspond pas à votre demande : la connexion est refusée. Recommencez depuis le service.');
    }
    if (fcError) {
      await this.sessions.dropFlow(handle);
      if (flow.uid) return noStore(res).redirect(303, `/interaction/${flow.uid}`);
      return noStore(res).redirect(303, flow.sessionAccountId ? '/compte' : '/compte/connexion');
    }
    const origin = this.identity.origin(req);
    try {
      // Single use: whatever happens next, this state and code are never accepted again.
      await this.sessions.dropFlow(handle);
      const result = await this.client.callback(origin, new URL(req.originalUrl, origin), flow);
      const linked = await this.fcAccounts.findLink(result.pivot.sub);
      if (linked && flow.sessionAccountId && linked.accountId !== flow.sessionAccountId) {
        throw DomainError.conflict(FranceConnectErrors.SUB_ALREADY_LINKED, SUB_ALREADY_LINKED_MESSAGE);
      }
      const next: FranceConnectFlow = { ...flow, result: { pivot: result.pivot, idToken: result.idToken } };
      if (linked) {
        const account = await this.fcAccounts.logIn(result.pivot);
        next.accountId = account!.id;
        await this.sessions.saveFlow(handle, next);
        return await this.finish(req, res, handle, next);
      }
      await this.sessions.saveFlow(handle, next);
      return noStore(res).redirect(303, '/franceconnect/premiere-connexion');
    } catch (error) {
      this.refuse(res, error, flow);
    }
  }

  /** First login with this FranceConnect identity: create an account, or link an existing one. */
  @Get('franceconnect/premiere-connexion')
  async firstLogin(@Req() req: Request, @Res() res: Response) {
    const flow = await this.sessions.flow(this.handle(req));
    if (!flow?.result || flow.accountId) return this.message(res, 400, 'Connexion avec FranceConnect impossible', EXPIRED_MESSAGE);
    return this.renderFirstLogin(req, res, flow, 200);
  }

  @Post('franceconnect/premiere-connexion/creer')
  async create(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const handle = this.handle(req)!;
    const flow = await this.sessions.flow(handle);
    if (!flow?.result || flow.accountId) return this.message(res, 400, 'Connexion avec FranceConnect impossible', EXPIRED_MESSAGE);
    if (flow.sessionAccountId) return this.renderFirstLogin(req, res, flow, 409);
    try {
      const account = await this.fcAccounts.createAccount(flow.result.pivot);
      const origin = this.identity.origin(req);
      await this.accounts.sendEmailVerification(account.id, {
        verifyEmail: (token) => `${origin}/inscription/confirmer?jeton=${encodeURIComponent(token)}`,
        resetPassword: (token) => (token ? `${origin}/mot-de-passe/nouveau?jeton=${encodeURIComponent(token)}` : `${origin}/mot-de-passe/oubli`),
      });
      return await this.linked(req, res, handle, flow, account);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return this.renderFirstLogin(req, res, flow, STATUS_OF_KIND[error.kind] ?? 400, { error, form: 'creer' });
    }
  }

  /** Links an existing account: its own login (email and password, throttled like the login page) is required. */
  @Post('franceconnect/premiere-connexion/relier')
  async link(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const handle = this.handle(req)!;
    const flow = await this.sessions.flow(handle);
    if (!flow?.result || flow.accountId) return this.message(res, 400, 'Connexion avec FranceConnect impossible', EXPIRED_MESSAGE);
    const email = String(req.body?.email ?? '');
    const password = String(req.body?.password ?? '');
    try {
      const account = await this.throttle.attemptLogin(email, req.ip ?? 'inconnue', () => this.accounts.authenticate(email, password));
      // With a session open, only that account may be linked (its password re-authenticates the person).
      if (flow.sessionAccountId && account.id !== flow.sessionAccountId) {
        throw DomainError.conflict(FranceConnectErrors.ACCOUNT_ALREADY_LINKED, 'Connectez-vous avec le compte déjà ouvert dans ce navigateur pour le relier à FranceConnect.');
      }
      const certified = await this.fcAccounts.link(account.id, flow.result.pivot);
      return await this.linked(req, res, handle, flow, certified);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return this.renderFirstLogin(req, res, flow, STATUS_OF_KIND[error.kind] ?? 400, { error, form: 'relier', email });
    }
  }

  private async linked(req: Request, res: Response, handle: string, flow: FranceConnectFlow, account: Account) {
    const next = { ...flow, accountId: account.id };
    await this.sessions.saveFlow(handle, next);
    return this.finish(req, res, handle, next);
  }

  /**
   * Back to the interaction (the login is finished there, where its cookie is); else (started from the account
   * area or the registration page) a provider session established through FranceConnect (`acr` eidas1, its ID
   * token kept for the chained logout) and « Mon compte ».
   */
  private async finish(req: Request, res: Response, handle: string, flow: FranceConnectFlow) {
    if (flow.uid) return noStore(res).redirect(303, `/interaction/${flow.uid}/franceconnect/terminer`);
    const account = flow.accountId ? await this.accounts.findById(flow.accountId) : null;
    if (!account || !flow.result) return this.message(res, 400, 'Connexion avec FranceConnect impossible', EXPIRED_MESSAGE);
    await this.sessions.dropFlow(handle);
    res.clearCookie(this.cookieName(req), { path: '/' });
    const session = await this.accountSessions.logIn(req, res, account, { acr: ACR_EIDAS1, amr: ['fc'] });
    await this.sessions.bindSession(session.uid, flow.result.idToken, SESSION_ABSOLUTE_S);
    this.csrf.token(req, res, true);
    // Back to the page the account area's login was asked from (the mandate request's link), else « Mon compte ».
    return noStore(res).redirect(303, this.accountSessions.takeReturn(req, res));
  }

  /** Finishes the OIDC interaction with the account, `acr` eidas1 and `amr` fc. */
  @Get('interaction/:uid/franceconnect/terminer')
  async complete(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response) {
    const handle = this.handle(req);
    const flow = await this.sessions.flow(handle);
    const provider = await this.identity.provider(req);
    const details = await provider.interactionDetails(req, res).catch(() => undefined);
    if (!handle || !flow?.accountId || !flow.result || flow.uid !== uid || details?.uid !== uid) {
      return this.message(res, 400, 'Demande de connexion expirée', EXPIRED_MESSAGE);
    }
    await this.sessions.dropFlow(handle);
    res.clearCookie(this.cookieName(req), { path: '/' });
    await this.sessions.rememberLogin(uid, flow.accountId, flow.result.idToken);
    this.csrf.token(req, res, true);
    await provider.interactionFinished(req, res, { login: { accountId: flow.accountId, acr: ACR_EIDAS1, amr: ['fc'], remember: true } }, { mergeWithLastSubmission: false });
  }

  /** FranceConnect's return after its logout: on to where the territorial account's logout was going. */
  @Get('franceconnect/deconnexion')
  async afterLogout(@Query('state') state: string | undefined, @Res() res: Response) {
    const target = await this.sessions.logoutReturn(String(state ?? ''));
    if (target?.returnTo) return noStore(res).redirect(303, target.returnTo);
    this.message(res, 200, 'Vous êtes déconnecté', 'Vous êtes déconnecté du compte territorial et de FranceConnect.');
  }

  private async renderFirstLogin(req: Request, res: Response, flow: FranceConnectFlow, status: number, state: { error?: DomainError; form?: 'creer' | 'relier'; email?: string } = {}) {
    const pivot = flow.result!.pivot;
    const client = flow.clientId ? await this.clients.get(flow.clientId) : null;
    res.setHeader('Content-Security-Policy', withFormAction(res.getHeader('Content-Security-Policy'), client?.redirectUris ?? []));
    const sessionAccount = flow.sessionAccountId ? await this.accounts.findById(flow.sessionAccountId) : null;
    const errors = state.error ? formErrors(state.error, { _form: state.form === 'relier' ? 'fc-email' : 'fc-creer' }) : undefined;
    noStore(res)
      .status(status)
      .render('franceconnect-first-login', {
        pageTitle: 'Première connexion avec FranceConnect',
        csrf: this.csrf.token(req, res),
        givenName: pivot.givenName,
        familyName: pivot.familyName,
        email: state.email ?? sessionAccount?.email ?? pivot.email ?? '',
        sessionEmail: sessionAccount?.email,
        canCreate: !flow.sessionAccountId,
        errors,
      });
  }
}
