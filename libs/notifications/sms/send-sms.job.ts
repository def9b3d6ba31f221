import { Inject, Injectable } from '@nestjs/common';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { SMS_SENDER, smsReferenceFor, type SmsSender } from './sms-sender.js';

/**
 * Handler of `sms.send`: one SMS through the configured provider, with a reference derived from the job key (the
 * provider may deduplicate on it; the job receipt prevents a replay). A temporary failure is retried with the
 * catalogue's backoff (`RETRY_PERSISTENT`); a permanent one (`SMS_REJECTED`, `SMS_NOT_CONFIGURED`) fails the job at
 * once, left in BullMQ's failed state with its error for an operator to see and retry.
 */
@Injectable()
export class SendSmsJob implements JobHandler<'sms.send'> {
  readonly job = 'sms.send';

  constructor(@Inject(SMS_SENDER) private readonly sender: SmsSender) {}

  async handle(payload: JobPayload<'sms.send'>, context: JobContext<'sms.send'>): Promise<void> {
    const { providerId } = await this.sender.send({ to: payload.to, text: payload.text, reference: smsReferenceFor(context.key) });
    context.logger.info({ providerId, attempt: context.attempt }, 'SMS remis au fournisseur');
  }
}
