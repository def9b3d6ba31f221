import { z } from 'zod';

const NO_LINE_BREAK = /^[^\r\n]*$/;

/**
 * `agents.notify`: a workflow `notify_agents` action — the agents of the demand's collectivity holding `function`
 * are told, by mail now or in their daily digest according to their preference. The recipients are resolved
 * when the job runs (the roles of that moment); the subject and text were rendered with the demand's step.
 */
export const agentsNotifyPayload = z.strictObject({
  demandId: z.uuid(),
  collectivityId: z.uuid(),
  collectivityName: z.string().max(200),
  function: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/),
  subject: z.string().min(1).max(250).regex(NO_LINE_BREAK, "l'objet ne doit pas contenir de retour à la ligne"),
  text: z.string().max(100_000),
  html: z.string().max(500_000).optional(),
});

export type AgentsNotifyPayload = z.output<typeof agentsNotifyPayload>;
