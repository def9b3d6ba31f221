import { ApiKey } from './api-keys/api-key.entity.js';
import { TeleserviceVersion } from './teleservices/teleservice-version.entity.js';
import { Teleservice } from './teleservices/teleservice.entity.js';

export { Teleservice, TeleserviceVersion, ApiKey };
/** Entities of #teleservices (migration 1763800300000-engine), registered in libs/platform/schema.ts. */
export const TELESERVICES_ENTITIES = [Teleservice, TeleserviceVersion, ApiKey];

export {
  TELESERVICE_KINDS,
  VERSION_STATES,
  ROUTING_METHODS,
  type TeleserviceKind,
  type VersionState,
  type RoutingMethod,
  type RoutingRule,
  type VersionContent,
  type DefinitionValidator,
} from './teleservices/teleservice.types.js';
export { TeleserviceErrorCodes } from './teleservices/teleservice.errors.js';
export { canonicalJson, canonicalChecksum } from './teleservices/canonical-json.js';
export {
  TeleserviceRepository,
  checksumOf,
  type NewTeleservice,
  type PublishOptions,
  type VersionSummary,
} from './teleservices/teleservice.repository.js';
export { PublishedVersionCache } from './teleservices/published-version-cache.js';

// Partner API keys
export { ApiKeyRepository, type ApiKeyInfo, type VerifiedApiKey } from './api-keys/api-key.repository.js';
export { API_KEY_SCOPES, generateApiKey, parseApiKey, type ApiKeyScope, type GeneratedKey } from './api-keys/api-key-format.js';

// Authoring: definition validation, use cases, version diff (libs/teleservices/authoring)
export {
  DefinitionValidationService,
  type DefinitionContext,
  type DeclaredDataSource,
} from './authoring/definition-validation.service.js';
export { AuthoringErrorCodes } from './authoring/authoring.errors.js';
export { packContactSchema, type AuthoringActor, type PackContact, type TeleserviceSettings } from './authoring/authoring.types.js';
export { AuthoringRepository, type InstanceInfo } from './authoring/authoring.repository.js';
export {
  TeleserviceAuthoringService,
  createTeleserviceCommand,
  editDraftCommand,
  publicationWindowCommand,
  kindAllowedOn,
  type CreateTeleserviceCommand,
  type EditDraftCommand,
  type PublicationWindowCommand,
  type SavedDraft,
} from './authoring/teleservice-authoring.service.js';
export {
  diffVersions,
  type VersionDiff,
  type FieldChange,
  type StatusChange,
  type ActionChange,
  type ChangedItem,
  type PropertyChange,
  type PatchOperation,
} from './authoring/version-diff.js';

// Bundles: export / import between instances, promotion test → production (libs/teleservices/bundles)
export { BundleService, type ImportResult, type PromotionResult } from './bundles/bundle.service.js';
export {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  teleserviceBundleSchema,
  type TeleserviceBundle,
  type ImportMode,
  type ImportOptions,
} from './bundles/bundle.types.js';

// Catalogue packs (libs/teleservices/catalogue)
export { CatalogueService, deployPackCommand, PACK_DEPLOYING_OFFERS, type DeployPackCommand, type PackDeployment } from './catalogue/catalogue.service.js';

// Demo catalogue seed (libs/teleservices/demo) — outside production only
export {
  seedDemoCatalogue,
  DEMO_TELESERVICES,
  DEMO_TEST_COPY,
  DEMO_PACK_DEPLOYMENTS,
  type DemoTeleservice,
  type DemoCatalogueResult,
} from './demo/demo-catalogue.seed.js';

// Citizen catalogue: listing, French full-text search, téléservice page (libs/teleservices/catalogue-search)
export * from './catalogue-search/index.js';
