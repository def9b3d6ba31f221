import type { FieldError } from '#core';

/**
 * Closed vocabularies of the téléservices, stored as `text` + named CHECK constraints
 * (migration 1763800300000-engine).
 */
export const TELESERVICE_KINDS = ['communal', 'metropolitan', 'mutualised', 'catalogue_pack'] as const;
export type TeleserviceKind = (typeof TELESERVICE_KINDS)[number];

export const VERSION_STATES = ['draft', 'published'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

/** How the competent commune of a demand on a mutualised téléservice is found. */
export const ROUTING_METHODS = ['map_point', 'address', 'postcode', 'commune'] as const;
export type RoutingMethod = (typeof ROUTING_METHODS)[number];

/** Stored on a mutualised téléservice only (CHECK `teleservice_routing_rule_check`): which field decides, and how. */
export interface RoutingRule {
  by: RoutingMethod;
  /** Identifier of the form field carrying the point, address, postcode or commune. */
  field: string;
}

/** The definition a version carries. Opaque JSON here: libs/forms and libs/workflow own their schemas. */
export interface VersionContent {
  form: unknown;
  workflow: unknown;
  dataSources: unknown;
}

/**
 * Port: validates a version's definitions before publication (plugged with libs/forms + libs/workflow by the
 * publish use case). Returns every error, each with its JSON path; empty when valid.
 */
export interface DefinitionValidator {
  validate(content: VersionContent): FieldError[] | Promise<FieldError[]>;
}
