import { Injectable } from '@nestjs/common';
import { DomainError } from '#core';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { FailingAddresses } from './failing-addresses.js';
import { MailSender } from './mail-sender.js';
import { MAIL_REJECTED } from './smtp-errors.js';

/**
 * Handler of `mail.send`: one rendered mail, its Message-ID derived from the job key.
 * Bounce-safe: a permanent rejection (5yz) marks the address failing on its account and fails the job at
 * once (`MAIL_REJECTED` is not retried); a temporary failure (4yz, connection) is retried with the catalogue's
 * exponential backoff, then left failed with its error in BullMQ.
 */
@Injectable()
export class SendMailJob implements JobHandler<'mail.send'> {
  readonly job = 'mail.send';

  constructor(
    private readonly sender: MailSender,
    private readonly failing: FailingAddresses,
  ) {}

  async handle(payload: JobPayload<'mail.send'>, context: JobContext<'mail.send'>): Promise<void> {
    try {
      const { messageId } = await this.sender.send({ ...payload, messageId: this.sender.messageIdFor(context.key) });
      context.logger.info({ messageId, attempt: context.attempt }, 'Courriel remis au serveur SMTP');
    } catch (error) {
      if (error instanceof DomainError && error.code === MAIL_REJECTED) {
        const accounts = await this.failing.markFailing(payload.to);
        context.logger.warn({ attempt: context.attempt, accountsMarked: accounts }, 'Courriel refusé définitivement : adresse marquée en échec, pas de nouvel essai');
      }
      throw error;
    }
  }
}
