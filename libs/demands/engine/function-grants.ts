import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, type FieldError } from '#core';
import { activeRolesOf, FunctionGrantRepository, type FunctionGrantRow } from '../repositories/function-grant.repository.js';
import { agentScope } from '../tenancy/tenant-scope.js';
import { DemandEngine } from './engine-context.js';

export const FunctionGrantErrorCodes = {
  FUNCTION_GRANT_INVALID: 'FUNCTION_GRANT_INVALID',
  FUNCTION_GRANT_NOT_FOUND: 'FUNCTION_GRANT_NOT_FOUND',
} as const;

/** Who receives a workflow function: the agents holding a back-office role, or one account. */
export type FunctionGrantee = { role: 'agent' | 'administrator' } | { accountSub: string };

/** An administrator of the collectivity (the back office checks the `administrator` role before calling). */
export interface FunctionGrantAdmin {
  sub: string;
  collectivityId: string;
}

export type FunctionGrantView = FunctionGrantRow;

export interface TeleserviceFunctions {
  /** The functions of the latest published workflow (empty before any publication). */
  functions: { id: string; label: string }[];
  grants: FunctionGrantView[];
  /** False while no grant exists: every processing role then holds every function (the former rule). */
  configured: boolean;
}

const FUNCTION_ID = /^[a-z][a-z0-9_-]{0,62}$/;
const PROCESSING_ROLES = ['agent', 'administrator'];

/**
 * Workflow functions per téléservice, from roles (table `workflow_function_grant`, RLS by collectivity).
 *
 * **Rule.** On a téléservice with no grant, an agent (a processing role, `agent` or `administrator`, of the
 * demand's collectivity: the back office builds agent callers for those only) holds every function of its workflow
 * (the platform's former behaviour: a deployed pack works before anyone maps its functions). As soon as one grant
 * exists for the téléservice, an agent holds exactly the functions granted to one of their roles in that
 * collectivity or to their account.
 *
 * `ActOnDemand` applies it to every agent command (the caller's `functions` are narrowed to the held ones); the back
 * office uses `functionsOnDemand` to show the right buttons, and `list` / `replace` / `grant` / `revoke` for the
 * administration screen. Writes check that the téléservice is the administrator's collectivity's (another's is
 * "not found") and, once a version is published, that the function exists in its workflow.
 */
@Injectable()
export class WorkflowFunctionGrants {
  constructor(private readonly engine: DemandEngine) {}

  /** A téléservice's functions and grants. */
  async list(admin: FunctionGrantAdmin, teleserviceId: string): Promise<TeleserviceFunctions> {
    const functions = await this.functionsOf(admin, teleserviceId);
    const grants = await this.engine.transaction(agentScope([admin.collectivityId]), (manager) => new FunctionGrantRepository(manager).listForTeleservice(teleserviceId));
    return { functions, grants, configured: grants.length > 0 };
  }

  /** Grants one function (idempotent). */
  async grant(admin: FunctionGrantAdmin, input: { teleserviceId: string; functionId: string; grantee: FunctionGrantee }): Promise<void> {
    await this.replaceOrAdd(admin, input.teleserviceId, [{ functionId: input.functionId, grantee: input.grantee }], false);
  }

  /** Replaces the whole mapping of a téléservice (an empty list returns it to the former rule). */
  async replace(admin: FunctionGrantAdmin, teleserviceId: string, mapping: { functionId: string; grantee: FunctionGrantee }[]): Promise<void> {
    await this.replaceOrAdd(admin, teleserviceId, mapping, true);
  }

  async revoke(admin: FunctionGrantAdmin, grantId: string): Promise<void> {
    const deleted = UUID.test(grantId) && (await this.engine.transaction(agentScope([admin.collectivityId]), (manager) => new FunctionGrantRepository(manager).delete(admin.collectivityId, grantId)));
    if (!deleted) throw DomainError.notFound(FunctionGrantErrorCodes.FUNCTION_GRANT_NOT_FOUND, 'Cette attribution de fonction n’existe pas.');
  }

  /**
   * The workflow functions an agent holds on a demand they can see (`caller.collectivityIds` scope), for the
   * back office's buttons; [] when the demand is not visible.
   */
  async functionsOnDemand(agent: { sub: string; collectivityIds: readonly string[] }, demandId: string): Promise<string[]> {
    if (!UUID.test(demandId)) return [];
    return this.engine.transaction(agentScope([...agent.collectivityIds]), async (manager) => {
      const ref = await new FunctionGrantRepository(manager).demandRef(demandId);
      if (!ref) return [];
      const definition = await this.engine.definitions.get(ref.versionId);
      const all = definition ? definition.workflow.definition.functions.map((f) => f.id) : [];
      return heldFunctions(manager, { teleserviceId: ref.teleserviceId, sub: agent.sub, roles: () => this.rolesOf(agent.sub, ref.collectivityId), workflowFunctions: all });
    });
  }

  /** The agent's active back-office roles in a collectivity (read from `agent_role`, outside any tenant scope). */
  async rolesOf(sub: string, collectivityId: string): Promise<string[]> {
    return activeRolesOf(this.engine.dataSource.manager, sub, collectivityId);
  }

  private async functionsOf(admin: FunctionGrantAdmin, teleserviceId: string): Promise<{ id: string; label: string }[]> {
    const teleservice = UUID.test(teleserviceId) ? await this.engine.teleservices().findById(teleserviceId) : null;
    if (!teleservice || teleservice.collectivityId !== admin.collectivityId) {
      throw DomainError.notFound(FunctionGrantErrorCodes.FUNCTION_GRANT_NOT_FOUND, 'Téléservice introuvable.');
    }
    const versions = await this.engine.teleservices().listVersions(teleservice.id);
    const published = versions.find((v) => v.state === 'published');
    const definition = published ? await this.engine.definitions.get(published.id) : null;
    return definition ? definition.workflow.definition.functions.map((f) => ({ id: f.id, label: f.label })) : [];
  }

  private async replaceOrAdd(admin: FunctionGrantAdmin, teleserviceId: string, mapping: { functionId: string; grantee: FunctionGrantee }[], replace: boolean): Promise<void> {
    const functions = await this.functionsOf(admin, teleserviceId);
    const known = new Set(functions.map((f) => f.id));
    const errors: FieldError[] = [];
    mapping.forEach((entry, i) => {
      if (typeof entry.functionId !== 'string' || !FUNCTION_ID.test(entry.functionId)) {
        errors.push({ path: `[${i}].functionId`, code: 'INVALID_FORMAT', message: 'Identifiant de fonction invalide.' });
      } else if (functions.length > 0 && !known.has(entry.functionId)) {
        errors.push({ path: `[${i}].functionId`, code: 'UNKNOWN_FUNCTION', message: `Le workflow de ce téléservice n’a pas de fonction « ${entry.functionId} ».` });
      }
      const grantee = entry.grantee as Partial<{ role: unknown; accountSub: unknown }> | null;
      const byRole = typeof grantee?.role === 'string' && PROCESSING_ROLES.includes(grantee.role);
      const byAccount = typeof grantee?.accountSub === 'string' && grantee.accountSub.length > 0 && grantee.accountSub.length <= 255;
      if (byRole === byAccount) errors.push({ path: `[${i}].grantee`, code: 'INVALID_TYPE', message: 'Attendu : un rôle (agent, administrator) ou un compte.' });
    });
    if (errors.length) throw DomainError.invalid(FunctionGrantErrorCodes.FUNCTION_GRANT_INVALID, 'Attribution de fonctions invalide.', errors);
    const now = this.engine.clock.now();
    await this.engine.transaction(agentScope([admin.collectivityId]), async (manager) => {
      const repository = new FunctionGrantRepository(manager);
      if (replace) await repository.deleteForTeleservice(admin.collectivityId, teleserviceId);
      for (const { functionId, grantee } of mapping) {
        await repository.insert({
          collectivityId: admin.collectivityId,
          teleserviceId,
          functionId,
          role: 'role' in grantee ? grantee.role : null,
          accountSub: 'accountSub' in grantee ? grantee.accountSub : null,
          createdAt: now,
          createdBy: admin.sub,
        });
      }
    });
  }
}

/**
 * The functions of `workflowFunctions` that an agent (account `sub`; `roles` in the demand's collectivity, read only
 * when needed) holds on a téléservice, read in the caller's tenant transaction. No grant on the téléservice: every
 * function (agent callers are built for processing roles only).
 */
export async function heldFunctions(
  manager: EntityManager,
  input: { teleserviceId: string; sub: string; roles: () => Promise<readonly string[]>; workflowFunctions: readonly string[] },
): Promise<string[]> {
  const grants = await new FunctionGrantRepository(manager).listForTeleservice(input.teleserviceId);
  if (grants.length === 0) return [...input.workflowFunctions];
  const roles = await input.roles();
  const held = new Set(grants.filter((g) => (g.role !== null && roles.includes(g.role)) || (g.accountSub !== null && g.accountSub === input.sub)).map((g) => g.functionId));
  return input.workflowFunctions.filter((f) => held.has(f));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
