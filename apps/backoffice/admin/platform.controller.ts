import { Controller, Get, Inject, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ClientView } from '#accounts';
import { APP_CONFIG, type AppConfig } from '#core';
import type { Collectivity } from '#territory';
import { AgentGuard } from '../agent.guard.js';
import { AdminAccess } from './admin-access.js';
import { actorOf, errorsOf, formOf, frenchDay, isShownOnPage, list, text, when } from './admin-forms.js';
import { ACTION_LABELS, AdminJournal } from './admin-journal.js';
import { IdentityClients, SCOPE_LABELS, type ClientForm } from './identity-clients.js';
import { BlockedChange, ENVIRONMENT_LABELS, OFFER_LABELS, PlatformOperation } from './platform.service.js';

const NOTICES: Record<string, string> = {
  offre: 'L’offre a été modifiée.',
  instance: 'L’instance a été créée.',
  decommissionnee: 'L’instance a été décommissionnée. Ses données restent exportables.',
  client: 'Le client a été enregistré.',
  'client-supprime': 'Le client a été supprimé : ses autorisations et ses jetons ne valent plus rien.',
};
const OFFER_FIELD_IDS: Record<string, string> = { offer: 'offer', startsOn: 'startsOn', signedOn: 'signedOn', contactEmail: 'offerContactEmail' };
const CLIENT_FIELD_IDS = (path: string) => {
  const head = path.split('.')[0];
  return ({ clientId: 'clientId', name: 'name', redirectUris: 'redirectUris', postLogoutRedirectUris: 'postLogoutRedirectUris', allowedScopes: 'scope-openid' } as Record<string, string>)[head] ?? 'name';
};

/**
 * Platform operation (role `platform` on the metropolis; docs/administration.md): collectivities and their offers,
 * instances, identity clients of partner portals, the link to the worker's queue dashboard. `requirePlatform` on
 * every route.
 */
@Controller('plateforme')
@UseGuards(AgentGuard)
export class PlatformController {
  constructor(
    private readonly access: AdminAccess,
    private readonly platform: PlatformOperation,
    private readonly clients: IdentityClients,
    private readonly journal: AdminJournal,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async home(@Req() req: Request, @Res() res: Response) {
    await this.access.requirePlatform(req.agent!);
    const rows = await this.platform.collectivities();
    res.render('admin-platform', {
      pageTitle: 'Plateforme',
      collectivities: rows.map((r) => ({
        name: r.collectivity.name,
        slug: r.collectivity.slug,
        metropolis: r.collectivity.kind === 'metropolis',
        offer: r.collectivity.kind === 'metropolis' ? 'Opère la plateforme' : OFFER_LABELS[r.offer ?? 'none'],
        since: r.since ? frenchDay(r.since) : '',
        contactEmail: r.contactEmail ?? '',
        instances: r.activeInstances,
      })),
      dashboard: this.dashboard(),
    });
  }

  @Get('collectivites/:slug')
  async collectivityPage(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Query('fait') done?: string) {
    await this.access.requirePlatform(req.agent!);
    const collectivity = await this.platform.collectivity(slug);
    res.render('admin-collectivity', await this.collectivityView(collectivity, { notice: NOTICES[done ?? ''] ?? null }));
  }

  @Post('collectivites/:slug/offre')
  async changeOffer(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string) {
    await this.access.requirePlatform(req.agent!);
    const collectivity = await this.platform.collectivity(slug);
    const body = formOf(req);
    const values = { offer: text(body, 'offer'), startsOn: text(body, 'startsOn'), signedOn: text(body, 'signedOn'), contactEmail: text(body, 'contactEmail') };
    try {
      await this.platform.changeOffer(actorOf(req), collectivity, values);
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      const blocked = error instanceof BlockedChange;
      res
        .status(blocked ? 409 : 422)
        .render('admin-collectivity', await this.collectivityView(collectivity, { values, blockers: blocked ? { title: error.message, items: error.blockers } : null, errors: blocked ? [] : errorsOf(error, (p) => OFFER_FIELD_IDS[p] ?? 'offer') }));
      return;
    }
    res.redirect(303, `/plateforme/collectivites/${slug}?fait=offre`);
  }

  @Post('collectivites/:slug/instances')
  async createInstance(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string) {
    await this.access.requirePlatform(req.agent!);
    const collectivity = await this.platform.collectivity(slug);
    try {
      await this.platform.createInstance(actorOf(req), collectivity, text(formOf(req), 'environment'));
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      res.status(error.kind === 'conflict' ? 409 : 422).render('admin-collectivity', await this.collectivityView(collectivity, { errors: [{ id: 'environment', message: error.message }] }));
      return;
    }
    res.redirect(303, `/plateforme/collectivites/${slug}?fait=instance`);
  }

  @Get('instances/:id/decommissionner')
  async decommissionConfirm(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    await this.access.requirePlatform(req.agent!);
    const instance = await this.platform.instance(id);
    const blockers = instance.status === 'active' ? await this.platform.openDemandBlockers({ instanceId: instance.id }) : [];
    res.render('admin-confirm', this.decommissionView(instance, blockers));
  }

  @Post('instances/:id/decommissionner')
  async decommission(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    await this.access.requirePlatform(req.agent!);
    const instance = await this.platform.instance(id);
    try {
      await this.platform.decommission(actorOf(req), instance.id);
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      res.status(409).render('admin-confirm', this.decommissionView(instance, error instanceof BlockedChange ? error.blockers : [error.message]));
      return;
    }
    res.redirect(303, `/plateforme/collectivites/${instance.collectivity.slug}?fait=decommissionnee`);
  }

  /** The instance's data as a zip holding one JSON document, streamed (constant memory, however many demands). */
  @Get('instances/:id/export')
  async exportInstance(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    await this.access.requirePlatform(req.agent!);
    const instance = await this.platform.instance(id);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="${this.platform.exportFileName(instance.slug)}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    await this.platform.exportInstance(actorOf(req), instance.id, res);
  }

  @Get('clients')
  async clientsPage(@Req() req: Request, @Res() res: Response, @Query('fait') done?: string) {
    await this.access.requirePlatform(req.agent!);
    const clients = await this.clients.list();
    const events = await this.journal.latest(null, 20);
    res.render('admin-clients', {
      pageTitle: 'Clients d’identité',
      notice: NOTICES[done ?? ''] ?? null,
      clients: clients.map((c) => ({ ...c, publicClient: c.tokenEndpointAuthMethod === 'none', scopesText: c.allowedScopes.join(' '), rotated: c.secretRotatedAt ? when(c.secretRotatedAt) : 'jamais' })),
      events: events.map((e) => ({ at: when(e.createdAt), actor: e.actorEmail ?? 'compte ' + e.actorSub.slice(0, 8), action: ACTION_LABELS[e.action] ?? e.action, subject: e.subject ?? '' })),
    });
  }

  @Get('clients/nouveau')
  async newClient(@Req() req: Request, @Res() res: Response) {
    await this.access.requirePlatform(req.agent!);
    res.render('admin-client', this.clientView(null, { clientId: '', name: '', redirectUris: '', postLogoutRedirectUris: '', scopes: ['openid', 'profile', 'email'], consentRequired: true, publicClient: false, purpose: '' }, []));
  }

  @Post('clients/nouveau')
  async createClient(@Req() req: Request, @Res() res: Response) {
    await this.access.requirePlatform(req.agent!);
    const form = this.clientForm(req);
    let created: { client: ClientView; secret: string | null };
    try {
      created = await this.clients.create(actorOf(req), form);
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      res.status(error.kind === 'conflict' ? 409 : 422).render('admin-client', this.clientView(null, form, errorsOf(error, error.kind === 'conflict' ? () => 'clientId' : CLIENT_FIELD_IDS)));
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).render('admin-secret', this.secretView(created.client.clientId, created.secret, true));
  }

  @Get('clients/:clientId')
  async clientPage(@Req() req: Request, @Res() res: Response, @Param('clientId') clientId: string) {
    await this.access.requirePlatform(req.agent!);
    const client = await this.clients.get(clientId);
    res.render('admin-client', this.clientView(client, this.formOfClient(client), []));
  }

  @Post('clients/:clientId')
  async updateClient(@Req() req: Request, @Res() res: Response, @Param('clientId') clientId: string) {
    await this.access.requirePlatform(req.agent!);
    const client = await this.clients.get(clientId);
    const form = this.clientForm(req);
    try {
      await this.clients.update(actorOf(req), client.clientId, form);
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      res.status(422).render('admin-client', this.clientView(client, { ...form, clientId: client.clientId }, errorsOf(error, CLIENT_FIELD_IDS)));
      return;
    }
    res.redirect(303, '/plateforme/clients?fait=client');
  }

  @Get('clients/:clientId/secret')
  async rotateConfirm(@Req() req: Request, @Res() res: Response, @Param('clientId') clientId: string) {
    await this.access.requirePlatform(req.agent!);
    const client = await this.clients.get(clientId);
    res.render('admin-confirm', {
      pageTitle: `Renouveler le secret de ${client.clientId}`,
      heading: `Renouveler le secret du client « ${client.name} » (${client.clientId}) ?`,
      explanation: 'Le secret actuel cessera de fonctionner immédiatement : le portail partenaire devra installer le nouveau secret, qui ne sera affiché qu’une fois.',
      action: `/plateforme/clients/${client.clientId}/secret`,
      confirmLabel: 'Renouveler le secret',
      cancelHref: `/plateforme/clients/${client.clientId}`,
      errors: [],
    });
  }

  @Post('clients/:clientId/secret')
  async rotate(@Req() req: Request, @Res() res: Response, @Param('clientId') clientId: string) {
    await this.access.requirePlatform(req.agent!);
    const client = await this.clients.get(clientId);
    const secret = await this.clients.rotate(actorOf(req), client.clientId);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).render('admin-secret', this.secretView(client.clientId, secret, false));
  }

  @Get('clients/:clientId/supprimer')
  async deleteConfirm(@Req() req: Request, @Res() res: Response, @Param('clientId') clientId: string) {
    await this.access.requirePlatform(req.agent!);
    res.render('admin-confirm', this.deleteView(await this.clients.get(clientId), '', []));
  }

  /** Deletes a client after its identifier was typed again (a plain form: no JavaScript needed). */
  @Post('clients/:clientId/supprimer')
  async deleteClient(@Req() req: Request, @Res() res: Response, @Param('clientId') clientId: string) {
    await this.access.requirePlatform(req.agent!);
    const client = await this.clients.get(clientId);
    const confirmation = text(formOf(req), 'confirmation');
    try {
      await this.clients.remove(actorOf(req), client.clientId, confirmation);
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      res.status(422).render('admin-confirm', this.deleteView(client, confirmation, errorsOf(error, () => 'confirmation')));
      return;
    }
    res.redirect(303, '/plateforme/clients?fait=client-supprime');
  }

  private deleteView(client: ClientView, typed: string, errors: { id?: string; message: string }[]) {
    return {
      pageTitle: `Supprimer le client ${client.clientId}`,
      heading: `Supprimer le client « ${client.name} » (${client.clientId}) ?`,
      explanation:
        'Le portail partenaire ne pourra plus connecter personne : ses autorisations, ses codes et ses jetons (accès et rafraîchissement) sont révoqués immédiatement, et les consentements donnés à ce client sont effacés. C’est définitif.',
      action: `/plateforme/clients/${client.clientId}/supprimer`,
      confirmLabel: 'Supprimer définitivement',
      confirmField: {
        id: 'confirmation',
        name: 'confirmation',
        label: `Pour confirmer, saisissez l’identifiant du client : ${client.clientId}`,
        value: typed,
        error: errors.find((e) => e.id === 'confirmation')?.message,
      },
      cancelHref: `/plateforme/clients/${client.clientId}`,
      errors,
    };
  }

  private dashboard() {
    return { url: '/plateforme/files' };
  }

  private async collectivityView(
    collectivity: Collectivity,
    extra: { notice?: string | null; errors?: { id?: string; message: string }[]; blockers?: { title: string; items: string[] } | null; values?: { offer: string; startsOn: string; signedOn: string; contactEmail: string } },
  ) {
    const memberships = await this.platform.memberships(collectivity);
    const current = memberships.find((m) => m.endsOn === null) ?? null;
    const instances = await this.platform.instances(collectivity);
    const events = await this.journal.latest(collectivity.id, 20);
    const values = extra.values ?? { offer: current?.offer ?? 'none', startsOn: '', signedOn: '', contactEmail: current?.contactEmail ?? '' };
    const fieldError = (id: string) => extra.errors?.find((e) => e.id === id)?.message;
    return {
      pageTitle: `${collectivity.name} — plateforme`,
      collectivity: { name: collectivity.name, slug: collectivity.slug, metropolis: collectivity.kind === 'metropolis', population: collectivity.population, contactEmail: collectivity.contactEmail },
      notice: extra.notice ?? null,
      errors: extra.errors ?? [],
      blockers: extra.blockers ?? null,
      currentOffer: current ? OFFER_LABELS[current.offer ?? 'none'] : OFFER_LABELS.none,
      memberships: memberships.map((m) => ({ offer: OFFER_LABELS[m.offer ?? 'none'], startsOn: frenchDay(m.startsOn), endsOn: m.endsOn ? frenchDay(m.endsOn) : 'en cours', signedOn: m.signedOn ? frenchDay(m.signedOn) : '—', contactEmail: m.contactEmail ?? '—' })),
      offers: ['partenaire', 'abonne', 'connecte', 'none'].map((id) => ({ id, label: OFFER_LABELS[id], selected: id === values.offer })),
      values,
      offerError: fieldError('offer'),
      startsOnError: fieldError('startsOn'),
      signedOnError: fieldError('signedOn'),
      contactEmailError: fieldError('offerContactEmail'),
      environmentError: fieldError('environment'),
      instances: instances.map((i) => ({
        id: i.id,
        slug: i.slug,
        environment: ENVIRONMENT_LABELS[i.environment],
        active: i.status === 'active',
        status: i.status === 'active' ? 'Active' : `Décommissionnée le ${i.decommissionedAt ? when(i.decommissionedAt) : ''}`,
        createdAt: when(i.createdAt),
      })),
      environments: Object.entries(ENVIRONMENT_LABELS).map(([id, label]) => ({ id, label })),
      events: events.map((e) => ({ at: when(e.createdAt), actor: e.actorEmail ?? 'compte ' + e.actorSub.slice(0, 8), action: ACTION_LABELS[e.action] ?? e.action, subject: e.subject ?? '' })),
    };
  }

  private decommissionView(instance: { id: string; slug: string; status: string; collectivity: Collectivity }, blockers: string[]) {
    return {
      pageTitle: `Décommissionner l’instance ${instance.slug}`,
      heading: `Décommissionner l’instance « ${instance.slug} » de ${instance.collectivity.name} ?`,
      explanation:
        'Ses téléservices seront mis hors ligne. L’instance est conservée pour mémoire et ses données restent exportables. Exportez-les avant, pour les remettre à la commune.',
      extraLink: { href: `/plateforme/instances/${instance.id}/export`, label: 'Exporter les données de l’instance (JSON)' },
      blockers: blockers.length ? { title: 'Décommissionnement impossible pour l’instant :', items: blockers } : null,
      action: instance.status === 'active' && !blockers.length ? `/plateforme/instances/${instance.id}/decommissionner` : null,
      confirmLabel: 'Décommissionner',
      cancelHref: `/plateforme/collectivites/${instance.collectivity.slug}`,
      errors: [],
    };
  }

  private clientForm(req: Request): ClientForm {
    const body = formOf(req);
    return {
      clientId: text(body, 'clientId'),
      name: text(body, 'name'),
      redirectUris: text(body, 'redirectUris'),
      postLogoutRedirectUris: text(body, 'postLogoutRedirectUris'),
      scopes: list(body, 'scopes'),
      consentRequired: text(body, 'consentRequired') === 'on',
      publicClient: text(body, 'publicClient') === 'on',
      purpose: text(body, 'purpose'),
    };
  }

  private formOfClient(client: ClientView): ClientForm {
    return {
      clientId: client.clientId,
      name: client.name,
      redirectUris: client.redirectUris.join('\n'),
      postLogoutRedirectUris: client.postLogoutRedirectUris.join('\n'),
      scopes: client.allowedScopes,
      consentRequired: client.consentRequired,
      publicClient: client.tokenEndpointAuthMethod === 'none',
      purpose: client.purpose ?? '',
    };
  }

  private clientView(client: ClientView | null, form: ClientForm, errors: { id?: string; message: string }[]) {
    const fieldError = (id: string) => errors.find((e) => e.id === id)?.message;
    return {
      pageTitle: client ? `Client ${client.clientId}` : 'Nouveau client d’identité',
      client: client ? { clientId: client.clientId, publicClient: client.tokenEndpointAuthMethod === 'none', rotated: client.secretRotatedAt ? when(client.secretRotatedAt) : 'jamais', createdAt: when(client.createdAt) } : null,
      action: client ? `/plateforme/clients/${client.clientId}` : '/plateforme/clients/nouveau',
      form,
      errors,
      clientIdError: fieldError('clientId'),
      nameError: fieldError('name'),
      redirectUrisError: fieldError('redirectUris'),
      postLogoutRedirectUrisError: fieldError('postLogoutRedirectUris'),
      scopesError: fieldError('scope-openid'),
      scopes: this.clients.scopes.map((id) => ({ id, label: SCOPE_LABELS[id] ?? id, checked: id === 'openid' || form.scopes.includes(id), fixed: id === 'openid' })),
    };
  }

  private secretView(clientId: string, secret: string | null, created: boolean) {
    return {
      pageTitle: created ? `Client ${clientId} créé` : `Nouveau secret de ${clientId}`,
      heading: created ? `Le client « ${clientId} » a été créé` : `Nouveau secret du client « ${clientId} »`,
      clientId,
      secret,
    };
  }
}
