import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { Clock } from '#core';
import { instanceSlug } from '#territory';
import { authoringErrors } from '../authoring/authoring.errors.js';
import { AuthoringRepository } from '../authoring/authoring.repository.js';
import { packContactSchema, parseCommand, type AuthoringActor, type PackContact, type TeleserviceSettings } from '../authoring/authoring.types.js';
import { DefinitionValidationService } from '../authoring/definition-validation.service.js';
import { canonicalJson } from '../teleservices/canonical-json.js';
import type { TeleserviceVersion } from '../teleservices/teleservice-version.entity.js';
import type { Teleservice } from '../teleservices/teleservice.entity.js';

export const deployPackCommand = z.strictObject({
  packId: z.uuid('Identifiant de pack invalide.'),
  /** The commune's contact details, shown to the citizen (required at the first deployment). */
  contact: packContactSchema.optional(),
  /** Slug on the commune's instance (default: the pack's). */
  slug: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Minuscules, chiffres et tirets uniquement.')
    .max(80)
    .optional(),
});
export type DeployPackCommand = z.input<typeof deployPackCommand>;

/** Offers whose communes may deploy catalogue packs. */
export const PACK_DEPLOYING_OFFERS = ['abonne', 'partenaire'] as const;

export interface PackDeployment {
  teleservice: Teleservice;
  /** The version now published on the commune's instance (a copy of the pack's latest). */
  version: TeleserviceVersion;
  /** `deployed`: first time; `updated`: the pack had a new version; `unchanged`: already up to date (contact details may have changed). */
  outcome: 'deployed' | 'updated' | 'unchanged';
}

/**
 * The catalogue: téléservices of kind `catalogue_pack`, published by the metropolis, that Abonné (and
 * Partenaire) communes deploy into their production instance. A deployment is a `communal` téléservice
 * with `pack_source_id`, whose versions are copies of the pack's published versions (form and workflow
 * fixed: authoring refuses to edit it, TELESERVICE… PACK_FIXED); the commune sets only its contact details
 * (`settings.contact`). Deploying again after the pack published a new version publishes that version
 * on the commune's téléservice; demands already made keep theirs.
 */
export class CatalogueService {
  private readonly validator = new DefinitionValidationService();

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Packs with a published version, not archived. */
  listPacks(): Promise<Teleservice[]> {
    return new AuthoringRepository(this.dataSource.manager).listPacks();
  }

  async deployPack(actor: AuthoringActor, input: DeployPackCommand): Promise<PackDeployment> {
    const command = parseCommand(deployPackCommand, input);
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager) => {
      const repository = new AuthoringRepository(manager);
      const collectivity = await repository.collectivityKind(actor.collectivityId);
      if (!collectivity || collectivity.kind !== 'commune') throw authoringErrors.packNotAllowed('Seule une commune déploie un pack du catalogue.');
      const offer = await repository.counterOffer(actor.collectivityId);
      if (!offer || !(PACK_DEPLOYING_OFFERS as readonly string[]).includes(offer)) {
        throw authoringErrors.packNotAllowed(
          `Le catalogue est réservé aux communes adhérant au guichet avec l'offre Abonné ou Partenaire (${collectivity.name} : ${offer ? `offre ${offer}` : 'pas d’adhésion'}).`,
        );
      }
      const pack = await repository.teleservices.findById(command.packId);
      if (!pack || pack.kind !== 'catalogue_pack' || pack.archivedAt) throw authoringErrors.packNotFound();
      const packVersion = await repository.teleservices.latestPublished(pack.id);
      if (!packVersion) throw authoringErrors.packNotFound();
      const content = { form: packVersion.form, workflow: packVersion.workflow, dataSources: packVersion.dataSources };

      const instance = await repository.ensureProductionInstance(actor.collectivityId, instanceSlug(collectivity.slug, 'production'), now);
      let teleservice = await repository.findDeployment(instance.id, pack.id);
      const settings = (teleservice?.settings ?? {}) as TeleserviceSettings;
      const contact: PackContact | undefined = command.contact ?? settings.contact;
      if (!contact) {
        throw authoringErrors.commandInvalid([{ path: 'contact', code: 'REQUIRED', message: 'Indiquez les coordonnées du service de la commune qui traite ces demandes.' }]);
      }
      let outcome: PackDeployment['outcome'];
      if (!teleservice) {
        teleservice = await repository.teleservices.create({
          instanceId: instance.id,
          collectivityId: actor.collectivityId,
          slug: command.slug ?? pack.slug,
          kind: 'communal',
          title: pack.title,
          summary: pack.summary,
          description: pack.description,
          theme: pack.theme,
          anonymousAllowed: pack.anonymousAllowed,
          packSourceId: pack.id,
          now,
        });
        outcome = 'deployed';
      } else {
        const current = await repository.teleservices.latestPublished(teleservice.id);
        outcome = current && current.checksum === packVersion.checksum ? 'unchanged' : 'updated';
      }
      let version = await repository.teleservices.latestPublished(teleservice.id);
      if (outcome !== 'unchanged') {
        // A draft left over (never published) is replaced by the pack's content.
        if (await repository.teleservices.findDraft(actor.collectivityId, teleservice.id)) {
          await repository.teleservices.updateDraft(actor.collectivityId, teleservice.id, content);
        } else {
          await repository.teleservices.createDraft(actor.collectivityId, teleservice.id, now, content);
        }
        version = await repository.teleservices.publish(actor.collectivityId, teleservice.id, {
          publishedBy: actor.sub,
          now,
          validator: this.validator.forTeleservice(teleservice),
        });
      }
      const nextSettings: TeleserviceSettings = { ...settings, contact, packVersionId: packVersion.id };
      if (canonicalJson(nextSettings) !== canonicalJson(settings)) {
        teleservice = (await repository.setSettings(actor.collectivityId, teleservice.id, nextSettings, now)) ?? teleservice;
      }
      return { teleservice, version: version!, outcome };
    });
  }
}
