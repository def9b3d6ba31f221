import { Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { DomainError } from '#core';
import { AuthoringErrorCodes, CatalogueService, PACK_DEPLOYING_OFFERS, TeleserviceRepository, type PackContact, type Teleservice, type TeleserviceSettings } from '#teleservices';
import type { Collectivity } from '#territory';
import { AgentGuard } from '../agent.guard.js';
import { AdminAccess } from './admin-access.js';
import { actorOf, formOf, isShownOnPage, text, when } from './admin-forms.js';
import { AdminJournal } from './admin-journal.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OFFER_LABELS: Record<string, string> = { connecte: 'Connecté', abonne: 'Abonné', partenaire: 'Partenaire' };
const NOTICES: Record<string, string> = {
  deploye: 'Le pack a été déployé sur l’instance de production : le téléservice est en ligne sur le portail.',
  mis_a_jour: 'Le téléservice a été mis à jour avec la dernière version du pack.',
  coordonnees: 'Les coordonnées du service ont été enregistrées.',
};
const OUTCOME_NOTICE = { deployed: 'deploye', updated: 'mis_a_jour', unchanged: 'coordonnees' } as const;
const CONTACT_FIELDS = ['name', 'email', 'phone', 'address', 'hours'] as const;
type ContactValues = Record<(typeof CONTACT_FIELDS)[number], string>;
interface PackFormValues extends ContactValues {
  slug: string;
}
type PageError = { id?: string; message: string };

/** `contact.email` → `contact-email`; the slug and anything else to their field, the whole contact to its first field. */
const fieldIdOf = (path: string) => (path === 'slug' ? 'slug' : path.startsWith('contact.') ? `contact-${path.slice(8)}` : 'contact-name');

/**
 * The catalogue of the metropolis in the commune administration (docs/administration.md): the packs (téléservices
 * of kind `catalogue_pack`, form and workflow fixed) an Abonné or Partenaire commune deploys into its production
 * instance, setting only its contact details (CatalogueService of #teleservices, which also checks the offer).
 * Administrators of the commune (AdminAccess) on every route; each deployment goes to the administration journal.
 */
@Controller('administration')
@UseGuards(AgentGuard)
export class CatalogueController {
  constructor(
    private readonly access: AdminAccess,
    private readonly catalogue: CatalogueService,
    private readonly journal: AdminJournal,
    private readonly dataSource: DataSource,
  ) {}

  @Get(':slug/catalogue')
  async list(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Query('fait') done?: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const refusal = await this.refusal(collectivity);
    const deployments = await this.deployments(collectivity);
    const versions = new TeleserviceRepository(this.dataSource.manager);
    const packs = [];
    for (const pack of await this.catalogue.listPacks()) {
      const deployed = deployments.get(pack.id);
      const latest = await versions.latestPublished(pack.id);
      packs.push({
        id: pack.id,
        title: pack.title,
        summary: pack.summary,
        deployed: deployed ? { id: deployed.id, since: when(deployed.createdAt), upToDate: deployed.packVersionId === latest?.id } : null,
      });
    }
    res.render('admin-catalogue', {
      pageTitle: `Catalogue de téléservices — ${collectivity.name}`,
      collectivity: { name: collectivity.name, slug: collectivity.slug },
      notice: NOTICES[done ?? ''] ?? null,
      refusal,
      packs,
    });
  }

  @Get(':slug/catalogue/:packId')
  async form(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('packId') packId: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const pack = await this.pack(packId);
    const deployed = (await this.deployments(collectivity)).get(pack.id) ?? null;
    const contact = deployed?.contact;
    const values: PackFormValues = {
      name: contact?.name ?? '',
      email: contact?.email ?? '',
      phone: contact?.phone ?? '',
      address: contact?.address ?? '',
      hours: contact?.hours ?? '',
      slug: deployed?.slug ?? pack.slug,
    };
    res.render('admin-catalogue-pack', this.formView(collectivity, pack, deployed, await this.refusal(collectivity), values, []));
  }

  @Post(':slug/catalogue/:packId')
  async deploy(@Req() req: Request, @Res() res: Response, @Param('slug') slug: string, @Param('packId') packId: string) {
    const collectivity = await this.access.requireAdministratorOf(req.agent!, slug);
    const pack = await this.pack(packId);
    const deployed = (await this.deployments(collectivity)).get(pack.id) ?? null;
    const body = formOf(req);
    const values = { slug: text(body, 'slug').trim() } as PackFormValues;
    for (const field of CONTACT_FIELDS) values[field] = text(body, `contact-${field}`).trim();
    // Name and email are required (the domain says so, per field); an empty optional field is left out.
    const contact: Record<string, string> = { name: values.name, email: values.email };
    for (const field of ['phone', 'address', 'hours'] as const) if (values[field]) contact[field] = values[field];
    let outcome: keyof typeof OUTCOME_NOTICE;
    try {
      const deployment = await this.catalogue.deployPack(
        { sub: req.agent!.sub, collectivityId: collectivity.id },
        // The slug is chosen at the first deployment only; the contact's required fields are checked by the domain.
        { packId: pack.id, contact: contact as PackContact, slug: deployed ? undefined : values.slug || undefined },
      );
      outcome = deployment.outcome;
      await this.journal.record(actorOf(req), {
        collectivityId: collectivity.id,
        action: `pack.${outcome}`,
        subject: pack.title,
        details: { packId: pack.id, teleserviceId: deployment.teleservice.id, versionId: deployment.version.id },
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // A refused offer is shown on the page too (403), with the reason; anything else goes to the error filter.
      const forbidden = error.kind === 'forbidden' && error.code === AuthoringErrorCodes.PACK_NOT_ALLOWED;
      if (!isShownOnPage(error) && !forbidden) throw error;
      const errors: PageError[] = error.fields?.length
        ? error.fields.map((f) => ({ id: fieldIdOf(f.path), message: f.message }))
        : [{ id: error.code.endsWith('SLUG_TAKEN') ? 'slug' : undefined, message: error.message }];
      const status = forbidden ? 403 : error.kind === 'conflict' ? 409 : 422;
      res.status(status).render('admin-catalogue-pack', this.formView(collectivity, pack, deployed, await this.refusal(collectivity), values, errors));
      return;
    }
    res.redirect(303, `/administration/${collectivity.slug}/catalogue?fait=${OUTCOME_NOTICE[outcome]}`);
  }

  /** Why this collectivity may not deploy packs (null: it may), in the words of DOMAIN.md's offers. */
  private async refusal(collectivity: Collectivity): Promise<string | null> {
    if (collectivity.kind !== 'commune') return 'Seule une commune déploie un pack du catalogue : la métropole les publie depuis ses téléservices.';
    const [membership] = await this.dataSource.query<{ offer: string }[]>(
      `SELECT offer FROM membership WHERE collectivity_id = $1 AND service = 'counter' AND ends_on IS NULL`,
      [collectivity.id],
    );
    if (membership && (PACK_DEPLOYING_OFFERS as readonly string[]).includes(membership.offer)) return null;
    const current = membership ? `offre actuelle : ${OFFER_LABELS[membership.offer] ?? membership.offer}` : 'la commune n’adhère pas au guichet';
    return `Le catalogue est réservé aux communes adhérant au guichet avec l’offre Abonné ou Partenaire (${current}). Pour changer d’offre, adressez-vous à l’équipe plateforme de la métropole.`;
  }

  /** The commune's deployments, by pack: its téléservices copied from a pack (not archived). */
  private async deployments(collectivity: Collectivity) {
    const rows = await this.dataSource.query<{ id: string; slug: string; pack_source_id: string; settings: TeleserviceSettings | null; created_at: Date }[]>(
      `SELECT id, slug, pack_source_id, settings, created_at FROM teleservice
        WHERE collectivity_id = $1 AND pack_source_id IS NOT NULL AND archived_at IS NULL`,
      [collectivity.id],
    );
    return new Map(
      rows.map((r) => [r.pack_source_id, { id: r.id, slug: r.slug, createdAt: r.created_at, contact: r.settings?.contact ?? null, packVersionId: r.settings?.packVersionId ?? null }]),
    );
  }

  /** A pack of the catalogue (published, not archived); 404 otherwise. */
  private async pack(packId: string): Promise<Teleservice> {
    const pack = UUID.test(packId) ? (await this.catalogue.listPacks()).find((p) => p.id === packId) : undefined;
    if (!pack) throw DomainError.notFound(AuthoringErrorCodes.PACK_NOT_FOUND, 'Pack du catalogue introuvable.');
    return pack;
  }

  private formView(
    collectivity: Collectivity,
    pack: Teleservice,
    deployed: { id: string; slug: string } | null,
    refusal: string | null,
    values: PackFormValues,
    errors: PageError[],
  ) {
    const fieldError = (id: string) => errors.find((e) => e.id === id)?.message;
    return {
      pageTitle: `${deployed ? 'Mettre à jour' : 'Déployer'} « ${pack.title} » — ${collectivity.name}`,
      collectivity: { name: collectivity.name, slug: collectivity.slug },
      pack: { id: pack.id, title: pack.title, summary: pack.summary, description: pack.description },
      deployed,
      refusal,
      values,
      errors,
      nameError: fieldError('contact-name'),
      emailError: fieldError('contact-email'),
      phoneError: fieldError('contact-phone'),
      addressError: fieldError('contact-address'),
      hoursError: fieldError('contact-hours'),
      slugError: fieldError('slug'),
    };
  }
}
