export {
  createDataSource,
  connectWithRetry,
  pendingSchemaChanges,
  pingDatabase,
  type DataSourceSettings,
} from './data-source.js';
export { SQLSTATE, pgCode, pgConstraint } from './pg-errors.js';
export { DatabaseExtension, DatabaseTrigger, declaredExtensions, declaredTriggers, triggerDifferences, type TriggerDeclaration } from './schema-declarations.js';
export { runInOneTrip, type PreparedStatement } from './one-trip.js';
