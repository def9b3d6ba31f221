import { ACCOUNTS_ENTITIES } from '#accounts';
import { AGENTS_ENTITIES } from '#agents';
import { DEMANDS_ENTITIES, BACKOFFICE_WORK_ENTITIES } from '#demands';
import { NOTIFICATIONS_ENTITIES } from '#notifications';
import { QUEUE_ENTITIES } from '#queue';
import { TELESERVICES_ENTITIES } from '#teleservices';
import { TERRITORY_ENTITIES } from '#territory';
import { MIGRATIONS } from '../../migrations/index.js';

/** Every entity of every domain lib: the one list the DataSource and the schema check use. */
export const ALL_ENTITIES = [...TERRITORY_ENTITIES, ...QUEUE_ENTITIES, ...ACCOUNTS_ENTITIES, ...TELESERVICES_ENTITIES, ...DEMANDS_ENTITIES, ...BACKOFFICE_WORK_ENTITIES, ...AGENTS_ENTITIES, ...NOTIFICATIONS_ENTITIES];

/** Every migration, in order. */
export const ALL_MIGRATIONS = MIGRATIONS;
