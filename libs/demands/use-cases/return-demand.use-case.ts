import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, DomainError, type AppConfig, type FieldError } from '#core';
import { agentAlertMail, agentRecipients, alertAgents, backofficeUrlOf } from '#notifications';
import { Collectivity, TerritoryService } from '#territory';
import { demandErrors } from '../demands.errors.js';
import type { Demand } from '../entities/demand.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import { platformScope } from '../tenancy/tenant-scope.js';
import { AccessErrorCodes, historyActorOf, requireAccess, scopeOf, type EngineCaller } from './access.js';
import { loadDemandFor } from './demand-access.js';
import { engineErrors } from './engine.errors.js';
import { expectedVersionOf, typedText } from './command-inputs.js';

export const ReturnErrorCodes = {
  /** The demand is not a commune's demand on a téléservice of the metropolis (nothing to send back). */
  NOT_RETURNABLE: 'DEMAND_RETURN_NOT_POSSIBLE',
  CLOSED: 'DEMAND_RETURN_CLOSED',
} as const;

/** The history kind of a return; the latest of it and `rerouted` tells whether the metropolis still has to act. */
export const RETURNED_EVENT = 'returned_to_metropolis';

export interface ReturnDemandInput {
  demandId: string;
  /** Why the demand is not the commune's (required, shown to the metropolis' agents). */
  reason?: unknown;
  expectedVersion?: unknown;
}

export class ReturnDemandCommand {
  private constructor(
    readonly caller: Extract<EngineCaller, { kind: 'agent' }>,
    readonly demandId: string,
    readonly reason: string,
    readonly expectedVersion: number | null,
  ) {}

  static create(caller: EngineCaller, input: ReturnDemandInput): ReturnDemandCommand {
    if (caller.kind !== 'agent') throw DomainError.forbidden(AccessErrorCodes.ACCESS_DENIED, 'Seuls les agents d’une commune renvoient une demande à la métropole.');
    const fields: FieldError[] = [];
    const reason = typedText(input.reason);
    if (!reason) fields.push({ path: 'reason', code: 'REQUIRED', message: 'Indiquez pourquoi la demande ne relève pas de votre commune.' });
    else if (reason.length > 2_000) fields.push({ path: 'reason', code: 'TOO_LONG', message: 'Le motif fait 2 000 caractères au plus.' });
    const expectedVersion = expectedVersionOf(input.expectedVersion, fields);
    if (fields.length) throw engineErrors.requestInvalid(fields);
    return new ReturnDemandCommand(caller, input.demandId, reason, expectedVersion);
  }
}

export interface ReturnedFlag {
  /** The commune that sent it back. */
  from: string;
  reason: string;
  at: Date;
}

/**
 * A commune's agent sends back to the metropolis a demand that is not the commune's (a mis-routed demand made on a
 * téléservice of the metropolis), with a required reason. Access is proven in the agent's own scope (the demand is
 * in their commune); the move runs in platform scope (the metropolis is outside their scope), pinned to the version
 * read. The demand goes to the metropolis unassigned — it leaves the commune's inbox (row-level security) — with:
 * - an internal `returned_to_metropolis` event (the commune, the reason, the agent), which flags the demand
 *   « renvoyée par <commune> » for the metropolis' agents until one of them re-routes it (`RerouteDemand`, a
 *   delivery round of its own);
 * - a neutral citizen-visible `collectivity_changed` line;
 * - the metropolis' processing agents alerted like `agents.notify` alerts them (mail now or daily digest by
 *   preference, key `demand-returned/<demandId>/<lock version>/<agentRoleId>`), in the same transaction.
 */
@Injectable()
export class ReturnDemandToMetropolis {
  constructor(
    private readonly engine: DemandEngine,
    private readonly territory: TerritoryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Whether this caller may send this demand (read in their scope) back to the metropolis: the form is offered then. */
  async returnable(caller: EngineCaller, demand: Demand): Promise<boolean> {
    if (caller.kind !== 'agent' || !caller.collectivityIds.includes(demand.collectivityId)) return false;
    try {
      await this.check(demand);
      return true;
    } catch (error) {
      if (error instanceof DomainError) return false;
      throw error;
    }
  }

  /** The commune, the metropolis and the téléservice of a returnable demand; a refusal otherwise. */
  private async check(demand: Demand) {
    const collectivities = this.engine.dataSource.manager.getRepository(Collectivity);
    const from = await collectivities.findOneByOrFail({ id: demand.collectivityId });
    const metropolis = await this.territory.metropolis();
    const teleservice = await this.engine.teleserviceById(demand.teleserviceId);
    if (from.kind !== 'commune' || !teleservice || teleservice.collectivityId !== metropolis.id) {
      throw DomainError.invalid(
        ReturnErrorCodes.NOT_RETURNABLE,
        'Seule une demande déposée sur un téléservice de la métropole et transmise à votre commune peut être renvoyée à la métropole.',
      );
    }
    if (demand.closedAt) throw DomainError.conflict(ReturnErrorCodes.CLOSED, 'Cette demande est close : elle ne peut plus être renvoyée à la métropole.');
    return { from, metropolis, teleservice };
  }

  async execute(command: ReturnDemandCommand): Promise<{ demand: Demand; from: Collectivity; metropolis: Collectivity }> {
    requireAccess(command.caller, 'demands:write');
    const seen = await this.engine.transaction(scopeOf(command.caller), (manager) => loadDemandFor(manager, command.caller, command.demandId));
    if (command.expectedVersion !== null && command.expectedVersion !== seen.lockVersion) throw demandErrors.concurrentUpdate();
    const { from, metropolis, teleservice } = await this.check(seen);
    const now = this.engine.clock.now();
    const actor = historyActorOf(command.caller);
    const demand = await this.engine.transaction(platformScope('renvoi d’une demande à la métropole par un agent de la commune'), async (manager) => {
      const repository = new DemandRepository(manager);
      const moved = await repository.updateWithLock(seen.id, seen.lockVersion, { collectivityId: metropolis.id, assignedAgent: null, assignedFunction: null }, now);
      await repository.appendEvent(moved, {
        at: now,
        kind: RETURNED_EVENT,
        actor,
        visibility: 'internal',
        payload: { text: `Renvoyée par ${from.name} : ${command.reason}`, from: { id: from.id, name: from.name }, reason: command.reason },
      });
      await repository.appendEvent(moved, {
        at: now,
        kind: 'collectivity_changed',
        actor: { type: 'system', name: 'routing' },
        visibility: 'citizen',
        payload: { text: `Votre demande est transmise à la ${metropolis.name}, qui l’oriente vers le service compétent.`, collectivityId: metropolis.id },
      });
      const link = `${backofficeUrlOf(this.config)}/demandes/${moved.id}`;
      const title = `Demande renvoyée par ${from.name} : ${teleservice.title} (n° ${moved.trackingCode})`;
      const processing = new Set(
        (
          await manager.query<{ account_sub: string }[]>(
            `SELECT DISTINCT account_sub FROM "agent_role" WHERE collectivity_id = $1 AND revoked_at IS NULL AND role IN ('agent', 'administrator')`,
            [metropolis.id],
          )
        ).map((r) => r.account_sub),
      );
      const recipients = (await agentRecipients(manager, metropolis.id)).filter((r) => processing.has(r.accountSub));
      await alertAgents(
        manager,
        this.engine.outbox,
        recipients,
        {
          collectivityId: metropolis.id,
          demandId: moved.id,
          keyPrefix: `demand-returned/${moved.id}/${moved.lockVersion}`,
          title,
          link,
          mail: () =>
            agentAlertMail({
              collectivityName: metropolis.name,
              subject: title,
              text: `La commune ${de(from.name)} a renvoyé cette demande à la métropole, car elle ne la concerne pas.\n\nMotif : ${command.reason}\n\nOrientez-la vers la commune compétente depuis sa page.`,
              link,
              preferencesUrl: `${backofficeUrlOf(this.config)}/preferences/notifications`,
            }),
        },
        now,
      );
      return moved;
    });
    return { demand, from, metropolis };
  }

  /**
   * The demands among `demandIds` (within the caller's scope) sent back by a commune and not re-routed since: the
   * commune and the reason, for the « renvoyée par … » flag of the metropolis' listing and demand page.
   */
  async flags(caller: EngineCaller, demandIds: readonly string[]): Promise<Map<string, ReturnedFlag>> {
    const flags = new Map<string, ReturnedFlag>();
    if (!demandIds.length) return flags;
    const rows = await this.engine.transaction(scopeOf(caller), (manager) =>
      manager.query<{ demand_id: string; kind: string; payload: { from?: { name?: string }; reason?: string }; at: Date }[]>(
        `SELECT DISTINCT ON (e.demand_id) e.demand_id, e.kind, e.payload, e.at
           FROM "demand_event" e
          WHERE e.demand_id = ANY($1::uuid[]) AND e.kind IN ($2, 'rerouted')
          ORDER BY e.demand_id, e.id DESC`,
        [demandIds, RETURNED_EVENT],
      ),
    );
    for (const row of rows) {
      if (row.kind === RETURNED_EVENT) flags.set(row.demand_id, { from: row.payload.from?.name ?? '', reason: row.payload.reason ?? '', at: row.at });
    }
    return flags;
  }
}

/** « de Givors », « d’Écully ». */
function de(name: string): string {
  return /^[aeiouyàâéèêëîïôœù]/i.test(name) ? `d’${name}` : `de ${name}`;
}
