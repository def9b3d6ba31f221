import { Module } from '@nestjs/common';
import { AgentsModule } from '#agents';
import { AgentGuard } from '../agent.guard.js';
import { BuilderController } from './builder.controller.js';
import { BuilderService } from './builder.service.js';

/** The téléservice builder of the back office (administrators of a collectivity): see docs/builder.md. */
@Module({
  imports: [AgentsModule],
  controllers: [BuilderController],
  providers: [BuilderService, AgentGuard],
})
export class BuilderModule {}
