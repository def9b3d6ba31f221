import { z } from 'zod';

/**
 * Workflow effects that leave the demand's transaction (#demands' `planOutcome` writes them, the worker runs them).
 * Each names the demand, the workflow action and the step (`lock_version` once the step was written) that decided
 * it: with the job key `demand/<id>/<step>-<actionId>/<effect>` the same step never runs its effect twice.
 */
const ref = {
  demandId: z.uuid(),
  actionId: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/),
  step: z.number().int().min(1),
};

/** `workflow.webservice`: the request as the workflow rendered it (templates applied when the step ran). */
export const workflowWebservicePayload = z.strictObject({
  ...ref,
  statusId: z.string().min(1).max(63),
  request: z.strictObject({
    /** As rendered: an unusable URL is the job's failure (→ `onFailure`), never a reason to refuse the step. */
    url: z.string().min(1).max(4_000),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    headers: z.record(z.string().max(200), z.string().max(4_000)),
    body: z.string().max(1_000_000).nullable(),
    timeoutSeconds: z.number().int().min(1).max(120),
    retries: z.number().int().min(0).max(10),
    storeResponseAs: z.string().max(63).nullable(),
    reportResult: z.boolean(),
  }),
});

/** `workflow.anonymise`: erase the demand's personal data (fields marked personal, their files). */
export const workflowAnonymisePayload = z.strictObject({ ...ref });

/** `workflow.delete`: delete the demand and its files, at `at` (the outbox row's delay). */
export const workflowDeletePayload = z.strictObject({ ...ref, at: z.iso.datetime({ offset: true }) });

/** `workflow.child-demand`: a demand on another téléservice (by slug) of the same collectivity, with mapped data. */
export const workflowChildDemandPayload = z.strictObject({
  ...ref,
  teleservice: z.string().min(1).max(100),
  data: z.record(z.string().max(100), z.string().max(100_000)),
});

/** `workflow.document`: render a document model of the engine and attach it to the demand. */
export const workflowDocumentPayload = z.strictObject({
  ...ref,
  documentTemplate: z.string().min(1).max(200),
  filename: z.string().min(1).max(255),
  visibility: z.enum(['citizen', 'internal']),
});

export type WorkflowWebservicePayload = z.output<typeof workflowWebservicePayload>;
