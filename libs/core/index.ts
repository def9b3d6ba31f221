export { repoRoot, fromRoot } from './paths/repo-root.js';
export { loadConfig, envSchema, ConfigError, APP_CONFIG, type AppConfig, type AppName, type IdentityConfig, type WebAppConfig, type FranceConnectConfig, type ApiParticulierConfig, DEV_WEB_CLIENT_SECRETS, type Env } from './config/config.js';
export {
  runWithCorrelation,
  currentCorrelationId,
  newCorrelationId,
  acceptCorrelationId,
  type RequestContext,
} from './logging/context.js';
export { createLogger, scrubSecrets, REDACT_PATHS, type LoggerSettings } from './logging/logger.js';
export { PinoNestLogger } from './logging/nest-logger.js';
export { DomainError, ErrorCodes, type ErrorKind, type FieldError } from './errors/domain-error.js';
export { Clock, SystemClock, ManualClock } from './clock/clock.js';
export { LOGGER } from './logging/tokens.js';
