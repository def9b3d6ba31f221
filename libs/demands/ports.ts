import type { FieldError } from '#core';

/**
 * Ports the submission and workflow use cases plug libs/forms and libs/workflow into. Narrow on purpose:
 * the demands lib stores what they decide and never depends on their internals.
 */

/** Validates submitted data against a pinned version's form (server side, conditions applied). */
export interface DemandDataValidator {
  /** The data to store (hidden fields cleared, values normalised), or every error with its JSON path. */
  validate(
    form: unknown,
    data: unknown,
    context: { profile?: Record<string, unknown> },
  ): { ok: true; data: Record<string, unknown> } | { ok: false; errors: FieldError[] };
}

/** What a workflow decides for a demand. */
export interface WorkflowPort {
  /** The status a new demand enters. */
  initialStatus(workflow: unknown): string;
  /** Whether the status ends the demand's processing (sets `closed_at`). */
  isFinal(workflow: unknown, status: string): boolean;
  /**
   * The target status of `action` from `from` for an actor holding `functions`, and its effects (to be written
   * to the outbox in the same transaction); null when the workflow does not allow it.
   */
  transition(
    workflow: unknown,
    from: string,
    action: string,
    functions: readonly string[],
  ): { to: string; visibility: 'citizen' | 'internal'; effects: unknown[] } | null;
}
