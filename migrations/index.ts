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
import { CitizenFollowUp1763801100000 } from './1763801100000-citizen-follow-up.js';
import { AgentNotifications1763801200000 } from './1763801200000-agent-notifications.js';
import { BackofficeWork1763801300000 } from './1763801300000-backoffice-work.js';
import { AccountErasure1763801400000 } from './1763801400000-account-erasure.js';
import { WorkflowFunctionGrants1763801500000 } from './1763801500000-workflow-function-grants.js';
import { Administration1763801700000 } from './1763801700000-administration.js';
import { SmsConsent1763802000000 } from './1763802000000-sms-consent.js';
import { PortalStorageSweepAccountPurge1763802100000 } from './1763802100000-portal-storage-sweep-account-purge.js';
import { DemandSearch1763802400000 } from './1763802400000-demand-search.js';
import { ProfessionalAccounts1763801900000 } from './1763801900000-professional-accounts.js';

/** Every migration, oldest first. Add each new migration class here. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Territory1763800000000, Outbox1763800100000, Identity1763800200000, Engine1763800300000, DemandWorkflowState1763800400000, Authoring1763800450000, FranceConnect1763800500000, AgentRoles1763800600000, Notifications1763800700000, CatalogueSearch1763800800000, AccountArea1763800900000, CitizenFollowUp1763801100000, AgentNotifications1763801200000, BackofficeWork1763801300000, AccountErasure1763801400000, WorkflowFunctionGrants1763801500000, Administration1763801700000, ProfessionalAccounts1763801900000, SmsConsent1763802000000, PortalStorageSweepAccountPurge1763802100000, DemandSearch1763802400000];
