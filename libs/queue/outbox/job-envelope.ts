/** What a BullMQ job carries: the catalogue payload and where it came from. */
export interface JobEnvelope {
  payload: unknown;
  /** Correlation id of the request whose transaction wrote the outbox row. */
  correlationId: string | null;
  /** Id of the outbox row (bigint as text). */
  outboxId: string;
}
