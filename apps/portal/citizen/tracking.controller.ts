import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { Clock, DomainError } from '#core';
import {
  AnswerInformationRequest,
  AnswerInformationRequestCommand,
  CitizenDemandQueries,
  DemandErrorCodes,
  DemandQueries,
  formatTrackingCode,
  MESSAGE_MAX_FILE_BYTES,
  MESSAGE_MAX_FILES,
  openByTrackingCode,
  parseTrackingCode,
  PostMessage,
  PostMessageCommand,
  type EngineCaller,
} from '#demands';
import type { WebSession } from '#web-session';
import { portalNavigation } from '../navigation.js';
import { demandPage, fieldErrors, one } from './citizen-pages.js';
import { answerRefusal, uploadProblem } from './my-demands.controller.js';
import { readMultipart } from './multipart.js';
import { sendAttachment } from './send-attachment.js';
import { TrackingThrottle } from './tracking-throttle.js';

/** How long a follow-up opened with the code (and secret) stays open in the browser's session. */
export const TRACKING_ACCESS_MS = 30 * 60_000;

interface TrackingAccess {
  demandId: string;
  until: number;
}

const REFUSED = 'Aucune demande ne correspond à ce code de suivi et à cette clé d’accès. Vérifiez-les (ils figurent sur votre accusé de réception) et recommencez.';

/**
 * Anonymous follow-up: the tracking code (+ the access secret given at submission) opens one demand, read-only
 * status, citizen-visible history, answers and messages. Rate-limited per address and per code (TrackingThrottle).
 * A wrong secret, an unknown code, a code of a demand tied to an account: the same answer. The opened demand is
 * remembered in the session (30 minutes), never in the URL (the secret is sent by POST only). Replying to the
 * agents and answering a request for information are offered only when the demand has an access secret — i.e.
 * the person proved both code and secret; a demand typed in by an agent (code alone) is read-only.
 */
@Controller('suivi')
export class TrackingController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly throttle: TrackingThrottle,
    private readonly citizen: CitizenDemandQueries,
    private readonly queries: DemandQueries,
    private readonly postMessage: PostMessage,
    private readonly answerRequest: AnswerInformationRequest,
    private readonly clock: Clock,
  ) {}

  @Get()
  async form(@Req() req: Request, @Res() res: Response, @Query('code') code: unknown) {
    const typed = one(code, 40);
    const parsed = parseTrackingCode(typed);
    await this.renderForm(req, res, { code: parsed ? formatTrackingCode(parsed) : typed });
  }

  @Post()
  async open(@Req() req: Request, @Res() res: Response) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = one(body.code, 40);
    const secret = one(body.cle, 200);
    const code = parseTrackingCode(typed);
    if (!code) {
      res.status(422);
      await this.renderForm(req, res, { code: typed, errors: [{ id: 'code', message: 'Saisissez le code de suivi à 10 caractères de votre accusé de réception (par exemple ABC-DEFG-HJK).' }], codeError: true });
      return;
    }
    await this.throttle.hit(req.ip ?? 'inconnue', code, res);
    let demandId: string;
    try {
      demandId = (await openByTrackingCode(this.dataSource, code, secret || undefined)).demandId;
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== DemandErrorCodes.TRACKING_ACCESS_REFUSED) throw error;
      res.status(404);
      await this.renderForm(req, res, { code: formatTrackingCode(code), errors: [{ id: 'code', message: REFUSED }] });
      return;
    }
    const access: TrackingAccess = { demandId, until: this.clock.now().getTime() + TRACKING_ACCESS_MS };
    await req.webSession!.update((data) => {
      data.app = { ...data.app, suivi: access };
    });
    res.redirect(303, '/suivi/demande');
  }

  @Get('demande')
  async show(@Req() req: Request, @Res() res: Response, @Query('fait') done: unknown) {
    const caller = trackingCaller(req.webSession, this.clock);
    if (!caller) return res.redirect(303, '/suivi');
    await this.render(req, res, caller, { notice: NOTICES[one(done)] ?? null });
  }

  /** Closes the follow-up in this browser (a shared computer). */
  @Post('fin')
  async close(@Req() req: Request, @Res() res: Response) {
    if (req.webSession?.data?.app?.suivi) {
      await req.webSession.update((data) => {
        if (data.app) delete data.app.suivi;
      });
    }
    res.redirect(303, '/suivi?ferme=1');
  }

  @Get('demande/pieces-jointes/:attachmentId')
  async download(@Req() req: Request, @Res() res: Response, @Param('attachmentId') attachmentId: string) {
    const caller = trackingCaller(req.webSession, this.clock);
    if (!caller) return res.redirect(303, '/suivi');
    sendAttachment(res, await this.queries.attachment(caller, caller.demandId, attachmentId));
  }

  @Post('demande/messages')
  async message(@Req() req: Request, @Res() res: Response) {
    const caller = trackingCaller(req.webSession, this.clock);
    if (!caller) return res.redirect(303, '/suivi');
    await this.requireWritable(caller);
    const form = await readMultipart(req, { maxFiles: MESSAGE_MAX_FILES, maxFileBytes: MESSAGE_MAX_FILE_BYTES, maxFieldBytes: 20_000 });
    const body = form.fields.message ?? '';
    try {
      const problem = uploadProblem(form);
      if (problem) throw problem;
      await this.postMessage.execute(
        PostMessageCommand.create(caller, { demandId: caller.demandId, body, files: form.files.map((file) => ({ name: file.name, content: file.content })) }),
      );
    } catch (error) {
      const errors = fieldErrors(error, { body: 'message', files: 'message-fichiers' });
      if (!errors) throw error;
      res.status(422);
      await this.render(req, res, caller, { message: { value: body, error: errors.byField.body ?? errors.byField.files, errors: errors.summary } });
      return;
    }
    res.redirect(303, '/suivi/demande?fait=message#messages');
  }

  @Post('demande/complement')
  async answer(@Req() req: Request, @Res() res: Response) {
    const caller = trackingCaller(req.webSession, this.clock);
    if (!caller) return res.redirect(303, '/suivi');
    await this.requireWritable(caller);
    const value = typeof req.body?.reponse === 'string' ? String(req.body.reponse).slice(0, 20_000) : '';
    try {
      await this.answerRequest.execute(AnswerInformationRequestCommand.create(caller, { demandId: caller.demandId, answer: value }));
    } catch (error) {
      const status = answerRefusal(error);
      if (status === null) throw error;
      const errors = fieldErrors(error, { answer: 'reponse' });
      const message = error instanceof DomainError ? error.message : '';
      res.status(status);
      await this.render(req, res, caller, { answer: { value, error: errors?.byField.answer ?? message, errors: errors?.summary ?? [{ message }] } });
      return;
    }
    res.redirect(303, '/suivi/demande?fait=complement');
  }

  private async requireWritable(caller: Extract<EngineCaller, { kind: 'tracking' }>) {
    const view = await this.citizen.detail(caller, caller.demandId);
    if (view.demand.accessSecretHash === null) {
      throw DomainError.forbidden('TRACKING_READ_ONLY', 'Cette demande se consulte seulement : pour échanger avec le service, utilisez « Besoin d’aide ? ».');
    }
  }

  private async renderForm(req: Request, res: Response, values: { code: string; errors?: { id?: string; message: string }[]; codeError?: boolean }) {
    const csrfToken = await req.webSession!.csrfToken();
    res.render('citizen-tracking-form', {
      pageTitle: `${values.errors?.length ? 'Erreur — ' : ''}Suivre une demande sans compte`,
      navigation: portalNavigation(null),
      csrfToken,
      code: values.code,
      errors: values.errors ?? [],
      codeError: values.codeError ? values.errors?.[0]?.message : null,
      closed: one(req.query.ferme) === '1',
    });
  }

  private async render(req: Request, res: Response, caller: Extract<EngineCaller, { kind: 'tracking' }>, extra: Omit<Parameters<typeof demandPage>[1], 'base' | 'canWrite' | 'csrfToken'>) {
    const view = await this.citizen.detail(caller, caller.demandId);
    const page = demandPage(view, { ...extra, base: '/suivi/demande', canWrite: view.demand.accessSecretHash !== null, csrfToken: await req.webSession!.csrfToken() });
    res.render('citizen-demand', {
      ...page,
      pageTitle: `${page.errors.length ? 'Erreur — ' : ''}Demande ${formatTrackingCode(view.demand.trackingCode)} — ${view.teleserviceTitle} — Suivi`,
      navigation: portalNavigation(null),
      breadcrumb: { href: '/suivi', label: 'Suivre une demande' },
      tracking: true,
      readOnly: view.demand.accessSecretHash === null,
    });
  }
}

const NOTICES: Record<string, string> = {
  message: 'Votre message a été envoyé.',
  complement: 'Votre réponse a été envoyée : le traitement de votre demande reprend.',
};

/** The tracking caller of this browser's open follow-up, or null (none, or expired). */
export function trackingCaller(session: WebSession | undefined, clock: Clock): Extract<EngineCaller, { kind: 'tracking' }> | null {
  const access = session?.data?.app?.suivi as TrackingAccess | undefined;
  if (!access || typeof access.demandId !== 'string' || typeof access.until !== 'number' || access.until < clock.now().getTime()) return null;
  return { kind: 'tracking', demandId: access.demandId };
}
