import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { AgentAccess } from '#agents';
import { Clock, DomainError } from '#core';
import {
  AuthoringRepository,
  BundleService,
  TeleserviceAuthoringService,
  TeleserviceRepository,
  type AuthoringActor,
  type InstanceInfo,
  type SavedDraft,
  type Teleservice,
  type TeleserviceVersion,
  type VersionContent,
  type VersionSummary,
} from '#teleservices';

export const BuilderErrorCodes = {
  ADMIN_REQUIRED: 'BUILDER_ADMIN_REQUIRED',
  NOT_FOUND: 'BUILDER_TELESERVICE_NOT_FOUND',
  DRAFT_CHANGED: 'BUILDER_DRAFT_CHANGED',
  NO_DRAFT: 'BUILDER_NO_DRAFT',
  ITEM_NOT_FOUND: 'BUILDER_ITEM_NOT_FOUND',
  PRESENTATION_INVALID: 'BUILDER_PRESENTATION_INVALID',
  ARCHIVED: 'BUILDER_TELESERVICE_ARCHIVED',
} as const;

/** What the catalogue shows of a téléservice (not versioned). */
const presentationSchema = z.strictObject({
  title: z.string().trim().min(3, 'Titre requis (3 caractères au moins).').max(200, 'Titre trop long (200 caractères au plus).'),
  summary: z.string().trim().min(1, 'Résumé requis.').max(500, 'Résumé trop long (500 caractères au plus).'),
  description: z
    .string()
    .trim()
    .max(10_000, 'Description trop longue (10 000 caractères au plus).')
    .transform((value) => value || null),
  theme: z
    .string()
    .trim()
    .max(100, 'Thème trop long (100 caractères au plus).')
    .transform((value) => value || null),
  anonymousAllowed: z.boolean(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const builderErrors = {
  adminRequired: () =>
    DomainError.forbidden(BuilderErrorCodes.ADMIN_REQUIRED, 'L’éditeur de téléservices est réservé aux administrateurs de la collectivité.'),
  notFound: () => DomainError.notFound(BuilderErrorCodes.NOT_FOUND, 'Téléservice introuvable.'),
  itemNotFound: () => DomainError.notFound(BuilderErrorCodes.ITEM_NOT_FOUND, 'Élément introuvable dans ce brouillon (il a peut-être été supprimé).'),
  draftChanged: () =>
    DomainError.conflict(
      BuilderErrorCodes.DRAFT_CHANGED,
      'Ce brouillon a été modifié par une autre personne depuis que vous l’avez ouvert : vos changements n’ont pas été enregistrés. Rouvrez le brouillon pour repartir de sa dernière version.',
    ),
  archived: () => DomainError.conflict(BuilderErrorCodes.ARCHIVED, 'Ce téléservice est archivé : il ne peut plus être modifié.'),
  noDraft: () => DomainError.conflict(BuilderErrorCodes.NO_DRAFT, 'Ce téléservice n’a pas de brouillon en cours : ouvrez-en un d’abord.'),
};

/** A collectivity where the agent is an administrator. */
export interface AdminCollectivity {
  id: string;
  name: string;
  slug: string;
}

/** A téléservice as the builder shows it: its instance, draft, latest published version and history. */
export interface BuilderTeleservice {
  teleservice: Teleservice;
  actor: AuthoringActor;
  instance: InstanceInfo;
  draft: TeleserviceVersion | null;
  published: TeleserviceVersion | null;
  versions: VersionSummary[];
}

/**
 * The back office's access to authoring: administrators only (role `administrator` in the téléservice's
 * collectivity), every write through TeleserviceAuthoringService / BundleService (which check ownership
 * again). Optimistic concurrency: each editing form carries the draft's checksum (`revision`); a save whose
 * revision is no longer the draft's is refused (BUILDER_DRAFT_CHANGED), checked under a per-téléservice
 * advisory lock so that two saves of the same revision cannot both pass.
 */
@Injectable()
export class BuilderService {
  readonly authoring: TeleserviceAuthoringService;
  readonly bundles: BundleService;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    this.authoring = new TeleserviceAuthoringService(dataSource, clock);
    this.bundles = new BundleService(dataSource, clock);
  }

  /** The clock's now (document previews are dated like the documents themselves). */
  now(): Date {
    return this.clock.now();
  }

  adminCollectivities(agent: AgentAccess): AdminCollectivity[] {
    return agent.collectivities.filter((c) => c.roles.includes('administrator')).map(({ id, name, slug }) => ({ id, name, slug }));
  }

  /** The collectivities the agent administers (403 when none). */
  requireAdmin(agent: AgentAccess): AdminCollectivity[] {
    const admin = this.adminCollectivities(agent);
    if (!admin.length) throw builderErrors.adminRequired();
    return admin;
  }

  /** Actor for one of the agent's administered collectivities (403 otherwise). */
  actorFor(agent: AgentAccess, collectivityId: string): AuthoringActor {
    if (!this.adminCollectivities(agent).some((c) => c.id === collectivityId)) throw builderErrors.adminRequired();
    return { sub: agent.sub, collectivityId };
  }

  async instances(collectivityId: string): Promise<InstanceInfo[]> {
    const repository = new AuthoringRepository(this.dataSource.manager);
    const out: InstanceInfo[] = [];
    for (const environment of ['production', 'test'] as const) {
      const instance = await repository.findActiveInstance(collectivityId, environment);
      if (instance) out.push(instance);
    }
    return out;
  }

  async list(collectivityId: string): Promise<{ teleservice: Teleservice; versions: VersionSummary[] }[]> {
    const repository = new TeleserviceRepository(this.dataSource.manager);
    const teleservices = await repository.listForCollectivity(collectivityId);
    const out: { teleservice: Teleservice; versions: VersionSummary[] }[] = [];
    for (const teleservice of teleservices) out.push({ teleservice, versions: await repository.listVersions(teleservice.id) });
    return out;
  }

  /**
   * A téléservice the agent may build: another collectivity's (or an unknown id) answers 404; a collectivity
   * where the agent is only an agent answers 403.
   */
  async load(agent: AgentAccess, id: string): Promise<BuilderTeleservice> {
    if (!UUID.test(id)) throw builderErrors.notFound();
    const repository = new TeleserviceRepository(this.dataSource.manager);
    const teleservice = await repository.findById(id);
    if (!teleservice || !agent.collectivities.some((c) => c.id === teleservice.collectivityId)) throw builderErrors.notFound();
    const actor = this.actorFor(agent, teleservice.collectivityId);
    const instance = await new AuthoringRepository(this.dataSource.manager).findInstance(teleservice.instanceId);
    if (!instance) throw builderErrors.notFound();
    const [draft, published, versions] = await Promise.all([
      repository.findDraft(teleservice.collectivityId, id),
      repository.latestPublished(id),
      repository.listVersions(id),
    ]);
    return { teleservice, actor, instance, draft, published, versions };
  }

  async version(teleserviceId: string, versionId: string): Promise<TeleserviceVersion> {
    if (!UUID.test(versionId)) throw builderErrors.itemNotFound();
    const version = await new TeleserviceRepository(this.dataSource.manager).findVersion(versionId);
    if (!version || version.teleserviceId !== teleserviceId) throw builderErrors.itemNotFound();
    return version;
  }

  /** Title, summary, description, theme, anonymous access: effective at once (the catalogue shows them). */
  async setPresentation(target: BuilderTeleservice, input: Record<string, unknown>): Promise<void> {
    if (target.teleservice.archivedAt) throw builderErrors.archived();
    const parsed = presentationSchema.safeParse(input, { error: z.locales.fr().localeError });
    if (!parsed.success) {
      throw DomainError.invalid(
        BuilderErrorCodes.PRESENTATION_INVALID,
        'La présentation n’a pas été enregistrée.',
        parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), code: 'INVALID', message: issue.message })),
      );
    }
    const updated = await new AuthoringRepository(this.dataSource.manager).setPresentation(target.teleservice.collectivityId, target.teleservice.id, parsed.data, this.clock.now());
    if (!updated) throw builderErrors.notFound();
  }

  /**
   * Applies `change` to the draft the person saw (`revision` = its checksum) and saves it through
   * `editDraft`; refused when someone saved the draft in between.
   */
  async save(target: BuilderTeleservice, revision: string, change: (content: VersionContent) => void): Promise<SavedDraft> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`parvis-builder:${target.teleservice.id}`]);
      const draft = await new TeleserviceRepository(manager).findDraft(target.teleservice.collectivityId, target.teleservice.id);
      if (!draft) throw builderErrors.noDraft();
      if (draft.checksum !== revision) throw builderErrors.draftChanged();
      const content = structuredClone({ form: draft.form, workflow: draft.workflow, dataSources: draft.dataSources }) as VersionContent;
      change(content);
      return this.authoring.editDraft(target.actor, { teleserviceId: target.teleservice.id, ...content });
    });
  }
}
