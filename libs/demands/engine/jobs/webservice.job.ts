import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { DomainError } from '#core';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { WorkflowErrorCodes } from '#workflow';
import { DemandErrorCodes } from '../../demands.errors.js';
import { DemandRepository } from '../../repositories/demand.repository.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import { ActOnDemand, ActOnDemandCommand } from '../../use-cases/act-on-demand.use-case.js';
import { WEBSERVICE_DATA_KEY } from '../../use-cases/workflow-outcome.js';
import { DemandEngine } from '../engine-context.js';
import { OutboundHttp, OutboundHttpError } from '../outbound-http.js';
import { effectEvent, findMarker, loadForEffect } from './effect-markers.js';

/** A response body beyond this is a failure (it would not fit in back-office data anyway). */
export const WEBSERVICE_MAX_RESPONSE_BYTES = 256 * 1024;
const MARKER = 'webservice_called';

/** The state machine's refusals meaning "the demand moved on": the result is recorded, no jump. */
const OBSOLETE = new Set<string>([
  WorkflowErrorCodes.STALE_COMMAND,
  WorkflowErrorCodes.DEMAND_CLOSED,
  WorkflowErrorCodes.ACTION_NOT_ALLOWED,
  DemandErrorCodes.DEMAND_NOT_FOUND,
]);

interface CallOutcome {
  ok: boolean;
  status: number | null;
  attempts: number;
  reason: string | null;
  response: unknown;
}

/**
 * `workflow.webservice`: calls the webservice of a `webservice` action as the workflow rendered it (SSRF guard of
 * `OutboundHttp`: no private network unless allowed), each attempt within `timeoutSeconds`, `retries` more attempts
 * after a network error, a timeout, a 5xx, 408 or 429 (0.5 s, 1 s, 2 s… apart, at most 5 s); success = a 2xx.
 *
 * Then, in one transaction, the internal `webservice_called` event (the marker: `actionId`, `step`, `ok`, HTTP
 * status, attempts; never the URL's path or query, which may carry personal data) and, on success with
 * `storeResponseAs`, the response (JSON, else `{ status, text }`) in `backoffice_data.webservice.<name>` — the
 * templates' `webservice.<name>`. Last, when the action has `onSuccess`/`onFailure`, the `webservice_result`
 * command as the system in its own transaction (a demand that moved on since refuses it: dropped). A retried job
 * that finds its marker does not call again; it only reports the result if that is still to do.
 */
@Injectable()
export class WorkflowWebserviceJob implements JobHandler<'workflow.webservice'> {
  readonly job = 'workflow.webservice';

  constructor(
    private readonly engine: DemandEngine,
    private readonly http: OutboundHttp,
    private readonly act: ActOnDemand,
  ) {}

  async handle(payload: JobPayload<'workflow.webservice'>, context: JobContext<'workflow.webservice'>): Promise<void> {
    const loaded = await loadForEffect(this.engine, payload, 'webservice de workflow');
    if (!loaded) {
      context.logger.info({ demandId: payload.demandId }, 'Webservice de workflow : demande disparue, rien à faire');
      return;
    }
    const marker = findMarker(loaded.events, MARKER, payload);
    let ok: boolean;
    if (marker) {
      ok = marker.payload.ok === true;
      const reported = loaded.events.some((e) => Number(e.id) > Number(marker.id) && e.kind === 'webservice_result' && e.payload?.actionId === payload.actionId);
      if (!payload.request.reportResult || reported) return;
    } else {
      const outcome = await this.call(payload.request);
      ok = outcome.ok;
      await this.record(payload, outcome);
      context.logger.info({ demandId: payload.demandId, actionId: payload.actionId, ok, status: outcome.status, attempts: outcome.attempts, reason: outcome.reason }, 'Webservice de workflow appelé');
    }
    if (!payload.request.reportResult) return;
    try {
      await this.act.execute(
        ActOnDemandCommand.create({ kind: 'system', name: 'webservice de workflow' }, { demandId: payload.demandId, command: { kind: 'webservice_result', actionId: payload.actionId, ok } }),
      );
    } catch (error) {
      if (error instanceof DomainError && OBSOLETE.has(error.code)) {
        context.logger.info({ demandId: payload.demandId, code: error.code }, 'Résultat du webservice sans objet : la demande a changé de statut');
        return;
      }
      if (error instanceof DomainError && error.code === DemandErrorCodes.DEMAND_CONCURRENT_UPDATE) throw new Error('Demande modifiée pendant le rapport du webservice', { cause: error });
      throw error;
    }
  }

  private async call(request: JobPayload<'workflow.webservice'>['request']): Promise<CallOutcome> {
    let last: CallOutcome = { ok: false, status: null, attempts: 0, reason: null, response: null };
    for (let attempt = 1; attempt <= request.retries + 1; attempt++) {
      if (attempt > 1) await sleep(Math.min(5_000, 500 * 2 ** (attempt - 2)));
      try {
        const response = await this.http.request({
          url: request.url,
          method: request.method,
          headers: request.body !== null && !Object.keys(request.headers).some((h) => h.toLowerCase() === 'content-type') ? { 'content-type': 'application/json', ...request.headers } : request.headers,
          body: request.body,
          timeoutMs: request.timeoutSeconds * 1000,
          maxBytes: WEBSERVICE_MAX_RESPONSE_BYTES,
        });
        const ok = response.status >= 200 && response.status < 300;
        last = { ok, status: response.status, attempts: attempt, reason: ok ? null : `HTTP ${response.status}`, response: ok ? readResponse(response.body, response.status) : null };
        if (ok || !(response.status >= 500 || response.status === 408 || response.status === 429)) return last;
      } catch (error) {
        if (!(error instanceof OutboundHttpError)) throw error;
        last = { ok: false, status: null, attempts: attempt, reason: error.reason, response: null };
        // An address the guard refuses will not become acceptable by retrying.
        if (error.reason === 'refused_host' || error.reason === 'invalid_url') return last;
      }
    }
    return last;
  }

  private async record(payload: JobPayload<'workflow.webservice'>, outcome: CallOutcome): Promise<void> {
    const now = this.engine.clock.now();
    const origin = new URL(payload.request.url).origin;
    const text = outcome.ok
      ? `Webservice ${payload.request.method} ${origin} : succès (HTTP ${outcome.status}).`
      : `Webservice ${payload.request.method} ${origin} : échec (${outcome.reason ?? 'inconnu'}) après ${outcome.attempts} tentative(s).`;
    await this.engine.transaction(platformScope('webservice de workflow'), async (manager) => {
      const repository = new DemandRepository(manager);
      let demand = await repository.findForPlatform(payload.demandId);
      if (!demand) return;
      const name = payload.request.storeResponseAs;
      if (outcome.ok && name) {
        const stored = demand.backofficeData[WEBSERVICE_DATA_KEY];
        const responses = typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? stored : {};
        demand = await repository.updateWithLock(demand.id, demand.lockVersion, { backofficeData: { ...demand.backofficeData, [WEBSERVICE_DATA_KEY]: { ...responses, [name]: outcome.response } } }, now);
      }
      await repository.appendEvent(
        demand,
        effectEvent(MARKER, payload, now, { ok: outcome.ok, httpStatus: outcome.status, attempts: outcome.attempts, reason: outcome.reason, storedAs: outcome.ok ? name : null, text }),
      );
    });
  }
}

function readResponse(body: Buffer, status: number): unknown {
  const text = body.toString('utf8');
  try {
    return text.trim() === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    return { status, text: text.slice(0, 10_000) };
  }
}
