import type { Readable } from 'node:stream';
import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { APP_CONFIG, DomainError, type AppConfig } from '#core';
import { REDIS } from '#platform';
import { fileInputOf, readPage, shownIds, visibility } from '#forms';
import { FormFillingService, formNotFound } from './form-filling.service.js';
import { isMultipart, readMultipart } from './multipart.js';

const ADDRESS_REQUESTS_PER_MINUTE = 30;
const NEW = 'nouveau';

/**
 * JSON endpoints of the JavaScript enhancement (same session and CSRF rules as the pages, token in
 * `X-CSRF-Token`): which fields the answers typed so far show, file staging with progress, address suggestions.
 */
@Controller()
export class FormApiController {
  constructor(
    private readonly forms: FormFillingService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The page's current answers (the form's fields as JSON) → the visible fields, by the server's own evaluator. */
  @Post('demarches/:instance/:slug/formulaire/:formId/etape/:page/visibilite')
  @HttpCode(200)
  async visible(@Param('instance') instance: string, @Param('slug') slug: string, @Param('formId') formId: string, @Param('page') pageId: string, @Req() req: Request) {
    const { definition, data, profile } = await this.context(req, instance, slug, formId);
    const page = definition.form.definition.pages.find((p) => p.id === pageId);
    if (!page) throw formNotFound();
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    const raw = readPage(page, body, await this.forms.communes());
    const ids = new Set(page.fields.map((f) => f.id));
    const values = { ...Object.fromEntries(Object.entries(data).filter(([id]) => !ids.has(id))), ...raw };
    return { shown: shownIds(page, visibility(definition.form.definition, values, profile)) };
  }

  /** One file of a file field, staged as it arrives (JavaScript upload with progress); answers a token for the page. */
  @Post('demarches/:instance/:slug/formulaire/:formId/etape/:page/fichiers')
  async upload(@Param('instance') instance: string, @Param('slug') slug: string, @Param('formId') formId: string, @Param('page') pageId: string, @Req() req: Request, @Res() res: Response) {
    if (!isMultipart(req)) throw DomainError.invalid('UPLOAD_REFUSED', 'Envoyez le fichier dans un formulaire multipart.');
    const { definition } = await this.context(req, instance, slug, formId);
    const page = definition.form.definition.pages.find((p) => p.id === pageId);
    if (!page) throw formNotFound();
    const session = req.webSession!;
    const results: { field: string; token?: string; name?: string; size?: number; error?: string }[] = [];
    await readMultipart(req, this.forms.uploadMaxBytes, async (name: string, fileName: string, stream: Readable) => {
      const input = fileInputOf(page, name);
      if (!input) {
        stream.resume();
        results.push({ field: name, error: 'Ce champ n’accepte pas de fichier.' });
        return;
      }
      const outcome = await this.forms.stage(input.field, fileName, stream);
      if (!outcome.ok) results.push({ field: input.key, error: outcome.message });
      else {
        const token = await this.forms.keepStaged(session, input.identity, outcome.descriptor);
        results.push({ field: input.key, token, name: String(outcome.descriptor.name), size: Number(outcome.descriptor.size) });
      }
    });
    const refused = results.find((r) => r.error);
    res.status(refused ? 422 : 200).json(refused ? { code: 'UPLOAD_REFUSED', message: refused.error, files: results } : { files: results });
  }

  /**
   * A file uploaded by the JavaScript (`…/fichiers`) and removed in the browser before its page was sent (JSON
   * `{ field: 'f.<input key>', token }`): deleted at once. 204; 404 when the session holds no such upload.
   */
  @Post('demarches/:instance/:slug/formulaire/:formId/etape/:page/fichiers/retirer')
  @HttpCode(204)
  async unstage(@Param('instance') instance: string, @Param('slug') slug: string, @Param('formId') formId: string, @Param('page') pageId: string, @Req() req: Request) {
    const { definition } = await this.context(req, instance, slug, formId);
    const page = definition.form.definition.pages.find((p) => p.id === pageId);
    if (!page) throw formNotFound();
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    const input = typeof body.field === 'string' ? fileInputOf(page, body.field) : null;
    const token = typeof body.token === 'string' ? body.token : '';
    if (!input || !token || !(await this.forms.dropStaged(req.webSession!, input.identity, token))) {
      throw DomainError.notFound('UPLOAD_NOT_FOUND', 'Ce fichier n’est plus en attente d’envoi (il a déjà été retiré ou envoyé avec sa page).');
    }
  }

  /** Address suggestions from the geocoder (BAN), rate-limited per client address. */
  @Get('api/adresses')
  async addresses(@Query('q') q: unknown, @Req() req: Request, @Res() res: Response) {
    const text = typeof q === 'string' ? q.trim() : '';
    res.setHeader('Cache-Control', 'no-store');
    if (text.length < 3 || text.length > 200) return res.json({ results: [] });
    const key = `${this.config.redis.prefix}:portal:addr:${req.ip ?? 'unknown'}:${Math.floor(Date.now() / 60_000)}`;
    const count = await this.redis.incr(key);
    if (count === 1) await this.redis.expire(key, 70);
    if (count > ADDRESS_REQUESTS_PER_MINUTE) {
      res.setHeader('Retry-After', '60');
      return res.status(429).json({ code: 'TOO_MANY_REQUESTS', message: 'Trop de recherches d’adresse : réessayez dans une minute.' });
    }
    try {
      return res.json({ results: await this.forms.suggest(text) });
    } catch {
      return res.status(503).json({ code: 'UNAVAILABLE', message: 'La recherche d’adresse est momentanément indisponible : saisissez l’adresse.' });
    }
  }

  private async context(req: Request, instance: string, slug: string, formId: string) {
    const session = req.webSession!;
    const teleservice = await this.forms.teleservice(instance, slug);
    this.forms.assertOpen(teleservice);
    if (!teleservice.anonymousAllowed && !session.user) throw new DomainError('LOGIN_REQUIRED', 'Connectez-vous pour remplir cette démarche.', 'unauthenticated');
    const profile = this.forms.profileOf(session);
    if (formId === NEW) return { definition: await this.forms.definition(teleservice.versionId!), data: {}, profile };
    const progress = await this.forms.load(session, formId);
    if (!progress || progress.teleserviceId !== teleservice.id) throw formNotFound();
    return { definition: await this.forms.definition(progress.versionId), data: progress.data, profile };
  }
}
