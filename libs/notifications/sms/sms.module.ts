import { Module } from '@nestjs/common';
import { HttpSmsSender, SMS_SENDER } from './sms-sender.js';
import { SmsContacts } from './sms-subjects.js';

/**
 * The SMS channel: `SMS_SENDER` (the HTTP provider) and `SmsContacts` (an account's current number and choice).
 * SMS are only ever sent by the worker, through `sms.send`.
 */
@Module({ providers: [HttpSmsSender, { provide: SMS_SENDER, useExisting: HttpSmsSender }, SmsContacts], exports: [SMS_SENDER, SmsContacts] })
export class SmsModule {}
