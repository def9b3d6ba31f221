import type { HttpAppSpec } from '#platform';
import { directSubmission } from './direct-submission.js';
import { EngineModule } from './engine.module.js';

/**
 * The engine: partner API under /api/v1 (its own JSON parser, larger limit for base64 files: see request-body.ts);
 * JSON submissions answered before Express and Nest (direct-submission.ts).
 */
export const engineApp: HttpAppSpec = { app: 'engine', module: EngineModule, rawBodyPrefixes: ['/api/v1'], directRoutes: directSubmission };
