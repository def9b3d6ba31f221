import { Module } from '@nestjs/common';
import { OutboxService } from './outbox.service.js';

/**
 * What any app needs to enqueue jobs: `OutboxService`, which writes outbox rows in the caller's transaction.
 * Nothing here talks to Redis; the worker relays committed rows.
 */
@Module({ providers: [OutboxService], exports: [OutboxService] })
export class QueueProducerModule {}
