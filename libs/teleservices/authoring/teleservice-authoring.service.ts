import { z } from 'zod';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock, FieldError } from '#core';
import type { TeleserviceVersion } from '../teleservices/teleservice-version.entity.js';
import type { Teleservice } from '../teleservices/teleservice.entity.js';
import { teleserviceErrors } from '../teleservices/teleservice.errors.js';
import { ROUTING_METHODS, TELESERVICE_KINDS, type TeleserviceKind, type VersionContent } from '../teleservices/teleservice.types.js';
import { authoringErrors } from './authoring.errors.js';
import { AuthoringRepository, type InstanceInfo } from './authoring.repository.js';
import { parseCommand, type AuthoringActor } from './authoring.types.js';
import { DefinitionValidationService } from './definition-validation.service.js';
import { diffVersions, type VersionDiff } from './version-diff.js';

const slug = z
  .string()
  .min(2)
  .max(80)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Minuscules, chiffres et tirets uniquement (ex. « inscription-scolaire »).');
const uuid = z.uuid('Identifiant invalide.');
const instant = z.union([z.date(), z.iso.datetime({ offset: true }).transform((value) => new Date(value))]);

const contentShape = {
  form: z.unknown().refine((value) => value !== undefined, 'Formulaire requis.'),
  workflow: z.unknown().refine((value) => value !== undefined, 'Workflow requis.'),
  dataSources: z.unknown().optional(),
};

export const createTeleserviceCommand = z
  .strictObject({
    instanceId: uuid,
    slug,
    kind: z.enum(TELESERVICE_KINDS),
    title: z.string().trim().min(3, 'Titre requis (3 caractères au moins).').max(200),
    summary: z.string().trim().min(1, 'Résumé requis.').max(500),
    description: z.string().trim().max(10_000).nullish(),
    theme: z.string().trim().max(100).nullish(),
    anonymousAllowed: z.boolean().optional(),
    routingRule: z.strictObject({ by: z.enum(ROUTING_METHODS), field: z.string().min(1).max(64) }).nullish(),
    opensAt: instant.nullish(),
    closesAt: instant.nullish(),
    /** Optional first draft. */
    content: z.strictObject(contentShape).optional(),
  })
  .superRefine((command, ctx) => {
    if (command.kind === 'mutualised' && !command.routingRule) {
      ctx.addIssue({ code: 'custom', path: ['routingRule'], message: 'Un téléservice mutualisé précise le champ qui décide de la commune compétente.' });
    }
    if (command.kind !== 'mutualised' && command.routingRule) {
      ctx.addIssue({ code: 'custom', path: ['routingRule'], message: 'Seul un téléservice mutualisé a une règle de routage.' });
    }
    if (command.opensAt && command.closesAt && command.closesAt <= command.opensAt) {
      ctx.addIssue({ code: 'custom', path: ['closesAt'], message: "La date de fermeture doit suivre la date d'ouverture." });
    }
  });
export type CreateTeleserviceCommand = z.input<typeof createTeleserviceCommand>;

export const editDraftCommand = z.strictObject({ teleserviceId: uuid, ...contentShape });
export type EditDraftCommand = z.input<typeof editDraftCommand>;

export const publicationWindowCommand = z
  .strictObject({ teleserviceId: uuid, opensAt: instant.nullable(), closesAt: instant.nullable() })
  .refine((command) => !command.opensAt || !command.closesAt || command.closesAt > command.opensAt, {
    path: ['closesAt'],
    message: "La date de fermeture doit suivre la date d'ouverture.",
  });
export type PublicationWindowCommand = z.input<typeof publicationWindowCommand>;

/** Which kinds each collectivity owns: communes their communal téléservices, the metropolis the rest. */
export function kindAllowedOn(kind: TeleserviceKind, collectivityKind: 'metropolis' | 'commune'): boolean {
  return collectivityKind === 'metropolis' ? kind !== 'communal' : kind === 'communal';
}

export function kindNotAllowedMessage(kind: TeleserviceKind, instance: Pick<InstanceInfo, 'slug'>): string {
  const label: Record<TeleserviceKind, string> = {
    communal: 'Un téléservice communal appartient à une commune',
    metropolitan: 'Un téléservice métropolitain appartient à la métropole',
    mutualised: 'Un téléservice mutualisé appartient à la métropole',
    catalogue_pack: 'Seule la métropole publie des packs du catalogue',
  };
  return `${label[kind]} : impossible sur l'instance « ${instance.slug} ».`;
}

/** A draft saved, and what would stop its publication today (not blocking: a draft may be work in progress). */
export interface SavedDraft {
  version: TeleserviceVersion;
  errors: FieldError[];
}

/**
 * Authoring use cases: create a téléservice on an instance, edit its draft, publish, set its publication
 * window, archive, compare versions. Every write starts with the access check (only the owning
 * collectivity) and validates its command; publication validates the definitions (every error listed).
 */
export class TeleserviceAuthoringService {
  readonly validator = new DefinitionValidationService();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async create(actor: AuthoringActor, input: CreateTeleserviceCommand): Promise<{ teleservice: Teleservice; draft: SavedDraft | null }> {
    const command = parseCommand(createTeleserviceCommand, input);
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager) => {
      const repository = new AuthoringRepository(manager);
      const instance = await repository.findInstance(command.instanceId);
      if (!instance || instance.collectivityId !== actor.collectivityId) throw teleserviceErrors.instanceNotFound();
      if (!kindAllowedOn(command.kind, instance.collectivityKind)) {
        throw authoringErrors.kindNotAllowed([{ path: 'kind', code: 'KIND_NOT_ALLOWED', message: kindNotAllowedMessage(command.kind, instance) }]);
      }
      const teleservice = await repository.teleservices.create({
        instanceId: instance.id,
        collectivityId: actor.collectivityId,
        slug: command.slug,
        kind: command.kind,
        title: command.title,
        summary: command.summary,
        description: command.description ?? null,
        theme: command.theme ?? null,
        anonymousAllowed: command.anonymousAllowed ?? false,
        routingRule: command.routingRule ?? null,
        opensAt: command.opensAt ?? null,
        closesAt: command.closesAt ?? null,
        now,
      });
      if (!command.content) return { teleservice, draft: null };
      const content = toContent(command.content);
      const version = await repository.teleservices.createDraft(actor.collectivityId, teleservice.id, now, content);
      return { teleservice, draft: { version, errors: this.validator.validate(content, teleservice) } };
    });
  }

  /** Saves the draft (opening one if there is none) and reports what would stop its publication. */
  async editDraft(actor: AuthoringActor, input: EditDraftCommand): Promise<SavedDraft> {
    const command = parseCommand(editDraftCommand, input);
    const content = toContent(command);
    return this.dataSource.transaction(async (manager) => {
      const teleservice = await this.requireEditable(manager, actor, command.teleserviceId);
      const repository = new AuthoringRepository(manager).teleservices;
      const existing = await repository.findDraft(actor.collectivityId, teleservice.id);
      const version = existing
        ? await repository.updateDraft(actor.collectivityId, teleservice.id, content)
        : await repository.createDraft(actor.collectivityId, teleservice.id, this.clock.now(), content);
      return { version, errors: this.validator.validate(content, teleservice) };
    });
  }

  /** Opens the next version as a copy of the latest published one. */
  async openDraft(actor: AuthoringActor, teleserviceId: string): Promise<TeleserviceVersion> {
    parseCommand(z.strictObject({ teleserviceId: uuid }), { teleserviceId });
    return this.dataSource.transaction(async (manager) => {
      await this.requireEditable(manager, actor, teleserviceId);
      return new AuthoringRepository(manager).teleservices.createDraft(actor.collectivityId, teleserviceId, this.clock.now());
    });
  }

  /** Publishes the draft, refusing it with every error of its definitions (TELESERVICE_DEFINITION_INVALID). */
  async publish(actor: AuthoringActor, teleserviceId: string): Promise<TeleserviceVersion> {
    parseCommand(z.strictObject({ teleserviceId: uuid }), { teleserviceId });
    return this.dataSource.transaction(async (manager) => {
      const teleservice = await this.requireEditable(manager, actor, teleserviceId);
      return new AuthoringRepository(manager).teleservices.publish(actor.collectivityId, teleserviceId, {
        publishedBy: actor.sub,
        now: this.clock.now(),
        validator: this.validator.forTeleservice(teleservice),
      });
    });
  }

  /** Opening and closing dates (either may be null: no limit). */
  async setPublicationWindow(actor: AuthoringActor, input: PublicationWindowCommand): Promise<Teleservice> {
    const command = parseCommand(publicationWindowCommand, input);
    return this.dataSource.transaction(async (manager) => {
      // Also allowed on a deployed catalogue pack: the commune decides when its téléservice is open.
      const owned = await this.requireOwned(manager, actor, command.teleserviceId);
      if (owned.archivedAt) throw authoringErrors.archived();
      const updated = await new AuthoringRepository(manager).setPublicationWindow(
        actor.collectivityId,
        command.teleserviceId,
        command.opensAt,
        command.closesAt,
        this.clock.now(),
      );
      if (!updated) throw teleserviceErrors.notFound();
      return updated;
    });
  }

  /** Takes the téléservice offline for good (its versions and demands are kept). Idempotent. */
  async archive(actor: AuthoringActor, teleserviceId: string): Promise<Teleservice> {
    parseCommand(z.strictObject({ teleserviceId: uuid }), { teleserviceId });
    return this.dataSource.transaction(async (manager) => {
      await this.requireOwned(manager, actor, teleserviceId);
      const updated = await new AuthoringRepository(manager).archive(actor.collectivityId, teleserviceId, this.clock.now());
      if (!updated) throw teleserviceErrors.notFound();
      return updated;
    });
  }

  /** What changed from one version of a téléservice to another (the owner only: drafts are not public). */
  async diff(actor: AuthoringActor, teleserviceId: string, fromVersionId: string, toVersionId: string): Promise<VersionDiff> {
    const teleservice = await this.requireOwned(this.dataSource.manager, actor, teleserviceId);
    const repository = new AuthoringRepository(this.dataSource.manager).teleservices;
    const [from, to] = await Promise.all([repository.findVersion(fromVersionId), repository.findVersion(toVersionId)]);
    if (!from || !to || from.teleserviceId !== teleservice.id || to.teleserviceId !== teleservice.id) throw authoringErrors.versionNotFound();
    return diffVersions(from, to);
  }

  private async requireOwned(manager: EntityManager, actor: AuthoringActor, teleserviceId: string): Promise<Teleservice> {
    const teleservice = await new AuthoringRepository(manager).teleservices.findById(teleserviceId);
    if (!teleservice) throw teleserviceErrors.notFound();
    if (teleservice.collectivityId !== actor.collectivityId) throw authoringErrors.forbidden();
    return teleservice;
  }

  private async requireEditable(manager: EntityManager, actor: AuthoringActor, teleserviceId: string): Promise<Teleservice> {
    const teleservice = await this.requireOwned(manager, actor, teleserviceId);
    if (teleservice.archivedAt) throw authoringErrors.archived();
    if (teleservice.packSourceId) throw authoringErrors.packFixed();
    return teleservice;
  }
}

function toContent(input: { form?: unknown; workflow?: unknown; dataSources?: unknown }): VersionContent {
  return { form: input.form, workflow: input.workflow, dataSources: input.dataSources ?? [] };
}
