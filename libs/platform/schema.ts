import { QUEUE_ENTITIES } from '#queue';
import { TERRITORY_ENTITIES } from '#territory';
import { MIGRATIONS } from '../../migrations/index.js';

/** Every entity of every domain lib: the one list the DataSource and the schema check use. */
export const ALL_ENTITIES = [...TERRITORY_ENTITIES, ...QUEUE_ENTITIES];

/** Every migration, in order. */
export const ALL_MIGRATIONS = MIGRATIONS;
