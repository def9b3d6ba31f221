/**
 * Vocabulary of routing: which collectivity is competent for what a citizen gave on a mutualised
 * téléservice. Everything here is plain JSON, so a decision can be stored as is in a demand's history.
 */

/** How a téléservice designates the field that locates a demand. */
export const ROUTING_RULE_KINDS = ['map_point', 'address', 'postcode', 'commune'] as const;
export type RoutingRuleKind = (typeof ROUTING_RULE_KINDS)[number];

/** Part of a téléservice's definition: route by `by`, reading the submitted field `field`. */
export interface RoutingRule {
  by: RoutingRuleKind;
  field: string;
}

/** A collectivity a demand can be routed to: one of the 58 communes, or the metropolis. */
export interface RoutedCollectivity {
  kind: 'commune' | 'metropolis';
  /** null for the metropolis. */
  inseeCode: string | null;
  siren: string;
  name: string;
}

/**
 * - `routed`: one commune is competent;
 * - `outside_territory`: the place is outside the metropolis: the metropolis receives it, flagged;
 * - `needs_choice`: the input does not designate one commune (shared postcode, point in a boundary gap,
 *   ambiguous or unknown address): the citizen must choose among `candidates`. Never a guess.
 */
export const ROUTING_OUTCOMES = ['routed', 'outside_territory', 'needs_choice'] as const;
export type RoutingOutcome = (typeof ROUTING_OUTCOMES)[number];

/** Noteworthy facts about a decision, for the agents reviewing it (never shown as such to citizens). */
export type RoutingFlag =
  /** The point lies exactly on a border: the tie-break rule chose (lowest INSEE code). */
  | 'shared_border'
  /** The point is inside the metropolis' outline but in no commune's boundary (e.g. former Pierre-Bénite). */
  | 'boundary_gap'
  | 'outside_territory'
  | 'ambiguous_postcode'
  | 'ambiguous_address'
  | 'address_not_found'
  /** The national address API was unavailable: the offline fallback (postcode + commune name) answered. */
  | 'geocoder_offline'
  /** The geocoded address and the point placed on the map designate different communes: the point won. */
  | 'address_point_disagreement'
  /** The routed commune does not serve the postcode typed alongside the address. */
  | 'address_postcode_disagreement';

/** What was given, reduced to what routing needs: a commune, a postcode — never a street or a full address. */
export interface RoutingInputSummary {
  by: RoutingRuleKind;
  field: string;
  postcode?: string;
  /** The commune the input designates (the one found for a point or an address, or the one chosen). */
  commune?: { inseeCode: string; name: string };
  /** Address rule: which geocoder answered. */
  geocoder?: 'ban' | 'offline';
}

/** Two sources given together designate different communes (INSEE codes; null = outside the territory). */
export interface RoutingDisagreement {
  between: 'address_and_point' | 'address_and_postcode';
  /** The commune the geocoded address designates. */
  address: string | null;
  /** address_and_point: the commune the point designates. */
  point?: string | null;
  /** address_and_postcode: the postcode typed. */
  postcode?: string;
  /** Which source the decision followed. */
  kept: 'point' | 'address';
}

export interface RoutingDecision {
  rule: RoutingRule;
  outcome: RoutingOutcome;
  /** The competent collectivity; the metropolis when outside; null while a choice is needed. */
  collectivity: RoutedCollectivity | null;
  /** needs_choice: the communes to choose from, alphabetically; empty otherwise. */
  candidates: RoutedCollectivity[];
  input: RoutingInputSummary;
  flags: RoutingFlag[];
  disagreements: RoutingDisagreement[];
  /** French sentence for the citizen-visible history or the "choose your commune" step. */
  reason: string;
}
