import type { DemandEvent } from '../../entities/demand-event.entity.js';
import type { Demand } from '../../entities/demand.entity.js';
import { DemandRepository, type NewEvent } from '../../repositories/demand.repository.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import type { DemandEngine } from '../engine-context.js';

/** What every workflow-effect job carries: the demand, the action, the step that decided it. */
export interface EffectRef {
  demandId: string;
  actionId: string;
  step: number;
}

export const WORKFLOW_EFFECT_ACTOR = { type: 'system', name: 'workflow' } as const;

/**
 * The demand (platform scope: jobs serve every collectivity) and its history, or null when it no longer exists.
 * Effects are idempotent by a **marker event** in the history (`kind` + `actionId` + `step`): a job that finds
 * its marker already did its work (a replay, or a retry after the commit).
 */
export async function loadForEffect(engine: DemandEngine, ref: EffectRef, reason: string): Promise<{ demand: Demand; events: DemandEvent[] } | null> {
  return engine.transaction(platformScope(reason), async (manager) => {
    const repository = new DemandRepository(manager);
    const demand = await repository.findForPlatform(ref.demandId);
    return demand ? { demand, events: await repository.listEvents(demand.id) } : null;
  });
}

export function findMarker(events: readonly DemandEvent[], kind: string, ref: EffectRef): DemandEvent | undefined {
  return events.find((e) => e.kind === kind && e.payload?.actionId === ref.actionId && e.payload?.step === ref.step);
}

/** An internal history event of a workflow effect, carrying its marker fields. */
export function effectEvent(kind: string, ref: EffectRef, at: Date, payload: Record<string, unknown>, visibility: 'internal' | 'citizen' = 'internal'): NewEvent {
  return { at, kind, actor: { ...WORKFLOW_EFFECT_ACTOR }, visibility, payload: { actionId: ref.actionId, step: ref.step, ...payload } };
}

/** Storage keys of the files a form's data references (top level and inside repeatable blocks). */
export function referencedFileKeys(value: unknown, keys = new Set<string>(), depth = 0): Set<string> {
  if (depth > 6 || typeof value !== 'object' || value === null) return keys;
  if (Array.isArray(value)) {
    for (const item of value) referencedFileKeys(item, keys, depth + 1);
    return keys;
  }
  const record = value as Record<string, unknown>;
  if (typeof record.ref === 'string' && typeof record.mimeType === 'string') keys.add(record.ref);
  else for (const item of Object.values(record)) referencedFileKeys(item, keys, depth + 1);
  return keys;
}
