import type { MigrationInterface } from 'typeorm';
import { Territory1763800000000 } from './1763800000000-territory.js';
import { Outbox1763800100000 } from './1763800100000-outbox.js';
import { Identity1763800200000 } from './1763800200000-identity.js';
import { Engine1763800300000 } from './1763800300000-engine.js';

/** Every migration, oldest first. Add each new migration class here. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Territory1763800000000, Outbox1763800100000, Identity1763800200000, Engine1763800300000];
