import { z } from 'zod';

/**
 * `demand.deliver`: a demand submitted on a commune's own téléservice is delivered according to the commune's
 * counter membership (GRU + agents' mails, connector delivery, or email relay). Routed demands are delivered
 * by `demand.route` itself, in the transaction that moves them.
 */
export const demandDeliverPayload = z.strictObject({
  demandId: z.uuid(),
});

export type DemandDeliverPayload = z.output<typeof demandDeliverPayload>;
