import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { AgentRoleService, type AgentAccess } from '#agents';
import { DomainError } from '#core';

export const LOGIN_REQUIRED = 'LOGIN_REQUIRED';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by AgentGuard: the logged-in agent's collectivities and roles. */
      agent?: AgentAccess;
    }
  }
}

/**
 * The back office's door: a logged-in account (401 page with « Se connecter » otherwise) holding at least one
 * active agent role (403 « Votre compte n'a pas d'accès agent… » otherwise). Roles are read at each request,
 * so a revoked role closes the door at once.
 */
@Injectable()
export class AgentGuard implements CanActivate {
  constructor(private readonly roles: AgentRoleService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const user = req.webSession?.user;
    if (!user) throw new DomainError(LOGIN_REQUIRED, 'Connectez-vous avec votre compte territorial pour accéder à l’espace agents.', 'unauthenticated');
    req.agent = await this.roles.requireAccess(user.sub);
    return true;
  }
}
