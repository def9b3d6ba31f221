import { Controller, Get, Render, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AgentInboxQueries } from '#demands';
import { AgentGuard } from './agent.guard.js';
import { agentCaller } from './agent-caller.js';
import { NAVIGATION } from './demands.controller.js';

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
    const counters = await this.inbox.countersByTeleservice(agentCaller(agent));
    return {
      pageTitle: 'Tableau de bord',
      navigation: NAVIGATION('dashboard'),
      counters: counters.map((c) => ({ ...c, href: `/demandes?teleservice=${c.teleserviceId}` })),
      collectivities: agent.collectivities.map((c) => ({ ...c, roleLabels: c.roles.map((role) => ROLE_LABELS[role] ?? role).join(', ') })),
    };
  }
}
