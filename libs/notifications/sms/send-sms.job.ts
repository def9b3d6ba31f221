import { Inject, Injectable } from '@nestjs/common';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { SMS_NOT_SENT, type SmsNotSentRecorder } from './sms-not-sent.js';
import { SMS_SENDER, smsReferenceFor, type SmsSender } from './sms-sender.js';
import { SMS_REFUSALS, SmsContacts } from './sms-subjects.js';

/**
 * Handler of `sms.send`: one SMS through the configured provider, with a reference derived from the job key (the
 * provider may deduplicate on it; the job receipt prevents a replay). A temporary failure is retried with the
 * catalogue's backoff (`RETRY_PERSISTENT`); a permanent one (`SMS_REJECTED`, `SMS_NOT_CONFIGURED`) fails the job at
 * once, left in BullMQ's failed state with its error for an operator to see and retry.
 *
 * Two payloads: `{ to, text }` (a number given in the form, with its consent box, for an anonymous demand) or
 * `{ accountSub, text, demandId? }` (a demand with a citizen account): the account's mobile number and SMS choice are
 * read at each attempt, so a withdrawal stops every SMS not yet sent; without consent or number the job ends without
 * sending, the reason in its log and, when the payload names the demand, in an internal `sms_not_sent` event of its
 * history (once per job key, through the `SMS_NOT_SENT` port), so that agents know the citizen was not texted.
 */
@Injectable()
export class SendSmsJob implements JobHandler<'sms.send'> {
  readonly job = 'sms.send';

  constructor(
    @Inject(SMS_SENDER) private readonly sender: SmsSender,
    private readonly contacts: SmsContacts,
    @Inject(SMS_NOT_SENT) private readonly notSent: SmsNotSentRecorder,
  ) {}

  async handle(payload: JobPayload<'sms.send'>, context: JobContext<'sms.send'>): Promise<void> {
    let to: string;
    if ('accountSub' in payload) {
      const contact = await this.contacts.ofAccount(payload.accountSub);
      if ('refused' in contact) {
        const reason = `SMS non envoyé : ${SMS_REFUSALS[contact.refused]}`;
        context.logger.info({ attempt: context.attempt, reason: contact.refused }, reason);
        if (payload.demandId) await this.notSent.record({ demandId: payload.demandId, jobKey: context.key, refusal: contact.refused, reason: `${reason}.` });
        return;
      }
      to = contact.to;
    } else to = payload.to;
    const { providerId } = await this.sender.send({ to, text: payload.text, reference: smsReferenceFor(context.key) });
    context.logger.info({ providerId, attempt: context.attempt }, 'SMS remis au fournisseur');
  }
}
