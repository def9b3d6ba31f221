import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, Clock, type AppConfig } from '#core';
import { REDIS } from '#platform';
import { AuthController } from './auth.controller.js';
import { RelyingParty } from './relying-party.js';
import { WebSessionStore } from './session-store.js';
import { WEB_APP_OPTIONS, WebApp, type WebAppOptions } from './web-app.js';
import { WEB_SESSION_STORE, WebSessionMiddleware } from './web-session.middleware.js';

/**
 * Web sessions and login through the territorial account for one server-rendered app:
 * `WebSessionModule.forApp({ app: 'portal', scopes: 'openid profile email', cookieName: 'parvis_portal' })`.
 * Mounts `/auth/login`, `/auth/callback`, `/auth/logout`, `/auth/backchannel-logout` and the session/CSRF
 * middleware on every route.
 */
@Module({})
export class WebSessionModule implements NestModule {
  static forApp(options: WebAppOptions): DynamicModule {
    return {
      module: WebSessionModule,
      controllers: [AuthController],
      providers: [
        { provide: WEB_APP_OPTIONS, useValue: options },
        WebApp,
        RelyingParty,
        {
          provide: WEB_SESSION_STORE,
          inject: [REDIS, APP_CONFIG, Clock],
          useFactory: (redis: Redis, config: AppConfig, clock: Clock) => new WebSessionStore(redis, config.redis.prefix, options.app, clock),
        },
        WebSessionMiddleware,
      ],
      exports: [WebApp, RelyingParty, WEB_SESSION_STORE],
    };
  }

  configure(consumer: MiddlewareConsumer) {
    consumer.apply(WebSessionMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
