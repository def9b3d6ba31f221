import { Injectable } from '@nestjs/common';
import { DomainError } from '#core';
import type { FieldDefinition, FormDefinition } from '#forms';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { DemandRepository } from '../../repositories/demand.repository.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import { SubmitDemand, SubmitDemandCommand } from '../../use-cases/submit-demand.use-case.js';
import { DemandEngine } from '../engine-context.js';
import { effectEvent, findMarker, loadForEffect } from './effect-markers.js';

/**
 * `workflow.child-demand`: submits a demand on another téléservice (by slug) **of the parent's collectivity**,
 * with the data the action's `mapping` rendered, through `SubmitDemand` as the system: same validation, workflow
 * start and jobs as any submission; the child belongs to the parent's citizen account (channel `api` or `web` after the parent's); both histories are linked
 * in the child's transaction (`child_demand_created` on the parent — the marker —, `parentDemandId` on the
 * child's `submitted`). Rendered values are text: they are converted to the child field's type (number,
 * yes/no or checkbox from `true/false/oui/non`, multiple choice from a comma-separated list, JSON for map points,
 * addresses and blocks); empty ones are left out. A refusal (unknown or closed téléservice, invalid data) is
 * recorded on the parent as an internal `child_demand_failed` event with the reasons, and not retried.
 */
@Injectable()
export class WorkflowChildDemandJob implements JobHandler<'workflow.child-demand'> {
  readonly job = 'workflow.child-demand';

  constructor(
    private readonly engine: DemandEngine,
    private readonly submit: SubmitDemand,
  ) {}

  async handle(payload: JobPayload<'workflow.child-demand'>, context: JobContext<'workflow.child-demand'>): Promise<void> {
    const loaded = await loadForEffect(this.engine, payload, 'demande liée');
    if (!loaded || findMarker(loaded.events, 'child_demand_created', payload) || findMarker(loaded.events, 'child_demand_failed', payload)) return;
    const parent = loaded.demand;
    try {
      const teleservice = await this.engine.teleserviceBySlug(parent.collectivityId, payload.teleservice);
      const versionId = teleservice ? await this.engine.latestPublishedVersionId(teleservice.id) : null;
      const definition = versionId ? await this.engine.definitions.get(versionId) : null;
      const data = definition ? typedData(payload.data, definition.version.form as FormDefinition) : payload.data;
      const command = SubmitDemandCommand.create(
        { kind: 'system', name: 'demande liée' },
        {
          teleservice: { slug: payload.teleservice },
          data,
          parent: {
            demandId: parent.id,
            collectivityId: parent.collectivityId,
            accountSub: parent.accountSub,
            channel: parent.channel,
            actionId: payload.actionId,
            step: payload.step,
          },
        },
      );
      const result = await this.submit.execute(command);
      context.logger.info({ demandId: parent.id, childDemandId: result.demand.id }, 'Demande liée créée');
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind === 'unavailable') throw error;
      const now = this.engine.clock.now();
      const reasons = (error.fields ?? []).slice(0, 20).map((f) => `${f.path} : ${f.message}`);
      await this.engine.transaction(platformScope('demande liée'), (manager) =>
        new DemandRepository(manager).appendEvent(
          parent,
          effectEvent('child_demand_failed', payload, now, {
            code: error.code,
            teleservice: payload.teleservice,
            text: `Demande liée sur « ${payload.teleservice} » non créée : ${error.message}${reasons.length ? ` (${reasons.join(' ; ')})` : ''}`,
          }),
        ),
      );
      context.logger.warn({ demandId: parent.id, code: error.code }, 'Demande liée refusée');
    }
  }
}

/** Converts rendered text to the child form's field types (top-level fields; unknown ones are left to validation). */
export function typedData(mapped: Record<string, string>, form: FormDefinition): Record<string, unknown> {
  const types = new Map<string, FieldDefinition['type']>();
  for (const page of form.pages) for (const field of page.fields as FieldDefinition[]) types.set(field.id, field.type);
  const out: Record<string, unknown> = {};
  for (const [id, raw] of Object.entries(mapped)) {
    const text = raw.trim();
    if (text === '') continue;
    switch (types.get(id)) {
      case 'number': {
        const n = Number(text.replace(/\s/g, '').replace(',', '.'));
        out[id] = Number.isFinite(n) ? n : text;
        break;
      }
      case 'checkbox':
      case 'yes_no':
        out[id] = /^(true|oui|1)$/i.test(text) ? true : /^(false|non|0)$/i.test(text) ? false : text;
        break;
      case 'multiple_choice':
        out[id] = text.split(',').map((v) => v.trim()).filter(Boolean);
        break;
      case 'map_point':
      case 'address':
      case 'block':
        try {
          out[id] = JSON.parse(text) as unknown;
        } catch {
          out[id] = text;
        }
        break;
      default:
        out[id] = text;
    }
  }
  return out;
}
