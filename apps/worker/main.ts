import 'reflect-metadata';
import { runHttpApp } from '#platform';
import { workerApp } from './worker.app.js';

await runHttpApp(workerApp);
