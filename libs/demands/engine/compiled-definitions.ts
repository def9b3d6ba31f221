import { compileForm, type CompiledForm, type FieldDefinition, type FormDefinition } from '#forms';
import type { TeleserviceVersion } from '#teleservices';
import { compileWorkflow, type CompiledWorkflow } from '#workflow';
import { DomainError } from '#core';
import { FormConditionEvaluator } from './form-condition-evaluator.js';

/** What the engine needs of a file field to take uploads before validation. */
export interface FileFieldSpec {
  id: string;
  label: string;
  maxSizeBytes: number;
  maxFiles: number;
  accept: readonly string[] | null;
}

/** A published version, compiled once: the validators and the state machine every demand on it uses. */
export interface CompiledDefinition {
  version: TeleserviceVersion;
  form: CompiledForm;
  workflow: CompiledWorkflow;
  /** Top-level file fields, by id. */
  fileFields: ReadonlyMap<string, FileFieldSpec>;
  /** File fields inside repeatable blocks, by `<blockId>.<subFieldId>`; files are sent for `<blockId>[<index>].<subFieldId>`. */
  blockFileFields: ReadonlyMap<string, BlockFileFieldSpec>;
  /** Id of the first top-level `email` field: where citizen notifications go when no address is given. */
  contactEmailField: string | null;
}

export interface BlockFileFieldSpec extends FileFieldSpec {
  blockId: string;
}

export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
export const DEFINITION_UNUSABLE = 'TELESERVICE_DEFINITION_UNUSABLE';

/** The condition evaluator shared by every compiled workflow (stateless but for its parse cache). */
export const conditionEvaluator = new FormConditionEvaluator();

/**
 * Compiled definitions by version id. Published versions never change (PostgreSQL refuses it), so an entry
 * never goes stale; the map is bounded (least recently used first out). Drafts are never cached.
 * Concurrent first requests for one version share one load and one compilation.
 */
export class CompiledDefinitionCache {
  private readonly entries = new Map<string, CompiledDefinition>();
  private readonly loading = new Map<string, Promise<CompiledDefinition | null>>();

  constructor(
    private readonly load: (versionId: string) => Promise<TeleserviceVersion | null>,
    private readonly maxEntries = 200,
  ) {}

  async get(versionId: string): Promise<CompiledDefinition | null> {
    const hit = this.entries.get(versionId);
    if (hit) {
      this.entries.delete(versionId);
      this.entries.set(versionId, hit);
      return hit;
    }
    let pending = this.loading.get(versionId);
    if (!pending) {
      pending = this.loadAndCompile(versionId).finally(() => this.loading.delete(versionId));
      this.loading.set(versionId, pending);
    }
    return pending;
  }

  get size(): number {
    return this.entries.size;
  }

  private async loadAndCompile(versionId: string): Promise<CompiledDefinition | null> {
    const version = await this.load(versionId);
    if (!version) return null;
    const compiled = compileDefinition(version);
    if (version.state === 'published') {
      this.entries.set(versionId, compiled);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    return compiled;
  }
}

/** Compiles a version's form and workflow; a definition that no longer compiles is a 503-class fault, not the caller's. */
export function compileDefinition(version: TeleserviceVersion): CompiledDefinition {
  let form: CompiledForm;
  let workflow: CompiledWorkflow;
  try {
    form = compileForm(version.form as FormDefinition);
    workflow = compileWorkflow(version.workflow);
  } catch (error) {
    throw DomainError.unavailable(
      DEFINITION_UNUSABLE,
      'La définition de ce téléservice est inutilisable : le service est indisponible, contactez la collectivité.',
      error,
    );
  }
  const fileFields = new Map<string, FileFieldSpec>();
  const blockFileFields = new Map<string, BlockFileFieldSpec>();
  let contactEmailField: string | null = null;
  const spec = (field: Extract<FieldDefinition, { type: 'file' }>): FileFieldSpec => ({
    id: field.id,
    label: field.label,
    maxSizeBytes: field.maxSizeBytes ?? DEFAULT_MAX_FILE_BYTES,
    maxFiles: field.maxFiles ?? 1,
    accept: field.accept ?? null,
  });
  for (const page of (version.form as FormDefinition).pages) {
    for (const field of page.fields as FieldDefinition[]) {
      if (field.type === 'file') fileFields.set(field.id, spec(field));
      if (field.type === 'block') {
        for (const sub of field.fields as FieldDefinition[]) {
          if (sub.type === 'file') blockFileFields.set(`${field.id}.${sub.id}`, { ...spec(sub), blockId: field.id });
        }
      }
      if (field.type === 'email' && contactEmailField === null) contactEmailField = field.id;
    }
  }
  return { version, form, workflow, fileFields, blockFileFields, contactEmailField };
}
