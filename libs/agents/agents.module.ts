import { Module } from '@nestjs/common';
import { AgentRoleService } from './agent-role.service.js';

/** Agent roles per collectivity. Needs the platform's globals (DataSource, Clock). */
@Module({ providers: [AgentRoleService], exports: [AgentRoleService] })
export class AgentsModule {}
