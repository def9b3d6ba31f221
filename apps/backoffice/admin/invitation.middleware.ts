import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { LOGGER } from '#core';
import { AgentsAdministration } from './agents-admin.service.js';

/**
 * Runs after the web session's middleware on every back-office request of a logged-in person: gives the roles of
 * pending invitations sent to their address (one indexed query when there is none), before AgentGuard reads the
 * roles. A failure is logged (without the address) and the request goes on: the next request tries again.
 */
@Injectable()
export class InvitationMiddleware implements NestMiddleware {
  constructor(
    private readonly agents: AgentsAdministration,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async use(req: Request, _res: Response, next: NextFunction) {
    const user = req.webSession?.user;
    if (user?.email) {
      try {
        await this.agents.acceptPending({ sub: user.sub, email: user.email });
      } catch (error) {
        this.logger.warn({ err: error }, 'Invitations en attente non traitées pour ce compte (nouvel essai à la prochaine requête)');
      }
    }
    next();
  }
}
