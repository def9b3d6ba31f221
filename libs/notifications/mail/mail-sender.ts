import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '#core';
import { smtpFailure } from './smtp-errors.js';

/** A part attached to a mail; `cid` makes it inline (the HTML refers to it as `cid:<cid>`). */
export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
  cid?: string;
  contentDisposition?: 'inline' | 'attachment';
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  /** `<…@domain>`; see `messageIdFor`. */
  messageId?: string;
  attachments?: MailAttachment[];
}

/** Sends mail over SMTP (`SMTP_URL`, `MAIL_FROM`). Failures become `MAIL_REJECTED` or `MAIL_UNAVAILABLE` domain errors. */
@Injectable()
export class MailSender implements OnApplicationShutdown {
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.transport = createTransport(
      { url: config.mail.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 },
      { from: config.mail.from },
    );
    this.domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(config.mail.from)?.[1] ?? 'parvis.localhost';
  }

  /**
   * A Message-ID derived from an idempotency key: if a mail is ever sent twice (crash after the SMTP server
   * accepted it, before the receipt was written), both copies carry the same id and mail clients show one.
   */
  messageIdFor(key: string): string {
    return `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}@${this.domain}>`;
  }

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    try {
      const info = await this.transport.sendMail({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: mail.headers,
        messageId: mail.messageId,
        ...(mail.attachments?.length ? { attachments: mail.attachments } : {}),
      });
      return { messageId: String(info.messageId) };
    } catch (error) {
      throw smtpFailure(error);
    }
  }

  onApplicationShutdown() {
    this.transport.close();
  }
}
