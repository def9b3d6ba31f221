import { Module } from '@nestjs/common';
import { MailSender } from './mail-sender.js';

/** The mail channel: `MailSender` (SMTP). Mail is only ever sent by the worker, through the `mail.send` job. */
@Module({ providers: [MailSender], exports: [MailSender] })
export class MailModule {}
