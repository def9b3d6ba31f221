import { z } from 'zod';

/** `demand.route`: find the competent commune of a demand made on a mutualised téléservice, and move it there. */
export const demandRoutePayload = z.strictObject({
  demandId: z.uuid(),
});

export type DemandRoutePayload = z.output<typeof demandRoutePayload>;
