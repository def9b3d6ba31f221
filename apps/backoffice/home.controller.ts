import { Controller, Get, Render, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AgentInboxQueries } from '#demands';
import { AgentGuard } from './agent.guard.js';
import { agentCaller } from './agent-caller.js';

const ROLE_LABELS: Record<string, string> = { agent: 'Agent', administrator: 'Administrateur', platform: 'Équipe plateforme' };

@Controller()
export class HomeController {
  constructor(private readonly inbox: AgentInboxQueries) {}

  /** Public landing page; a logged-in person goes on to the agents' dashboard. */
  @Get()
  home(@Req() req: Request, @Res() res: Response) {
    if (req.webSession?.user) return res.redirect(303, '/tableau-de-bord');
    return res.render('home', { pageTitle: 'Espace agents' });
  }

  @Get('tableau-de-bord')
  @UseGuards(AgentGuard)
  @Render('dashboard')
  async dashboard(@Req() req: Request) {
    const agent = req.agent!;
    const caller = agentCaller(agent);
    const counters = await this.inbox.countersByTeleservice(caller);
    const mine = await this.inbox.myLatest(caller, 10);
    const labels = await this.inbox.labelsFor(mine);
    const titles = await this.inbox.teleserviceTitles(mine.map((d) => d.teleserviceId));
    return {
      pageTitle: 'Tableau de bord',
      counters: counters.map((c) => ({ ...c, href: `/demandes?teleservice=${c.teleserviceId}`, mineHref: `/demandes?teleservice=${c.teleserviceId}&attribution=moi&etat=ouvertes` })),
      mine: mine.map((d) => ({
        id: d.id,
        trackingCode: d.trackingCode,
        teleservice: titles.get(d.teleserviceId) ?? '',
        statusLabel: labels.get(d.id)?.statusLabel ?? d.status,
        summaryLine: labels.get(d.id)?.summaryLine ?? '',
      })),
      // Where each role leads: administrators to their commune's administration and téléservice builder, the
      // platform team (on the metropolis) to the platform operation pages.
      collectivities: agent.collectivities.map((c) => ({
        ...c,
        roleLabels: c.roles.map((role) => ROLE_LABELS[role] ?? role).join(', '),
        administrator: c.roles.includes('administrator'),
        platform: c.roles.includes('platform'),
      })),
    };
  }
}
