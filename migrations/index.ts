import type { MigrationInterface } from 'typeorm';
import { Territory1763800000000 } from './1763800000000-territory.js';
import { Outbox1763800100000 } from './1763800100000-outbox.js';
import { Identity1763800200000 } from './1763800200000-identity.js';
import { Engine1763800300000 } from './1763800300000-engine.js';
import { DemandWorkflowState1763800400000 } from './1763800400000-demand-workflow-state.js';
import { Authoring1763800450000 } from './1763800450000-authoring.js';
import { FranceConnect1763800500000 } from './1763800500000-franceconnect.js';
import { AgentRoles1763800600000 } from './1763800600000-agent-roles.js';
import { Notifications1763800700000 } from './1763800700000-notifications.js';
import { CatalogueSearch1763800800000 } from './1763800800000-catalogue-search.js';
import { AccountArea1763800900000 } from './1763800900000-account-area.js';

/** Every migration, oldest first. Add each new migration class here. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Territory1763800000000, Outbox1763800100000, Identity1763800200000, Engine1763800300000, DemandWorkflowState1763800400000, Authoring1763800450000, FranceConnect1763800500000, AgentRoles1763800600000, Notifications1763800700000, CatalogueSearch1763800800000, AccountArea1763800900000];
