import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { AgentsModule } from '#agents';
import { Clock } from '#core';
import { DemandEngineModule, DemandsModule } from '#demands';
import { QueueProducerModule } from '#queue';
import { CatalogueService } from '#teleservices';
import { DataSource } from 'typeorm';
import { AgentGuard } from '../agent.guard.js';
import { AdminAccess } from './admin-access.js';
import { AdminController } from './admin.controller.js';
import { AdminJournal } from './admin-journal.js';
import { CatalogueController } from './catalogue.controller.js';
import { AgentsAdministration } from './agents-admin.service.js';
import { BrandingService } from './branding.js';
import { FunctionsController } from './functions.controller.js';
import { IdentityClients } from './identity-clients.js';
import { InvitationMiddleware } from './invitation.middleware.js';
import { LogoController } from './logo.controller.js';
import { PlatformController } from './platform.controller.js';
import { PlatformOperation } from './platform.service.js';
import { BackofficeQueueDashboard } from './queue-dashboard.js';

/**
 * Commune administration (agents, roles, functions, branding) and platform operation (offers, instances, identity
 * clients) of the back office. docs/administration.md.
 */
@Module({
  imports: [AgentsModule, QueueProducerModule, DemandEngineModule, DemandsModule],
  controllers: [AdminController, FunctionsController, PlatformController, LogoController, CatalogueController],
  providers: [AgentGuard, AdminAccess, AdminJournal, AgentsAdministration, BrandingService, IdentityClients, PlatformOperation, BackofficeQueueDashboard,
    { provide: CatalogueService, useFactory: (dataSource: DataSource, clock: Clock) => new CatalogueService(dataSource, clock), inject: [DataSource, Clock] }],
})
export class AdminModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(InvitationMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
