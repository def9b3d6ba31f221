import type { DataSource } from 'typeorm';
import type { Clock } from '#core';
import { ANOMALY_REPORT_WORKFLOW, APPOINTMENT_WORKFLOW, SIMPLE_REQUEST_WORKFLOW } from '#workflow';
import { AuthoringRepository } from '../authoring/authoring.repository.js';
import type { AuthoringActor, PackContact } from '../authoring/authoring.types.js';
import { DefinitionValidationService } from '../authoring/definition-validation.service.js';
import { CatalogueService } from '../catalogue/catalogue.service.js';
import { checksumOf } from '../teleservices/teleservice.repository.js';
import type { RoutingRule, TeleserviceKind, VersionContent } from '../teleservices/teleservice.types.js';
import {
  ANOMALY_FORM,
  APPOINTMENT_FORM,
  ASSOCIATION_GRANT_FORM,
  CIVIL_STATUS_FORM,
  HELP_FORM,
  PUBLIC_SPACE_FORM,
  SCHOOL_ENROLMENT_FORM,
  WASTE_PASS_FORM,
} from './demo-forms.js';

/** One téléservice of the demo catalogue, on `instance` (an instance slug made by the territory's `seedDemo`). */
export interface DemoTeleservice {
  instance: string;
  slug: string;
  kind: TeleserviceKind;
  title: string;
  summary: string;
  description?: string;
  theme: string;
  anonymousAllowed?: boolean;
  routingRule?: RoutingRule;
  content: VersionContent;
}

export interface DemoCatalogueResult {
  /** Téléservices of the demo catalogue (authored ones + deployed packs). */
  teleservices: number;
  created: number;
  /** Versions published by this run (0 when re-run). */
  published: number;
  deployments: number;
}

const SEED_SUB = 'system:demo-seed';

const simple = (name: string, receiver: string) => ({
  ...SIMPLE_REQUEST_WORKFLOW,
  name,
  functions: [{ id: 'receiver', label: receiver }],
});

const help = (instance: string, collectivity: string, kind: TeleserviceKind): DemoTeleservice => ({
  instance,
  slug: 'aide-contact',
  kind,
  title: 'Aide / contact',
  summary: `Une question, une difficulté sur le guichet ? Le service d’assistance de ${collectivity} vous répond.`,
  theme: 'Assistance',
  anonymousAllowed: true,
  content: { form: HELP_FORM, workflow: simple('Assistance usagers (SAU)', 'Assistance aux usagers'), dataSources: [] },
});

/** The demo catalogue: the metropolis and three Partenaire communes (Bron, Givors, Dardilly). */
export const DEMO_TELESERVICES: readonly DemoTeleservice[] = [
  {
    instance: 'metropole-de-lyon',
    slug: 'signalement-anomalie',
    kind: 'mutualised',
    title: 'Signaler une anomalie sur l’espace public',
    summary: 'Nid-de-poule, éclairage en panne, dépôt sauvage… : la commune compétente est prévenue.',
    description: 'Signalement transmis à la commune où se trouve le point indiqué sur la carte.',
    theme: 'Cadre de vie',
    anonymousAllowed: true,
    routingRule: { by: 'map_point', field: 'lieu' },
    content: { form: ANOMALY_FORM, workflow: ANOMALY_REPORT_WORKFLOW, dataSources: [] },
  },
  {
    instance: 'metropole-de-lyon',
    slug: 'rendez-vous',
    kind: 'metropolitan',
    title: 'Demande de rendez-vous',
    summary: 'Prenez rendez-vous avec un conseiller de la Métropole (habitat, eau, voirie, action sociale).',
    theme: 'Vie pratique',
    content: { form: APPOINTMENT_FORM, workflow: APPOINTMENT_WORKFLOW, dataSources: [] },
  },
  {
    instance: 'metropole-de-lyon',
    slug: 'pass-decheterie',
    kind: 'catalogue_pack',
    title: 'Pass déchetterie',
    summary: 'Demandez votre pass d’accès gratuit aux déchetteries de la Métropole.',
    description: 'Pass nominatif lié à un véhicule, valable un an.',
    theme: 'Déchets',
    content: { form: WASTE_PASS_FORM, workflow: simple('Pass déchetterie', 'Agent instructeur des pass'), dataSources: [] },
  },
  {
    instance: 'metropole-de-lyon',
    slug: 'subvention-association',
    kind: 'metropolitan',
    title: 'Demande de subvention association',
    summary: 'Associations : sollicitez une subvention de la Métropole pour un projet.',
    theme: 'Associations',
    content: { form: ASSOCIATION_GRANT_FORM, workflow: simple('Subvention association', 'Service vie associative'), dataSources: [] },
  },
  help('metropole-de-lyon', 'la Métropole de Lyon', 'metropolitan'),
  {
    instance: 'givors',
    slug: 'acte-etat-civil',
    kind: 'communal',
    title: 'Demande d’acte d’état civil',
    summary: 'Copie ou extrait d’acte de naissance, de mariage ou de décès enregistré à Givors.',
    theme: 'État civil',
    content: { form: CIVIL_STATUS_FORM, workflow: simple('Acte d’état civil', 'Officier d’état civil'), dataSources: [] },
  },
  help('givors', 'la Ville de Givors', 'communal'),
  {
    instance: 'bron',
    slug: 'inscription-scolaire',
    kind: 'communal',
    title: 'Inscription scolaire',
    summary: 'Inscrivez vos enfants dans une école maternelle ou élémentaire publique de Bron.',
    theme: 'Éducation',
    content: { form: SCHOOL_ENROLMENT_FORM, workflow: simple('Inscription scolaire', 'Service éducation'), dataSources: [] },
  },
  help('bron', 'la Ville de Bron', 'communal'),
  {
    instance: 'dardilly',
    slug: 'occupation-domaine-public',
    kind: 'communal',
    title: 'Occupation temporaire du domaine public',
    summary: 'Déménagement, benne, échafaudage, terrasse : demandez l’autorisation d’occuper la voie publique.',
    theme: 'Voirie',
    content: { form: PUBLIC_SPACE_FORM, workflow: simple('Occupation du domaine public', 'Service voirie'), dataSources: [] },
  },
  help('dardilly', 'la Ville de Dardilly', 'communal'),
];

/** On `givors-test`: the next version of the état civil téléservice, being tested (adds a plurilingual-use field). */
export const DEMO_TEST_COPY: DemoTeleservice = {
  ...DEMO_TELESERVICES.find((entry) => entry.slug === 'acte-etat-civil')!,
  instance: 'givors-test',
  content: {
    form: {
      ...CIVIL_STATUS_FORM,
      pages: CIVIL_STATUS_FORM.pages.map((page) =>
        page.id === 'acte'
          ? {
              ...page,
              fields: [
                ...page.fields,
                { id: 'pays_destination', type: 'text', label: 'Pays où l’acte sera utilisé', maxLength: 100, condition: "field.format_acte = 'plurilingue'" },
              ],
            }
          : page,
      ),
    },
    workflow: simple('Acte d’état civil', 'Officier d’état civil'),
    dataSources: [],
  },
};

/** The pack deployed by Saint-Genis-Laval (Abonné). */
export const DEMO_PACK_DEPLOYMENTS: readonly { inseeCode: string; pack: string; contact: PackContact }[] = [
  {
    inseeCode: '69204',
    pack: 'pass-decheterie',
    contact: {
      name: 'Services techniques de Saint-Genis-Laval',
      email: 'services.techniques@mairie-saintgenislaval.example.fr',
      phone: '04 78 86 82 00',
      address: 'Hôtel de ville, 2 rue Louis-Vital, 69230 Saint-Genis-Laval',
      hours: 'Du lundi au vendredi, 8 h 30 – 12 h et 13 h 30 – 17 h',
    },
  },
];

/**
 * The demo catalogue, for development and demonstrations (never in production: the callers skip it there).
 * Needs the territory's `seedDemo`. Idempotent: a téléservice present with the same published definitions
 * is left alone; one whose definitions changed in this file gets a new published version; a pack already
 * deployed in its latest version is left alone. Every definition is validated before publication.
 */
export async function seedDemoCatalogue(dataSource: DataSource, clock: Clock): Promise<DemoCatalogueResult> {
  const validator = new DefinitionValidationService();
  const result: DemoCatalogueResult = { teleservices: 0, created: 0, published: 0, deployments: 0 };
  await dataSource.transaction(async (manager) => {
    // One seed at a time (the launcher and `npm run seed` may race).
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('parvis.seed-demo-catalogue'))`);
    const repository = new AuthoringRepository(manager);
    const teleservices = repository.teleservices;
    const now = clock.now();
    for (const entry of [...DEMO_TELESERVICES, DEMO_TEST_COPY]) {
      const instance = await repository.findInstanceBySlug(entry.instance);
      if (!instance) throw new Error(`Instance « ${entry.instance} » absente : lancez d’abord le jeu de démonstration du territoire (seedDemo).`);
      const actor: AuthoringActor = { sub: SEED_SUB, collectivityId: instance.collectivityId };
      result.teleservices += 1;
      let teleservice = await teleservices.findBySlug(instance.id, entry.slug);
      if (!teleservice) {
        teleservice = await teleservices.create({
          instanceId: instance.id,
          collectivityId: actor.collectivityId,
          slug: entry.slug,
          kind: entry.kind,
          title: entry.title,
          summary: entry.summary,
          description: entry.description ?? null,
          theme: entry.theme,
          anonymousAllowed: entry.anonymousAllowed ?? false,
          routingRule: entry.routingRule ?? null,
          now,
        });
        result.created += 1;
      }
      const latest = await teleservices.latestPublished(teleservice.id);
      if (latest?.checksum === checksumOf(entry.content)) continue;
      if (await teleservices.findDraft(actor.collectivityId, teleservice.id)) {
        await teleservices.updateDraft(actor.collectivityId, teleservice.id, entry.content);
      } else {
        await teleservices.createDraft(actor.collectivityId, teleservice.id, now, entry.content);
      }
      await teleservices.publish(actor.collectivityId, teleservice.id, { publishedBy: SEED_SUB, now, validator: validator.forTeleservice(teleservice) });
      result.published += 1;
    }
  });

  const catalogue = new CatalogueService(dataSource, clock);
  for (const deployment of DEMO_PACK_DEPLOYMENTS) {
    const [commune] = await dataSource.query<{ id: string }[]>(`SELECT "id" FROM "collectivity" WHERE "insee_code" = $1`, [deployment.inseeCode]);
    const metropolisInstance = await new AuthoringRepository(dataSource.manager).findInstanceBySlug('metropole-de-lyon');
    const pack = metropolisInstance ? await new AuthoringRepository(dataSource.manager).teleservices.findBySlug(metropolisInstance.id, deployment.pack) : null;
    if (!commune || !pack) throw new Error(`Déploiement de démonstration impossible : commune ${deployment.inseeCode} ou pack « ${deployment.pack} » absent.`);
    const deployed = await catalogue.deployPack({ sub: SEED_SUB, collectivityId: commune.id }, { packId: pack.id, contact: deployment.contact });
    result.teleservices += 1;
    result.deployments += 1;
    if (deployed.outcome === 'deployed') result.created += 1;
    if (deployed.outcome !== 'unchanged') result.published += 1;
  }
  return result;
}
