import 'reflect-metadata';
import { runHttpApp } from '#platform';
import { engineApp } from './engine.app.js';

await runHttpApp(engineApp);
