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
