import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '#core';
import {
  AnswerInformationRequest,
  AnswerInformationRequestCommand,
  CitizenDemandQueries,
  CitizenDrafts,
  DemandQueries,
  formatTrackingCode,
  MESSAGE_MAX_FILE_BYTES,
  MESSAGE_MAX_FILES,
  PostMessage,
  PostMessageCommand,
  type CitizenDemandState,
  type EngineCaller,
} from '#demands';
import type { SessionUser } from '#web-session';
import { portalNavigation } from '../navigation.js';
import { citizenCaller, citizenUser, demandPage, fieldErrors, formatDate, formatDateTime, one, statusChip } from './citizen-pages.js';
import { readMultipart } from './multipart.js';
import { draftResumeHref } from './resume.js';
import { sendAttachment } from './send-attachment.js';

const PAGE_SIZE = 20;
const STATES: Record<string, CitizenDemandState> = { 'en-cours': 'open', terminees: 'closed' };

/**
 * « Mes démarches »: the logged-in citizen's drafts and demands (every collectivity), a demand's page with its
 * messages and the pending request for information, its files. Everything reads in the citizen's tenant scope:
 * another account's demand, an unknown id and a malformed id give the same 404 page.
 */
@Controller('mes-demarches')
export class MyDemandsController {
  constructor(
    private readonly citizen: CitizenDemandQueries,
    private readonly queries: DemandQueries,
    private readonly drafts: CitizenDrafts,
    private readonly postMessage: PostMessage,
    private readonly answerRequest: AnswerInformationRequest,
  ) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @Query() query: Record<string, unknown>) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Mes démarches');
    const filter = one(query.etat);
    const state = STATES[filter] ?? 'all';
    const after = one(query.apres, 300) || null;
    const [page, drafts] = await Promise.all([this.citizen.demands(user.sub, { state, after, limit: PAGE_SIZE }), after ? Promise.resolve([]) : this.citizen.drafts(user.sub)]);
    const base = filter && STATES[filter] ? `/mes-demarches?etat=${filter}` : '/mes-demarches';
    const filterLabel = state === 'open' ? 'en cours' : state === 'closed' ? 'terminées' : '';
    res.render('citizen-dashboard', {
      pageTitle: `Mes démarches${filterLabel ? ` ${filterLabel}` : ''}${after ? ' (suite)' : ''}`,
      navigation: portalNavigation('mes-demarches'),
      notice: one(query.supprime) === '1' ? 'Le brouillon a été supprimé.' : null,
      drafts: drafts.map((draft) => ({
        id: draft.id,
        title: draft.teleserviceTitle,
        collectivityName: draft.collectivityName,
        updatedAt: formatDateTime(draft.updatedAt),
        updatedIso: draft.updatedAt.toISOString(),
        expiresAt: formatDate(draft.expiresAt),
        resumeHref: draftResumeHref(draft),
        deleteHref: `/mes-demarches/brouillons/${draft.id}/supprimer`,
      })),
      showDrafts: !after,
      filters: [
        { href: '/mes-demarches', label: 'Toutes', current: state === 'all' },
        { href: '/mes-demarches?etat=en-cours', label: 'En cours', current: state === 'open' },
        { href: '/mes-demarches?etat=terminees', label: 'Terminées', current: state === 'closed' },
      ],
      filterLabel,
      demands: page.items.map((demand) => ({
        href: `/mes-demarches/${demand.id}`,
        trackingCode: formatTrackingCode(demand.trackingCode),
        title: demand.teleserviceTitle,
        collectivityName: demand.collectivityName,
        status: statusChip(demand.citizenStatus),
        closed: demand.closed,
        updatedAt: formatDateTime(demand.updatedAt),
        updatedIso: demand.updatedAt.toISOString(),
      })),
      nextHref: page.next ? `${base}${base.includes('?') ? '&' : '?'}apres=${encodeURIComponent(page.next)}` : null,
      firstHref: after ? base : null,
    });
  }

  /** Confirmation page (works without JavaScript) before a draft is deleted. */
  @Get('brouillons/:id/supprimer')
  async confirmDelete(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Supprimer un brouillon');
    const draft = (await this.citizen.drafts(user.sub)).find((d) => d.id === id);
    if (!draft) throw draftNotFound();
    res.render('citizen-draft-delete', {
      pageTitle: `Supprimer le brouillon « ${draft.teleserviceTitle} » — Mes démarches`,
      navigation: portalNavigation('mes-demarches'),
      draft: { id: draft.id, title: draft.teleserviceTitle, updatedAt: formatDateTime(draft.updatedAt) },
      action: `/mes-demarches/brouillons/${draft.id}/supprimer`,
    });
  }

  @Post('brouillons/:id/supprimer')
  async deleteDraft(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Supprimer un brouillon');
    if (!(await this.drafts.delete(user.sub, id))) throw draftNotFound();
    res.redirect(303, '/mes-demarches?supprime=1');
  }

  @Get(':id')
  async show(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Suivi d’une demande');
    const notice = NOTICES[one(query.fait)] ?? null;
    await this.render(res, user, id, { notice });
  }

  /** A file of the demand, always as a download (never displayed inline: no HTML or SVG runs on this origin). */
  @Get(':id/pieces-jointes/:attachmentId')
  async download(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('attachmentId') attachmentId: string) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Pièce jointe');
    sendAttachment(res, await this.queries.attachment(citizenCaller(user), id, attachmentId));
  }

  /** A message to the agents, with up to 5 files (multipart; CSRF token in the action's query string). */
  @Post(':id/messages')
  async message(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Suivi d’une demande');
    const caller = citizenCaller(user);
    const form = await readMultipart(req, { maxFiles: MESSAGE_MAX_FILES, maxFileBytes: MESSAGE_MAX_FILE_BYTES, maxFieldBytes: 20_000 });
    const body = form.fields.message ?? '';
    const problem = uploadProblem(form);
    try {
      if (problem) throw problem;
      await this.postMessage.execute(
        PostMessageCommand.create(caller, { demandId: id, body, files: form.files.map((file) => ({ name: file.name, content: file.content })) }),
      );
    } catch (error) {
      const errors = fieldErrors(error, { body: 'message', files: 'message-fichiers' });
      if (!errors) throw error;
      res.status(422);
      await this.render(res, user, id, { message: { value: body, error: errors.byField.body ?? errors.byField.files, errors: errors.summary } });
      return;
    }
    res.redirect(303, `/mes-demarches/${encodeURIComponent(id)}?fait=message#messages`);
  }

  /** The answer to the pending request for information: the demand resumes its processing. */
  @Post(':id/complement')
  async answer(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Suivi d’une demande');
    const value = typeof req.body?.reponse === 'string' ? String(req.body.reponse).slice(0, 20_000) : '';
    try {
      await this.answerRequest.execute(AnswerInformationRequestCommand.create(citizenCaller(user), { demandId: id, answer: value }));
    } catch (error) {
      const status = answerRefusal(error);
      if (status === null) throw error;
      const errors = fieldErrors(error, { answer: 'reponse' });
      res.status(status);
      const message = error instanceof DomainError ? error.message : '';
      await this.render(res, user, id, {
        answer: { value, error: errors?.byField.answer ?? message, errors: errors?.summary ?? [{ message }] },
      });
      return;
    }
    res.redirect(303, `/mes-demarches/${encodeURIComponent(id)}?fait=complement`);
  }

  private async render(res: Response, user: SessionUser, id: string, extra: Omit<Parameters<typeof demandPage>[1], 'base' | 'canWrite' | 'csrfToken'>) {
    const caller: EngineCaller = citizenCaller(user);
    const view = await this.citizen.detail(caller, id);
    const base = `/mes-demarches/${view.demand.id}`;
    const page = demandPage(view, { ...extra, base, canWrite: true, csrfToken: String(res.locals.csrfToken ?? '') });
    res.render('citizen-demand', {
      ...page,
      pageTitle: `${page.errors.length ? 'Erreur — ' : ''}Demande ${formatTrackingCode(view.demand.trackingCode)} — ${view.teleserviceTitle} — Mes démarches`,
      navigation: portalNavigation('mes-demarches'),
      breadcrumb: { href: '/mes-demarches', label: 'Mes démarches' },
    });
  }
}

const NOTICES: Record<string, string> = {
  message: 'Votre message a été envoyé.',
  complement: 'Votre réponse a été envoyée : le traitement de votre demande reprend.',
};

/** A refusal of the answer the page can show (not found stays a 404 page). */
export function answerRefusal(error: unknown): number | null {
  if (!(error instanceof DomainError) || error.kind === 'not_found') return null;
  return error.kind === 'conflict' ? 409 : error.kind === 'forbidden' ? 403 : error.kind === 'invalid' ? 422 : null;
}

/** Files the multipart reader had to drop, as the use case's own field errors. */
export function uploadProblem(form: { tooLarge: string[]; tooMany: boolean }): DomainError | null {
  if (form.tooLarge.length) {
    return DomainError.invalid('DEMAND_REQUEST_INVALID', 'Un fichier dépasse la taille maximale.', [
      { path: 'files', code: 'FILE_TOO_LARGE', message: `Chaque fichier doit peser ${MESSAGE_MAX_FILE_BYTES / 1024 / 1024} Mo au plus.` },
    ]);
  }
  if (form.tooMany) {
    return DomainError.invalid('DEMAND_REQUEST_INVALID', 'Trop de fichiers.', [
      { path: 'files', code: 'TOO_MANY_FILES', message: `${MESSAGE_MAX_FILES} fichiers au plus par message.` },
    ]);
  }
  return null;
}

function draftNotFound() {
  return DomainError.notFound('DRAFT_NOT_FOUND', 'Ce brouillon n’existe pas ou a déjà été supprimé.');
}

/** The page a visitor who is not logged in gets: « Se connecter », coming back here afterwards. */
export function loginRequired(req: Request, res: Response, title: string) {
  const here = req.method === 'GET' ? req.originalUrl : '/mes-demarches';
  res.status(401).render('citizen-login-required', {
    pageTitle: `Connexion requise — ${title}`,
    navigation: portalNavigation('mes-demarches'),
    title,
    loginHref: `/auth/login?returnTo=${encodeURIComponent(here)}`,
  });
}
