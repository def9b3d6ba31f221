import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import type { Clock, FieldError } from '#core';
import { authoringErrors } from '../authoring/authoring.errors.js';
import { AuthoringRepository, type InstanceInfo } from '../authoring/authoring.repository.js';
import type { AuthoringActor } from '../authoring/authoring.types.js';
import { DefinitionValidationService } from '../authoring/definition-validation.service.js';
import { kindAllowedOn, kindNotAllowedMessage } from '../authoring/teleservice-authoring.service.js';
import type { TeleserviceVersion } from '../teleservices/teleservice-version.entity.js';
import type { Teleservice } from '../teleservices/teleservice.entity.js';
import { teleserviceErrors } from '../teleservices/teleservice.errors.js';
import { canonicalJson } from '../teleservices/canonical-json.js';
import { checksumOf } from '../teleservices/teleservice.repository.js';
import type { RoutingRule, TeleserviceKind, VersionContent } from '../teleservices/teleservice.types.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, teleserviceBundleSchema, type ImportOptions, type TeleserviceBundle } from './bundle.types.js';

const frenchLocale = z.locales.fr().localeError;

export interface ImportResult {
  teleservice: Teleservice;
  /** The imported version, always a draft. */
  draft: TeleserviceVersion;
  created: boolean;
}

export interface PromotionResult extends ImportResult {
  /** The production version published from the draft (null with `publish: false`). */
  published: TeleserviceVersion | null;
}

/**
 * Bundles: a téléservice's version as a portable JSON document, exported from one instance and imported
 * into another. That is how a tested téléservice goes from `<slug>-test` to production (promotion) and how
 * the metropolis shares one. Import checks EVERYTHING before writing (format, checksum, definitions, slug,
 * kind allowed on the target) and refuses with the full list (TELESERVICE_BUNDLE_INVALID), writing nothing;
 * it always creates a draft, never a published version.
 */
export class BundleService {
  private readonly validator = new DefinitionValidationService();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** The bundle of a version (default: the latest published). Owner only. */
  async exportBundle(actor: AuthoringActor, teleserviceId: string, versionId?: string): Promise<TeleserviceBundle> {
    return this.exportWith(this.dataSource.manager, actor, teleserviceId, versionId);
  }

  async importBundle(actor: AuthoringActor, targetInstanceId: string, bundle: unknown, options: ImportOptions): Promise<ImportResult> {
    return this.dataSource.transaction((manager) => this.importWith(manager, actor, targetInstanceId, bundle, options));
  }

  /**
   * Promotion test → production: exports the version (default: latest published) of a téléservice of the
   * actor's test instance, imports it into the same collectivity's production instance (a new draft of the
   * téléservice with the same slug, or a new téléservice), then publishes it. One transaction: either the
   * production version is published, or nothing changed.
   */
  async promoteToProduction(actor: AuthoringActor, testTeleserviceId: string, options: { versionId?: string; publish?: boolean } = {}): Promise<PromotionResult> {
    return this.dataSource.transaction(async (manager) => {
      const repository = new AuthoringRepository(manager);
      const source = await repository.teleservices.findById(testTeleserviceId);
      if (!source) throw teleserviceErrors.notFound();
      if (source.collectivityId !== actor.collectivityId) throw authoringErrors.forbidden();
      const sourceInstance = await repository.findInstance(source.instanceId);
      const production = await repository.findActiveInstance(actor.collectivityId, 'production');
      if (!sourceInstance || sourceInstance.environment !== 'test' || !production) {
        throw authoringErrors.bundleInvalid([
          { path: 'instance', code: 'NOT_A_TEST_INSTANCE', message: 'La promotion part d’une instance de test vers l’instance de production de la même collectivité.' },
        ]);
      }
      const bundle = await this.exportWith(manager, actor, testTeleserviceId, options.versionId);
      const existing = await repository.teleservices.findBySlug(production.id, source.slug);
      const imported = await this.importWith(manager, actor, production.id, bundle, { mode: existing ? 'new_draft_of_existing' : 'new' });
      if (options.publish === false) return { ...imported, published: null };
      const published = await repository.teleservices.publish(actor.collectivityId, imported.teleservice.id, {
        publishedBy: actor.sub,
        now: this.clock.now(),
        validator: this.validator.forTeleservice(imported.teleservice),
      });
      return { ...imported, published };
    });
  }

  private async exportWith(manager: EntityManager, actor: AuthoringActor, teleserviceId: string, versionId?: string): Promise<TeleserviceBundle> {
    const repository = new AuthoringRepository(manager);
    const teleservice = await repository.teleservices.findById(teleserviceId);
    if (!teleservice) throw teleserviceErrors.notFound();
    if (teleservice.collectivityId !== actor.collectivityId) throw authoringErrors.forbidden();
    const version = versionId ? await repository.teleservices.findVersion(versionId) : await repository.teleservices.latestPublished(teleserviceId);
    if (versionId && (!version || version.teleserviceId !== teleserviceId)) throw authoringErrors.versionNotFound();
    if (!version) throw authoringErrors.notPublished();
    const instance = await repository.findInstance(teleservice.instanceId);
    const content: VersionContent = { form: version.form, workflow: version.workflow, dataSources: version.dataSources };
    return {
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_FORMAT_VERSION,
      exportedAt: this.clock.now().toISOString(),
      source: { instance: instance?.slug ?? teleservice.instanceId, collectivity: instance?.collectivitySlug ?? teleservice.collectivityId },
      teleservice: {
        slug: teleservice.slug,
        kind: teleservice.kind,
        title: teleservice.title,
        summary: teleservice.summary,
        description: teleservice.description,
        theme: teleservice.theme,
        anonymousAllowed: teleservice.anonymousAllowed,
        routingRule: teleservice.routingRule,
      },
      version: { ...content, checksum: checksumOf(content) },
    };
  }

  private async importWith(manager: EntityManager, actor: AuthoringActor, targetInstanceId: string, input: unknown, options: ImportOptions): Promise<ImportResult> {
    const errors: FieldError[] = [];
    const repository = new AuthoringRepository(manager);
    const parsed = teleserviceBundleSchema.safeParse(input, { error: frenchLocale, reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.map((part) => `/${String(part)}`).join('');
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) errors.push({ path: `${path}/${key}`, code: 'UNKNOWN_PROPERTY', message: `Propriété inconnue « ${key} ».` });
        } else {
          errors.push({ path: path || '/', code: issue.code === 'invalid_type' && issue.input === undefined ? 'REQUIRED' : 'INVALID', message: issue.message });
        }
      }
    }
    const bundle = parsed.success ? parsed.data : null;

    const instance = await repository.findInstance(targetInstanceId);
    if (!instance || instance.collectivityId !== actor.collectivityId) {
      errors.push({ path: 'instance', code: 'INSTANCE_NOT_FOUND', message: "Instance cible introuvable, inactive ou d'une autre collectivité." });
    }
    if (!['new', 'new_draft_of_existing'].includes(options.mode)) errors.push({ path: 'mode', code: 'INVALID', message: 'Mode inconnu (new ou new_draft_of_existing).' });

    if (bundle) {
      let existing: Teleservice | null = null;
      const content: VersionContent = { form: bundle.version.form, workflow: bundle.version.workflow, dataSources: bundle.version.dataSources };
      if (checksumOf(content) !== bundle.version.checksum) {
        errors.push({
          path: '/version/checksum',
          code: 'CHECKSUM_MISMATCH',
          message: 'La somme de contrôle ne correspond pas aux définitions : le paquet a été modifié ou abîmé.',
        });
      }
      const slug = options.mode === 'new' && options.slug ? options.slug : bundle.teleservice.slug;
      const kind: TeleserviceKind = options.mode === 'new' && options.kind ? options.kind : bundle.teleservice.kind;
      const routingRule: RoutingRule | null = kind === 'mutualised' ? bundle.teleservice.routingRule : null;
      if (instance && instance.collectivityId === actor.collectivityId) {
        existing = await repository.teleservices.findBySlug(instance.id, slug);
        this.checkTarget(instance, kind, slug, existing, options, bundle, errors);
        if (existing && options.mode === 'new_draft_of_existing' && (await repository.teleservices.findDraft(actor.collectivityId, existing.id))) {
          errors.push({ path: '/teleservice/slug', code: 'DRAFT_EXISTS', message: `« ${slug} » a déjà une version brouillon sur « ${instance.slug} » : publiez-la ou abandonnez-la d’abord.` });
        }
      }
      for (const error of this.validator.validate(content, { kind, routingRule })) {
        errors.push({ ...error, path: error.path.startsWith('/routingRule') ? `/teleservice${error.path}` : `/version${error.path}` });
      }
      if (errors.length === 0) return this.write(manager, actor, instance!, bundle, content, { slug, kind, routingRule, existing });
    }
    throw authoringErrors.bundleInvalid(errors);
  }

  private checkTarget(
    instance: InstanceInfo,
    kind: TeleserviceKind,
    slug: string,
    existing: Teleservice | null,
    options: ImportOptions,
    bundle: TeleserviceBundle,
    errors: FieldError[],
  ): void {
    if (!kindAllowedOn(kind, instance.collectivityKind)) {
      errors.push({ path: '/teleservice/kind', code: 'KIND_NOT_ALLOWED', message: kindNotAllowedMessage(kind, instance) });
    }
    if (options.mode === 'new' && existing) {
      errors.push({ path: '/teleservice/slug', code: 'SLUG_TAKEN', message: `L'identifiant « ${slug} » est déjà utilisé sur l'instance « ${instance.slug} ».` });
    }
    if (options.mode === 'new_draft_of_existing') {
      if (!existing) {
        errors.push({ path: '/teleservice/slug', code: 'TELESERVICE_NOT_FOUND', message: `Aucun téléservice « ${slug} » sur l'instance « ${instance.slug} ».` });
      } else {
        if (existing.kind !== bundle.teleservice.kind) {
          errors.push({ path: '/teleservice/kind', code: 'KIND_MISMATCH', message: `Le téléservice existant est de type « ${existing.kind} », le paquet de type « ${bundle.teleservice.kind} ».` });
        }
        if (canonicalJson(existing.routingRule ?? null) !== canonicalJson(bundle.teleservice.routingRule ?? null)) {
          errors.push({ path: '/teleservice/routingRule', code: 'ROUTING_RULE_MISMATCH', message: 'La règle de routage du paquet diffère de celle du téléservice existant.' });
        }
        if (existing.archivedAt) errors.push({ path: '/teleservice/slug', code: 'ARCHIVED', message: `Le téléservice « ${slug} » est archivé.` });
        if (existing.packSourceId) errors.push({ path: '/teleservice/slug', code: 'PACK_FIXED', message: `Le téléservice « ${slug} » est un pack déployé : il suit le catalogue.` });
      }
    }
  }

  private async write(
    manager: EntityManager,
    actor: AuthoringActor,
    instance: InstanceInfo,
    bundle: TeleserviceBundle,
    content: VersionContent,
    target: { slug: string; kind: TeleserviceKind; routingRule: RoutingRule | null; existing: Teleservice | null },
  ): Promise<ImportResult> {
    const teleservices = new AuthoringRepository(manager).teleservices;
    const now = this.clock.now();
    const teleservice =
      target.existing ??
      (await teleservices.create({
        instanceId: instance.id,
        collectivityId: actor.collectivityId,
        slug: target.slug,
        kind: target.kind,
        title: bundle.teleservice.title,
        summary: bundle.teleservice.summary,
        description: bundle.teleservice.description,
        theme: bundle.teleservice.theme,
        anonymousAllowed: bundle.teleservice.anonymousAllowed,
        routingRule: target.routingRule,
        now,
      }));
    const draft = await teleservices.createDraft(actor.collectivityId, teleservice.id, now, content);
    return { teleservice, draft, created: !target.existing };
  }
}
