import type { DataSource } from 'typeorm';
import type { AppConfig, Clock } from '#core';
import { AgentRoleService } from './agent-role.service.js';
import type { AgentRole, AgentRoleName } from './agent-role.entity.js';
import { backofficeSubjectForEmail } from './backoffice-subject.js';

export interface DemoAgent {
  email: string;
  collectivity: string;
  role: AgentRoleName;
}

/** The development agent: an account the launcher creates, administrator of the metropolis. */
export const DEMO_AGENT: DemoAgent = { email: 'agent@parvis.localhost', collectivity: 'metropole-de-lyon', role: 'administrator' };

/**
 * Gives the demo agent its role (idempotent). The account must exist (created through the identity app or its
 * seed) and the back office's OIDC client must be registered (seedIdentityClients), since the role is keyed on
 * the back office's pairwise `sub`. For the launcher: `await seedDemoAgent(dataSource, config, clock)`.
 */
export async function seedDemoAgent(dataSource: DataSource, config: AppConfig, clock: Clock, agent: DemoAgent = DEMO_AGENT): Promise<AgentRole> {
  const { sub, email } = await backofficeSubjectForEmail(dataSource, config, clock, agent.email);
  return new AgentRoleService(dataSource, clock).grant({ accountSub: sub, accountEmail: email, collectivity: agent.collectivity, role: agent.role });
}
