import 'reflect-metadata';
import { runHttpApp } from '#platform';
import { identityApp } from './identity.app.js';

await runHttpApp(identityApp);
