import { timingSafeEqual, createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { APP_CONFIG, LOGGER, type AppConfig } from '#core';
import { QueueRegistry, queueDashboardRouter } from '#queue';

/** Where the worker serves the queue dashboard. */
export const DASHBOARD_PATH = '/files';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether the request carries the dashboard token: `Authorization: Bearer <token>`, or Basic with the token as password. */
export function hasDashboardToken(header: string | undefined, token: string): boolean {
  if (!header) return false;
  let given: string | undefined;
  const [scheme, value] = header.split(' ', 2) as [string, string | undefined];
  if (/^bearer$/i.test(scheme)) given = value;
  else if (/^basic$/i.test(scheme) && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    given = decoded.slice(decoded.indexOf(':') + 1);
  }
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/**
 * The platform team's queue dashboard (`@bull-board/express`) at `/files` of the worker: every queue, jobs by
 * state with their error and attempts, retry of failed jobs (one or all), promotion of delayed ones. Mounted only
 * when `WORKER_DASHBOARD_TOKEN` is set, and only behind it (Bearer, or Basic with the token as password, so a
 * browser can ask for it); a state-changing request from another origin is refused, and so is any change but the
 * retries and runs of `ALLOWED_CHANGES`. Jobs show their payloads
 * (addresses, rendered mails): the dashboard is for the platform team, on the internal network.
 */
@Injectable()
export class QueueDashboard implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    const token = this.config.worker.dashboardToken;
    if (!token) {
      this.logger.info('Tableau de bord des files non monté (WORKER_DASHBOARD_TOKEN absente)');
      return;
    }
    const authenticate = (req: Request, res: Response, next: NextFunction) => {
      if (!hasDashboardToken(req.headers.authorization, token)) {
        res.setHeader('WWW-Authenticate', 'Basic realm="Parvis files", charset="UTF-8"');
        res.status(401).json({ code: 'DASHBOARD_UNAUTHORIZED', message: 'Jeton du tableau de bord requis.' });
        return;
      }
      next();
    };
    this.adapterHost.httpAdapter.getInstance().use(DASHBOARD_PATH, queueDashboardRouter({ queues: this.queues, basePath: DASHBOARD_PATH, authenticate }));
    this.logger.info({ path: DASHBOARD_PATH }, 'Tableau de bord des files monté');
  }
}
