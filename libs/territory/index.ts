import { Collectivity } from './collectivity.entity.js';
import { Instance } from './instance.entity.js';
import { Membership } from './membership.entity.js';
import { CollectivityBranding } from './collectivity-branding.entity.js';

export { Collectivity, Membership, Instance, CollectivityBranding };
export { LOGO_MEDIA_TYPES, type LogoMediaType } from './collectivity-branding.entity.js';
export { brandingOfCollectivity, brandingOfInstance, collectivityLogo, logoHeaders, type PublicBranding } from './collectivity-branding.reader.js';
/** The territory's entities, registered in the platform's DataSource (libs/platform/schema.ts). */
export const TERRITORY_ENTITIES = [Collectivity, Membership, Instance, CollectivityBranding];

export {
  COLLECTIVITY_KINDS,
  MEMBERSHIP_SERVICES,
  COUNTER_OFFERS,
  INSTANCE_ENVIRONMENTS,
  INSTANCE_STATUSES,
  type CollectivityKind,
  type MembershipService,
  type CounterOffer,
  type InstanceEnvironment,
  type InstanceStatus,
} from './territory.types.js';
export {
  boundingBox,
  bboxContains,
  geometryContains,
  type BoundaryGeometry,
  type BoundingBox,
  type MultiPolygonGeometry,
  type PolygonGeometry,
  type Position,
} from './geometry.js';
export { slugify } from './slug.js';
export {
  buildReferenceTerritory,
  loadReferenceTerritory,
  ReferenceDataError,
  LYON_METROPOLIS_SIREN,
  BOUNDARIES_FILE,
  type ReferenceCollectivity,
  type ReferenceTerritory,
  type TerritorySources,
} from './reference-data.js';
export { TerritoryErrorCodes } from './territory.errors.js';
export {
  seedReferenceData,
  seedDemo,
  instanceSlug,
  calendarDay,
  DEMO_COUNTER_MEMBERSHIPS,
  type ReferenceSeedResult,
  type DemoSeedResult,
} from './territory.seed.js';
export { TerritoryService } from './territory.service.js';
export { TerritoryModule } from './territory.module.js';
