import type { HttpAppSpec } from '#platform';
import { EngineModule } from './engine.module.js';

export const engineApp: HttpAppSpec = { app: 'engine', module: EngineModule };
