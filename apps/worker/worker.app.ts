import type { HttpAppSpec } from '#platform';
import { WorkerModule } from './worker.module.js';

export const workerApp: HttpAppSpec = { app: 'worker', module: WorkerModule };
