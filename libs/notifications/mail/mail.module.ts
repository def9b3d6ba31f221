import { Module } from '@nestjs/common';
import { FailingAddresses } from './failing-addresses.js';
import { MailBranding } from './mail-branding.js';
import { MailSender } from './mail-sender.js';

/** The mail channel: `MailSender` (SMTP), the collectivity's branding of the HTML part. Mail is only ever sent by the worker, through the `mail.send` job. */
@Module({ providers: [MailSender, FailingAddresses, MailBranding], exports: [MailSender, FailingAddresses, MailBranding] })
export class MailModule {}
