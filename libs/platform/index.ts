export { PlatformModule, type PlatformContext } from './platform.module.js';
export { createHttpApp, runHttpApp, type HttpAppSpec, type DirectRoute, type PlatformHttp } from './http-app.js';
export { HealthService, HealthController, type HealthReport } from './health.js';
export { createRedis, pingRedis } from './redis.js';
export { ALL_ENTITIES, ALL_MIGRATIONS } from './schema.js';
export { REDIS, APP_NAME } from './tokens.js';
export {
  startEmbeddedPostgres,
  startLocalRedis,
  useOrStartServices,
  type LocalServices,
  findRedisServer,
  portAnswers,
  freePort,
  REDIS_INSTALL_HINT,
  type EmbeddedPostgresHandle,
  type EmbeddedRedisHandle,
} from './embedded-services.js';
export {
  HttpErrorFilter,
  describeError,
  sendJsonError,
  sendJson,
  wantsHtml,
  type ErrorBody,
  type ErrorView,
  type HttpErrorFilterOptions,
} from './http-error.filter.js';
export {
  readMultipartBody,
  readBufferedMultipart,
  bufferPart,
  isMultipart,
  firstValue,
  MULTIPART_INVALID,
  type MultipartLimits,
  type MultipartBody,
  type MultipartFilePart,
  type BufferedFile,
} from './multipart.js';
