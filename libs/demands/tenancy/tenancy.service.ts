import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { LOGGER } from '#core';
import type { TenantScope } from './tenant-scope.js';
import { withTenant } from './with-tenant.js';

/** `withTenant` for Nest services: the app's DataSource, and platform scopes logged through the app's logger. */
@Injectable()
export class Tenancy {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  run<T>(scope: TenantScope, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return withTenant(this.dataSource, scope, work, { logger: this.logger });
  }
}
