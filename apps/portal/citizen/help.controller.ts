import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Clock, DomainError } from '#core';
import {
  CitizenDemandQueries,
  formatTrackingCode,
  parseTrackingCode,
  SubmitDemand,
  SubmitDemandCommand,
  type EngineCaller,
  type HelpOrigin,
  type HelpTarget,
} from '#demands';
import { safeReturnTo } from '#web-session';
import { portalNavigation } from '../navigation.js';
import { citizenUser, fieldErrors, one } from './citizen-pages.js';
import { readMultipart } from './multipart.js';
import { trackingCaller } from './tracking.controller.js';
import { TrackingThrottle } from './tracking-throttle.js';

/** The subjects of the help form (the `sujet` choice of the `aide-contact` form, libs/teleservices/demo/demo-forms.ts). */
export const HELP_SUBJECTS = [
  { value: 'compte', label: 'Mon compte ou ma connexion' },
  { value: 'demarche', label: 'Une démarche en ligne' },
  { value: 'suivi', label: 'Le suivi d’une demande' },
  { value: 'accessibilite', label: 'Un problème d’accessibilité' },
  { value: 'autre', label: 'Autre question' },
];

const CAPTURE_MAX_BYTES = 5 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FIELD_IDS = { sujet: 'aide-sujet', code_suivi: 'aide-code', message: 'aide-message', email: 'aide-email', capture: 'aide-capture', files: 'aide-capture', contactEmail: 'aide-email' };

interface HelpValues {
  depuis: string;
  sujet: string;
  code: string;
  message: string;
  email: string;
}

interface SentFlash {
  code: string;
  secret: string | null;
  demandId: string;
  collectivityName: string;
}

/**
 * « Besoin d’aide ? » (SAU): a short FAQ and a help request form, reachable from every page with the page it was
 * opened from (`?depuis=<path>`, or `?teleservice=<instance>/<slug>`). The request becomes a demand on the
 * `aide-contact` téléservice of the collectivity competent for that page (the téléservice's owner, the demand's
 * collectivity; the metropolis when unknown), submitted by the logged-in citizen (it shows in « Mes démarches »)
 * or anonymously (a tracking code and an access secret, shown once, to follow it). The origin page and
 * téléservice are recorded in the demand's data (`page`, `demarche`).
 */
@Controller('aide')
export class HelpController {
  constructor(
    private readonly citizen: CitizenDemandQueries,
    private readonly submitDemand: SubmitDemand,
    private readonly clock: Clock,
    private readonly throttle: TrackingThrottle,
  ) {}

  @Get()
  async form(@Req() req: Request, @Res() res: Response, @Query() query: Record<string, unknown>) {
    const depuis = originPath(query);
    const target = await this.target(req, depuis);
    const user = citizenUser(req);
    await this.render(req, res, target, { depuis, sujet: '', code: '', message: '', email: user?.email ?? '' }, []);
  }

  /** Multipart (optional screenshot); the CSRF token is in the action's query string. */
  @Post()
  async send(@Req() req: Request, @Res() res: Response) {
    await this.throttle.hitHelp(req.ip ?? 'inconnue', res);
    const form = await readMultipart(req, { maxFiles: 1, maxFileBytes: CAPTURE_MAX_BYTES, maxFieldBytes: 20_000 });
    const user = citizenUser(req);
    const values: HelpValues = {
      depuis: safeReturnTo(form.fields.depuis ?? '/').slice(0, 500),
      sujet: one(form.fields.sujet, 50),
      code: one(form.fields.code_suivi, 40),
      message: (form.fields.message ?? '').slice(0, 5000),
      email: user?.email ?? one(form.fields.email, 254),
    };
    const target = await this.target(req, values.depuis);
    if (!target) throw unavailable();
    const caller: EngineCaller = user ? { kind: 'citizen', sub: user.sub } : { kind: 'anonymous' };
    const data: Record<string, unknown> = { sujet: values.sujet, message: values.message, email: values.email, page: values.depuis };
    if (target.originTitle) data.demarche = target.originTitle.slice(0, 300);
    if (values.sujet === 'suivi') data.code_suivi = parseTrackingCode(values.code) ?? values.code;
    let sent: SentFlash;
    try {
      if (form.tooLarge.length) {
        throw DomainError.invalid('DEMAND_REQUEST_INVALID', 'Capture d’écran trop lourde.', [
          { path: 'capture', code: 'FILE_TOO_LARGE', message: 'La capture d’écran doit peser 5 Mo au plus.' },
        ]);
      }
      const result = await this.submitDemand.execute(
        SubmitDemandCommand.create(caller, {
          teleservice: { id: target.teleserviceId },
          data,
          files: form.files.map((file) => ({ fieldId: 'capture', name: file.name, content: file.content })),
          contactEmail: values.email || undefined,
        }),
      );
      sent = { code: result.demand.trackingCode, secret: result.accessSecret, demandId: result.demand.id, collectivityName: target.collectivityName };
    } catch (error) {
      const errors = fieldErrors(error, FIELD_IDS);
      if (!errors) throw error;
      res.status(422);
      await this.render(req, res, target, values, errors.summary, errors.byField);
      return;
    }
    await req.webSession!.update((session) => {
      session.app = { ...session.app, aide: sent };
    });
    res.redirect(303, '/aide/envoyee');
  }

  /** The confirmation, once (the access secret of an anonymous request is shown here only). */
  @Get('envoyee')
  async sent(@Req() req: Request, @Res() res: Response) {
    const flash = req.webSession?.data?.app?.aide as SentFlash | undefined;
    if (!flash) return res.redirect(303, '/aide');
    await req.webSession!.update((session) => {
      if (session.app) delete session.app.aide;
    });
    const user = citizenUser(req);
    res.setHeader('Cache-Control', 'no-store');
    res.render('citizen-help-sent', {
      pageTitle: 'Demande d’aide envoyée — Besoin d’aide ?',
      navigation: portalNavigation('aide'),
      code: formatTrackingCode(flash.code),
      rawCode: flash.code,
      secret: flash.secret,
      collectivityName: flash.collectivityName,
      demandHref: user ? `/mes-demarches/${flash.demandId}` : null,
      trackingHref: `/suivi?code=${encodeURIComponent(formatTrackingCode(flash.code))}`,
    });
  }

  /** The competent collectivity's help téléservice for the page the citizen came from. */
  private async target(req: Request, depuis: string): Promise<HelpTarget | null> {
    const origin: HelpOrigin = {};
    const path = depuis.split(/[?#]/)[0];
    const teleservice = /^\/demarches\/([a-z0-9-]+)\/([a-z0-9-]+)(?:\/|$)/.exec(path);
    if (teleservice) {
      origin.instanceSlug = teleservice[1];
      origin.teleserviceSlug = teleservice[2];
    }
    const demand = /^\/mes-demarches\/([0-9a-f-]{36})(?:\/|$)/i.exec(path);
    const user = citizenUser(req);
    if (demand && user && UUID.test(demand[1])) {
      origin.demandCollectivityId = (await this.citizen.demandCollectivity({ kind: 'citizen', sub: user.sub }, demand[1])) ?? undefined;
    }
    const tracked = path === '/suivi/demande' ? trackingCaller(req.webSession, this.clock) : null;
    if (tracked) origin.demandCollectivityId = (await this.citizen.demandCollectivity(tracked, tracked.demandId)) ?? undefined;
    return this.citizen.helpTarget(origin);
  }

  private async render(req: Request, res: Response, target: HelpTarget | null, values: HelpValues, errors: { id?: string; message: string }[], byField: Record<string, string> = {}) {
    const user = citizenUser(req);
    const csrfToken = await req.webSession!.csrfToken();
    res.render('citizen-help', {
      pageTitle: `${errors.length ? 'Erreur — ' : ''}Besoin d’aide ?`,
      navigation: portalNavigation('aide'),
      target,
      available: target !== null,
      action: `/aide?_csrf=${encodeURIComponent(csrfToken)}`,
      csrfToken,
      values,
      backHref: values.depuis !== '/' && !values.depuis.startsWith('/aide') ? values.depuis : null,
      subjects: HELP_SUBJECTS.map((s) => ({ ...s, selected: s.value === values.sujet })),
      loggedIn: !!user,
      askEmail: !user?.email,
      errors,
      fieldErrors: {
        sujet: byField.sujet ?? null,
        code: byField.code_suivi ?? null,
        message: byField.message ?? null,
        email: byField.email ?? byField.contactEmail ?? null,
        capture: byField.capture ?? byField.files ?? null,
      },
    });
  }
}

/** `?depuis=<path of this site>` or `?teleservice=<instance>/<slug>`; `/` otherwise. */
function originPath(query: Record<string, unknown>): string {
  const teleservice = one(query.teleservice, 130);
  if (/^[a-z0-9-]+\/[a-z0-9-]+$/.test(teleservice)) return `/demarches/${teleservice}`;
  return safeReturnTo(one(query.depuis, 500)).slice(0, 500);
}

function unavailable() {
  return DomainError.unavailable('HELP_UNAVAILABLE', 'Le formulaire d’aide est momentanément indisponible. Réessayez dans quelques instants.');
}
