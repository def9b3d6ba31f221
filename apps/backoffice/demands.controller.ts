import { Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AgentRoleService } from '#agents';
import { DomainError } from '#core';
import {
  ActOnDemand,
  ActOnDemandCommand,
  AgentBulkOperations,
  AgentExportQueries,
  AgentInboxQueries,
  AgentSavedViews,
  AssignDemand,
  AssignDemandCommand,
  CommentOnDemand,
  CommentOnDemandCommand,
  DemandQueries,
  PostMessage,
  PostMessageCommand,
  RerouteDemand,
  RerouteDemandCommand,
  ReturnDemandCommand,
  ReturnDemandToMetropolis,
  RETURNED_EVENT,
  type AgentDemandView,
  type EngineCaller,
} from '#demands';
import { TerritoryService } from '#territory';
import { AgentGuard } from './agent.guard.js';
import { agentCaller, formatDate, formatDateTime } from './agent-caller.js';
import { exportFileName, writeCsv, writeOds } from './exports.js';
import { COLUMNS, parseListing, type ListingForm } from './listing.js';
import { readMultipart } from './multipart.js';

/**
 * The back office's base links, kept for the modules that still pass a `navigation` (builder, on-behalf): every page's
 * menu is in fact the one `NavigationInterceptor` (navigation.ts) builds from the agent's roles at render time.
 */
export const NAVIGATION = (current: 'dashboard' | 'demands' | 'statistics' | 'preferences') => [
  { href: '/tableau-de-bord', label: 'Tableau de bord', current: current === 'dashboard' },
  { href: '/demandes', label: 'Demandes', current: current === 'demands' },
  { href: '/statistiques', label: 'Statistiques', current: current === 'statistics' },
  { href: '/preferences/notifications', label: 'Mes notifications', current: current === 'preferences' },
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
  delivered: 'Demande transmise',
  relayed_by_email: 'Demande relayée par courriel',
  delivery_blocked: 'Transmission bloquée',
  rerouted: 'Demande réorientée',
  returned_to_metropolis: 'Demande renvoyée à la métropole',
  collectivity_changed: 'Changement de collectivité',
  backoffice_fields_set: 'Champs de gestion modifiés',
  api_triggered: 'Déclenchement par un système partenaire',
  webservice_requested: 'Appel d’un service web demandé',
  webservice_result: 'Résultat d’un service web',
  document_requested: 'Document demandé',
  child_demand_requested: 'Demande liée demandée',
  child_demand_created: 'Demande liée créée',
  anonymisation_requested: 'Anonymisation demandée',
  deletion_scheduled: 'Suppression programmée',
  timer_unschedulable: 'Échéance impossible à programmer',
  condition_error: 'Erreur dans une condition du circuit',
  sms_not_sent: 'SMS non envoyé',
};

/** Notices after a successful POST (`?fait=`). */
const NOTICES: Record<string, string> = {
  '1': 'L’action a été enregistrée.',
  commentaire: 'Le commentaire interne a été ajouté.',
  message: 'Le message a été envoyé à l’usager.',
  attribution: 'L’attribution a été enregistrée.',
};

const ACTOR_LABELS: Record<string, string> = { agent: 'Agent', citizen: 'Usager', partner: 'Système partenaire', system: 'Système' };

/** One text value of a query string (the first when repeated). */
function one(value: unknown): string {
  if (Array.isArray(value)) return one(value[0]);
  return typeof value === 'string' ? value.trim().slice(0, 200) : '';
}


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
    private readonly comment: CommentOnDemand,
    private readonly assign: AssignDemand,
    private readonly reroute: RerouteDemand,
    private readonly postMessage: PostMessage,
    private readonly roles: AgentRoleService,
    private readonly territory: TerritoryService,
    private readonly exports: AgentExportQueries,
    private readonly views: AgentSavedViews,
    private readonly bulk: AgentBulkOperations,
    private readonly returns: ReturnDemandToMetropolis,
  ) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @Query() query: Record<string, unknown>) {
    const caller = agentCaller(req.agent!);
    const viewId = one(query.vue);
    const others = Object.keys(query).filter((key) => key !== 'vue' && key !== 'fait' && key !== 'code');
    // A saved view opens as its own parameters (a plain URL: bookmarkable, and the form shows them); the agent's
    // default view opens when the listing is asked for without any parameter.
    if (!others.length && viewId !== 'aucune') {
      const view = viewId ? await this.views.get(caller, viewId) : await this.views.defaultView(caller);
      if (view && (view.query || !viewId)) {
        const params = new URLSearchParams(view.query);
        params.set('vue', view.id);
        for (const key of ['fait', 'code']) if (one(query[key])) params.set(key, one(query[key]));
        return res.redirect(303, `/demandes?${params.toString()}`);
      }
    }
    const choices = await this.inbox.filterChoices(caller);
    const listing = parseListing(query, caller.sub);
    const after = one(query.apres) || null;
    const before = one(query.avant) || null;
    const { errors, filters } = listing;
    const page = errors.length ? { items: [], next: null, previous: null } : await this.inbox.inbox(caller, filters, { after, before, limit: PAGE_SIZE, order: listing.order });
    const total = errors.length ? 0 : await this.inbox.count(caller, filters);
    const labels = await this.inbox.labelsFor(page.items);
    const titles = await this.inbox.teleserviceTitles(page.items.map((d) => d.teleserviceId));
    const collectivities = req.agent!.collectivities.filter((c) => caller.collectivityIds.includes(c.id));
    const assignee = await this.assigneeNames(caller);
    const current = viewId && viewId !== 'aucune' ? viewId : '';
    const link = (key: 'apres' | 'avant', cursor: string | null) => {
      if (!cursor) return null;
      const params = new URLSearchParams(listing.keep);
      if (current) params.set('vue', current);
      params.set(key, cursor);
      return `/demandes?${params.toString()}`;
    };
    const form: ListingForm = listing.form;
    const views = await this.views.list(caller);
    const shown = new Set<string>(listing.columns);
    const notice = NOTICES_LIST[one(query.fait)]?.(one(query.code)) ?? null;
    const bulkActions = await this.inbox.bulkActions(page.items);
    const returned = await this.returns.flags(caller, page.items.map((d) => d.id));
    res.status(errors.length ? 422 : 200).render('inbox', {
      pageTitle: 'Demandes',
      form,
      errors,
      notice,
      filtered: listing.keep.size > 0,
      exportQuery: listing.keep.toString(),
      viewQuery: listing.keep.toString(),
      statuses: choices.statuses.map((s) => ({ ...s, selected: s.id === form.statut })),
      teleservices: choices.teleservices.map((t) => ({ ...t, selected: t.id === form.teleservice })),
      channels: CHANNEL_CHOICES.map((c) => ({ ...c, selected: c.id === form.canal })),
      assignedChoices: ASSIGNED_CHOICES.map((c) => ({ ...c, selected: c.id === form.attribution })),
      stateChoices: STATE_CHOICES.map((c) => ({ ...c, selected: c.id === form.etat })),
      collectivities: collectivities.length > 1 ? collectivities.map((c) => ({ id: c.id, name: c.name, selected: c.id === form.collectivite })) : [],
      viewCollectivities: collectivities.map((c) => ({ id: c.id, name: c.name })),
      singleCollectivity: collectivities.length === 1 ? collectivities[0] : null,
      fieldOps: FIELD_OPS.map((o) => ({ ...o, selected: o.id === form.champ_op })),
      columnChoices: COLUMNS.map((c) => ({ ...c, checked: shown.has(c.id) })),
      oldestFirst: listing.order === 'asc',
      columns: Object.fromEntries(listing.columns.map((c) => [c, true])),
      views: views.map((v) => ({
        ...v,
        current: v.id === current,
        collectivityName: collectivities.find((c) => c.id === v.collectivityId)?.name ?? '',
      })),
      currentView: views.find((v) => v.id === current) ?? null,
      bulkActions,
      total,
      demands: page.items.map((demand) => ({
        id: demand.id,
        trackingCode: demand.trackingCode,
        teleservice: titles.get(demand.teleserviceId) ?? '',
        collectivity: collectivities.find((c) => c.id === demand.collectivityId)?.name ?? '',
        channel: CHANNEL_LABELS[demand.channel] ?? demand.channel,
        assignee: assignee(demand),
        closedAt: demand.closedAt ? formatDateTime(demand.closedAt) : '',
        fields: labels.get(demand.id)?.listing ?? [],
        summaryLine: labels.get(demand.id)?.summaryLine ?? '',
        statusLabel: labels.get(demand.id)?.statusLabel ?? demand.status,
        closed: demand.closedAt !== null,
        mine: demand.assignedAgent === caller.sub,
        submittedAt: formatDateTime(demand.submittedAt),
        submittedIso: demand.submittedAt.toISOString(),
        returnedFrom: returned.get(demand.id)?.from ?? null,
        returnedReason: returned.get(demand.id)?.reason ?? '',
      })),
      nextHref: link('apres', page.next),
      previousHref: link('avant', page.previous),
    });
  }

  /**
   * The current listing (same filters, columns and order) as a spreadsheet: CSV (UTF-8 BOM, « ; », formula-like
   * cells neutralised) or ODS (yazl), streamed from a PostgreSQL cursor in the agent's tenant transaction, in
   * constant memory.
   */
  @Get('export.:format')
  async export(@Req() req: Request, @Res() res: Response, @Param('format') format: string, @Query() query: Record<string, unknown>) {
    if (format !== 'csv' && format !== 'ods') throw DomainError.notFound('EXPORT_FORMAT_UNKNOWN', 'Format d’export inconnu : csv ou ods.');
    const caller = agentCaller(req.agent!);
    const listing = parseListing(query, caller.sub);
    if (listing.errors.length) throw DomainError.invalid('EXPORT_FILTERS_INVALID', listing.errors[0].message);
    const source = {
      caller,
      filters: listing.filters,
      inbox: this.inbox,
      exports: this.exports,
      columns: listing.columns,
      order: listing.order,
      collectivityName: (id: string) => req.agent!.collectivities.find((c) => c.id === id)?.name ?? '',
      assignee: await this.assigneeNames(caller),
    };
    const name = exportFileName(format, new Date());
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    if (format === 'csv') {
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      await writeCsv(res, source);
    } else {
      res.setHeader('Content-Type', 'application/vnd.oasis.opendocument.spreadsheet');
      await writeOds(res, source);
    }
  }

  /** Saves the current listing as a view (private, or shared with one of the agent's collectivities). */
  @Post('vues')
  async saveView(@Req() req: Request, @Res() res: Response) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const caller = agentCaller(req.agent!);
    const listing = parseListing(Object.fromEntries(new URLSearchParams(one(body.parametres) ? String(body.parametres).slice(0, 4000) : '')), caller.sub);
    if (listing.errors.length) throw DomainError.invalid('SAVED_VIEW_INVALID', listing.errors[0].message);
    try {
      const view = await this.views.save(caller, {
        name: body.nom,
        visibility: one(body.partage) === 'oui' ? 'shared' : 'private',
        collectivityId: one(body.collectivite) || caller.collectivityIds[0],
        query: listing.keep.toString(),
        isDefault: one(body.defaut) === 'oui',
      });
      res.redirect(303, `/demandes?${new URLSearchParams([...listing.keep, ['vue', view.id], ['fait', 'vue']]).toString()}`);
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind === 'not_found') throw error;
      res.redirect(303, `/demandes?${new URLSearchParams([...listing.keep, ['fait', error.code === 'SAVED_VIEW_NAME_TAKEN' ? 'vue-nom-pris' : 'vue-invalide']]).toString()}`);
    }
  }

  /** Makes one of the agent's own views their default (or none: `vue=aucune`). */
  @Post('vues/par-defaut')
  async defaultView(@Req() req: Request, @Res() res: Response) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const id = one(body.vue);
    await this.views.setDefault(agentCaller(req.agent!), id === 'aucune' ? null : id);
    res.redirect(303, `/demandes?vue=${id === 'aucune' ? 'aucune' : encodeURIComponent(id)}&fait=vue-defaut`);
  }

  /** Deletes one of the agent's own views (another's: 404). */
  @Post('vues/supprimer')
  async deleteView(@Req() req: Request, @Res() res: Response) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.views.remove(agentCaller(req.agent!), one(body.vue));
    res.redirect(303, '/demandes?vue=aucune&fait=vue-supprimee');
  }

  /** « Attribuée à » for listings and exports: colleagues' addresses in the agent's collectivities, functions by id. */
  private async assigneeNames(caller: Extract<EngineCaller, { kind: 'agent' }>): Promise<(demand: { assignedAgent: string | null; assignedFunction: string | null }) => string> {
    const emails = new Map<string, string>();
    for (const collectivityId of caller.collectivityIds) {
      for (const role of await this.roles.listActive(collectivityId)) if (role.accountEmail && !emails.has(role.accountSub)) emails.set(role.accountSub, role.accountEmail);
    }
    return (demand) =>
      demand.assignedAgent ? (demand.assignedAgent === caller.sub ? 'moi' : (emails.get(demand.assignedAgent) ?? 'un agent')) : demand.assignedFunction ? `fonction ${demand.assignedFunction}` : '';
  }

  /**
   * Starts a bulk operation on the rows ticked in the listing (`demandes`): assign to me, remove the assignment,
   * or a workflow button allowed in bulk (`action:<id>`). It runs in the worker (`demands.bulk`); its page shows
   * the progress. A selection with a demand outside the agent's scope is refused as a whole (422).
   */
  @Post('lots')
  async startBulk(@Req() req: Request, @Res() res: Response) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const operation = one(body.operation);
    const ids = (Array.isArray(body.demandes) ? body.demandes : [body.demandes]).filter((v): v is string => typeof v === 'string');
    const input = operation.startsWith('action:')
      ? { kind: 'action', params: { actionId: operation.slice(7) } }
      : { kind: 'assign', params: { to: { kind: operation === 'personne' ? 'nobody' : 'me' } } };
    try {
      const id = await this.bulk.start(agentCaller(req.agent!), { demandIds: ids, ...input });
      res.redirect(303, `/demandes/lots/${id}`);
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind !== 'invalid') throw error;
      res.status(422).render('bulk', {
        pageTitle: 'Opération groupée',
        errors: (error.fields?.length ? error.fields : [{ message: error.message }]).map((f) => ({ message: f.message })),
      });
    }
  }

  /** The progress of one of the agent's bulk operations (another's: 404). */
  @Get('lots/:operationId')
  async bulkProgress(@Req() req: Request, @Res() res: Response, @Param('operationId') operationId: string) {
    const view = await this.bulk.get(agentCaller(req.agent!), operationId);
    const processed = view.done + view.failed;
    res.render('bulk', {
      pageTitle: 'Opération groupée',
      errors: [],
      operation: {
        id: view.id,
        label: view.kind === 'assign' ? ((view.params.to as { kind?: string })?.kind === 'nobody' ? 'Retirer l’attribution' : 'M’attribuer les demandes') : `Action « ${String(view.params.actionId)} »`,
        statusLabel: view.status === 'done' ? 'Terminée' : view.status === 'running' ? 'En cours' : 'En attente de traitement',
        finished: view.status === 'done',
        total: view.total,
        processed,
        done: view.done,
        failed: view.failed,
        results: view.results.map((r) => ({ ...r, trackingCode: view.trackingCodes[r.demandId] ?? 'demande', href: view.trackingCodes[r.demandId] ? `/demandes/${r.demandId}` : null })),
      },
    });
  }

  /** The user card: all demands of this demand's citizen within the agent's collectivities. */
  @Get(':id/usager')
  async citizenCard(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const caller = agentCaller(req.agent!);
    const { demand, demands } = await this.inbox.citizenDemands(caller, id);
    const labels = await this.inbox.labelsFor(demands);
    const titles = await this.inbox.teleserviceTitles(demands.map((d) => d.teleserviceId));
    res.render('citizen-card', {
      pageTitle: `Demandes de l’usager de ${demand.trackingCode}`,
      demand: { id: demand.id, trackingCode: demand.trackingCode },
      hasAccount: demand.accountSub !== null,
      demands: demands.map((d) => ({
        id: d.id,
        trackingCode: d.trackingCode,
        current: d.id === demand.id,
        teleservice: titles.get(d.teleserviceId) ?? '',
        collectivity: req.agent!.collectivities.find((c) => c.id === d.collectivityId)?.name ?? '',
        submittedAt: formatDateTime(d.submittedAt),
        submittedIso: d.submittedAt.toISOString(),
        statusLabel: labels.get(d.id)?.statusLabel ?? d.status,
        closed: d.closedAt !== null,
        channel: CHANNEL_LABELS[d.channel] ?? d.channel,
        byAgent: d.submittedByAgent !== null,
      })),
    });
  }

  @Get(':id')
  async show(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Query('fait') done?: string) {
    const caller = agentCaller(req.agent!);
    const view = await this.inbox.view(caller, id);
    res.render('demand', await this.demandPage(caller, view, { notice: NOTICES[one(done)] ?? null }));
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
    await this.attempt(req, res, id, '1', { failedAction: actionId, comment }, async () => {
      const functions = await this.inbox.agentFunctionsFor(base, id);
      const caller = agentCaller(req.agent!, functions);
      const command = ActOnDemandCommand.create(caller, {
        demandId: id,
        command: { kind: 'press', actionId, comment: comment.trim() ? comment : undefined, confirmed: one(body.confirmed) === 'oui' },
        expectedVersion: one(body.version) || undefined,
      });
      await this.actOnDemand.execute(command);
    });
  }

  /** An internal comment (agents only: never shown to the citizen). */
  @Post(':id/commentaires')
  async addComment(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = typeof body.texte === 'string' ? body.texte.slice(0, 20_000) : '';
    await this.attempt(req, res, id, 'commentaire', { commentText: text, errorField: 'commentaire-texte' }, () =>
      this.comment.execute(CommentOnDemandCommand.create(agentCaller(req.agent!), { demandId: id, text })),
    );
  }

  /**
   * A message to the citizen, with files: a multipart form (works without JavaScript), its CSRF token in the
   * action's query string (read by the session middleware before this handler).
   */
  @Post(':id/messages')
  async sendMessage(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    let text = '';
    await this.attempt(req, res, id, 'message', { messageText: () => text, errorField: 'message-texte' }, async () => {
      const form = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '') ? await readMultipart(req) : { fields: (req.body ?? {}) as Record<string, string>, files: [] };
      text = typeof form.fields.texte === 'string' ? form.fields.texte.slice(0, 20_000) : '';
      await this.postMessage.execute(PostMessageCommand.create(agentCaller(req.agent!), { demandId: id, body: text, visibility: 'citizen', files: form.files }));
    });
  }

  /** Assignment: to me, to another agent of the demand's collectivity, to a workflow function, or to nobody. */
  @Post(':id/attribution')
  async assignTo(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const choice = one(body.attribuer);
    const to =
      choice === 'moi' ? { kind: 'me' } : choice === 'personne' ? { kind: 'nobody' } : choice.startsWith('agent:') ? { kind: 'agent', sub: choice.slice(6) } : choice.startsWith('fonction:') ? { kind: 'function', functionId: choice.slice(9) } : { kind: choice };
    await this.attempt(req, res, id, 'attribution', { errorField: 'attribuer' }, () =>
      this.assign.execute(AssignDemandCommand.create(agentCaller(req.agent!), { demandId: id, to, expectedVersion: one(body.version) || undefined })),
    );
  }

  /**
   * Re-routing by a metropolis agent: the demand goes to the chosen commune by its membership (GRU, connector or
   * email relay). It usually leaves the agent's sight: back to the inbox with a notice.
   */
  @Post(':id/reorientation')
  async rerouteTo(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    let code = '';
    const ok = await this.attempt(req, res, id, null, { errorField: 'reorienter-commune' }, async () => {
      const { demand } = await this.reroute.execute(
        RerouteDemandCommand.create(agentCaller(req.agent!), { demandId: id, collectivityId: one(body.commune), reason: typeof body.motif === 'string' ? body.motif : '', expectedVersion: one(body.version) || undefined }),
      );
      code = demand.trackingCode;
    });
    if (ok) res.redirect(303, `/demandes?fait=reorientation&code=${encodeURIComponent(code)}`);
  }

  /**
   * A commune's agent sends back to the metropolis a demand that is not the commune's, with a required reason. It
   * leaves the commune's sight (row-level security): back to the inbox with a notice.
   */
  @Post(':id/renvoi')
  async returnToMetropolis(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const reason = typeof body.motif === 'string' ? body.motif.slice(0, 10_000) : '';
    let code = '';
    const ok = await this.attempt(req, res, id, null, { errorField: 'renvoi-motif', returnText: reason }, async () => {
      const { demand } = await this.returns.execute(ReturnDemandCommand.create(agentCaller(req.agent!), { demandId: id, reason, expectedVersion: one(body.version) || undefined }));
      code = demand.trackingCode;
    });
    if (ok) res.redirect(303, `/demandes?fait=renvoi&code=${encodeURIComponent(code)}`);
  }

  /**
   * Runs a write; on success redirects to the demand page with its notice (when `done` is set). A refusal shows
   * the page again with its French message (409 for a concurrent change, 403, else 422). Another collectivity's
   * demand: 404, nothing changes.
   */
  private async attempt(
    req: Request,
    res: Response,
    id: string,
    done: string | null,
    echo: { failedAction?: string; comment?: string; commentText?: string; messageText?: () => string; errorField?: string; returnText?: string },
    work: () => Promise<unknown>,
  ): Promise<boolean> {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof DomainError) || (error.kind === 'not_found' && error.code === 'DEMAND_NOT_FOUND')) throw error;
      const status = error.kind === 'conflict' ? 409 : error.kind === 'forbidden' ? 403 : 422;
      const caller = agentCaller(req.agent!);
      const view = await this.inbox.view(caller, id);
      const detail = error.fields?.length ? `${error.message} ${error.fields.map((f) => f.message).join(' ')}` : error.message;
      res.status(status).render(
        'demand',
        await this.demandPage(caller, view, {
          error: detail,
          errorField: echo.errorField,
          failedAction: echo.failedAction,
          comment: echo.comment,
          commentText: echo.commentText,
          messageText: echo.messageText?.(),
          returnText: echo.returnText,
        }),
      );
      return false;
    }
    if (done) res.redirect(303, `/demandes/${encodeURIComponent(id)}?fait=${done}${ANCHORS[done] ? `#${ANCHORS[done]}` : ''}`);
    return true;
  }

  private async demandPage(
    caller: EngineCaller,
    view: AgentDemandView,
    extra: { notice?: string | null; error?: string; errorField?: string; failedAction?: string; comment?: string; commentText?: string; messageText?: string; returnText?: string },
  ) {
    const { demand } = view;
    const sub = caller.kind === 'agent' ? caller.sub : '';
    const statusLabel = (statusId: string | null) => (statusId ? (view.statusLabels[statusId] ?? statusId) : '');
    const fileHref = (attachmentId: string) => `/demandes/${demand.id}/pieces-jointes/${attachmentId}`;
    const file = (a: { id: string; fileName: string; sizeBytes: number }) => ({ href: fileHref(a.id), fileName: a.fileName, size: formatSize(a.sizeBytes) });
    // Colleagues who may take the demand: active processing roles in the demand's collectivity, one line per person.
    const colleagues = new Map<string, string>();
    for (const role of await this.roles.listActive(demand.collectivityId)) {
      if ((role.role === 'agent' || role.role === 'administrator') && !colleagues.has(role.accountSub)) colleagues.set(role.accountSub, role.accountEmail ?? 'Agent sans adresse');
    }
    const agentName = (agentSub: string | null) => (!agentSub ? null : agentSub === sub ? 'vous' : (colleagues.get(agentSub) ?? 'un agent'));
    const functionLabel = (id: string | null) => (id ? (view.functionChoices.find((f) => f.id === id)?.label ?? id) : null);
    const assignedTo = demand.assignedAgent ? agentName(demand.assignedAgent) : demand.assignedFunction ? `la fonction « ${functionLabel(demand.assignedFunction)} »` : null;
    const mayReroute = await this.reroute.allowed(caller);
    const communes = mayReroute ? (await this.territory.listCommunes()).filter((c) => c.id !== demand.collectivityId).map((c) => ({ id: c.id, name: c.name })) : [];
    const mayReturn = await this.returns.returnable(caller, demand);
    // « Renvoyée par <commune> » until a metropolis agent re-routes it (the latest of the two events decides).
    const lastMove = view.history.filter((e) => e.kind === RETURNED_EVENT || e.kind === 'rerouted').at(-1);
    const returnedPayload = lastMove?.kind === RETURNED_EVENT ? (lastMove.payload as { from?: { name?: string }; reason?: string }) : null;
    const returned = returnedPayload && lastMove ? { from: returnedPayload.from?.name ?? '', reason: returnedPayload.reason ?? '', at: lastMove.at } : null;
    const internalComments = view.history.filter((e) => e.kind === 'comment' && e.visibility === 'internal');
    const filing = filingOf(demand, view.history, agentName);
    return {
      pageTitle: `Demande ${demand.trackingCode}`,
      demand: {
        id: demand.id,
        trackingCode: demand.trackingCode,
        lockVersion: demand.lockVersion,
        submittedAt: formatDateTime(demand.submittedAt),
        closed: demand.closedAt !== null,
        closedAt: demand.closedAt ? formatDate(demand.closedAt) : null,
        channel: CHANNEL_LABELS[demand.channel] ?? demand.channel,
      },
      teleserviceTitle: view.teleserviceTitle,
      collectivityName: view.collectivityName,
      statusLabel: view.statusLabel,
      citizenStatusLabel: view.citizenStatus.label,
      summary: view.summary,
      files: view.fieldAttachments.map(file),
      backofficeFields: view.backofficeFields,
      assignedTo,
      assignedToMe: demand.assignedAgent === sub && !!sub,
      assignChoices: [
        ...(demand.assignedAgent === sub ? [] : [{ value: 'moi', label: 'Moi' }]),
        ...[...colleagues].filter(([agentSub]) => agentSub !== sub && agentSub !== demand.assignedAgent).map(([agentSub, email]) => ({ value: `agent:${agentSub}`, label: email })),
        ...view.functionChoices.filter((f) => f.id !== demand.assignedFunction).map((f) => ({ value: `fonction:${f.id}`, label: `Fonction : ${f.label}` })),
        ...(assignedTo ? [{ value: 'personne', label: 'Personne (retirer l’attribution)' }] : []),
      ],
      mayReroute,
      communes,
      mayReturn,
      returnText: extra.returnText ?? '',
      returned: returned && { from: returned.from, reason: returned.reason, at: formatDateTime(returned.at) },
      hasAccount: demand.accountSub !== null,
      filing,
      internalComments: internalComments
        .slice()
        .reverse()
        .map((event) => ({ at: formatDateTime(event.at), author: event.actor.type === 'agent' ? (agentName(event.actor.sub) ?? 'Agent') : (ACTOR_LABELS[event.actor.type] ?? ''), text: typeof event.payload?.text === 'string' ? event.payload.text : '' })),
      history: view.history
        .slice()
        .reverse()
        .map((event) => ({
          at: formatDateTime(event.at),
          kind: EVENT_LABELS[event.kind] ?? event.kind,
          internal: event.visibility === 'internal',
          actor: event.actor.type === 'agent' ? `Agent (${agentName(event.actor.sub)})` : (ACTOR_LABELS[event.actor.type] ?? event.actor.type),
          statusTo: statusLabel(event.statusTo),
          detail: event.kind === 'assigned' ? assignedDetail(event.payload, agentName, functionLabel) : detailOf(event.payload),
        })),
      messages: view.messages.map(({ message, attachments }) => ({
        at: formatDateTime(message.createdAt),
        author: message.author.type === 'agent' ? `Agent (${agentName(message.author.sub)})` : (ACTOR_LABELS[message.author.type] ?? message.author.type),
        fromCitizen: message.author.type === 'citizen',
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
      errorField: extra.errorField ?? null,
      commentText: extra.commentText ?? '',
      messageText: extra.messageText ?? '',
    };
  }
}

const CHANNEL_LABELS: Record<string, string> = { web: 'En ligne', counter: 'Guichet', phone: 'Téléphone', mail: 'Courrier', email: 'Courriel', api: 'Système partenaire' };
const CHANNEL_CHOICES = Object.entries(CHANNEL_LABELS).map(([id, label]) => ({ id, label }));
const ASSIGNED_CHOICES = [
  { id: 'moi', label: 'À moi' },
  { id: 'mes-fonctions', label: 'À une fonction' },
  { id: 'personne', label: 'À personne' },
];
const STATE_CHOICES = [
  { id: 'ouvertes', label: 'Ouvertes' },
  { id: 'attente', label: 'En attente de l’usager' },
  { id: 'closes', label: 'Closes' },
];
const FIELD_OPS = [
  { id: 'egal', label: 'est égal à' },
  { id: 'contient', label: 'contient' },
  { id: 'entre', label: 'est entre' },
];
/** Notices of the listing after a POST (`?fait=`, `&code=` a tracking code). */
const NOTICES_LIST: Record<string, (code: string) => string> = {
  reorientation: (code) => `La demande ${code} a été réorientée.`,
  renvoi: (code) => `La demande ${code} a été renvoyée à la métropole.`,
  vue: () => 'La vue a été enregistrée.',
  'vue-nom-pris': () => 'La vue n’a pas été enregistrée : vous avez déjà une vue de ce nom.',
  'vue-invalide': () => 'La vue n’a pas été enregistrée : donnez-lui un nom (100 caractères au plus).',
  'vue-defaut': () => 'Votre vue par défaut a été changée.',
  'vue-supprimee': () => 'La vue a été supprimée.',
};

/** Where the page scrolls back to after a POST. */
const ANCHORS: Record<string, string> = { commentaire: 'commentaires-titre', message: 'messages-titre', attribution: 'attribution-titre' };

/**
 * Who filed the demand and for whom: the citizen online, a partner system, or an agent on their behalf (the
 * `submitted` event's actor, else `submitted_by_agent`); and whether it is linked to a territorial account. The
 * account is never shown by its `sub`: by the name the filing recorded (`payload.onBehalfOf.name`), if any.
 */
function filingOf(
  demand: { channel: string; accountSub: string | null; submittedByAgent: string | null },
  history: readonly { kind: string; actor: { type: string; sub?: string | null }; payload?: Record<string, unknown> | null }[],
  agentName: (sub: string | null) => string | null,
): { by: string; onBehalf: boolean; account: string } {
  const submitted = history.find((e) => e.kind === 'submitted');
  const agentSub = submitted?.actor.type === 'agent' ? (submitted.actor.sub ?? null) : demand.submittedByAgent;
  const onBehalf = agentSub !== null && demand.channel !== 'web' && demand.channel !== 'api';
  const recorded = (submitted?.payload?.onBehalfOf ?? null) as { name?: unknown; displayName?: unknown } | null;
  const name = [recorded?.name, recorded?.displayName].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  const by = onBehalf
    ? `Agent (${agentName(agentSub) ?? 'un agent'}), pour l’usager`
    : submitted?.actor.type === 'partner' || demand.channel === 'api'
      ? 'Système partenaire'
      : submitted?.actor.type === 'agent'
        ? `Agent (${agentName(agentSub) ?? 'un agent'})`
        : 'L’usager';
  const account = demand.accountSub
    ? onBehalf
      ? `Liée au compte territorial de l’usager${name ? ` : ${name}` : ''}`
      : 'Faite avec le compte territorial de l’usager'
    : onBehalf
      ? 'Sans compte territorial : l’usager est informé par courriel'
      : 'Sans compte territorial';
  return { by, onBehalf, account };
}

function assignedDetail(payload: Record<string, unknown> | null | undefined, agentName: (sub: string | null) => string | null, functionLabel: (id: string | null) => string | null): string {
  const to = (payload?.to ?? {}) as { agent?: string | null; function?: string | null };
  if (to.agent) return `Attribuée à ${agentName(to.agent)}.`;
  if (to.function) return `Attribuée à la fonction « ${functionLabel(to.function)} ».`;
  return detailOf(payload);
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
