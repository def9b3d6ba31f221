import { Controller, Get, Inject, Injectable, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import type { AppName } from '#core';
import { pingDatabase } from '#db';
import { pingRedis } from './redis.js';
import { APP_NAME, REDIS } from './tokens.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  app: AppName;
  checks: {
    postgres: { status: 'up' | 'down'; error?: string };
    redis: { status: 'up' | 'down'; error?: string };
  };
  uptimeSeconds: number;
}

@Injectable()
export class HealthService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_NAME) private readonly app: AppName,
  ) {}

  async report(): Promise<HealthReport> {
    const [pg, redis] = await Promise.all([pingDatabase(this.dataSource), pingRedis(this.redis)]);
    const check = (r: { up: boolean; error?: string }) => (r.up ? { status: 'up' as const } : { status: 'down' as const, error: r.error });
    return {
      status: pg.up && redis.up ? 'ok' : 'degraded',
      app: this.app,
      checks: { postgres: check(pg), redis: check(redis) },
      uptimeSeconds: Math.round(process.uptime()),
    };
  }
}

@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** 200 when PostgreSQL and Redis both answer; 503 with the failing part otherwise. Never cached. */
  @Get('health')
  async check(@Res() res: Response) {
    const report = await this.health.report();
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  }
}
