import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { FieldError } from '#core';
import {
  ActOnDemand,
  ActOnDemandCommand,
  DemandEngine,
  DemandQueries,
  PostMessage,
  PostMessageCommand,
  SubmitDemand,
  SubmitDemandCommand,
  type AgentDemandFilters,
  type SubmitDemandResult,
  type EngineCaller,
  type UploadedFile,
} from '#demands';
import { ApiKeyGuard, Caller } from './api-caller.js';
import { engineErrorsForApi } from './engine-api.errors.js';
import { demandDetailJson, demandJson, messageJson } from './presenters.js';
import { readMultipartSubmission } from './multipart-body.js';
import { decodeFiles, jsonObject } from './request-body.js';
import { pageSize } from './teleservices.controller.js';

type ApiCaller = EngineCaller & { kind: 'api' };
const SUBMIT_KEYS = new Set(['data', 'files', 'contactEmail']);

/**
 * The command of a JSON submission: `{ data, files?: { <fileField>: [{ name, contentBase64 }] }, contactEmail? }`;
 * DEMAND_REQUEST_INVALID (422) with every problem of the envelope (the data itself is checked by SubmitDemand).
 */
export function jsonSubmission(caller: ApiCaller, slug: string, body: Record<string, unknown>): SubmitDemandCommand {
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) if (!SUBMIT_KEYS.has(key)) errors.push({ path: key, code: 'UNKNOWN_FIELD', message: 'Propriété inconnue.' });
  const files: UploadedFile[] = [];
  if (body.files !== undefined) {
    if (typeof body.files !== 'object' || body.files === null || Array.isArray(body.files)) {
      errors.push({ path: 'files', code: 'INVALID_TYPE', message: 'Objet attendu : { <champ fichier>: [{ name, contentBase64 }] }.' });
    } else {
      for (const [fieldId, list] of Object.entries(body.files as Record<string, unknown>)) {
        for (const file of decodeFiles(list, `files.${fieldId}`, errors)) files.push({ fieldId, ...file });
      }
    }
  }
  if (errors.length) throw engineErrorsForApi.requestInvalid(errors);
  return SubmitDemandCommand.create(caller, { teleservice: { slug }, data: body.data, files, contactEmail: body.contactEmail });
}

/** 201, where the demand is, its version (as a read answers it), and the body; `res` is Express' or Node's. */
export function submissionReply(res: Pick<ServerResponse, 'setHeader'> & { statusCode: number }, result: SubmitDemandResult) {
  res.statusCode = 201;
  res.setHeader('Location', `/api/v1/demands/${result.demand.id}`);
  res.setHeader('ETag', `"${result.demand.lockVersion}"`);
  return { demand: demandJson(result.demand, result.citizenStatus), accessSecret: result.accessSecret };
}

/** Demands of the key's collectivity: submit, read, list, act, messages, files. Row-level security guards every query. */
@Controller('api/v1')
@UseGuards(ApiKeyGuard)
export class DemandsController {
  constructor(
    private readonly engine: DemandEngine,
    private readonly submitDemand: SubmitDemand,
    private readonly actOnDemand: ActOnDemand,
    private readonly postMessage: PostMessage,
    private readonly queries: DemandQueries,
  ) {}

  /**
   * JSON body: `{ data, files?: { <fileField>: [{ name, contentBase64 }] }, contactEmail? }`; or `multipart/form-data`:
   * a `data` part (the JSON object), an optional `contactEmail` part, one file part per file named after its field.
   * A file field of a repeatable block's item is named `<blockId>[<index>].<subFieldId>`.
   */
  @Post('teleservices/:slug/demands')
  async submit(@Caller() caller: ApiCaller, @Param('slug') slug: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    if (req.is('multipart/form-data')) return this.submitMultipart(caller, slug, req, res);
    // The same as the direct route (direct-submission.ts), which answers most JSON submissions before Express.
    const result = await this.submitDemand.execute(jsonSubmission(caller, slug, jsonObject(req)));
    return submissionReply(res, result);
  }

  /** The multipart variant: files are spooled to a temporary folder as they arrive, then streamed to storage. */
  private async submitMultipart(caller: ApiCaller, slug: string, req: Request, res: Response) {
    const form = await readMultipartSubmission(req);
    const files: UploadedFile[] = [];
    try {
      const errors = [...form.errors];
      for (const key of form.fields.keys()) if (key !== 'data' && key !== 'contactEmail') errors.push({ path: key, code: 'UNKNOWN_FIELD', message: 'Partie inconnue.' });
      let data: unknown;
      const raw = form.fields.get('data');
      if (raw === undefined) errors.push({ path: 'data', code: 'REQUIRED', message: 'Partie « data » attendue : les réponses au formulaire, en JSON.' });
      else {
        try {
          data = JSON.parse(raw) as unknown;
        } catch {
          errors.push({ path: 'data', code: 'INVALID_FORMAT', message: 'La partie « data » doit être un objet JSON.' });
        }
      }
      if (errors.length) throw engineErrorsForApi.requestInvalid(errors);
      for (const file of form.files) files.push({ fieldId: file.field, name: file.name, content: file.open() });
      const command = SubmitDemandCommand.create(caller, { teleservice: { slug }, data, files, contactEmail: form.fields.get('contactEmail') });
      return submissionReply(res, await this.submitDemand.execute(command));
    } finally {
      for (const file of files) if (!Buffer.isBuffer(file.content)) file.content.destroy();
      await form.cleanup();
    }
  }

  /** `?status=a,b&teleservice=<slug>&submittedFrom=&submittedBefore=&cursor=&limit=`, newest first. */
  @Get('demands')
  async list(
    @Caller() caller: ApiCaller,
    @Query() query: Record<string, unknown>,
  ) {
    const errors: FieldError[] = [];
    const filters: AgentDemandFilters = {};
    const text = (key: string) => (typeof query[key] === 'string' ? (query[key] as string) : undefined);
    for (const key of Object.keys(query)) {
      if (!['status', 'teleservice', 'submittedFrom', 'submittedBefore', 'cursor', 'limit'].includes(key)) {
        errors.push({ path: key, code: 'UNKNOWN_FIELD', message: 'Filtre inconnu.' });
      } else if (typeof query[key] !== 'string') errors.push({ path: key, code: 'INVALID_TYPE', message: 'Valeur unique attendue.' });
    }
    const status = text('status');
    if (status) filters.statuses = status.split(',').map((s) => s.trim()).filter(Boolean);
    for (const key of ['submittedFrom', 'submittedBefore'] as const) {
      const value = text(key);
      if (value === undefined) continue;
      const at = new Date(value);
      if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) errors.push({ path: key, code: 'INVALID_FORMAT', message: 'Date ISO 8601 attendue.' });
      else filters[key] = at;
    }
    let limit = 50;
    try {
      limit = pageSize(text('limit'));
    } catch {
      errors.push({ path: 'limit', code: 'OUT_OF_RANGE', message: 'Entier de 1 à 200 attendu.' });
    }
    if (errors.length) throw engineErrorsForApi.requestInvalid(errors);
    const slug = text('teleservice');
    if (slug) {
      const teleservice = await this.engine.teleserviceBySlug(caller.collectivityId, slug);
      if (!teleservice) return { items: [], nextCursor: null };
      filters.teleserviceIds = [teleservice.id];
    }
    const page = await this.queries.list(caller, filters, { cursor: text('cursor') ?? null, limit });
    return { items: page.items.map((d) => demandJson(d)), nextCursor: page.nextCursor };
  }

  @Get('demands/:id')
  async get(@Caller() caller: ApiCaller, @Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    const detail = await this.queries.get(caller, id);
    res.setHeader('ETag', `"${detail.demand.lockVersion}"`);
    return demandDetailJson(detail);
  }

  /** Press a workflow button (or ask for information). Body: `{ comment?, confirmed?, expectedVersion? }`; `If-Match` also works. */
  @Post('demands/:id/actions/:actionId')
  @HttpCode(200)
  async act(@Caller() caller: ApiCaller, @Param('id') id: string, @Param('actionId') actionId: string, @Req() req: Request, @Headers('if-match') ifMatch?: string) {
    const body = req.headers['content-length'] === '0' || req.body === undefined ? {} : jsonObject(req);
    const command = ActOnDemandCommand.create(caller, {
      demandId: id,
      command: { kind: 'press', actionId, comment: body.comment, confirmed: body.confirmed },
      expectedVersion: body.expectedVersion ?? etagVersion(ifMatch),
    });
    const result = await this.actOnDemand.execute(command);
    return { demand: demandJson(result.demand, result.citizenStatus) };
  }

  /** Call a workflow API trigger (`auto_jump` with `apiTrigger`). */
  @Post('demands/:id/triggers/:name')
  @HttpCode(200)
  async trigger(@Caller() caller: ApiCaller, @Param('id') id: string, @Param('name') name: string, @Headers('if-match') ifMatch?: string) {
    const command = ActOnDemandCommand.create(caller, { demandId: id, command: { kind: 'api_trigger', trigger: name }, expectedVersion: etagVersion(ifMatch) });
    const result = await this.actOnDemand.execute(command);
    return { demand: demandJson(result.demand, result.citizenStatus) };
  }

  @Get('demands/:id/messages')
  async messages(@Caller() caller: ApiCaller, @Param('id') id: string) {
    const { messages, attachments } = await this.queries.messages(caller, id);
    return { items: messages.map((m) => messageJson(m, attachments)) };
  }

  /** Body: `{ body, visibility?: 'citizen' | 'internal', files?: [{ name, contentBase64 }] }`. */
  @Post('demands/:id/messages')
  async postMessageTo(@Caller() caller: ApiCaller, @Param('id') id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const body = jsonObject(req);
    const errors: FieldError[] = [];
    const files = body.files === undefined ? undefined : decodeFiles(body.files, 'files', errors);
    if (errors.length) throw engineErrorsForApi.requestInvalid(errors);
    const result = await this.postMessage.execute(PostMessageCommand.create(caller, { demandId: id, body: body.body, visibility: body.visibility, files }));
    res.status(201);
    return messageJson(result.message, result.attachments);
  }

  /** The file, with its detected type, always as a download. */
  @Get('demands/:id/attachments/:attachmentId')
  async attachment(@Caller() caller: ApiCaller, @Param('id') id: string, @Param('attachmentId') attachmentId: string, @Res() res: Response) {
    const { attachment, content } = await this.queries.attachment(caller, id, attachmentId);
    res.status(200);
    res.setHeader('Content-Type', attachment.mimeType);
    res.setHeader('Content-Length', String(attachment.sizeBytes));
    res.setHeader('Content-Disposition', contentDisposition(attachment.fileName));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    content.on('error', () => res.destroy());
    content.pipe(res);
  }
}

function etagVersion(ifMatch: string | undefined): number | undefined {
  const match = ifMatch ? /^(?:W\/)?"?(\d+)"?$/.exec(ifMatch.trim()) : null;
  return match ? Number(match[1]) : undefined;
}

/** RFC 6266: an ASCII fallback and the UTF-8 name. */
function contentDisposition(name: string): string {
  const ascii = name.normalize('NFD').replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '_') || 'fichier';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
