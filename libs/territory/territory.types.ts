/**
 * The closed vocabularies of the territory. Stored as `text` columns guarded by named CHECK constraints
 * (see the entities and migration 1763800000000-territory): adding a value is a one-line migration that
 * replaces the CHECK, without PostgreSQL enum-type surgery.
 */

export const COLLECTIVITY_KINDS = ['metropolis', 'commune'] as const;
export type CollectivityKind = (typeof COLLECTIVITY_KINDS)[number];

/** What a collectivity can adhere to: the counter (guichet numérique) or the schools' digital workspace. */
export const MEMBERSHIP_SERVICES = ['counter', 'school_workspace'] as const;
export type MembershipService = (typeof MEMBERSHIP_SERVICES)[number];

/** The counter's offers. Only the counter has offers; the schools' workspace has none. */
export const COUNTER_OFFERS = ['partenaire', 'abonne', 'connecte'] as const;
export type CounterOffer = (typeof COUNTER_OFFERS)[number];

export const INSTANCE_ENVIRONMENTS = ['production', 'test'] as const;
export type InstanceEnvironment = (typeof INSTANCE_ENVIRONMENTS)[number];

export const INSTANCE_STATUSES = ['active', 'decommissioned'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];
