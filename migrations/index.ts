import type { MigrationInterface } from 'typeorm';

/** Every migration, oldest first. Add each new migration class here. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [];
