import { Injectable } from '@nestjs/common';
import { DomainError } from '#core';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { FailingAddresses } from './failing-addresses.js';
import { MailBranding } from './mail-branding.js';
import { MailSender } from './mail-sender.js';
import { MAIL_ADDRESS_FAILING, MAIL_REJECTED } from './smtp-errors.js';

/**
 * Handler of `mail.send`: one rendered mail, its Message-ID derived from the job key.
 * Bounce-safe: a permanent rejection (5yz) marks the address failing on its account and fails the job at
 * once (`MAIL_REJECTED` is not retried); a temporary failure (4yz, connection) is retried with the catalogue's
 * exponential backoff, then left failed with its error in BullMQ. An address already marked failing is not
 * attempted: the job fails at once with `MAIL_ADDRESS_FAILING` (visible in the dashboard; an operator retries it
 * once the person has fixed their address, which clears the flag). A payload naming a collectivity (`brand`) has
 * its HTML part framed with that collectivity's branding (`MailBranding`: name, accent colour, inline logo).
 */
@Injectable()
export class SendMailJob implements JobHandler<'mail.send'> {
  readonly job = 'mail.send';

  constructor(
    private readonly sender: MailSender,
    private readonly failing: FailingAddresses,
    private readonly branding: MailBranding,
  ) {}

  async handle(payload: JobPayload<'mail.send'>, context: JobContext<'mail.send'>): Promise<void> {
    if (await this.failing.isFailing(payload.to)) {
      context.logger.warn({ attempt: context.attempt }, 'Adresse marquée en échec : courriel non tenté');
      throw new DomainError(MAIL_ADDRESS_FAILING, 'Adresse marquée en échec après un refus définitif : courriel non tenté.', 'invalid');
    }
    try {
      const { brand, ...mail } = payload;
      // The competent collectivity's branding on the HTML part (logo inline by CID, colour), read now.
      const branded = brand && mail.html ? await this.branding.apply(mail.html, brand.collectivityId) : null;
      const { messageId } = await this.sender.send({
        ...mail,
        ...(branded ? { html: branded.html, attachments: branded.attachments } : {}),
        messageId: this.sender.messageIdFor(context.key),
      });
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
