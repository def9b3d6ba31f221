import { z } from 'zod';

/**
 * `workflow.timer`: a delayed jump of a demand's workflow falls due. The handler sends the `timer` command
 * as the system; a refusal because the demand moved on since is normal and ends the job.
 */
export const workflowTimerPayload = z.strictObject({
  demandId: z.uuid(),
  actionId: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/),
  dueAt: z.iso.datetime({ offset: true }),
});

export type WorkflowTimerPayload = z.output<typeof workflowTimerPayload>;
