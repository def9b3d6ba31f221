import { z } from 'zod';

const NO_LINE_BREAK = /^[^\r\n]*$/;

/** Extra headers a mail may carry. The envelope headers (From, To, Subject, Message-ID…) are never overridable. */
const HEADER_NAME = /^(X-[A-Za-z0-9-]{1,60}|List-Unsubscribe|List-Unsubscribe-Post|List-Id|Auto-Submitted|Reply-To|In-Reply-To|References)$/i;

/**
 * `mail.send`: one rendered mail to one recipient. The mail is rendered before it is written to the
 * outbox (the template and the data it used are those of the committed transaction).
 */
export const mailSendPayload = z.strictObject({
  to: z.email({ error: 'adresse électronique invalide' }).max(254),
  subject: z.string().min(1).max(250).regex(NO_LINE_BREAK, "l'objet ne doit pas contenir de retour à la ligne"),
  text: z.string().min(1).max(100_000),
  html: z.string().max(500_000).optional(),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, 'en-tête non autorisé'),
      z.string().max(998).regex(NO_LINE_BREAK, "un en-tête ne doit pas contenir de retour à la ligne"),
    )
    .optional(),
  /**
   * The collectivity whose branding frames the HTML part (name, logo as an inline CID attachment, accent colour),
   * read by the worker when it sends (#notifications' `MailBranding`); absent: the platform's look.
   */
  brand: z.strictObject({ collectivityId: z.uuid() }).optional(),
});

export type MailSendPayload = z.output<typeof mailSendPayload>;
