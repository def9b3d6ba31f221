import { AgentRole } from './agent-role.entity.js';
import { AdminEvent } from './admin-event.entity.js';
import { AgentInvitation } from './agent-invitation.entity.js';

/** Entities of #agents (migration 1763800600000-agent-roles). */
export const AGENTS_ENTITIES: (new () => unknown)[] = [AgentRole, AdminEvent, AgentInvitation];
export { AdminEvent, AgentInvitation };
export { AgentRole, AGENT_ROLES, type AgentRoleName } from './agent-role.entity.js';
export {
  AgentRoleService,
  AgentErrors,
  NO_AGENT_ACCESS_MESSAGE,
  COLLECTIVITY_ROLES,
  type AgentAccess,
  type GrantCommand,
  type CollectivityRoleName,
  type SetRolesCommand,
} from './agent-role.service.js';
export { AgentsModule } from './agents.module.js';
export { pairwiseSubject, backofficeSubjectForEmail, ACCOUNT_NOT_FOUND } from './backoffice-subject.js';
export { seedDemoAgent, DEMO_AGENT, type DemoAgent } from './demo-agent.seed.js';
