import 'reflect-metadata';
import { runHttpApp } from '#platform';
import { backofficeApp } from './backoffice.app.js';

await runHttpApp(backofficeApp);
