import { Module } from '@nestjs/common';
import { AgentsModule } from '#agents';
import { WebSessionModule } from '#web-session';
import { AgentGuard } from './agent.guard.js';
import { HomeController } from './home.controller.js';

/** The back office (GRU): agents log in through the territorial account; their roles come from `agent_role`. */
@Module({
  imports: [WebSessionModule.forApp({ app: 'backoffice', scopes: 'openid profile email', cookieName: 'parvis_bo' }), AgentsModule],
  controllers: [HomeController],
  providers: [AgentGuard],
})
export class BackofficeModule {}
