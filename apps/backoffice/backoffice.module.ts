import { Module } from '@nestjs/common';
import { AgentsModule } from '#agents';
import { AgentInboxQueries, DemandEngineModule } from '#demands';
import { WebSessionModule } from '#web-session';
import { AgentGuard } from './agent.guard.js';
import { DemandsController } from './demands.controller.js';
import { HomeController } from './home.controller.js';

/** The back office (GRU): agents log in through the territorial account; their roles come from `agent_role`. */
@Module({
  imports: [WebSessionModule.forApp({ app: 'backoffice', scopes: 'openid profile email', cookieName: 'parvis_bo' }), AgentsModule, DemandEngineModule],
  controllers: [HomeController, DemandsController],
  providers: [AgentGuard, AgentInboxQueries],
})
export class BackofficeModule {}
