import { Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { DomainError } from '#core';
import { agentScope, withTenant, WorkflowFunctionGrants, type FunctionGrantee } from '#demands';
import type { Collectivity } from '#territory';
import { AgentGuard } from '../agent.guard.js';
import { AdminAccess } from './admin-access.js';
import { actorOf, errorsOf, formOf, isShownOnPage, text, when } from './admin-forms.js';
import { AdminJournal } from './admin-journal.js';
import { AgentsAdministration, ROLE_LABELS } from './agents-admin.service.js';

const NOTICES: Record<string, string> = { attribuee: 'La fonction a été attribuée.', retiree: 'L’attribution a été retirée.' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Workflow functions per téléservice (`workflow_function_grant`, `WorkflowFunctionGrants` of #demands): which roles or
 * which people of the collectivity hold a function (`receiver`, …) and so may press its actions. Administrators of
 * the collectivity (AdminAccess) on every route; the service also checks the téléservice is the collectivity's.
 */
@Controller('administration')
@UseGuards(AgentGuard)
export class FunctionsController {
  constructor(
    private readonly access: AdminAccess,
    private readonly grants: WorkflowFunctionGrants,
    private readonly agents: AgentsAdministration,
    private readonly journal: AdminJournal,
    private readonly dataSource: DataSource,
  ) {}

  @Get(':slug/fonctions')
  async list(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const teleservices = await this.teleservices(collectivity);
    res.render('admin-functions', {
      pageTitle: `Fonctions des circuits — ${collectivity.name}`,
      collectivity: { name: collectivity.name, slug: collectivity.slug },
      teleservices,
    });
  }

  @Get(':slug/fonctions/:teleserviceId')
  async show(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('teleserviceId') teleserviceId: string, @Query('fait') done?: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    res.render('admin-teleservice-functions', await this.view(req, collectivity, teleserviceId, { notice: NOTICES[done ?? ''] ?? null }));
  }

  @Post(':slug/fonctions/:teleserviceId')
  async grant(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('teleserviceId') teleserviceId: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const body = formOf(req);
    const functionId = text(body, 'functionId');
    const grantee = this.grantee(text(body, 'grantee'));
    try {
      if (!grantee) throw DomainError.invalid('FUNCTION_GRANT_INVALID', 'Choisissez à qui attribuer la fonction.', [{ path: 'grantee', code: 'REQUIRED', message: 'Choisissez à qui attribuer la fonction.' }]);
      await this.grants.grant({ sub: req.agent!.sub, collectivityId: collectivity.id }, { teleserviceId: this.teleserviceId(teleserviceId), functionId, grantee });
    } catch (error) {
      if (!isShownOnPage(error)) throw error;
      res.status(422).render('admin-teleservice-functions', await this.view(req, collectivity, teleserviceId, { errors: errorsOf(error, (p) => (p.endsWith('grantee') ? 'grantee' : 'functionId')) }));
      return;
    }
    await this.journal.record(actorOf(req), { collectivityId: collectivity.id, action: 'function.granted', subject: functionId, details: { teleserviceId, grantee } });
    res.redirect(303, `/administration/${slug}/fonctions/${teleserviceId}?fait=attribuee`);
  }

  @Get(':slug/fonctions/:teleserviceId/:grantId/retirer')
  async revokeConfirm(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('teleserviceId') teleserviceId: string, @Param('grantId') grantId: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const view = await this.view(req, collectivity, teleserviceId, {});
    const grant = view.grants.find((g) => g.id === grantId);
    if (!grant) throw DomainError.notFound('FUNCTION_GRANT_NOT_FOUND', 'Cette attribution de fonction n’existe pas.');
    res.render('admin-confirm', {
      pageTitle: 'Retirer une attribution de fonction',
      heading: `Retirer la fonction « ${grant.functionLabel} » à ${grant.grantee} ?`,
      explanation: `Sur « ${view.teleservice.title} ». S’il ne reste aucune attribution, chaque agent de la collectivité détient de nouveau toutes les fonctions.`,
      action: `/administration/${collectivity.slug}/fonctions/${teleserviceId}/${grantId}/retirer`,
      confirmLabel: 'Retirer l’attribution',
      cancelHref: `/administration/${collectivity.slug}/fonctions/${teleserviceId}`,
      errors: [],
    });
  }

  @Post(':slug/fonctions/:teleserviceId/:grantId/retirer')
  async revoke(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('teleserviceId') teleserviceId: string, @Param('grantId') grantId: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    await this.view(req, collectivity, teleserviceId, {}); // the téléservice must be this collectivity's
    await this.grants.revoke({ sub: req.agent!.sub, collectivityId: collectivity.id }, grantId);
    await this.journal.record(actorOf(req), { collectivityId: collectivity.id, action: 'function.revoked', subject: grantId, details: { teleserviceId } });
    res.redirect(303, `/administration/${slug}/fonctions/${teleserviceId}?fait=retiree`);
  }

  private teleserviceId(id: string): string {
    if (!UUID.test(id)) throw DomainError.notFound('FUNCTION_GRANT_NOT_FOUND', 'Téléservice introuvable.');
    return id;
  }

  private grantee(value: string): FunctionGrantee | null {
    if (value === 'role:agent' || value === 'role:administrator') return { role: value.slice(5) as 'agent' | 'administrator' };
    if (value.startsWith('compte:') && value.length > 7) return { accountSub: value.slice(7) };
    return null;
  }

  private async teleservices(collectivity: Collectivity) {
    // workflow_function_grant has row-level security: read in the collectivity's agent scope.
    const rows = await withTenant(this.dataSource, agentScope([collectivity.id]), (manager) =>
      manager.query<{ id: string; title: string; grants: number }[]>(
        `SELECT t.id, t.title, (SELECT count(*)::int FROM workflow_function_grant g WHERE g.teleservice_id = t.id) AS grants
           FROM teleservice t WHERE t.collectivity_id = $1 AND t.archived_at IS NULL ORDER BY t.title`,
        [collectivity.id],
      ),
    );
    return rows.map((r) => ({ ...r, rule: r.grants ? `${r.grants} attribution${r.grants > 1 ? 's' : ''}` : 'Toutes les fonctions à chaque agent' }));
  }

  private async view(req: Request, collectivity: Collectivity, teleserviceId: string, extra: { notice?: string | null; errors?: { id?: string; message: string }[] }) {
    const admin = { sub: req.agent!.sub, collectivityId: collectivity.id };
    const mapping = await this.grants.list(admin, this.teleserviceId(teleserviceId));
    const [teleservice] = await this.dataSource.query<{ title: string }[]>(`SELECT title FROM teleservice WHERE id = $1`, [teleserviceId]);
    const people = await this.agents.list(collectivity);
    const labelOf = (id: string) => mapping.functions.find((f) => f.id === id)?.label ?? id;
    const granteeOf = (g: { role: string | null; accountSub: string | null }) =>
      g.role ? `tous les ${ROLE_LABELS[g.role].toLowerCase()}s` : (people.find((p) => p.sub === g.accountSub)?.email ?? 'un compte sans rôle actif');
    const fieldError = (id: string) => extra.errors?.find((e) => e.id === id)?.message;
    return {
      pageTitle: `Fonctions — ${teleservice.title}`,
      collectivity: { name: collectivity.name, slug: collectivity.slug },
      teleservice: { id: teleserviceId, title: teleservice.title },
      notice: extra.notice ?? null,
      errors: extra.errors ?? [],
      functionIdError: fieldError('functionId'),
      granteeError: fieldError('grantee'),
      configured: mapping.configured,
      functions: mapping.functions,
      grants: mapping.grants.map((g) => ({ id: g.id, functionLabel: labelOf(g.functionId), functionId: g.functionId, grantee: granteeOf(g), since: when(g.createdAt) })),
      grantees: [
        { value: 'role:agent', label: 'Tous les agents' },
        { value: 'role:administrator', label: 'Tous les administrateurs' },
        ...people.map((p) => ({ value: `compte:${p.sub}`, label: p.email })),
      ],
    };
  }
}
