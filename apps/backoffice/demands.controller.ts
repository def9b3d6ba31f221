import { Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '#core';
import { ActOnDemand, ActOnDemandCommand, AgentInboxQueries, DemandQueries, type AgentDemandView, type InboxFilters } from '#demands';
import { AgentGuard } from './agent.guard.js';
import { agentCaller, formatDate, formatDateTime, parisDayStart } from './agent-caller.js';

export const NAVIGATION = (current: 'dashboard' | 'demands') => [
  { href: '/tableau-de-bord', label: 'Tableau de bord', current: current === 'dashboard' },
  { href: '/demandes', label: 'Demandes', current: current === 'demands' },
];

const PAGE_SIZE = 20;

const EVENT_LABELS: Record<string, string> = {
  submitted: 'Demande déposée',
  status_changed: 'Changement de statut',
  button_pressed: 'Action',
  info_requested: 'Complément demandé à l’usager',
  info_answered: 'Complément reçu',
  comment: 'Commentaire',
  citizen_notified: 'Usager notifié',
  agents_notified: 'Agents notifiés',
  assigned: 'Attribution',
  timer_scheduled: 'Échéance programmée',
  timer_fired: 'Échéance atteinte',
  effect_deferred: 'Effet différé',
  routed: 'Demande orientée',
  routing_pending: 'Demande à orienter',
  message: 'Message',
};

const ACTOR_LABELS: Record<string, string> = { agent: 'Agent', citizen: 'Usager', partner: 'Système partenaire', system: 'Système' };

/** One text value of a query string (the first when repeated). */
function one(value: unknown): string {
  if (Array.isArray(value)) return one(value[0]);
  return typeof value === 'string' ? value.trim().slice(0, 200) : '';
}

/** The inbox's filters as the form sends them (`statut`, `teleservice`, `du`, `au`, `q`). */
interface FilterForm {
  statut: string;
  teleservice: string;
  du: string;
  au: string;
  q: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The agent's inbox and demand page. Every read runs in the agent's tenant transaction (row-level security):
 * another collectivity's demand, file or action answers 404, exactly like an unknown id.
 */
@Controller('demandes')
@UseGuards(AgentGuard)
export class DemandsController {
  constructor(
    private readonly inbox: AgentInboxQueries,
    private readonly queries: DemandQueries,
    private readonly actOnDemand: ActOnDemand,
  ) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @Query() query: Record<string, unknown>) {
    const caller = agentCaller(req.agent!);
    const form: FilterForm = { statut: one(query.statut), teleservice: one(query.teleservice), du: one(query.du), au: one(query.au), q: one(query.q) };
    const errors: { id: string; message: string }[] = [];
    const filters: InboxFilters = {};
    if (form.statut) filters.statuses = [form.statut];
    if (form.teleservice) {
      if (UUID.test(form.teleservice)) filters.teleserviceIds = [form.teleservice];
      else errors.push({ id: 'filtre-teleservice', message: 'Choisissez un téléservice de la liste.' });
    }
    if (form.du) {
      const from = parisDayStart(form.du);
      if (from) filters.submittedFrom = from;
      else errors.push({ id: 'filtre-du', message: 'La date « Déposée à partir du » doit être une date valide (jj/mm/aaaa).' });
    }
    if (form.au) {
      const until = parisDayStart(form.au, 1);
      if (until) filters.submittedBefore = until;
      else errors.push({ id: 'filtre-au', message: 'La date « Déposée jusqu’au » doit être une date valide (jj/mm/aaaa).' });
    }
    if (filters.submittedFrom && filters.submittedBefore && filters.submittedFrom >= filters.submittedBefore) {
      errors.push({ id: 'filtre-au', message: 'La date « Déposée jusqu’au » doit suivre la date « Déposée à partir du ».' });
    }
    if (form.q) filters.text = form.q;

    const choices = await this.inbox.filterChoices(caller);
    const after = one(query.apres) || null;
    const before = one(query.avant) || null;
    const page = errors.length ? { items: [], next: null, previous: null } : await this.inbox.inbox(caller, filters, { after, before, limit: PAGE_SIZE });
    const total = errors.length ? 0 : await this.inbox.count(caller, filters);
    const labels = await this.inbox.labelsFor(page.items);
    const titles = await this.inbox.teleserviceTitles(page.items.map((d) => d.teleserviceId));
    const keep = new URLSearchParams(Object.entries(form).filter(([, value]) => value !== ''));
    const link = (key: 'apres' | 'avant', cursor: string | null) => {
      if (!cursor) return null;
      const params = new URLSearchParams(keep);
      params.set(key, cursor);
      return `/demandes?${params.toString()}`;
    };
    res.status(errors.length ? 422 : 200).render('inbox', {
      pageTitle: 'Demandes',
      navigation: NAVIGATION('demands'),
      form,
      errors,
      filtered: keep.size > 0,
      statuses: choices.statuses.map((s) => ({ ...s, selected: s.id === form.statut })),
      teleservices: choices.teleservices.map((t) => ({ ...t, selected: t.id === form.teleservice })),
      total,
      demands: page.items.map((demand) => ({
        id: demand.id,
        trackingCode: demand.trackingCode,
        teleservice: titles.get(demand.teleserviceId) ?? '',
        summaryLine: labels.get(demand.id)?.summaryLine ?? '',
        statusLabel: labels.get(demand.id)?.statusLabel ?? demand.status,
        closed: demand.closedAt !== null,
        submittedAt: formatDateTime(demand.submittedAt),
        submittedIso: demand.submittedAt.toISOString(),
      })),
      nextHref: link('apres', page.next),
      previousHref: link('avant', page.previous),
    });
  }

  @Get(':id')
  async show(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Query('fait') done?: string) {
    const view = await this.inbox.view(agentCaller(req.agent!), id);
    res.render('demand', this.demandPage(view, { notice: done === '1' ? 'L’action a été enregistrée.' : null }));
  }

  /** Streams a file of the demand: always as a download, never sniffed into something the browser would run. */
  @Get(':id/pieces-jointes/:attachmentId')
  async download(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('attachmentId') attachmentId: string) {
    const { attachment, content } = await this.queries.attachment(agentCaller(req.agent!), id, attachmentId);
    const ascii = attachment.fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
    res.setHeader('Content-Type', attachment.mimeType || 'application/octet-stream');
    res.setHeader('Content-Length', String(attachment.sizeBytes));
    res.setHeader('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(attachment.fileName)}`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    content.on('error', () => res.destroy());
    content.pipe(res);
  }

  /**
   * A workflow button (or a request for information). A refusal (comment or confirmation missing, action not
   * allowed) shows the page again with its French message; a concurrent change answers 409 with the page and
   * « La demande a été modifiée entre-temps… ». Another collectivity's demand: 404, nothing changes.
   */
  @Post(':id/actions')
  async act(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const actionId = one(body.actionId);
    const comment = typeof body.comment === 'string' ? body.comment.slice(0, 10_000) : '';
    const base = agentCaller(req.agent!);
    const functions = await this.inbox.agentFunctionsFor(base, id);
    const caller = agentCaller(req.agent!, functions);
    try {
      const command = ActOnDemandCommand.create(caller, {
        demandId: id,
        command: { kind: 'press', actionId, comment: comment.trim() ? comment : undefined, confirmed: one(body.confirmed) === 'oui' },
        expectedVersion: one(body.version) || undefined,
      });
      await this.actOnDemand.execute(command);
    } catch (error) {
      if (!(error instanceof DomainError) || (error.kind === 'not_found' && error.code === 'DEMAND_NOT_FOUND')) throw error;
      const status = error.kind === 'conflict' ? 409 : error.kind === 'forbidden' ? 403 : 422;
      const view = await this.inbox.view(base, id);
      res.status(status).render('demand', this.demandPage(view, { error: error.message, failedAction: actionId, comment }));
      return;
    }
    res.redirect(303, `/demandes/${encodeURIComponent(id)}?fait=1`);
  }

  private demandPage(view: AgentDemandView, extra: { notice?: string | null; error?: string; failedAction?: string; comment?: string }) {
    const { demand } = view;
    const statusLabel = (statusId: string | null) => (statusId ? (view.statusLabels[statusId] ?? statusId) : '');
    const fileHref = (attachmentId: string) => `/demandes/${demand.id}/pieces-jointes/${attachmentId}`;
    const file = (a: { id: string; fileName: string; sizeBytes: number }) => ({ href: fileHref(a.id), fileName: a.fileName, size: formatSize(a.sizeBytes) });
    return {
      pageTitle: `Demande ${demand.trackingCode}`,
      navigation: NAVIGATION('demands'),
      demand: {
        id: demand.id,
        trackingCode: demand.trackingCode,
        lockVersion: demand.lockVersion,
        submittedAt: formatDateTime(demand.submittedAt),
        closed: demand.closedAt !== null,
        closedAt: demand.closedAt ? formatDate(demand.closedAt) : null,
        channel: demand.channel,
      },
      teleserviceTitle: view.teleserviceTitle,
      collectivityName: view.collectivityName,
      statusLabel: view.statusLabel,
      citizenStatusLabel: view.citizenStatus.label,
      summary: view.summary,
      files: view.fieldAttachments.map(file),
      history: view.history
        .slice()
        .reverse()
        .map((event) => ({
          at: formatDateTime(event.at),
          kind: EVENT_LABELS[event.kind] ?? event.kind,
          internal: event.visibility === 'internal',
          actor: ACTOR_LABELS[event.actor.type] ?? event.actor.type,
          statusTo: statusLabel(event.statusTo),
          detail: detailOf(event.payload),
        })),
      messages: view.messages.map(({ message, attachments }) => ({
        at: formatDateTime(message.createdAt),
        author: ACTOR_LABELS[message.author.type] ?? message.author.type,
        internal: message.visibility === 'internal',
        body: message.body,
        files: attachments.map(file),
      })),
      actions: view.actions.map((action) => ({
        ...action,
        failed: extra.failedAction === action.actionId,
        comment: extra.failedAction === action.actionId ? extra.comment : '',
      })),
      notice: extra.notice ?? null,
      actionError: extra.error ?? null,
    };
  }
}

function detailOf(payload: Record<string, unknown> | null | undefined): string {
  if (!payload) return '';
  for (const key of ['label', 'citizenStatusLabel', 'text', 'comment', 'reason']) {
    const value = payload[key];
    if (typeof value === 'string' && value.trim()) return value.length > 500 ? `${value.slice(0, 500)}…` : value;
  }
  return '';
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} octets`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace('.', ',')} Kio`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} Mio`;
}
