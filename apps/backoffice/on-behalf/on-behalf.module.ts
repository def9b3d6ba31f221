import { Module } from '@nestjs/common';
import { AgentsModule } from '#agents';
import { DemandEngineModule } from '#demands';
import { TerritoryModule } from '#territory';
import { AgentGuard } from '../agent.guard.js';
import { AccountLookupClient } from './account-lookup.client.js';
import { OnBehalfController } from './on-behalf.controller.js';

/** Submission on behalf of a citizen by an agent (counter, phone, mail, email), with or without their account: `/nouvelle-demande`. */
@Module({
  imports: [AgentsModule, DemandEngineModule, TerritoryModule],
  controllers: [OnBehalfController],
  providers: [AgentGuard, AccountLookupClient],
})
export class OnBehalfModule {}
