import { Injectable } from '@nestjs/common';
import { DomainError, type FieldError } from '#core';
import type { DemandEvent } from '../entities/demand-event.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import { AccessErrorCodes, historyActorOf, requireAccess, scopeOf, type EngineCaller } from './access.js';
import { loadDemandFor } from './demand-access.js';
import { engineErrors } from './engine.errors.js';
import { typedText } from './command-inputs.js';

export const COMMENT_MAX_LENGTH = 5_000;

export interface CommentOnDemandInput {
  demandId: string;
  text: unknown;
}

/** An internal comment: agents (and partner keys) only. */
export class CommentOnDemandCommand {
  private constructor(
    readonly caller: EngineCaller,
    readonly demandId: string,
    readonly text: string,
  ) {}

  static create(caller: EngineCaller, input: CommentOnDemandInput): CommentOnDemandCommand {
    if (caller.kind !== 'agent' && caller.kind !== 'api') {
      throw DomainError.forbidden(AccessErrorCodes.ACCESS_DENIED, 'Seuls les agents écrivent des commentaires internes.');
    }
    const fields: FieldError[] = [];
    const text = typedText(input.text);
    if (!text) fields.push({ path: 'text', code: 'REQUIRED', message: 'Écrivez votre commentaire.' });
    else if (text.length > COMMENT_MAX_LENGTH) fields.push({ path: 'text', code: 'TOO_LONG', message: `${COMMENT_MAX_LENGTH} caractères au plus.` });
    if (fields.length) throw engineErrors.requestInvalid(fields);
    return new CommentOnDemandCommand(caller, input.demandId, text);
  }
}

/**
 * An agents-only note on a demand: an `internal` history event of kind `comment` (payload `{ text }`), in the
 * agent's tenant transaction. Row-level security keeps internal events away from the citizen's and the tracking
 * code's scopes, so the note never reaches the citizen. It does not change the demand (no lock version bump):
 * two agents commenting at once both succeed.
 */
@Injectable()
export class CommentOnDemand {
  constructor(private readonly engine: DemandEngine) {}

  async execute(command: CommentOnDemandCommand): Promise<DemandEvent> {
    requireAccess(command.caller, 'demands:write');
    return this.engine.transaction(scopeOf(command.caller), async (manager) => {
      const demand = await loadDemandFor(manager, command.caller, command.demandId);
      return new DemandRepository(manager).appendEvent(demand, {
        at: this.engine.clock.now(),
        kind: 'comment',
        actor: historyActorOf(command.caller),
        visibility: 'internal',
        payload: { text: command.text },
      });
    });
  }
}
