import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DomainError, type FieldError } from '#core';
import { normaliseEmail, type ValidationContext } from '#forms';
import type { Teleservice } from '#teleservices';
import type { Actor as WorkflowActor, ApplyResult, CitizenStatusView } from '#workflow';
import { AGENT_CHANNELS, type DemandChannel } from '../demands.types.js';
import { DemandErrorCodes } from '../demands.errors.js';
import type { Demand } from '../entities/demand.entity.js';
import { conditionEvaluator, type CompiledDefinition, type FileFieldSpec } from '../engine/compiled-definitions.js';
import { DataSourceOptions } from '../engine/data-source-options.js';
import { DemandEngine } from '../engine/engine-context.js';
import { DemandRepository, insertSubmissionInOneTrip, type NewEvent } from '../repositories/demand.repository.js';
import type { StoredFile } from '../storage/attachment-storage.js';
import { generateAccessSecret, generateTrackingCode, hashSecret } from '../tracking/tracking-code.js';
import { agentScope } from '../tenancy/tenant-scope.js';
import { historyActorOf, requireAccess, scopeOf, type EngineCaller } from './access.js';
import { engineErrors } from './engine.errors.js';
import { contactEmailOf, planOutcome, variablesOf, type PlannedJob } from './workflow-outcome.js';

/** A file sent with a submission: `fieldId` is a top-level file field, or `<blockId>[<index>].<subFieldId>`. */
export interface UploadedFile {
  fieldId: string;
  /** The name the person gave (display only). */
  name: string;
  content: Buffer | Readable;
}

export interface SubmitDemandInput {
  /** The téléservice, by id, or by slug among the caller's collectivity's (partners, agents of one collectivity). */
  teleservice: { id: string } | { slug: string };
  data: unknown;
  files?: unknown;
  /** Agents typing a demand in: `counter`, `phone`, `mail`, `email`. Others: ignored (web or api). */
  channel?: unknown;
  /** Where citizen notifications go; defaults to the form's first email field. */
  contactEmail?: unknown;
  /**
   * Agents only (submission on behalf of a citizen, on an agent channel): the citizen's territorial account, as the
   * **portal's** pairwise `sub` (the identity's account lookup), so that the demand is in the person's « Mes démarches ».
   */
  onBehalfOf?: { accountSub?: unknown };
  /**
   * System only (a workflow's `create_child_demand`): the parent demand. The téléservice slug is looked up in the
   * parent's collectivity, the child belongs to the parent's citizen account, and both histories are linked in
   * the child's transaction (`child_demand_created` on the parent, `parentDemandId` on the child's `submitted`).
   */
  parent?: ParentDemand;
}

export interface ParentDemand {
  demandId: string;
  collectivityId: string;
  accountSub: string | null;
  /** The parent's channel: the child is filed as `api` when the parent was, `web` otherwise. */
  channel: DemandChannel;
  actionId: string;
  step: number;
}

const MAX_FILES_PER_SUBMISSION = 50;

/** A submission that checked itself: shapes only; the data itself is validated against the pinned version. */
export class SubmitDemandCommand {
  private constructor(
    readonly caller: EngineCaller,
    readonly teleservice: { id: string } | { slug: string },
    readonly data: Record<string, unknown>,
    readonly files: readonly UploadedFile[],
    readonly channel: DemandChannel,
    readonly contactEmail: string | null,
    readonly parent: ParentDemand | null,
    /** The citizen account an agent filed the demand for (null: without account). */
    readonly onBehalfOfAccount: string | null = null,
  ) {}

  /** Throws DEMAND_REQUEST_INVALID with every problem found. */
  static create(caller: EngineCaller, input: SubmitDemandInput): SubmitDemandCommand {
    const fields: FieldError[] = [];
    const ref = input.teleservice as { id?: unknown; slug?: unknown } | undefined;
    if (!ref || (typeof ref.id !== 'string' && typeof ref.slug !== 'string')) {
      fields.push({ path: 'teleservice', code: 'REQUIRED', message: 'Précisez le téléservice.' });
    }
    if (!isPlainObject(input.data)) fields.push({ path: 'data', code: 'INVALID_TYPE', message: 'Objet attendu : les réponses au formulaire.' });
    const files: UploadedFile[] = [];
    if (input.files !== undefined) {
      if (!Array.isArray(input.files)) fields.push({ path: 'files', code: 'INVALID_TYPE', message: 'Liste de fichiers attendue.' });
      else if (input.files.length > MAX_FILES_PER_SUBMISSION)
        fields.push({ path: 'files', code: 'TOO_MANY_FILES', message: `${MAX_FILES_PER_SUBMISSION} fichiers au plus.` });
      else
        input.files.forEach((file: unknown, i) => {
          const f = file as Partial<UploadedFile> | null;
          if (!f || typeof f.fieldId !== 'string' || typeof f.name !== 'string' || !(Buffer.isBuffer(f.content) || f.content instanceof Readable)) {
            fields.push({ path: `files[${i}]`, code: 'INVALID_TYPE', message: 'Fichier attendu : champ, nom et contenu.' });
          } else if (f.name.trim() === '' || f.name.length > 255) {
            fields.push({ path: `files[${i}].name`, code: 'INVALID_FORMAT', message: 'Nom de fichier invalide (255 caractères au plus).' });
          } else files.push({ fieldId: f.fieldId, name: f.name, content: f.content });
        });
    }
    // A child demand (system, with its parent) is filed through the parent's channel when it is web or API (agents' channels need an agent).
    let channel: DemandChannel = caller.kind === 'api' || (caller.kind === 'system' && input.parent?.channel === 'api') ? 'api' : 'web';
    if (caller.kind === 'agent') {
      if (typeof input.channel !== 'string' || !AGENT_CHANNELS.includes(input.channel as DemandChannel)) {
        fields.push({ path: 'channel', code: 'NOT_AN_OPTION', message: `Canal de dépôt attendu : ${AGENT_CHANNELS.join(', ')}.` });
      } else channel = input.channel as DemandChannel;
    }
    let contactEmail: string | null = null;
    if (input.contactEmail !== undefined && input.contactEmail !== null) {
      contactEmail = typeof input.contactEmail === 'string' ? normaliseEmail(input.contactEmail) : null;
      if (!contactEmail) fields.push({ path: 'contactEmail', code: 'INVALID_FORMAT', message: 'Adresse électronique invalide.' });
    }
    if (input.parent !== undefined && caller.kind !== 'system') fields.push({ path: 'parent', code: 'NOT_ALLOWED', message: 'Réservé au moteur.' });
    let onBehalfOfAccount: string | null = null;
    if (input.onBehalfOf !== undefined && input.onBehalfOf !== null) {
      const sub = (input.onBehalfOf as { accountSub?: unknown }).accountSub;
      if (caller.kind !== 'agent') fields.push({ path: 'onBehalfOf', code: 'NOT_ALLOWED', message: 'Réservé aux agents qui déposent une demande pour un usager.' });
      else if (typeof sub !== 'string' || !ACCOUNT_SUB.test(sub)) fields.push({ path: 'onBehalfOf.accountSub', code: 'INVALID_FORMAT', message: 'Identifiant de compte usager invalide.' });
      else onBehalfOfAccount = sub;
    }
    if (fields.length) {
      for (const file of files) if (!Buffer.isBuffer(file.content)) file.content.destroy();
      throw engineErrors.requestInvalid(fields);
    }
    return new SubmitDemandCommand(
      caller,
      typeof ref!.id === 'string' ? { id: ref!.id } : { slug: ref!.slug as string },
      input.data as Record<string, unknown>,
      files,
      channel,
      contactEmail,
      caller.kind === 'system' ? (input.parent ?? null) : null,
      // An agent's channel is never `web` (checked above): the link is only recorded for a demand typed in by an agent.
      caller.kind === 'agent' && channel !== 'web' ? onBehalfOfAccount : null,
    );
  }
}

export interface SubmitDemandResult {
  demand: Demand;
  /** Anonymous submissions only: the secret that opens the demand with its tracking code. Shown once. */
  accessSecret: string | null;
  citizenStatus: CitizenStatusView;
  teleservice: Teleservice;
}

/**
 * Submits a demand: resolves the latest published version (compiled once per process), refuses a closed or
 * archived téléservice, stores the files first (size limit of their field, type from the content), validates
 * the data and the file descriptors against the pinned version, plans the workflow's start, then writes the
 * demand, its files, its history and its outbox jobs in ONE tenant transaction. Any refusal or failure after
 * the files were stored deletes them.
 */
@Injectable()
export class SubmitDemand {
  constructor(
    private readonly engine: DemandEngine,
    private readonly dataSources: DataSourceOptions,
  ) {}

  async execute(command: SubmitDemandCommand): Promise<SubmitDemandResult> {
    const { caller } = command;
    requireAccess(caller, 'demands:submit');
    const now = this.engine.clock.now();
    const teleservice = await this.resolveTeleservice(command);
    if (teleservice.archivedAt) throw engineErrors.archived();
    if ((teleservice.opensAt && teleservice.opensAt > now) || (teleservice.closesAt && teleservice.closesAt <= now)) {
      throw engineErrors.closed(teleservice.opensAt && teleservice.opensAt > now ? teleservice.opensAt : null);
    }
    if (caller.kind === 'anonymous' && !teleservice.anonymousAllowed) throw engineErrors.anonymousNotAllowed();
    const versionId = await this.engine.latestPublishedVersionId(teleservice.id);
    const definition = versionId ? await this.engine.definitions.get(versionId) : null;
    if (!definition) throw engineErrors.notPublished();

    const stored: StoredFile[] = [];
    try {
      const data = await this.takeFiles(command, definition, stored);
      const [communes, resolveOptions] = await Promise.all([this.engine.directory.communes(), this.dataSources.resolverFor(definition.form)]);
      const context: ValidationContext = { today: parisDay(now), communes, resolveOptions };
      const validated = definition.form.validate(data.values, context);
      const errors = [...data.errors, ...(validated.ok ? [] : validated.errors)];
      if (errors.length > 0 || !validated.ok) throw engineErrors.dataInvalid(errors);
      const cleaned = validated.data;
      // Files of fields the conditions hid are not kept.
      const kept = referencedKeys(cleaned, definition);
      const unused = stored.filter((file) => !kept.has(file.key));
      await this.engine.discardFiles(unused.map((file) => file.key));
      const attachments = stored.filter((file) => kept.has(file.key)).map((file) => ({ file, ...kept.get(file.key)! }));
      const demand = await this.write(command, teleservice, definition, cleaned, attachments, now);
      return demand;
    } catch (error) {
      await this.engine.discardFiles(stored.map((file) => file.key));
      throw error;
    }
  }

  private async resolveTeleservice(command: SubmitDemandCommand): Promise<Teleservice> {
    const { caller, teleservice: ref } = command;
    let found: Teleservice | null;
    if ('slug' in ref) {
      const collectivityId =
        caller.kind === 'api'
          ? caller.collectivityId
          : caller.kind === 'agent' && caller.collectivityIds.length === 1
            ? caller.collectivityIds[0]
            : (command.parent?.collectivityId ?? null);
      found = collectivityId ? await this.engine.teleserviceBySlug(collectivityId, ref.slug) : null;
    } else {
      found = UUID.test(ref.id) ? await this.engine.teleserviceById(ref.id) : null;
    }
    // A partner or an agent only submits to their collectivity's téléservices; another's is "not found".
    if (found && caller.kind === 'api' && found.collectivityId !== caller.collectivityId) found = null;
    if (found && caller.kind === 'agent' && !caller.collectivityIds.includes(found.collectivityId)) found = null;
    if (found && command.parent && found.collectivityId !== command.parent.collectivityId) found = null;
    if (!found) throw engineErrors.teleserviceNotFound();
    return found;
  }

  /**
   * Streams each file to storage with its field's size limit; builds the data with file descriptors in place:
   * `fieldId` names a top-level file field, or a file field of a repeatable block's item as
   * `<blockId>[<index>].<subFieldId>` (the item must be in `data`).
   */
  private async takeFiles(
    command: SubmitDemandCommand,
    definition: CompiledDefinition,
    stored: StoredFile[],
  ): Promise<{ values: Record<string, unknown>; errors: FieldError[] }> {
    const values: Record<string, unknown> = { ...command.data };
    const errors: FieldError[] = [];
    for (const id of definition.fileFields.keys()) {
      if (Object.hasOwn(values, id)) {
        errors.push({ path: `data.${id}`, code: 'FILE_EXPECTED', message: FILE_EXPECTED_MESSAGE });
        delete values[id];
      }
    }
    // Block items are copied before file descriptors go in (the command's data is never changed).
    for (const field of definition.blockFileFields.values()) {
      const items = values[field.blockId];
      if (!Array.isArray(items)) continue;
      values[field.blockId] = items.map((item: unknown, i) => {
        if (!isPlainObject(item)) return item;
        const copy = { ...item };
        if (Object.hasOwn(copy, field.id)) {
          errors.push({ path: `data.${field.blockId}[${i}].${field.id}`, code: 'FILE_EXPECTED', message: FILE_EXPECTED_MESSAGE });
          delete copy[field.id];
        }
        return copy;
      });
    }
    const byPath = new Map<string, { field: FileFieldSpec; place: (descriptors: Record<string, unknown>[]) => void; files: UploadedFile[] }>();
    command.files.forEach((file, i) => {
      const target = this.fileTarget(file.fieldId, definition, values);
      if ('error' in target) {
        errors.push({ path: `files[${i}].fieldId`, code: target.code, message: target.error });
        return;
      }
      const entry = byPath.get(target.path) ?? { field: target.field, place: target.place, files: [] };
      entry.files.push(file);
      byPath.set(target.path, entry);
    });
    for (const [path, { field, place, files }] of byPath) {
      if (files.length > field.maxFiles) {
        errors.push({ path: `data.${path}`, code: 'TOO_MANY_FILES', message: `${field.maxFiles} fichier(s) au plus.` });
        continue;
      }
      const descriptors: Record<string, unknown>[] = [];
      for (const [i, file] of files.entries()) {
        try {
          const saved = await this.engine.storage.put(file.content, { maxBytes: field.maxSizeBytes });
          stored.push(saved);
          descriptors.push({ name: file.name, size: saved.sizeBytes, mimeType: saved.mimeType, ref: saved.key });
        } catch (error) {
          if (error instanceof DomainError && error.code === DemandErrorCodes.ATTACHMENT_TOO_LARGE) {
            errors.push({ path: `data.${path}[${i}]`, code: 'FILE_TOO_LARGE', message: error.message });
          } else throw error;
        }
      }
      if (descriptors.length) place(descriptors);
    }
    for (const file of command.files) if (!Buffer.isBuffer(file.content) && !file.content.destroyed) file.content.destroy();
    return { values, errors };
  }

  /** Where an uploaded file goes: a top-level file field, or a block item's file field. */
  private fileTarget(
    fieldId: string,
    definition: CompiledDefinition,
    values: Record<string, unknown>,
  ): { path: string; field: FileFieldSpec; place: (descriptors: Record<string, unknown>[]) => void } | { error: string; code: string } {
    const top = definition.fileFields.get(fieldId);
    if (top) return { path: top.id, field: top, place: (descriptors) => (values[top.id] = descriptors) };
    const match = BLOCK_FILE_PATH.exec(fieldId);
    const inBlock = match ? definition.blockFileFields.get(`${match[1]}.${match[3]}`) : undefined;
    if (!match || !inBlock) return { code: 'UNKNOWN_FIELD', error: `Aucun champ fichier « ${fieldId.slice(0, 64)} » dans ce formulaire.` };
    const index = Number(match[2]);
    const items = values[inBlock.blockId];
    const item = Array.isArray(items) ? (items[index] as unknown) : undefined;
    if (!isPlainObject(item)) {
      return { code: 'UNKNOWN_ITEM', error: `L'élément ${index + 1} du bloc « ${inBlock.blockId} » n'existe pas dans les données envoyées.` };
    }
    return { path: `${inBlock.blockId}[${index}].${inBlock.id}`, field: inBlock, place: (descriptors) => (item[inBlock.id] = descriptors) };
  }

  private async write(
    command: SubmitDemandCommand,
    teleservice: Teleservice,
    definition: CompiledDefinition,
    data: Record<string, unknown>,
    attachments: { file: StoredFile; fieldId: string; name: string }[],
    now: Date,
  ): Promise<SubmitDemandResult> {
    const { caller } = command;
    const id = randomUUID();
    const accessSecret = caller.kind === 'anonymous' ? generateAccessSecret() : null;
    const accountSub = caller.kind === 'citizen' ? caller.sub : (command.parent?.accountSub ?? command.onBehalfOfAccount ?? null);
    const collectivityId = teleservice.collectivityId;
    const collectivityName = await this.engine.directory.nameOf(collectivityId);
    const actor = historyActorOf(caller);
    const workflowActor: WorkflowActor =
      caller.kind === 'api' ? { kind: 'api', client: caller.apiKeyId } : caller.kind === 'agent' ? { kind: 'agent', functions: caller.functions, id: caller.sub } : { kind: 'citizen', id: caller.kind === 'citizen' ? caller.sub : undefined };
    const plan = (trackingCode: string) => {
      const facts = { id, trackingCode, submittedAt: now, data, backofficeData: {}, collectivityName, collectivityId, accountSub };
      const result: ApplyResult = definition.workflow.start({ now: now.toISOString(), actor: workflowActor, variables: variablesOf(facts), evaluator: conditionEvaluator });
      if (!result.ok) throw result.error;
      const outcome = planOutcome({ demand: facts, definition, result, actor, lockVersion: 1, now, contactEmail: contactEmailOf(definition, data, command.contactEmail) });
      return { result, outcome, code: trackingCode };
    };
    const code = generateTrackingCode();
    let planned = plan(code);
    const submittedEvent: NewEvent = {
      at: now,
      kind: 'submitted',
      actor,
      visibility: 'citizen',
      payload: {
        channel: command.channel,
        versionNumber: definition.version.number,
        label: 'Demande déposée',
        ...(command.parent ? { parentDemandId: command.parent.demandId } : {}),
        // Who filed it for whom: the actor is the agent, this is the citizen's account.
        ...(command.onBehalfOfAccount ? { onBehalfOf: { accountSub: command.onBehalfOfAccount } } : {}),
      },
    };

    // Citizens' and anonymous submissions are written in the competent collectivity's scope: their own scope may
    // not write the internal part of the history (deferred effects, internal statuses) — see writeScopeFor.
    const scope = caller.kind === 'citizen' || caller.kind === 'anonymous' ? agentScope([collectivityId]) : scopeOf(caller, id);
    // The jobs this submission queues besides the workflow's: routing (mutualised) or delivery (a commune's own).
    const extraJobs: PlannedJob[] = [];
    if (teleservice.kind === 'mutualised') extraJobs.push({ job: 'demand.route', payload: { demandId: id }, key: `demand/${id}/route` });
    // A commune's own téléservice: delivered by the commune's membership (GRU and agents' mails, connector, relay).
    if (teleservice.kind === 'communal') extraJobs.push({ job: 'demand.deliver', payload: { demandId: id }, key: `demand/${id}/deliver` });
    const demandRow = {
      id,
      collectivityId,
      teleserviceId: teleservice.id,
      versionId: definition.version.id,
      accountSub,
      accessSecretHash: accessSecret ? hashSecret(accessSecret) : null,
      channel: command.channel,
      submittedByAgent: caller.kind === 'agent' ? caller.sub : null,
      data,
    };
    // The rows for a tracking code; a collision drew another code: plan again so that messages carry the right one.
    const rowsFor = (trackingCode: string) => {
      if (trackingCode !== planned.code) planned = plan(trackingCode);
      const { outcome, result } = planned;
      return {
        demand: {
          ...demandRow,
          backofficeData: outcome.changes.backofficeData ?? {},
          status: result.state.statusId,
          workflowState: { ...result.state },
          assignedFunction: outcome.changes.assignedFunction ?? null,
          assignedAgent: outcome.changes.assignedAgent ?? null,
          submittedAt: now,
        },
        events: [submittedEvent, ...outcome.events],
        outbox: [...outcome.jobs, ...extraJobs].map((job) => this.engine.outbox.prepare(job.job, job.payload, { key: job.key, delayMs: job.delayMs })),
      };
    };
    let draws = 0;
    const generateCode = () => (draws++ === 0 ? code : generateTrackingCode());
    // Without files nor parent (the common case, e.g. the partners' API): the whole transaction in ONE round trip —
    // BEGIN, the tenant switch, the demand + its history + its outbox rows in one statement, COMMIT.
    if (attachments.length === 0 && !command.parent && scope.kind !== 'platform') {
      const demand = await insertSubmissionInOneTrip(this.engine.dataSource, scope, rowsFor, { generateCode });
      return { demand, accessSecret, citizenStatus: definition.workflow.citizenStatus(planned.result.state), teleservice };
    }
    // Otherwise one transaction: BEGIN and the tenant switch in one round trip (withTenant), then the same statement,
    // the attachments and the parent's event, then COMMIT.
    const demand = await this.engine.transaction(scope, async (manager) => {
      const repository = new DemandRepository(manager);
      const inserted = await repository.insertSubmission(rowsFor, { generateCode });
      for (const attachment of attachments) {
        await repository.insertAttachment(inserted, {
          fieldId: attachment.fieldId,
          storageKey: attachment.file.key,
          fileName: attachment.name,
          mimeType: attachment.file.mimeType,
          sizeBytes: attachment.file.sizeBytes,
          sha256: attachment.file.sha256,
          at: now,
        });
      }
      if (command.parent) {
        await repository.appendEvent(
          { id: command.parent.demandId, collectivityId: command.parent.collectivityId },
          {
            at: now,
            kind: 'child_demand_created',
            actor,
            visibility: 'internal',
            payload: {
              actionId: command.parent.actionId,
              step: command.parent.step,
              childDemandId: inserted.id,
              childTrackingCode: inserted.trackingCode,
              teleservice: teleservice.slug,
              text: `Demande liée créée : ${inserted.trackingCode} (${teleservice.title}).`,
            },
          },
        );
      }
      return inserted;
    });
    return { demand, accessSecret, citizenStatus: definition.workflow.citizenStatus(planned.result.state), teleservice };
  }
}

/**
 * The Europe/Paris calendar day (`YYYY-MM-DD`) of an instant. The formatter is built once and its answer kept for
 * the current minute (formatting is costly; Paris days begin on a whole UTC minute, offsets being whole hours).
 */
const PARIS_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });
let parisDayOfMinute = { minute: Number.NaN, day: '' };
function parisDay(at: Date): string {
  const minute = Math.floor(at.getTime() / 60_000);
  if (minute !== parisDayOfMinute.minute) parisDayOfMinute = { minute, day: PARIS_DAY.format(at) };
  return parisDayOfMinute.day;
}

const FILE_EXPECTED_MESSAGE = 'Envoyez les fichiers de ce champ avec la demande, pas leur description.';
/** `<blockId>[<index>].<subFieldId>`: a file field of a repeatable block's item. */
const BLOCK_FILE_PATH = /^([A-Za-z][A-Za-z0-9_-]{0,62})\[(\d{1,3})\]\.([A-Za-z][A-Za-z0-9_-]{0,62})$/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A territorial account's pairwise `sub` as the identity gives it (hex HMAC-SHA-256). */
const ACCOUNT_SUB = /^[0-9a-f]{64}$/;

/** Storage keys referenced by the cleaned data's file fields (top level and block items), with their path and name. */
function referencedKeys(data: Record<string, unknown>, definition: CompiledDefinition): Map<string, { fieldId: string; name: string }> {
  const keys = new Map<string, { fieldId: string; name: string }>();
  const collect = (value: unknown, fieldId: string) => {
    if (!Array.isArray(value)) return;
    for (const item of value as { ref?: unknown; name?: unknown }[]) {
      if (typeof item?.ref === 'string') keys.set(item.ref, { fieldId, name: typeof item.name === 'string' ? item.name : 'fichier' });
    }
  };
  for (const fieldId of definition.fileFields.keys()) collect(data[fieldId], fieldId);
  for (const field of definition.blockFileFields.values()) {
    const items = data[field.blockId];
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, i) => {
      if (isPlainObject(item)) collect(item[field.id], `${field.blockId}[${i}].${field.id}`);
    });
  }
  return keys;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}
