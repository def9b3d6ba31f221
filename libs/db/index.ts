export {
  createDataSource,
  connectWithRetry,
  pendingSchemaChanges,
  pingDatabase,
  type DataSourceSettings,
} from './data-source.js';
