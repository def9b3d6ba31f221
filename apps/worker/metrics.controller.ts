import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { PROMETHEUS_CONTENT_TYPE, QueueMetrics } from '#queue';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: QueueMetrics) {}

  /** Prometheus text: outbox backlog and lag, relayed rows, jobs completed/failed per job, BullMQ counts per queue. */
  @Get('metrics')
  async scrape(@Res() res: Response) {
    const body = await this.metrics.render();
    res.setHeader('Content-Type', PROMETHEUS_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).send(body);
  }
}
