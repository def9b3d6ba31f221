import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { QueueRegistry } from '../worker/queue-registry.js';

/**
 * The changes an operator may make from the dashboard: retry failed jobs (one, or all of a queue), run a delayed
 * job or a scheduler's next run now. Adding, editing, cleaning or emptying jobs would bypass the outbox and the
 * job catalogue: refused.
 */
export const DASHBOARD_ALLOWED_CHANGES: readonly RegExp[] = [
  /^\/api\/queues\/[^/]+\/retry\/failed$/,
  /^\/api\/queues\/[^/]+\/[^/]+\/retry$/,
  /^\/api\/queues\/[^/]+\/promote$/,
  /^\/api\/queues\/[^/]+\/[^/]+\/promote$/,
  /^\/api\/queues\/[^/]+\/job-schedulers\/[^/]+\/run$/,
];

/**
 * The platform team's queue dashboard (`@bull-board/express`) as an Express router to mount at `basePath`, behind
 * the caller's own authentication (`authenticate`, run first): every queue of the registry, jobs by state with
 * their error and attempts. `no-store` on every answer; a state-changing request must not come from another origin
 * — with `requireOrigin` (authentication by cookie) it must name this one (bull-board's UI sends it; a PUT from
 * another site needs a CORS preflight we never grant) — and must be one of `DASHBOARD_ALLOWED_CHANGES`. Jobs show
 * their payloads (addresses, rendered mails): for the platform team only.
 */
export function queueDashboardRouter(options: {
  queues: QueueRegistry;
  basePath: string;
  authenticate: (req: Request, res: Response, next: NextFunction) => void | Promise<void>;
  requireOrigin?: boolean;
  /** This app's public origin (default: the request's own protocol and host). */
  expectedOrigin?: (req: Request) => string;
}): Router {
  const ownOrigin = options.expectedOrigin ?? ((req: Request) => `${req.protocol}://${req.headers.host}`);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(options.basePath);
  createBullBoard({
    queues: options.queues.names().map((name) => new BullMQAdapter(options.queues.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Parvis — files' } },
  });
  const changes = (req: Request, res: Response, next: NextFunction) => {
    if (!['GET', 'HEAD'].includes(req.method)) {
      const origin = req.headers.origin;
      if ((origin || options.requireOrigin) && origin !== ownOrigin(req)) {
        res.status(403).json({ code: 'DASHBOARD_FORBIDDEN_ORIGIN', message: 'Requête d’une autre origine refusée.' });
        return;
      }
      if (req.method !== 'PUT' || !DASHBOARD_ALLOWED_CHANGES.some((route) => route.test(req.path))) {
        res.status(403).json({ code: 'DASHBOARD_FORBIDDEN_CHANGE', message: 'Seules la relance des tâches en échec et l’exécution immédiate sont permises depuis le tableau de bord.' });
        return;
      }
    }
    next();
  };
  const router = express.Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use((req, res, next) => {
    Promise.resolve(options.authenticate(req, res, next)).catch(next);
  });
  router.use(changes, serverAdapter.getRouter());
  return router;
}
