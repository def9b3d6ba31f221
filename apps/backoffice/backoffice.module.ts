import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AgentsModule } from '#agents';
import { AgentBulkOperations, AgentExportQueries, AgentInboxQueries, AgentSavedViews, AgentStatistics, AssignDemand, CommentOnDemand, DemandEngineModule, RerouteDemand, ReturnDemandToMetropolis } from '#demands';
import { AgentNotificationsModule } from '#notifications';
import { TerritoryModule } from '#territory';
import { WebSessionModule } from '#web-session';
import { AdminModule } from './admin/admin.module.js';
import { AgentGuard } from './agent.guard.js';
import { BuilderModule } from './builder/builder.module.js';
import { DemandsController } from './demands.controller.js';
import { HomeController } from './home.controller.js';
import { NavigationInterceptor } from './navigation.js';
import { OnBehalfModule } from './on-behalf/on-behalf.module.js';
import { PreferencesController } from './preferences.controller.js';
import { StatisticsController } from './statistics.controller.js';

/** The back office (GRU): agents log in through the territorial account; their roles come from `agent_role`. */
@Module({
  imports: [
    WebSessionModule.forApp({ app: 'backoffice', scopes: 'openid profile email', cookieName: 'parvis_bo', csrfTokenExemptPrefixes: ['/plateforme/files/'] }),
    AgentsModule,
    DemandEngineModule,
    TerritoryModule,
    AgentNotificationsModule,
    BuilderModule,
    AdminModule,
    OnBehalfModule,
  ],
  controllers: [HomeController, DemandsController, PreferencesController, StatisticsController],
  providers: [AgentGuard, AgentInboxQueries, AgentExportQueries, AgentSavedViews, AgentBulkOperations, AgentStatistics, CommentOnDemand, AssignDemand, RerouteDemand, ReturnDemandToMetropolis, { provide: APP_INTERCEPTOR, useClass: NavigationInterceptor }],
})
export class BackofficeModule {}
