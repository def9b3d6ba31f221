import { Injectable } from '@nestjs/common';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { MailSender } from './mail-sender.js';

/** Handler of `mail.send`: one rendered mail, its Message-ID derived from the job key. */
@Injectable()
export class SendMailJob implements JobHandler<'mail.send'> {
  readonly job = 'mail.send';

  constructor(private readonly sender: MailSender) {}

  async handle(payload: JobPayload<'mail.send'>, context: JobContext<'mail.send'>): Promise<void> {
    const { messageId } = await this.sender.send({ ...payload, messageId: this.sender.messageIdFor(context.key) });
    context.logger.info({ messageId, attempt: context.attempt }, 'Courriel remis au serveur SMTP');
  }
}
