import { z } from 'zod';

/** `demands.bulk`: run an agent's bulk operation (assign, or a workflow action, on a selection), recording progress on its row. */
export const demandsBulkPayload = z.strictObject({
  operationId: z.uuid(),
});

export type DemandsBulkPayload = z.output<typeof demandsBulkPayload>;
