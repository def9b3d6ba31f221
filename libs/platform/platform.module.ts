import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_CONFIG, Clock, LOGGER, SystemClock, type AppConfig, type AppName } from '#core';
import { connectWithRetry, createDataSource } from '#db';
import { HealthController, HealthService } from './health.js';
import { createRedis } from './redis.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from './schema.js';
import { APP_NAME, REDIS } from './tokens.js';

/** What an app process knows before Nest starts: its name, validated config, logger and clock. */
export interface PlatformContext {
  app: AppName;
  config: AppConfig;
  logger: Logger;
  clock?: Clock;
}

@Injectable()
class InfrastructureShutdown implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async onApplicationShutdown() {
    this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * The shared infrastructure every app gets: config, logger, clock, PostgreSQL (TypeORM DataSource),
 * Redis, and GET /health. Global so domain modules inject these without importing it.
 */
@Module({})
export class PlatformModule {
  static forApp(context: PlatformContext): DynamicModule {
    const { config, logger } = context;
    return {
      module: PlatformModule,
      global: true,
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: APP_NAME, useValue: context.app },
        { provide: Clock, useValue: context.clock ?? new SystemClock() },
        {
          provide: DataSource,
          useFactory: () =>
            connectWithRetry(
              createDataSource({
                url: config.database.url,
                poolSize: config.database.poolSize,
                applicationName: `parvis-${context.app}`,
                entities: ALL_ENTITIES,
                migrations: ALL_MIGRATIONS,
              }),
              logger,
            ),
        },
        { provide: REDIS, useFactory: () => createRedis(config.redis.url, logger, context.app) },
        HealthService,
        InfrastructureShutdown,
      ],
      exports: [APP_CONFIG, LOGGER, APP_NAME, Clock, DataSource, REDIS, HealthService],
    };
  }
}
