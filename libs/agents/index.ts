import { AgentRole } from './agent-role.entity.js';

/** Entities of #agents (migration 1763800600000-agent-roles). */
export const AGENTS_ENTITIES: (new () => unknown)[] = [AgentRole];
export { AgentRole, AGENT_ROLES, type AgentRoleName } from './agent-role.entity.js';
export { AgentRoleService, AgentErrors, NO_AGENT_ACCESS_MESSAGE, type AgentAccess, type GrantCommand } from './agent-role.service.js';
export { AgentsModule } from './agents.module.js';
export { pairwiseSubject, backofficeSubjectForEmail, ACCOUNT_NOT_FOUND } from './backoffice-subject.js';
export { seedDemoAgent, DEMO_AGENT, type DemoAgent } from './demo-agent.seed.js';
