import { z } from 'zod';

const NO_LINE_BREAK = /^[^\r\n]*$/;

/**
 * `notification.portal`: one notification row the portal shows to a logged-in citizen (`account_sub` is the
 * portal client's subject). Rendered before it is written to the outbox, like a mail.
 */
export const notificationPortalPayload = z.strictObject({
  accountSub: z.string().min(1).max(255),
  demandId: z.uuid().nullable(),
  collectivityId: z.uuid(),
  kind: z.string().regex(/^[a-z][a-z0-9_.]{0,62}$/),
  title: z.string().min(1).max(250).regex(NO_LINE_BREAK, 'le titre ne doit pas contenir de retour à la ligne'),
  body: z.string().max(10_000),
});

export type NotificationPortalPayload = z.output<typeof notificationPortalPayload>;
