import { Injectable } from '@nestjs/common';
import type { FieldError } from '#core';
import type { DemandMessage } from '../entities/demand-message.entity.js';
import { DemandEngine } from '../engine/engine-context.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import { historyActorOf, requireAccess, type EngineCaller } from './access.js';
import { writeScopeFor } from './demand-access.js';
import { ActOnDemand, ActOnDemandCommand, type ActOnDemandResult } from './act-on-demand.use-case.js';
import { engineErrors } from './engine.errors.js';
import { MESSAGE_MAX_LENGTH } from './post-message.use-case.js';
import { typedText } from './command-inputs.js';

export interface AnswerInformationRequestInput {
  demandId: string;
  answer: unknown;
}

export class AnswerInformationRequestCommand {
  private constructor(
    readonly caller: EngineCaller,
    readonly demandId: string,
    readonly answer: string,
  ) {}

  static create(caller: EngineCaller, input: AnswerInformationRequestInput): AnswerInformationRequestCommand {
    const fields: FieldError[] = [];
    const answer = typedText(input.answer);
    if (!answer) fields.push({ path: 'answer', code: 'REQUIRED', message: 'Écrivez votre réponse.' });
    else if (answer.length > MESSAGE_MAX_LENGTH) fields.push({ path: 'answer', code: 'TOO_LONG', message: `${MESSAGE_MAX_LENGTH} caractères au plus.` });
    if (caller.kind !== 'citizen' && caller.kind !== 'tracking') {
      fields.push({ path: 'caller', code: 'NOT_AN_OPTION', message: 'Seul le demandeur répond à une demande de complément.' });
    }
    if (fields.length) throw engineErrors.requestInvalid(fields);
    return new AnswerInformationRequestCommand(caller, input.demandId, answer);
  }
}

/**
 * The citizen answers the pending request for information: `answer_info` on the workflow (the demand resumes)
 * and the answer kept as a citizen message, in one transaction. Without a pending request:
 * WORKFLOW_NO_PENDING_REQUEST and nothing is written.
 */
@Injectable()
export class AnswerInformationRequest {
  constructor(
    private readonly engine: DemandEngine,
    private readonly act: ActOnDemand,
  ) {}

  async execute(command: AnswerInformationRequestCommand): Promise<ActOnDemandResult & { message: DemandMessage }> {
    requireAccess(command.caller, 'demands:write');
    const act = ActOnDemandCommand.create(command.caller, { demandId: command.demandId, command: { kind: 'answer_info', answer: command.answer } });
    const now = this.engine.clock.now();
    const { scope, lockVersion } = await writeScopeFor((s, w) => this.engine.transaction(s, w), command.caller, command.demandId);
    return this.engine.transaction(scope, async (manager) => {
      const result = await this.act.inTransaction(manager, act, [], lockVersion);
      const message = await new DemandRepository(manager).insertMessage(result.demand, {
        author: historyActorOf(command.caller),
        body: command.answer,
        visibility: 'citizen',
        at: now,
      });
      return { ...result, message };
    });
  }
}
