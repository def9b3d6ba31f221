import { Module } from '@nestjs/common';
import { AgentsModule } from '#agents';
import { DemandEngineModule } from '#demands';
import { AgentGuard } from '../agent.guard.js';
import { OnBehalfController } from './on-behalf.controller.js';

/** Submission on behalf of a citizen by an agent (counter, phone, mail, email): `/nouvelle-demande`. */
@Module({
  imports: [AgentsModule, DemandEngineModule],
  controllers: [OnBehalfController],
  providers: [AgentGuard],
})
export class OnBehalfModule {}
