import { Inject, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '#core';
import { DemandEngineModule } from '#demands';
import { ApiController } from './api.controller.js';
import { ApiKeyGuard, ApiRateLimiter } from './api-caller.js';
import { DemandsController } from './demands.controller.js';
import { DocsController } from './docs.controller.js';
import { Open311Controller } from './open311/open311.controller.js';
import { apiJsonBody } from './request-body.js';
import { TeleservicesController } from './teleservices.controller.js';

@Module({
  imports: [DemandEngineModule],
  controllers: [ApiController, DocsController, TeleservicesController, DemandsController, Open311Controller],
  providers: [ApiKeyGuard, ApiRateLimiter],
})
export class EngineModule implements NestModule {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  configure(consumer: MiddlewareConsumer) {
    consumer.apply(apiJsonBody(this.logger)).forRoutes(TeleservicesController, DemandsController);
  }
}
