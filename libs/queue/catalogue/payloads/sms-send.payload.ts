import { z } from 'zod';

/** An international (E.164) mobile number: `+` then 8 to 15 digits, e.g. `+33612345678`. */
export const E164 = /^\+[1-9]\d{7,14}$/;

/** Up to 10 SMS segments of 160 characters. */
const text = z.string().min(1).max(1_600);

/**
 * `sms.send`: one text message, already rendered, either to a number (`to`: given in the form of a demand without
 * account, with its consent box) or to a citizen account (`accountSub`, the portal's subject: the worker reads the
 * account's mobile number and SMS choice when the job runs, so a withdrawn choice sends nothing, recorded in the
 * history of the demand `demandId` as an internal `sms_not_sent` event). The number is
 * personal data: it is never logged, and the job key never carries it.
 */
export const smsSendPayload = z.union([
  z.strictObject({
    to: z.string().regex(E164, 'numéro au format international attendu (+33…)'),
    text,
  }),
  z.strictObject({
    accountSub: z.string().min(1).max(200),
    text,
    /** The demand, whose history records an SMS not sent (optional: jobs queued before it was added still validate). */
    demandId: z.uuid().optional(),
  }),
]);

export type SmsSendPayload = z.output<typeof smsSendPayload>;
