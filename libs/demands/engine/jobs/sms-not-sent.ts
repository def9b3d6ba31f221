import { Injectable, Module } from '@nestjs/common';
import { SMS_NOT_SENT, SMS_NOT_SENT_EVENT, type SmsNotSentRecorder } from '#notifications';
import { DemandRepository } from '../../repositories/demand.repository.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import { DemandEngineModule } from '../demand-engine.module.js';
import { DemandEngine } from '../engine-context.js';

/**
 * #notifications' `SMS_NOT_SENT` port: the internal `sms_not_sent` event in the history of a demand whose SMS the
 * worker did not send (the account's choice or number missing). In one platform transaction (the worker serves every
 * collectivity; the event takes the demand's collectivity), the demand row locked so that two runs of the same job
 * cannot both add it: idempotent by the job key kept in the event's payload. Never the phone number.
 */
@Injectable()
export class DemandSmsNotSentRecorder implements SmsNotSentRecorder {
  constructor(private readonly engine: DemandEngine) {}

  async record(input: { demandId: string; jobKey: string; refusal: string; reason: string }): Promise<void> {
    await this.engine.transaction(platformScope('SMS non envoyé'), async (manager) => {
      const repository = new DemandRepository(manager);
      const locked: unknown[] = await manager.query(`SELECT 1 FROM "demand" WHERE "id" = $1 FOR UPDATE`, [input.demandId]);
      const demand = locked.length ? await repository.findForPlatform(input.demandId) : null;
      if (!demand) return;
      const already: unknown[] = await manager.query(
        `SELECT 1 FROM "demand_event" WHERE "demand_id" = $1 AND "kind" = $2 AND "payload"->>'jobKey' = $3 LIMIT 1`,
        [demand.id, SMS_NOT_SENT_EVENT, input.jobKey],
      );
      if (already.length) return;
      await repository.appendEvent(demand, {
        at: this.engine.clock.now(),
        kind: SMS_NOT_SENT_EVENT,
        actor: { type: 'system', name: 'notifications' },
        visibility: 'internal',
        payload: { jobKey: input.jobKey, refusal: input.refusal, text: input.reason },
      });
    });
  }
}

/** Provides `SMS_NOT_SENT` to the worker's `SendSmsJob`: `QueueWorkerModule.forRoot({ imports: [SmsNotSentModule, …] })`. */
@Module({
  imports: [DemandEngineModule],
  providers: [DemandSmsNotSentRecorder, { provide: SMS_NOT_SENT, useExisting: DemandSmsNotSentRecorder }],
  exports: [SMS_NOT_SENT],
})
export class SmsNotSentModule {}
