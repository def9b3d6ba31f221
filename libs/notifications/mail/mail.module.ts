import { Module } from '@nestjs/common';
import { FailingAddresses } from './failing-addresses.js';
import { MailSender } from './mail-sender.js';

/** The mail channel: `MailSender` (SMTP). Mail is only ever sent by the worker, through the `mail.send` job. */
@Module({ providers: [MailSender, FailingAddresses], exports: [MailSender, FailingAddresses] })
export class MailModule {}
