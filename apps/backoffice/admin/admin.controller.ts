import { Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AgentErrors, COLLECTIVITY_ROLES, type CollectivityRoleName } from '#agents';
import { DomainError } from '#core';
import type { Collectivity } from '#territory';
import { AgentGuard } from '../agent.guard.js';
import { readMultipart } from '../multipart.js';
import { AdminAccess } from './admin-access.js';
import { actorOf, errorsOf, formOf, ids, isShownOnPage, list, SUB, text, when } from './admin-forms.js';
import { ACTION_LABELS, AdminJournal } from './admin-journal.js';
import { AgentsAdministration, ROLE_LABELS, type AgentEntry } from './agents-admin.service.js';
import { BrandingService, contrastWithWhite, LOGO_MAX_BYTES } from './branding.js';

const NOTICES: Record<string, string> = {
  invite: 'L’invitation a été envoyée et les rôles donnés.',
  attente: 'L’invitation a été envoyée : cette adresse n’a pas encore de compte territorial. Les rôles seront donnés à sa première connexion.',
  annulee: 'L’invitation a été annulée.',
  modifie: 'Les rôles et fonctions ont été enregistrés.',
  retire: 'L’accès a été retiré.',
  identite: 'L’identité visuelle a été enregistrée.',
};

const ROLE_CHOICES = COLLECTIVITY_ROLES.map((id) => ({
  id,
  label: ROLE_LABELS[id],
  hint: id === 'agent' ? 'Traite les demandes de la collectivité.' : 'Traite les demandes, gère les agents, l’identité visuelle et les téléservices.',
}));

const AGENT_FIELD_IDS: Record<string, string> = { email: 'invite-email', roles: 'role-agent', functions: 'functions' };
const BRANDING_FIELD_IDS: Record<string, string> = { displayName: 'displayName', accentColor: 'accentColor', contactEmail: 'contactEmail', logo: 'logo' };

const roleList = (values: string[]) => values.filter((v): v is CollectivityRoleName => (COLLECTIVITY_ROLES as readonly string[]).includes(v));

/**
 * Commune administration (docs/administration.md): a collectivity's agents, roles and functions, and its branding.
 * Every route checks, server side, that the agent administers *that* collectivity (AdminAccess), whatever the menu shows.
 */
@Controller('administration')
@UseGuards(AgentGuard)
export class AdminController {
  constructor(
    private readonly access: AdminAccess,
    private readonly agents: AgentsAdministration,
    private readonly branding: BrandingService,
    private readonly journal: AdminJournal,
  ) {}

  @Get()
  async home(@Req() req: Request, @Res() res: Response) {
    const administered = await this.access.administered(req.agent!);
    const platform = await this.access.isPlatform(req.agent!);
    if (!administered.length) {
      throw DomainError.forbidden('ADMIN_FORBIDDEN', 'Vous n’êtes administrateur d’aucune collectivité : l’administration ne vous est pas accessible.');
    }
    if (administered.length === 1 && !platform) {
      res.redirect(303, `/administration/${administered[0].slug}/agents`);
      return;
    }
    res.render('admin-home', {
      pageTitle: 'Administration',
      collectivities: administered.map((c) => ({ name: c.name, slug: c.slug, commune: c.kind === 'commune' })),
      platform,
    });
  }

  @Get(':slug/agents')
  async agentsPage(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Query('fait') done?: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    res.render('admin-agents', await this.agentsView(req, collectivity, { notice: NOTICES[done ?? ''] ?? null }));
  }

  @Post(':slug/agents')
  async invite(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const body = formOf(req);
    const values = { email: text(body, 'email'), roles: list(body, 'roles'), functions: text(body, 'functions') };
    let outcome: string;
    try {
      outcome = await this.agents.invite(actorOf(req), collectivity, { email: values.email, roles: roleList(values.roles), functions: ids(values.functions) });
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      res.status(422).render('admin-agents', await this.agentsView(req, collectivity, { errors: errorsOf(error, (p) => AGENT_FIELD_IDS[p] ?? 'invite-email'), values }));
      return;
    }
    res.redirect(303, `/administration/${slug}/agents?fait=${outcome === 'pending' ? 'attente' : 'invite'}`);
  }

  @Get(':slug/invitations/:id/annuler')
  async cancelConfirm(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('id') id: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const invitation = await this.agents.requirePending(collectivity, id);
    res.render('admin-confirm', {
      pageTitle: `Annuler l’invitation de ${invitation.email}`,
      heading: `Annuler l’invitation de ${invitation.email} ?`,
      explanation: `Cette adresse ne recevra pas les rôles prévus dans ${collectivity.name}, même si la personne crée son compte.`,
      action: `/administration/${collectivity.slug}/invitations/${invitation.id}/annuler`,
      confirmLabel: 'Annuler l’invitation',
      cancelHref: `/administration/${collectivity.slug}/agents`,
      errors: [],
    });
  }

  @Post(':slug/invitations/:id/annuler')
  async cancel(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('id') id: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    await this.agents.cancelInvitation(actorOf(req), collectivity, id);
    res.redirect(303, `/administration/${slug}/agents?fait=annulee`);
  }

  @Get(':slug/agents/:sub')
  async agentPage(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('sub') sub: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const entry = await this.agents.require(collectivity, SUB.test(sub) ? sub : '');
    res.render('admin-agent', await this.agentView(req, collectivity, entry, {}));
  }

  @Post(':slug/agents/:sub')
  async change(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('sub') sub: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const entry = await this.agents.require(collectivity, SUB.test(sub) ? sub : '');
    const body = formOf(req);
    const roles = roleList(list(body, 'roles'));
    const functions = text(body, 'functions');
    if (!roles.length) {
      // No role left is a revocation: it goes through its confirmation page.
      res.redirect(303, `/administration/${slug}/agents/${entry.sub}/retirer`);
      return;
    }
    try {
      await this.agents.change(actorOf(req), collectivity, entry.sub, { roles, functions: ids(functions) });
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      const status = error.code === AgentErrors.LAST_ADMINISTRATOR ? 409 : 422;
      res.status(status).render('admin-agent', await this.agentView(req, collectivity, { ...entry, roles, functions: ids(functions) }, { errors: errorsOf(error, (p) => AGENT_FIELD_IDS[p] ?? 'role-agent') }));
      return;
    }
    res.redirect(303, `/administration/${slug}/agents?fait=modifie`);
  }

  @Get(':slug/agents/:sub/retirer')
  async revokeConfirm(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('sub') sub: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const entry = await this.agents.require(collectivity, SUB.test(sub) ? sub : '');
    res.render('admin-confirm', await this.revokeView(req, collectivity, entry, []));
  }

  @Post(':slug/agents/:sub/retirer')
  async revoke(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('sub') sub: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const entry = await this.agents.require(collectivity, SUB.test(sub) ? sub : '');
    try {
      await this.agents.revoke(actorOf(req), collectivity, entry.sub);
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      res.status(409).render('admin-confirm', await this.revokeView(req, collectivity, entry, errorsOf(error, () => '')));
      return;
    }
    res.redirect(303, `/administration/${slug}/agents?fait=retire`);
  }

  @Get(':slug/identite')
  async brandingPage(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Query('fait') done?: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    res.render('admin-branding', await this.brandingView(req, collectivity, { notice: NOTICES[done ?? ''] ?? null }));
  }

  /** Multipart (the logo): the CSRF token travels in the action's query string, as for the demand's messages. */
  @Post(':slug/identite')
  async saveBranding(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    let values: { displayName: string; accentColor: string; contactEmail: string } = { displayName: '', accentColor: '', contactEmail: '' };
    try {
      const form = (req.headers['content-type'] ?? '').startsWith('multipart/form-data')
        ? await readMultipart(req)
        : { fields: Object.fromEntries(Object.entries(formOf(req)).map(([k, v]) => [k, typeof v === 'string' ? v : ''])), files: [] };
      values = { displayName: form.fields.displayName ?? '', accentColor: form.fields.accentColor ?? '', contactEmail: form.fields.contactEmail ?? '' };
      await this.branding.save(actorOf(req), collectivity, { ...values, logo: form.files[0]?.content ?? null, removeLogo: form.fields.removeLogo === 'on' });
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      res.status(422).render('admin-branding', await this.brandingView(req, collectivity, { errors: errorsOf(error, (p) => BRANDING_FIELD_IDS[p] ?? 'logo'), values }));
      return;
    }
    res.redirect(303, `/administration/${slug}/identite?fait=identite`);
  }

  private async agentsView(req: Request, collectivity: Collectivity, extra: { notice?: string | null; errors?: { id?: string; message: string }[]; values?: { email: string; roles: string[]; functions: string } }) {
    const entries = await this.agents.list(collectivity);
    const events = await this.journal.latest(collectivity.id, 20);
    const values = extra.values ?? { email: '', roles: ['agent'], functions: '' };
    const fieldError = (id: string) => extra.errors?.find((e) => e.id === id)?.message;
    return {
      pageTitle: `Agents — ${collectivity.name}`,
      collectivity: { name: collectivity.name, slug: collectivity.slug },
      notice: extra.notice ?? null,
      errors: extra.errors ?? [],
      emailError: fieldError('invite-email'),
      rolesError: fieldError('role-agent'),
      functionsError: fieldError('functions'),
      values,
      roleChoices: ROLE_CHOICES.map((r) => ({ ...r, checked: values.roles.includes(r.id) })),
      functionsHint: await this.functionsHint(collectivity),
      agents: entries.map((e) => ({
        ...e,
        self: e.sub === req.agent!.sub,
        roleLabels: e.roles.map((r) => ROLE_LABELS[r] ?? r).join(', '),
        functionsText: e.functions.length ? e.functions.join(', ') : 'Toutes',
        since: when(e.since),
        editable: e.roles.some((r) => r !== 'platform'),
      })),
      events: events.map((e) => ({ at: when(e.createdAt), actor: e.actorEmail ?? 'compte ' + e.actorSub.slice(0, 8), action: ACTION_LABELS[e.action] ?? e.action, subject: e.subject ?? '' })),
      invitations: (await this.agents.pending(collectivity)).map((i) => ({
        id: i.id,
        email: i.email,
        roleLabels: i.roles.map((r) => ROLE_LABELS[r] ?? r).join(', '),
        functionsText: i.functions.length ? i.functions.join(', ') : 'Toutes',
        since: when(i.createdAt),
      })),
    };
  }

  private async agentView(req: Request, collectivity: Collectivity, entry: AgentEntry, extra: { errors?: { id?: string; message: string }[] }) {
    return {
      pageTitle: `${entry.email} — ${collectivity.name}`,
      collectivity: { name: collectivity.name, slug: collectivity.slug },
      agent: { ...entry, self: entry.sub === req.agent!.sub, functionsText: entry.functions.join(', ') },
      errors: extra.errors ?? [],
      rolesError: extra.errors?.find((e) => e.id === 'role-agent')?.message,
      functionsError: extra.errors?.find((e) => e.id === 'functions')?.message,
      roleChoices: ROLE_CHOICES.map((r) => ({ ...r, checked: entry.roles.includes(r.id) })),
      functionsHint: await this.functionsHint(collectivity),
    };
  }

  private async functionsHint(collectivity: Collectivity): Promise<string> {
    const known = await this.agents.knownFunctions(collectivity);
    return `Identifiants séparés par des virgules (reçoivent les alertes de ces fonctions) ; vide : toutes les fonctions.${known.length ? ` Fonctions des circuits publiés : ${known.join(', ')}.` : ''}`;
  }

  private async revokeView(req: Request, collectivity: Collectivity, entry: AgentEntry, errors: { id?: string; message: string }[]) {
    return {
      pageTitle: `Retirer l’accès de ${entry.email}`,
      heading: `Retirer l’accès de ${entry.email} à ${collectivity.name} ?`,
      explanation: `Cette personne perdra ses rôles (${entry.roles.map((r) => ROLE_LABELS[r] ?? r).join(', ')}) dans l’espace agents de ${collectivity.name} dès sa prochaine page. Elle garde son compte territorial.${entry.sub === req.agent!.sub ? ' Il s’agit de votre propre accès.' : ''}`,
      action: `/administration/${collectivity.slug}/agents/${entry.sub}/retirer`,
      confirmLabel: 'Retirer l’accès',
      cancelHref: `/administration/${collectivity.slug}/agents`,
      errors,
    };
  }

  private async brandingView(req: Request, collectivity: Collectivity, extra: { notice?: string | null; errors?: { id?: string; message: string }[]; values?: { displayName: string; accentColor: string; contactEmail: string } }) {
    const current = await this.branding.get(collectivity);
    const values = extra.values ?? { displayName: current.displayName ?? '', accentColor: current.accentColor ?? '', contactEmail: current.contactEmail ?? '' };
    const fieldError = (id: string) => extra.errors?.find((e) => e.id === id)?.message;
    const accent = current.accentColor;
    return {
      pageTitle: `Identité visuelle — ${collectivity.name}`,
      collectivity: { name: collectivity.name, slug: collectivity.slug },
      notice: extra.notice ?? null,
      errors: extra.errors ?? [],
      values,
      displayNameError: fieldError('displayName'),
      accentColorError: fieldError('accentColor'),
      contactEmailError: fieldError('contactEmail'),
      logoError: fieldError('logo'),
      hasLogo: current.hasLogo,
      logoUrl: `/marque/${collectivity.slug}/logo${current.updatedAt ? `?v=${current.updatedAt.getTime()}` : ''}`,
      accent: accent ? { color: accent, ratio: contrastWithWhite(accent).toFixed(2).replace('.', ',') } : null,
      logoMaxKb: LOGO_MAX_BYTES / 1024,
      updatedAt: current.updatedAt ? when(current.updatedAt) : null,
    };
  }
}
