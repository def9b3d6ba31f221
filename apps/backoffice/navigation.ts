import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import type { AgentAccess } from '#agents';

/** The sections of the back office; the page's section is marked `aria-current="page"` in the menu. */
export type BackofficeSection = 'dashboard' | 'demands' | 'statistics' | 'builder' | 'admin' | 'platform' | 'queues' | 'preferences';

export interface NavigationItem {
  href: string;
  label: string;
  current: boolean;
}

const PROCESSING_ROLES = new Set(['agent', 'administrator']);

/** What the agent's roles open: the same rules as the pages' own checks (AgentGuard, AdminAccess, the builder). */
export function agentAbilities(agent: AgentAccess) {
  const processing = agent.collectivities.some((c) => c.roles.some((role) => PROCESSING_ROLES.has(role)));
  const administrator = agent.collectivities.some((c) => c.roles.includes('administrator'));
  const platform = agent.collectivities.some((c) => c.kind === 'metropolis' && c.roles.includes('platform'));
  return { processing, administrator, platform };
}

/**
 * The back office's menu for this agent: only the links their roles allow (a plain agent never sees the
 * administration links; the platform team sees « Plateforme » and the queue dashboard), the current section marked.
 */
export function backofficeNavigation(agent: AgentAccess, current: BackofficeSection | null): NavigationItem[] {
  const can = agentAbilities(agent);
  const items: [BackofficeSection, string, string, boolean][] = [
    ['dashboard', '/tableau-de-bord', 'Tableau de bord', true],
    ['demands', '/demandes', 'Demandes', can.processing],
    ['statistics', '/statistiques', 'Statistiques', can.processing],
    ['builder', '/teleservices', 'Téléservices', can.administrator],
    ['admin', '/administration', 'Administration', can.administrator || can.platform],
    ['platform', '/plateforme', 'Plateforme', can.platform],
    ['queues', '/plateforme/files', 'Files de traitement', can.platform],
    ['preferences', '/preferences/notifications', 'Mes notifications', true],
  ];
  return items.filter(([, , , shown]) => shown).map(([section, href, label]) => ({ href, label, current: section === current }));
}

/** The section a back-office path belongs to (null: none, e.g. the public landing page). */
export function sectionOf(path: string): BackofficeSection | null {
  const prefixes: [string, BackofficeSection][] = [
    ['/tableau-de-bord', 'dashboard'],
    ['/demandes', 'demands'],
    ['/nouvelle-demande', 'demands'],
    ['/statistiques', 'statistics'],
    ['/teleservices', 'builder'],
    ['/administration', 'admin'],
    ['/plateforme/files', 'queues'],
    ['/plateforme', 'platform'],
    ['/preferences', 'preferences'],
  ];
  for (const [prefix, section] of prefixes) if (path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}.`)) return section;
  return null;
}

type RenderOptions = Record<string, unknown>;
type RenderCallback = (err: Error, html: string) => void;

/**
 * Computes the menu once per request, after AgentGuard has read the agent's roles, and makes it the `navigation`
 * of every page rendered for that request (the layout's menu): every controller's view — the builder's, the
 * on-behalf pages', error pages — gets the same menu from the same roles, whatever the controller passes.
 * Routes without an agent (the landing page, logos) are left alone.
 */
@Injectable()
export class NavigationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const req = context.switchToHttp().getRequest<Request>();
      const res = context.switchToHttp().getResponse<Response>();
      if (req.agent && !res.locals.navigationSet) {
        const navigation = backofficeNavigation(req.agent, sectionOf(req.path));
        res.locals.navigation = navigation;
        res.locals.navigationSet = true;
        const render = res.render.bind(res) as (view: string, options?: RenderOptions, callback?: RenderCallback) => void;
        res.render = ((view: string, options?: RenderOptions | RenderCallback, callback?: RenderCallback) => {
          if (typeof options === 'function') return render(view, { navigation }, options);
          return render(view, { ...(options ?? {}), navigation }, callback);
        }) as Response['render'];
      }
    }
    return next.handle();
  }
}
