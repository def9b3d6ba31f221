import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { MANDATE_SCOPES, MandateService, type Company, type MandateLinks, type MandateScope, type MandateView } from '#accounts';
import { DomainError } from '#core';
import { IdentityProvider } from '../oidc/identity-provider.js';
import { AccountSession, type SignedIn } from './account-session.js';
import { Csrf } from './csrf.js';
import { formErrors, noStore, STATUS_OF_KIND, type FormErrors } from './form-view.js';

const STATUS_LABELS: Record<string, string> = {
  pending: 'En attente de réponse',
  active: 'Actif',
  refused: 'Refusé',
  revoked: 'Retiré',
  expired: 'Expiré sans réponse',
};
const ROLE_LABELS: Record<string, string> = { dirigeant: 'Dirigeant', mandataire: 'Mandataire' };

const SEARCH_IDS = { numero: 'numero', _form: 'numero' };
const REQUEST_IDS = { numero: 'numero', dirigeant: 'dirigeant-0', email: 'email-dirigeant', etendue: 'etendue-demarches', _form: 'dirigeant-0' };

function text(body: Record<string, unknown> | undefined, name: string): string {
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
const when = (date: Date | null) => (date ? { text: dateFormat.format(date), iso: date.toISOString() } : null);

function mandateRow(mandate: MandateView, side: 'held' | 'granted') {
  return {
    id: mandate.id,
    denomination: mandate.denomination,
    siren: mandate.siren,
    siret: mandate.siret,
    role: ROLE_LABELS[mandate.role],
    roleCode: mandate.role,
    scope: MANDATE_SCOPES[mandate.scope],
    status: STATUS_LABELS[mandate.status],
    statusCode: mandate.status,
    leaderName: mandate.leaderName,
    holderName: mandate.holderName,
    createdAt: when(mandate.createdAt),
    activeSince: when(mandate.activeSince),
    decidedAt: when(mandate.decidedAt),
    revokedAt: when(mandate.revokedAt),
    expiresAt: when(mandate.requestExpiresAt),
    revocable: mandate.status === 'active' || (side === 'held' && mandate.status === 'pending'),
    revokeLabel: mandate.status === 'pending' ? 'Retirer la demande' : 'Retirer le mandat',
  };
}

/**
 * The professional area of « Mon compte » (« Espace professionnel »): verify a company (SIREN/SIRET) in the registry,
 * declare oneself its leader (FranceConnect-certified identity matching a `dirigeant`), ask a leader for a mandate
 * (mail with a single-use link), answer a request as a leader, see and revoke mandates. The professional identity
 * is kept apart from the personal profile: services receive it only under the `mandats` scope.
 * Every page is `no-store`, every form carries the CSRF token.
 */
@Controller('compte/professionnel')
export class ProfessionalController {
  constructor(
    private readonly sessions: AccountSession,
    private readonly csrf: Csrf,
    private readonly identity: IdentityProvider,
    private readonly mandates: MandateService,
  ) {}

  private links(req: Request): MandateLinks {
    const origin = this.identity.origin(req);
    return {
      respond: (token) => `${origin}/compte/professionnel/reponse?jeton=${encodeURIComponent(token)}`,
      area: () => `${origin}/compte/professionnel`,
    };
  }

  private signedIn(req: Request, res: Response): Promise<SignedIn | null> {
    return this.sessions.requireSignedIn(req, res);
  }

  private async renderArea(req: Request, res: Response, current: SignedIn, state: { status?: number; errors?: FormErrors; numero?: string; notice?: string } = {}) {
    const { held, granted } = await this.mandates.listForAccount(current.account.id);
    noStore(res)
      .status(state.status ?? 200)
      .render('account-professional', {
        pageTitle: 'Espace professionnel',
        csrf: this.csrf.token(req, res),
        certified: current.account.certificationLevel !== 'none',
        numero: state.numero ?? '',
        errors: state.errors,
        notice: state.notice,
        held: held.map((mandate) => mandateRow(mandate, 'held')),
        granted: granted.map((mandate) => mandateRow(mandate, 'granted')),
      });
  }

  private renderCompany(
    req: Request,
    res: Response,
    current: SignedIn,
    company: Company,
    numero: string,
    state: { status?: number; errors?: FormErrors; values?: { dirigeant?: string; email?: string; etendue?: string } } = {},
  ) {
    const values = state.values ?? {};
    const certified = current.account.certificationLevel !== 'none';
    const isLeader = this.mandates.leadersMatching(current.account, company).length > 0;
    noStore(res)
      .status(state.status ?? 200)
      .render('account-professional-company', {
        pageTitle: `Entreprise ${company.denomination}`,
        csrf: this.csrf.token(req, res),
        numero,
        company: { ...company, leaderCount: company.leaders.length },
        certified,
        isLeader,
        leaders: company.leaders.map((leader, index) => ({
          index,
          name: `${leader.givenNames} ${leader.familyName}`.trim(),
          role: leader.role,
          checked: values.dirigeant === String(index),
        })),
        scopes: (Object.keys(MANDATE_SCOPES) as MandateScope[]).map((value) => ({ value, label: MANDATE_SCOPES[value], checked: values.etendue === value })),
        email: values.email ?? '',
        errors: state.errors,
      });
  }

  /** Runs an action; a domain error is shown on the page `render` draws (status from its kind). */
  private async attempt(action: () => Promise<void>, render: (status: number, errors: FormErrors) => unknown, ids: Record<string, string>) {
    try {
      await action();
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      await render(STATUS_OF_KIND[error.kind] ?? 400, formErrors(error, ids));
    }
  }

  @Get()
  async area(@Req() req: Request, @Res() res: Response) {
    const current = await this.signedIn(req, res);
    if (!current) return;
    const notices: Record<string, string> = {
      dirigeant: 'Vous êtes enregistré comme dirigeant de l’entreprise : votre mandat est actif.',
      demande: 'Votre demande de mandat est envoyée au dirigeant par courriel. Vous serez prévenu de sa réponse.',
      retire: 'Le mandat est retiré.',
    };
    await this.renderArea(req, res, current, { notice: notices[String(req.query.fait ?? '')] });
  }

  /** Step 1: the company of a SIREN/SIRET, verified in the registry (a lookup: GET, nothing stored). */
  @Get('entreprise')
  async company(@Query('numero') numero: string | undefined, @Req() req: Request, @Res() res: Response) {
    const current = await this.signedIn(req, res);
    if (!current) return;
    const value = typeof numero === 'string' ? numero : '';
    await this.attempt(
      async () => this.renderCompany(req, res, current, await this.mandates.verifyCompany(value), value),
      (status, errors) => this.renderArea(req, res, current, { status, errors, numero: value }),
      SEARCH_IDS,
    );
  }

  /** Step 2a: the certified person is a leader of the company: a `dirigeant` mandate at once. */
  @Post('dirigeant')
  async declareLeader(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const numero = text(req.body, 'numero');
    await this.attempt(
      async () => {
        await this.mandates.declareLeader(current.account.id, numero);
        noStore(res).redirect(303, '/compte/professionnel?fait=dirigeant');
      },
      (status, errors) => this.renderArea(req, res, current, { status, errors, numero }),
      SEARCH_IDS,
    );
  }

  /** Step 2b: ask a leader of the company for a mandate (a mail with a single-use link goes to the leader). */
  @Post('demandes')
  async requestMandate(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const numero = text(req.body, 'numero');
    const values = { dirigeant: text(req.body, 'dirigeant'), email: text(req.body, 'email'), etendue: text(req.body, 'etendue') };
    await this.attempt(
      async () => {
        await this.mandates.requestMandate(current.account.id, { number: numero, leader: values.dirigeant, leaderEmail: values.email, scope: values.etendue }, this.links(req));
        noStore(res).redirect(303, '/compte/professionnel?fait=demande');
      },
      async (status, errors) => {
        // Errors about the form are shown on the company's page; others (company gone, registry down) on the area.
        if (!errors.byField.numero && errors.summary.every(({ id }) => id !== 'numero')) {
          const company = await this.mandates.verifyCompany(numero).catch(() => null);
          if (company) return this.renderCompany(req, res, current, company, numero, { status, errors, values });
        }
        return this.renderArea(req, res, current, { status, errors, numero });
      },
      REQUEST_IDS,
    );
  }

  /** Either party revokes an active mandate; the requester may withdraw a pending request. */
  @Post('mandats/:id/retirer')
  async revoke(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    await this.attempt(
      async () => {
        await this.mandates.revoke(id, current.account.id, this.links(req));
        noStore(res).redirect(303, '/compte/professionnel?fait=retire');
      },
      (status, errors) => this.renderArea(req, res, current, { status, errors }),
      {},
    );
  }

  private renderMessage(res: Response, status: number, pageTitle: string, message: string, link?: { href: string; label: string }) {
    noStore(res).status(status).render('message', { pageTitle, message, link });
  }

  /** The mail's link: a leader (signed in, FranceConnect-certified, matching a leader of the company) sees the request. */
  @Get('reponse')
  async reviewRequest(@Query('jeton') token: string | undefined, @Req() req: Request, @Res() res: Response) {
    const current = await this.sessions.current(req, res);
    if (!current) {
      return this.renderMessage(
        res,
        200,
        'Demande de mandat',
        'Pour répondre à cette demande de mandat, connectez-vous à votre compte territorial avec FranceConnect (seul un dirigeant de l’entreprise identifié par FranceConnect peut y répondre) : vous reviendrez ensuite sur cette demande.',
        { href: `/compte/connexion?retour=${encodeURIComponent(`/compte/professionnel/reponse?jeton=${encodeURIComponent(typeof token === 'string' ? token : '')}`)}`, label: 'Se connecter au compte territorial' },
      );
    }
    const jeton = typeof token === 'string' ? token : '';
    try {
      const review = await this.mandates.reviewRequest(jeton, current.account.id);
      noStore(res).render('mandate-request', {
        pageTitle: 'Demande de mandat',
        csrf: this.csrf.token(req, res),
        token: jeton,
        requester: review.requester,
        company: review.company,
        scope: MANDATE_SCOPES[review.mandate.scope],
        leaderName: review.mandate.leaderName,
        createdAt: when(review.mandate.createdAt),
        expiresAt: when(review.mandate.requestExpiresAt),
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.renderMessage(res, STATUS_OF_KIND[error.kind] ?? 400, 'Demande de mandat', error.message, { href: '/compte/professionnel', label: 'Aller à mon espace professionnel' });
    }
  }

  @Post('reponse')
  async decide(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const decision = text(req.body, 'decision');
    if (decision !== 'accorder' && decision !== 'refuser') {
      return this.renderMessage(res, 422, 'Demande de mandat', 'Choisissez d’accorder ou de refuser le mandat.');
    }
    try {
      const mandate = await this.mandates.decide(text(req.body, 'jeton'), current.account.id, decision === 'accorder', this.links(req));
      this.renderMessage(
        res,
        200,
        decision === 'accorder' ? 'Mandat accordé' : 'Mandat refusé',
        decision === 'accorder'
          ? `Le mandat pour ${mandate.denomination} est accordé. La personne qui l’a demandé en est prévenue par courriel. Vous pourrez le retirer à tout moment depuis votre espace professionnel.`
          : `Vous avez refusé le mandat pour ${mandate.denomination}. La personne qui l’a demandé en est prévenue par courriel.`,
        { href: '/compte/professionnel', label: 'Aller à mon espace professionnel' },
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.renderMessage(res, STATUS_OF_KIND[error.kind] ?? 400, 'Demande de mandat', error.message, { href: '/compte/professionnel', label: 'Aller à mon espace professionnel' });
    }
  }
}
