/** What a BullMQ job carries: the catalogue payload and where it came from. */
export interface JobEnvelope {
  payload: unknown;
  /** Correlation id of the request whose transaction wrote the outbox row. */
  correlationId: string | null;
  /** Id of the outbox row (bigint as text); null for a job produced by a job scheduler. */
  outboxId: string | null;
}
