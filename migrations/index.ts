import type { MigrationInterface } from 'typeorm';
import { Territory1763800000000 } from './1763800000000-territory.js';

/** Every migration, oldest first. Add each new migration class here. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Territory1763800000000];
