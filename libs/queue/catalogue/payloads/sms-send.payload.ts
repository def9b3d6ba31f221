import { z } from 'zod';

/** An international (E.164) mobile number: `+` then 8 to 15 digits, e.g. `+33612345678`. */
export const E164 = /^\+[1-9]\d{7,14}$/;

/**
 * `sms.send`: one text message to one phone number, already rendered. The number is personal data: it is never
 * logged, and the job key never carries it.
 */
export const smsSendPayload = z.strictObject({
  to: z.string().regex(E164, 'numéro au format international attendu (+33…)'),
  /** Up to 10 SMS segments of 160 characters. */
  text: z.string().min(1).max(1_600),
});

export type SmsSendPayload = z.output<typeof smsSendPayload>;
