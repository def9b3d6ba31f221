import 'reflect-metadata';
import { runHttpApp } from '#platform';
import { portalApp } from './portal.app.js';

await runHttpApp(portalApp);
