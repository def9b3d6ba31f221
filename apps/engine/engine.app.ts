import type { HttpAppSpec } from '#platform';
import { EngineModule } from './engine.module.js';

/** The engine: partner API under /api/v1 (its own JSON parser, larger limit for base64 files: see request-body.ts). */
export const engineApp: HttpAppSpec = { app: 'engine', module: EngineModule, rawBodyPrefixes: ['/api/v1'] };
