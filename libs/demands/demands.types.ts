/**
 * Closed vocabularies and value shapes of demands, stored as `text` + named CHECK constraints
 * (migration 1763800300000-engine).
 */
export const DEMAND_CHANNELS = ['web', 'counter', 'phone', 'mail', 'email', 'api'] as const;
export type DemandChannel = (typeof DEMAND_CHANNELS)[number];

/** Channels where an agent types the demand on a citizen's behalf (`submitted_by_agent` required). */
export const AGENT_CHANNELS: readonly DemandChannel[] = ['counter', 'phone', 'mail', 'email'];

export const VISIBILITIES = ['citizen', 'internal'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** Who did something, as recorded in history and messages (no personal data beyond identifiers). */
export type Actor =
  | { type: 'citizen'; sub?: string }
  | { type: 'agent'; sub: string; collectivityId: string }
  | { type: 'partner'; apiKeyId: string }
  | { type: 'system'; name: string };
