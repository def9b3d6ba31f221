import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AgentRoleService } from '#agents';
import { APP_CONFIG, LOGGER, type AppConfig } from '#core';
import { createRedis } from '#platform';
import { bullPrefix, QueueRegistry, queueDashboardRouter } from '#queue';
import { AdminAccess } from './admin-access.js';

/** Where the back office serves the queue dashboard (listed in WebSessionModule's `csrfTokenExemptPrefixes`). */
export const BACKOFFICE_DASHBOARD_PATH = '/plateforme/files';

/**
 * The platform team's queue dashboard inside the back office (`@bull-board/express`, via `queueDashboardRouter`):
 * every queue, failed jobs with their error, retry (one or all), run a delayed job now — nothing else. Only for a
 * logged-in person holding the `platform` role on the metropolis (roles read at each request, like AgentGuard):
 * otherwise 401 (not logged in: a browser is sent to the login) or 403. bull-board's UI sends no CSRF token: its
 * changes must come from the back office's own origin (checked by the web-session middleware and again here).
 * The worker may also serve it at its `/files` behind `WORKER_DASHBOARD_TOKEN` (docs/worker.md).
 */
@Injectable()
export class BackofficeQueueDashboard implements OnModuleInit, OnModuleDestroy {
  private queues: QueueRegistry | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly roles: AgentRoleService,
    private readonly access: AdminAccess,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    // Fail-fast connection (no offline queue): a dashboard request never hangs on a dead Redis.
    const queues = new QueueRegistry((name) => createRedis(this.config.redis.url, this.logger, `backoffice:${name}`), bullPrefix(this.config.redis.prefix), this.logger);
    this.queues = queues;
    const authenticate = async (req: Request, res: Response, next: NextFunction) => {
      const user = req.webSession?.user;
      if (!user) {
        if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') {
          res.redirect(303, `/auth/login?returnTo=${encodeURIComponent(BACKOFFICE_DASHBOARD_PATH)}`);
        } else res.status(401).json({ code: 'LOGIN_REQUIRED', message: 'Connectez-vous avec votre compte territorial.' });
        return;
      }
      const agent = await this.roles.requireAccess(user.sub).catch(() => null);
      if (!agent || !(await this.access.isPlatform(agent))) {
        res.status(403).json({ code: 'PLATFORM_ROLE_REQUIRED', message: 'Le tableau de bord des files est réservé à l’équipe plateforme.' });
        return;
      }
      next();
    };
    this.adapterHost.httpAdapter
      .getInstance()
      .use(BACKOFFICE_DASHBOARD_PATH, queueDashboardRouter({ queues, basePath: BACKOFFICE_DASHBOARD_PATH, authenticate, requireOrigin: true, expectedOrigin: (req) => this.config.webApps.backoffice.publicUrl ?? `${req.protocol}://${req.headers.host}` }));
  }

  async onModuleDestroy() {
    await this.queues?.close();
  }
}
