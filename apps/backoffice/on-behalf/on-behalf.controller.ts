import { Controller, Get, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { DomainError, type FieldError } from '#core';
import { AGENT_CHANNELS, DemandEngine, SubmitDemand, SubmitDemandCommand } from '#demands';
import { TeleserviceRepository, type Teleservice } from '#teleservices';
import { AgentGuard } from '../agent.guard.js';
import { agentCaller } from '../agent-caller.js';
import { NAVIGATION } from '../demands.controller.js';
import { readOnBehalfMultipart, type OnBehalfForm } from './on-behalf-multipart.js';

const CHANNEL_LABELS: Record<string, string> = { counter: 'Accueil (guichet)', phone: 'Téléphone', mail: 'Courrier postal', email: 'Courriel reçu' };

type Raw = Record<string, string | string[]>;
type Field = Record<string, unknown> & { id: string; type: string };

/** Types an agent can type in on this page; the others are shown as « non saisissable ici » (see docs/backoffice.md). */
const INPUT_TYPES: Record<string, string> = { text: 'text', email: 'email', phone: 'tel', number: 'text', date: 'date' };
const SUPPORTED = new Set([...Object.keys(INPUT_TYPES), 'long_text', 'choice', 'multiple_choice', 'checkbox', 'yes_no', 'file', 'title', 'subtitle', 'comment']);

/**
 * Submission on behalf of a citizen (issue 7): an agent with a processing role picks a published, open
 * téléservice of their collectivities and the channel (counter, phone, mail, email), types the whole form on one
 * page, and the engine (`SubmitDemand` with the agent caller) validates and files it with `submitted_by_agent`.
 * Without account: notifications go to the contact email (or the form's first email field).
 * Not under `/demandes/…`: DemandsController's `GET /demandes/:id` is registered first and would take `nouvelle`.
 */
@Controller('nouvelle-demande')
@UseGuards(AgentGuard)
export class OnBehalfController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: DemandEngine,
    private readonly submitDemand: SubmitDemand,
  ) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response, @Query('teleservice') teleserviceId?: string, @Query('canal') channel?: string) {
    const caller = agentCaller(req.agent!);
    if (!caller.collectivityIds.length) throw DomainError.forbidden('AGENT_PROCESSING_ROLE_REQUIRED', 'Le dépôt pour un usager est réservé aux agents qui traitent les demandes.');
    if (typeof teleserviceId !== 'string' || teleserviceId === '') {
      const choices = await this.openTeleservices(caller.collectivityIds);
      return res.render('on-behalf-choose', {
        pageTitle: 'Nouvelle demande pour un usager',
        navigation: NAVIGATION('demands'),
        teleservices: choices.map((t) => ({ id: t.id, title: t.title })),
        channels: channelChoices(''),
      });
    }
    const target = await this.target(caller.collectivityIds, teleserviceId);
    res.render('on-behalf-form', this.formPage(target, { canal: typeof channel === 'string' ? channel : '' }, []));
  }

  @Post()
  async submit(@Req() req: Request, @Res() res: Response) {
    // Filing a demand is the engine's `demands:submit` permission, on top of reading and processing.
    const processing = agentCaller(req.agent!);
    const caller = { ...processing, permissions: [...processing.permissions, 'demands:submit' as const] };
    if (!caller.collectivityIds.length) throw DomainError.forbidden('AGENT_PROCESSING_ROLE_REQUIRED', 'Le dépôt pour un usager est réservé aux agents qui traitent les demandes.');
    const form: OnBehalfForm = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '')
      ? await readOnBehalfMultipart(req)
      : { fields: (req.body ?? {}) as Raw, files: [] };
    const target = await this.target(caller.collectivityIds, one(form.fields.teleservice));
    const contact = one(form.fields.contact).trim();
    try {
      const { demand } = await this.submitDemand.execute(
        SubmitDemandCommand.create(caller, {
          teleservice: { id: target.teleservice.id },
          data: readData(target.fields, form.fields),
          files: form.files.filter((file) => target.fields.some((f) => f.id === file.fieldId && f.type === 'file')),
          channel: one(form.fields.canal),
          contactEmail: contact === '' ? undefined : contact,
        }),
      );
      res.redirect(303, `/demandes/${demand.id}?fait=1`);
    } catch (error) {
      if (!(error instanceof DomainError) || (error.kind !== 'invalid' && error.kind !== 'conflict')) throw error;
      const errors = error.fields?.length ? error.fields : [{ path: '', code: error.code, message: error.message }];
      res.status(error.kind === 'invalid' ? 422 : 409).render('on-behalf-form', this.formPage(target, form.fields, errors));
    }
  }

  /** My collectivities' téléservices with a published version, not archived, open now. */
  private async openTeleservices(collectivityIds: readonly string[]): Promise<Teleservice[]> {
    const repository = new TeleserviceRepository(this.dataSource.manager);
    const now = this.engine.clock.now();
    const all = (await Promise.all(collectivityIds.map((id) => repository.listForCollectivity(id)))).flat();
    const open = all.filter((t) => !t.archivedAt && (!t.opensAt || t.opensAt <= now) && (!t.closesAt || t.closesAt > now));
    const published = await Promise.all(open.map(async (t) => ((await repository.latestPublished(t.id)) ? t : null)));
    return published.filter((t): t is Teleservice => t !== null).sort((a, b) => a.title.localeCompare(b.title, 'fr'));
  }

  /** The chosen téléservice and its latest published form; another collectivity's, or none, is « not found ». */
  private async target(collectivityIds: readonly string[], teleserviceId: string) {
    const notFound = () => DomainError.notFound('TELESERVICE_NOT_FOUND', 'Téléservice introuvable parmi ceux de vos collectivités.');
    if (!UUID.test(teleserviceId)) throw notFound();
    const repository = new TeleserviceRepository(this.dataSource.manager);
    const teleservice = await repository.findById(teleserviceId);
    if (!teleservice || !collectivityIds.includes(teleservice.collectivityId)) throw notFound();
    const version = await repository.latestPublished(teleservice.id);
    if (!version) throw notFound();
    const pages = asList((version.form as { pages?: unknown } | null)?.pages).map((page) => ({ title: String(page.title ?? ''), fields: asList(page.fields) as Field[] }));
    return { teleservice, pages, fields: pages.flatMap((p) => p.fields) };
  }

  private formPage(target: Awaited<ReturnType<OnBehalfController['target']>>, raw: Raw, errors: readonly FieldError[]) {
    const byField = new Map<string, string>();
    const summary: { id?: string; message: string }[] = [];
    for (const error of errors) {
      const key = anchorOf(error.path, target.fields);
      if (key && !byField.has(key)) byField.set(key, error.message);
      summary.push({ id: key ?? undefined, message: error.message });
    }
    return {
      pageTitle: `${errors.length ? 'Erreur — ' : ''}Nouvelle demande : ${target.teleservice.title}`,
      navigation: NAVIGATION('demands'),
      errors: summary,
      teleservice: { id: target.teleservice.id, title: target.teleservice.title },
      channels: channelChoices(one(raw.canal)),
      channelError: byField.get('canal'),
      contact: one(raw.contact),
      contactError: byField.get('contact'),
      pages: target.pages.map((page, p) => ({ number: p + 1, title: page.title, fields: page.fields.map((field) => fieldView(field, raw, byField.get(`champ-${field.id}`))) })),
    };
  }
}

function channelChoices(selected: string) {
  return AGENT_CHANNELS.map((id) => ({ id, label: CHANNEL_LABELS[id] ?? id, checked: id === selected }));
}

/** The HTML id an error points to: `data.nom` → `champ-nom`, `channel` → `canal`, `contactEmail` → `contact`. */
function anchorOf(path: string, fields: readonly Field[]): string | null {
  if (path === 'channel') return 'canal';
  if (path === 'contactEmail') return 'contact';
  const match = /^data\.([A-Za-z][A-Za-z0-9_-]*)/.exec(path);
  return match && fields.some((f) => f.id === match[1]) ? `champ-${match[1]}` : null;
}

/** The typed values as the engine reads them (like the portal's pages): strings, booleans, lists. */
function readData(fields: readonly Field[], raw: Raw): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const field of fields) {
    if (!SUPPORTED.has(field.type)) continue;
    const name = `f.${field.id}`;
    const value = one(raw[name]);
    switch (field.type) {
      case 'title':
      case 'subtitle':
      case 'comment':
      case 'file':
        break;
      case 'checkbox':
        data[field.id] = value === 'true';
        break;
      case 'yes_no':
        if (value === 'true' || value === 'false') data[field.id] = value === 'true';
        break;
      case 'multiple_choice': {
        const list = (Array.isArray(raw[name]) ? (raw[name] as string[]) : value ? [value] : []).filter((v) => v !== '');
        if (list.length) data[field.id] = list;
        break;
      }
      default:
        if (value.trim() !== '') data[field.id] = value;
    }
  }
  return data;
}

function fieldView(field: Field, raw: Raw, error: string | undefined) {
  const htmlId = `champ-${field.id}`;
  const name = `f.${field.id}`;
  const value = one(raw[name]);
  const values = new Set(Array.isArray(raw[name]) ? (raw[name] as string[]) : value ? [value] : []);
  const type = field.type;
  const display = String(field.display ?? '');
  const options =
    type === 'yes_no'
      ? [
          { value: 'true', label: 'Oui' },
          { value: 'false', label: 'Non' },
        ]
      : asList(field.options).map((o) => ({ value: String(o.value ?? ''), label: String(o.label ?? '') }));
  const hint = [typeof field.hint === 'string' ? field.hint : '', typeof field.condition === 'string' ? `Seulement si : ${field.condition}` : ''].filter(Boolean).join(' — ');
  return {
    htmlId,
    name,
    label: String(field.label ?? field.id),
    hint,
    error,
    required: field.required === true,
    value,
    inputType: INPUT_TYPES[type] ?? null,
    isLongText: type === 'long_text',
    isRadio: type === 'yes_no' || (type === 'choice' && display !== 'list' && display !== 'autocomplete'),
    isSelect: type === 'choice' && (display === 'list' || display === 'autocomplete'),
    isCheckboxes: type === 'multiple_choice',
    isCheckbox: type === 'checkbox',
    isFile: type === 'file',
    isTitle: type === 'title',
    isSubtitle: type === 'subtitle',
    isComment: type === 'comment',
    unsupported: !SUPPORTED.has(type),
    checked: value === 'true',
    multiple: type === 'file' && Number(field.maxFiles ?? 1) > 1,
    accept: Array.isArray(field.accept) ? field.accept.join(',') : '',
    options: options.map((o, i) => ({ ...o, id: `${htmlId}-${i}`, checked: values.has(o.value) })),
  };
}

function one(value: unknown): string {
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof v === 'string' ? v.slice(0, 100_000) : '';
}

function asList(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)) : [];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
