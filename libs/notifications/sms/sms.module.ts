import { Module } from '@nestjs/common';
import { HttpSmsSender, SMS_SENDER } from './sms-sender.js';

/** The SMS channel: `SMS_SENDER` (the HTTP provider). SMS are only ever sent by the worker, through `sms.send`. */
@Module({ providers: [HttpSmsSender, { provide: SMS_SENDER, useExisting: HttpSmsSender }], exports: [SMS_SENDER] })
export class SmsModule {}
