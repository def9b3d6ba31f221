export {
  ROUTING_RULE_KINDS,
  ROUTING_OUTCOMES,
  type RoutingRule,
  type RoutingRuleKind,
  type RoutedCollectivity,
  type RoutingOutcome,
  type RoutingFlag,
  type RoutingInputSummary,
  type RoutingDisagreement,
  type RoutingDecision,
} from './routing.types.js';
export { RoutingErrorCodes, GeocoderUnavailableError, type GeocoderFailure } from './routing.errors.js';
export { CommuneIndex, type CommuneIndexOptions, type LocatableCommune, type PointLocation } from './commune-index.js';
export { buildOutline, type TerritoryOutline, type OutlineRing } from './outline.js';
export { BORDER_TOLERANCE } from './planar.js';
export { INSEE_ALIASES, COMMUNE_NAME_ALIASES, canonicalInsee, normaliseName } from './names.js';
export { RoutingTable, normalisePostcode, type RoutingCommune } from './routing-table.js';
export { FallbackGeocoder, type AddressQuery, type GeocodeResult, type Geocoder } from './geocoder.js';
export { BanGeocoder, queryText, type BanGeocoderOptions } from './ban-geocoder.js';
export { OfflineGeocoder, OFFLINE_SCORES } from './offline-geocoder.js';
export { LruCache } from './lru-cache.js';
export { decideRouting, communePhrase, type DecisionOptions, type AddressValue, type GeocodingInput } from './decision.js';
export { RoutingService, RoutingModule, GEOCODER, createGeocoder } from './routing.service.js';
