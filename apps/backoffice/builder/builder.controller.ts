import { Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, type FieldError } from '#core';
import { diffVersions, kindAllowedOn, type TeleserviceVersion, type VersionContent } from '#teleservices';
import { CUSTOM_DOCUMENT, SIMPLE_REQUEST_WORKFLOW } from '#workflow';
import { AgentGuard } from '../agent.guard.js';
import { formatDateTime, parisDayStart } from '../agent-caller.js';
import { NAVIGATION as BACKOFFICE_NAVIGATION } from '../demands.controller.js';
import { readMultipart } from '../multipart.js';
import {
  allFieldIds,
  asList,
  errorsUnder,
  fieldAt,
  fieldPath,
  fieldSlot,
  fieldTypeLabel,
  formOf,
  freshId,
  locateErrors,
  locatorText,
  move,
  pagesOf,
  parseLocator,
  statusesOf,
  workflowChoices,
  workflowOf,
  type FieldLocator,
} from './builder-content.js';
import { applyInputs, assignErrors, inputId, isRecord, renderInputs, type InputSpec } from './builder-inputs.js';
import { previewDocumentPdf } from './builder-document.js';
import { previewPages } from './builder-preview.js';
import {
  ACTION_KIND_LABELS,
  actionForEditing,
  DATA_SOURCE_SPECS,
  actionSpecs,
  fieldSpecs,
  FIELD_TYPE_LABELS,
  newAction,
  newField,
  STATUS_SPECS,
  tidyAction,
  tidyField,
} from './builder-specs.js';
import { builderErrors, BuilderService, type BuilderTeleservice } from './builder.service.js';
import { insertSmsConsentBox, isSmsPhoneField, smsConsentState } from './builder-sms.js';

/** The back office's navigation (demands.controller.ts), with the builder as the current entry. */
const NAVIGATION = [...BACKOFFICE_NAVIGATION('dashboard').map((item) => ({ ...item, current: false })), { href: '/teleservices', label: 'Téléservices', current: true }];

const KIND_LABELS: Record<string, string> = {
  communal: 'Communal',
  metropolitan: 'Métropolitain',
  mutualised: 'Mutualisé (routé vers la commune compétente)',
  catalogue_pack: 'Pack du catalogue',
};
const ENVIRONMENT_LABELS: Record<string, string> = { production: 'Production', test: 'Test' };

const NOTICES: Record<string, string> = {
  cree: 'Le téléservice a été créé avec un premier brouillon : ajoutez ses pages et ses champs.',
  enregistre: 'Les modifications ont été enregistrées dans le brouillon.',
  ajoute: 'L’élément a été ajouté au brouillon.',
  supprime: 'L’élément a été supprimé du brouillon.',
  deplace: 'L’ordre a été modifié.',
  brouillon: 'Un nouveau brouillon a été ouvert à partir de la dernière version publiée.',
  publie: 'Le brouillon a été publié.',
  promu: 'La version de test a été publiée en production.',
  importe: 'Le paquet a été importé comme brouillon : vérifiez-le puis publiez-le.',
  fenetre: 'Les dates d’ouverture ont été enregistrées.',
  presentation: 'La présentation du téléservice a été enregistrée.',
  archive: 'Le téléservice a été archivé.',
  sms: 'La case d’accord pour les SMS a été ajoutée juste après ce champ.',
  'sms-deja': 'Le formulaire a déjà un champ consentement_sms : rien n’a été ajouté.',
};

const PRESENTATION_SPECS: InputSpec[] = [
  { path: 'title', label: 'Titre', kind: 'text', keepEmpty: true },
  { path: 'summary', label: 'Résumé', kind: 'text', keepEmpty: true, hint: 'Une phrase affichée dans le catalogue.' },
  { path: 'theme', label: 'Thème', kind: 'text', keepEmpty: true, hint: 'Facultatif, ex. état civil, voirie, enfance.' },
  { path: 'description', label: 'Description', kind: 'multiline', keepEmpty: true, hint: 'Facultatif.' },
  { path: 'anonymousAllowed', label: 'Demande possible sans compte (anonyme)', kind: 'bool', keepEmpty: true },
];

const FORM_SPECS: InputSpec[] = [
  { path: 'title', label: 'Titre affiché en haut du formulaire', kind: 'text', hint: 'Facultatif : le titre du téléservice par défaut.' },
  { path: 'summaryTemplate', label: 'Résumé d’une demande dans les listes', kind: 'text', hint: 'Facultatif, ex. {{ field.objet }} — {{ field.commune }}.' },
];
const PAGE_SPECS: InputSpec[] = [
  { path: 'title', label: 'Titre de la page', kind: 'text', keepEmpty: true },
  { path: 'id', label: 'Identifiant de la page', kind: 'text', keepEmpty: true, hint: 'Minuscules, chiffres et « _ », commençant par une lettre.' },
  { path: 'condition', label: 'Condition d’affichage de la page', kind: 'text', hint: 'Facultatif, ex. demandeur = "association".' },
];
const WORKFLOW_SPECS = (statuses: { value: string; label: string }[]): InputSpec[] => [
  { path: 'name', label: 'Nom du workflow', kind: 'text' },
  { path: 'initialStatus', label: 'Statut d’une demande déposée', kind: 'select', keepEmpty: true, choices: [{ value: '', label: '— choisir —' }, ...statuses] },
  { path: 'functions', label: 'Fonctions des agents', kind: 'options', hint: 'Une fonction par ligne : « identifiant | libellé », ex. instructeur | Agent instructeur.' },
];

const PARIS_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });
/** `YYYY-MM-DD` of an instant in Europe/Paris. */
const parisDay = (at: Date): string => PARIS_DAY.format(at);

function one(value: unknown): string {
  if (Array.isArray(value)) return one(value[0]);
  return typeof value === 'string' ? value.trim() : '';
}

const contentOf = (version: TeleserviceVersion): VersionContent =>
  structuredClone({ form: version.form, workflow: version.workflow, dataSources: version.dataSources }) as VersionContent;

function index(text: string): number {
  if (!/^\d{1,3}$/.test(text)) throw builderErrors.itemNotFound();
  return Number(text);
}

/** The errors of a set of inputs, for the summary at the top of a form (each linked to its input). */
function summary(prefix: string, specs: readonly InputSpec[], byInput: Map<string, string>, other: string[], formId: string) {
  return [
    ...specs.filter((s) => byInput.has(s.path)).map((s) => ({ id: inputId(prefix, s.path), message: `${s.label} : ${byInput.get(s.path)}` })),
    ...other.map((message) => ({ id: formId, message })),
  ];
}

/**
 * The téléservice builder (issue 7): administrators of a collectivity create téléservices on its instances,
 * edit the draft's pages, fields and workflow form by form (server-side validation by DefinitionValidationService,
 * errors next to their input and linked from a summary), preview it, publish it, promote test → production,
 * compare versions, export and import bundles. Every POST carries the CSRF token; editing forms carry the draft's
 * revision (optimistic concurrency, BuilderService.save).
 */
@Controller('teleservices')
@UseGuards(AgentGuard)
export class BuilderController {
  constructor(private readonly builder: BuilderService) {}

  // ——— List and creation ———

  @Get()
  async list(@Req() req: Request, @Res() res: Response) {
    await this.renderList(req, res, 200, [], {});
  }

  @Post()
  async create(@Req() req: Request, @Res() res: Response) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const admin = this.builder.requireAdmin(req.agent!);
    const instanceId = one(body.instance);
    const instance = (await Promise.all(admin.map((c) => this.builder.instances(c.id)))).flat().find((i) => i.id === instanceId);
    if (!instance) return this.renderList(req, res, 422, [{ path: 'instance', code: 'REQUIRED', message: 'Choisissez l’instance du téléservice.' }], body);
    const actor = this.builder.actorFor(req.agent!, instance.collectivityId);
    const title = one(body.titre);
    const kind = one(body.type);
    try {
      const { teleservice } = await this.builder.authoring.create(actor, {
        instanceId: instance.id,
        slug: one(body.identifiant),
        kind: kind as 'communal',
        title,
        summary: one(body.resume),
        description: one(body.description) || null,
        theme: one(body.theme) || null,
        anonymousAllowed: one(body.anonyme) === 'oui',
        routingRule: kind === 'mutualised' ? { by: one(body.routage_par) as 'commune', field: one(body.routage_champ) } : null,
        content: {
          form: { schemaVersion: 1, title, pages: [{ id: 'page_1', title: 'Vos informations', fields: [] }] },
          workflow: structuredClone(SIMPLE_REQUEST_WORKFLOW),
          dataSources: [],
        },
      });
      res.redirect(303, `/teleservices/${teleservice.id}?fait=cree`);
    } catch (error) {
      if (!(error instanceof DomainError) || (error.kind !== 'invalid' && error.kind !== 'conflict')) throw error;
      const fields = error.fields?.length ? error.fields : [{ path: error.code.includes('SLUG') ? 'slug' : '', code: error.code, message: error.message }];
      return this.renderList(req, res, 422, fields, body);
    }
  }

  private async renderList(req: Request, res: Response, status: number, errors: FieldError[], posted: Record<string, unknown>) {
    const admin = this.builder.requireAdmin(req.agent!);
    const collectivities = [];
    const instanceChoices: { value: string; label: string; selected: boolean }[] = [];
    const kinds = new Set<string>();
    for (const collectivity of admin) {
      const instances = await this.builder.instances(collectivity.id);
      const rows = await this.builder.list(collectivity.id);
      for (const instance of instances) {
        instanceChoices.push({ value: instance.id, label: `${collectivity.name} — ${ENVIRONMENT_LABELS[instance.environment]} (${instance.slug})`, selected: one(posted.instance) === instance.id });
        for (const kind of Object.keys(KIND_LABELS)) if (kindAllowedOn(kind as 'communal', instance.collectivityKind)) kinds.add(kind);
      }
      collectivities.push({
        ...collectivity,
        instances: instances.map((instance) => ({
          ...instance,
          environmentLabel: ENVIRONMENT_LABELS[instance.environment],
          teleservices: rows
            .filter((row) => row.teleservice.instanceId === instance.id)
            .map(({ teleservice, versions }) => {
              const published = versions.filter((v) => v.state === 'published').sort((a, b) => b.number - a.number)[0];
              const draft = versions.find((v) => v.state === 'draft');
              return {
                id: teleservice.id,
                title: teleservice.title,
                slug: teleservice.slug,
                kindLabel: KIND_LABELS[teleservice.kind] ?? teleservice.kind,
                state: teleservice.archivedAt
                  ? 'Archivé'
                  : [published ? `Publié (version ${published.number})` : 'Jamais publié', draft ? `brouillon en cours (version ${draft.number})` : ''].filter(Boolean).join(', '),
                pack: teleservice.packSourceId !== null,
              };
            }),
        })),
      });
    }
    const fieldErrors = new Map(errors.map((e) => [e.path.split('.')[0] || 'general', e.message]));
    const names: Record<string, string> = { instance: 'instance', slug: 'identifiant', kind: 'type', title: 'titre', summary: 'resume', description: 'description', theme: 'theme', routingRule: 'routage_champ' };
    res.status(status).render('builder-list', {
      pageTitle: errors.length ? 'Erreur — Téléservices' : 'Téléservices',
      navigation: NAVIGATION,
      collectivities,
      instanceChoices,
      kindChoices: [...kinds].map((kind) => ({ value: kind, label: KIND_LABELS[kind], selected: one(posted.type) === kind })),
      routingChoices: [
        { value: 'map_point', label: 'Point sur la carte' },
        { value: 'address', label: 'Adresse' },
        { value: 'postcode', label: 'Code postal' },
        { value: 'commune', label: 'Commune' },
      ].map((c) => ({ ...c, selected: one(posted.routage_par) === c.value })),
      metropolis: kinds.has('mutualised'),
      posted: Object.fromEntries(Object.entries(posted).map(([k, v]) => [k, one(v)])),
      anonymousChecked: one(posted.anonyme) === 'oui',
      errors: Object.fromEntries([...fieldErrors].map(([path, message]) => [names[path] ?? 'general', message])),
      errorSummary: errors.map((e) => ({ id: `creer-${names[e.path.split('.')[0]] ?? 'titre'}`, message: e.message })),
    });
  }

  // ——— Import ———

  @Get('importer')
  async importForm(@Req() req: Request, @Res() res: Response) {
    await this.renderImport(req, res, 200, []);
  }

  @Post('importer')
  async importBundle(@Req() req: Request, @Res() res: Response) {
    const admin = this.builder.requireAdmin(req.agent!);
    const form = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '') ? await readMultipart(req) : { fields: (req.body ?? {}) as Record<string, string>, files: [] };
    const instance = (await Promise.all(admin.map((c) => this.builder.instances(c.id)))).flat().find((i) => i.id === one(form.fields.instance));
    if (!instance) return this.renderImport(req, res, 422, [{ path: 'instance', code: 'REQUIRED', message: 'Choisissez l’instance cible.' }], form.fields);
    const file = form.files[0];
    if (!file) return this.renderImport(req, res, 422, [{ path: 'paquet', code: 'REQUIRED', message: 'Choisissez le fichier du paquet (JSON).' }], form.fields);
    let bundle: unknown;
    try {
      bundle = JSON.parse(file.content.toString('utf8'));
    } catch {
      return this.renderImport(req, res, 422, [{ path: 'paquet', code: 'INVALID_JSON', message: 'Le fichier n’est pas un JSON lisible.' }], form.fields);
    }
    const mode = one(form.fields.mode) === 'new_draft_of_existing' ? 'new_draft_of_existing' : 'new';
    try {
      const result = await this.builder.bundles.importBundle(this.builder.actorFor(req.agent!, instance.collectivityId), instance.id, bundle, {
        mode,
        ...(mode === 'new' && one(form.fields.identifiant) ? { slug: one(form.fields.identifiant) } : {}),
      });
      res.redirect(303, `/teleservices/${result.teleservice.id}?fait=importe`);
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind === 'forbidden') throw error;
      return this.renderImport(req, res, 422, error.fields?.length ? error.fields : [{ path: '', code: error.code, message: error.message }], form.fields);
    }
  }

  private async renderImport(req: Request, res: Response, status: number, errors: FieldError[], posted: Record<string, string> = {}) {
    const admin = this.builder.requireAdmin(req.agent!);
    const instances = [];
    for (const collectivity of admin) {
      for (const instance of await this.builder.instances(collectivity.id)) {
        instances.push({ value: instance.id, label: `${collectivity.name} — ${ENVIRONMENT_LABELS[instance.environment]} (${instance.slug})`, selected: one(posted.instance) === instance.id });
      }
    }
    res.status(status).render('builder-import', {
      pageTitle: errors.length ? 'Erreur — Importer un paquet' : 'Importer un paquet',
      navigation: NAVIGATION,
      instances,
      existingChecked: one(posted.mode) === 'new_draft_of_existing',
      slug: one(posted.identifiant),
      errors: errors.map((e) => ({
        id: e.path === 'instance' ? 'import-instance' : e.path === 'paquet' ? 'import-paquet' : e.path === '/teleservice/slug' ? 'import-identifiant' : 'import-paquet',
        message: e.path && !['instance', 'paquet'].includes(e.path) ? `${e.path} : ${e.message}` : e.message,
      })),
    });
  }

  // ——— Overview ———

  @Get(':id')
  async overview(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Query('fait') done?: string) {
    const target = await this.builder.load(req.agent!, id);
    await this.renderOverview(res, target, 200, { notice: NOTICES[one(done)] ?? null });
  }

  private async renderOverview(
    res: Response,
    target: BuilderTeleservice,
    status: number,
    extra: {
      notice?: string | null;
      failure?: { message: string; errors: { message: string; href?: string }[] };
      presentation?: { errors: Map<string, string>; posted: Record<string, unknown> };
    },
  ) {
    const { teleservice, draft, published, instance } = target;
    const base = `/teleservices/${teleservice.id}`;
    const content = draft ? contentOf(draft) : published ? contentOf(published) : null;
    const errors = draft && content ? this.builder.authoring.validator.validate(content, teleservice) : [];
    const form = content ? formOf(content) : {};
    const formErrors = assignErrors(FORM_SPECS, errorsUnder(errors, '/form').filter((e) => !e.path.startsWith('/pages')));
    const pages = content ? pagesOf(content) : [];
    const editable = !!draft && !teleservice.archivedAt && !teleservice.packSourceId;
    res.status(status).render('builder-editor', {
      pageTitle: `${status >= 400 ? 'Erreur — ' : ''}${teleservice.title} — éditeur`,
      navigation: NAVIGATION,
      base,
      teleservice: {
        ...teleservice,
        kindLabel: KIND_LABELS[teleservice.kind] ?? teleservice.kind,
        opensAt: teleservice.opensAt ? parisDay(teleservice.opensAt) : '',
        // Closed « after » a day: the stored instant is the next day's midnight (Europe/Paris).
        closesAt: teleservice.closesAt ? parisDay(new Date(teleservice.closesAt.getTime() - 1)) : '',
      },
      instance: { ...instance, environmentLabel: ENVIRONMENT_LABELS[instance.environment] },
      isTest: instance.environment === 'test',
      draft: draft ? { number: draft.number, revision: draft.checksum } : null,
      published: published ? { number: published.number, at: formatDateTime(published.publishedAt ?? published.createdAt) } : null,
      editable,
      archived: !!teleservice.archivedAt,
      pack: !!teleservice.packSourceId,
      canOpenDraft: !draft && !!published && !teleservice.archivedAt && !teleservice.packSourceId,
      notice: extra.notice ?? null,
      failure: extra.failure ?? null,
      located: draft && content ? locateErrors(base, content, errors) : [],
      formInputs: renderInputs('form', FORM_SPECS, form, formErrors.byInput),
      presentationInputs: renderInputs('presentation', PRESENTATION_SPECS, teleservice, extra.presentation?.errors ?? new Map(), extra.presentation?.posted),
      pages: pages.map((page, p) => ({
        index: p,
        title: String(page.title ?? ''),
        id: String(page.id ?? ''),
        condition: page.condition ? String(page.condition) : '',
        fieldCount: asList(page.fields).length,
        errorCount: errorsUnder(errors, `/form/pages/${p}`).length,
        first: p === 0,
        last: p === pages.length - 1,
      })),
      statusCount: content ? statusesOf(content).length : 0,
      workflowErrorCount: errorsUnder(errors, '/workflow').length,
    });
  }

  /** Form-level settings of the draft (title shown on the form, summary line of a demand). */
  @Post(':id/formulaire')
  async saveForm(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = await this.builder.load(req.agent!, id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.builder.save(target, one(body.revision), (content) => {
      applyInputs(FORM_SPECS, formOf(content), body);
    });
    res.redirect(303, `/teleservices/${id}?fait=enregistre#formulaire`);
  }

  @Post(':id/presentation')
  async savePresentation(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = await this.builder.load(req.agent!, id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const input: Record<string, unknown> = {};
    applyInputs(PRESENTATION_SPECS, input, body);
    try {
      await this.builder.setPresentation(target, input);
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind !== 'invalid') throw error;
      const { byInput } = assignErrors(PRESENTATION_SPECS, (error.fields ?? []).map((e) => ({ ...e, path: `/${e.path}` })));
      return this.renderOverview(res, target, 422, {
        failure: { message: error.message, errors: PRESENTATION_SPECS.filter((s) => byInput.has(s.path)).map((s) => ({ message: `${s.label} : ${byInput.get(s.path)}`, href: `#${inputId('presentation', s.path)}` })) },
        presentation: { errors: byInput, posted: body },
      });
    }
    res.redirect(303, `/teleservices/${id}?fait=presentation#presentation`);
  }

  @Post(':id/brouillon')
  async openDraft(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = await this.builder.load(req.agent!, id);
    await this.builder.authoring.openDraft(target.actor, id);
    res.redirect(303, `/teleservices/${id}?fait=brouillon`);
  }

  @Post(':id/fenetre')
  async publicationWindow(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = await this.builder.load(req.agent!, id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const day = (name: string, later: number) => {
      const text = one(body[name]);
      if (!text) return null;
      const at = parisDayStart(text, later);
      if (!at) throw DomainError.invalid('BUILDER_DATE_INVALID', 'Date invalide : format AAAA-MM-JJ attendu.', [{ path: name, code: 'INVALID', message: 'Date invalide.' }]);
      return at;
    };
    try {
      await this.builder.authoring.setPublicationWindow(target.actor, { teleserviceId: id, opensAt: day('ouverture', 0), closesAt: day('fermeture', 1) });
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind !== 'invalid') throw error;
      return this.renderOverview(res, target, 422, { failure: { message: error.message, errors: (error.fields ?? []).map((e) => ({ message: e.message, href: '#fenetre' })) } });
    }
    res.redirect(303, `/teleservices/${id}?fait=fenetre`);
  }

  @Post(':id/archiver')
  async archive(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = await this.builder.load(req.agent!, id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (one(body.confirme) !== 'oui') {
      return this.confirm(res, target, {
        title: `Archiver « ${target.teleservice.title} » ?`,
        message: 'Un téléservice archivé n’est plus proposé aux usagers et ne peut plus être modifié ni publié. Ses versions et ses demandes sont conservées. Cette action est définitive.',
        action: `/teleservices/${id}/archiver`,
        button: 'Archiver définitivement',
      });
    }
    await this.builder.authoring.archive(target.actor, id);
    res.redirect(303, `/teleservices/${id}?fait=archive`);
  }

  // ——— Publication, promotion, versions, export ———

  @Post(':id/publier')
  async publish(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = await this.builder.load(req.agent!, id);
    try {
      await this.builder.authoring.publish(target.actor, id);
    } catch (error) {
      if (!(error instanceof DomainError) || (error.kind !== 'invalid' && error.kind !== 'conflict' && error.kind !== 'not_found')) throw error;
      const located = target.draft ? locateErrors(`/teleservices/${id}`, contentOf(target.draft), error.fields ?? []) : [];
      return this.renderOverview(res, target, 422, {
        failure: { message: `Publication refusée : ${error.message}`, errors: located.map((e) => ({ message: `${e.where} — ${e.message}`, href: e.href })) },
      });
    }
    res.redirect(303, `/teleservices/${id}?fait=publie`);
  }

  @Post(':id/promouvoir')
  async promote(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = await this.builder.load(req.agent!, id);
    try {
      const result = await this.builder.bundles.promoteToProduction(target.actor, id);
      res.redirect(303, `/teleservices/${result.teleservice.id}?fait=promu`);
    } catch (error) {
      if (!(error instanceof DomainError) || error.kind === 'forbidden') throw error;
      return this.renderOverview(res, target, 422, {
        failure: { message: `Promotion refusée : ${error.message}`, errors: (error.fields ?? []).map((e) => ({ message: e.message })) },
      });
    }
  }

  @Get(':id/versions')
  async versions(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Query('de') fromId?: string, @Query('a') toId?: string) {
    const target = await this.builder.load(req.agent!, id);
    const ordered = [...target.versions].sort((a, b) => b.number - a.number);
    let diff = null;
    const to = one(toId) ? await this.builder.version(id, one(toId)) : ordered[0] ? await this.builder.version(id, ordered[0].id) : null;
    const previous = to ? ordered.find((v) => v.number < to.number) : undefined;
    const from = one(fromId) ? await this.builder.version(id, one(fromId)) : previous ? await this.builder.version(id, previous.id) : null;
    if (from && to) {
      const result = diffVersions(contentOf(from), contentOf(to));
      diff = { from: from.number, to: to.number, identical: result.identical, summary: result.summary };
    }
    res.render('builder-versions', {
      pageTitle: `Versions — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base: `/teleservices/${id}`,
      teleservice: target.teleservice,
      versions: ordered.map((v, i) => ({
        id: v.id,
        number: v.number,
        draft: v.state === 'draft',
        createdAt: formatDateTime(v.createdAt),
        publishedAt: v.publishedAt ? formatDateTime(v.publishedAt) : '',
        previousId: ordered[i + 1]?.id ?? null,
        previousNumber: ordered[i + 1]?.number ?? null,
        current: to?.id === v.id,
      })),
      diff,
    });
  }

  @Get(':id/export')
  async exportBundle(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Query('version') versionId?: string) {
    const target = await this.builder.load(req.agent!, id);
    const bundle = await this.builder.bundles.exportBundle(target.actor, id, one(versionId) || undefined);
    const version = one(versionId) ? target.versions.find((v) => v.id === one(versionId)) : target.published;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${target.teleservice.slug}-v${version?.number ?? 0}.json"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.send(JSON.stringify(bundle, null, 2));
  }

  // ——— Preview and JSON ———

  @Get(':id/apercu')
  async preview(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = await this.builder.load(req.agent!, id);
    const version = target.draft ?? target.published;
    res.render('builder-preview', {
      pageTitle: `Aperçu — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base: `/teleservices/${id}`,
      teleservice: target.teleservice,
      versionLabel: version ? (version.state === 'draft' ? `brouillon (version ${version.number})` : `version ${version.number} publiée`) : '',
      pages: version ? previewPages(contentOf(version)) : [],
    });
  }

  @Get(':id/json')
  async json(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    this.renderJson(res, target, 200, JSON.stringify(contentOf(target.draft!), null, 2), null);
  }

  @Post(':id/json')
  async saveJson(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = typeof body.contenu === 'string' ? body.contenu : '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.renderJson(res, target, 422, text, 'JSON illisible : vérifiez les guillemets, virgules et accolades.');
    }
    if (!isRecord(parsed) || Object.keys(parsed).some((k) => !['form', 'workflow', 'dataSources'].includes(k))) {
      return this.renderJson(res, target, 422, text, 'Le contenu est un objet { "form", "workflow", "dataSources" }.');
    }
    await this.builder.save(target, one(body.revision), (content) => {
      content.form = parsed.form;
      content.workflow = parsed.workflow;
      content.dataSources = parsed.dataSources ?? [];
    });
    res.redirect(303, `/teleservices/${id}?fait=enregistre`);
  }

  private renderJson(res: Response, target: BuilderTeleservice, status: number, text: string, error: string | null) {
    res.status(status).render('builder-json', {
      pageTitle: `${error ? 'Erreur — ' : ''}JSON — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base: `/teleservices/${target.teleservice.id}`,
      teleservice: target.teleservice,
      revision: target.draft!.checksum,
      text,
      error,
      errorSummary: error ? [{ id: 'json-contenu', message: error }] : [],
    });
  }

  // ——— Pages ———

  @Post(':id/pages')
  async addPage(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    let added = 0;
    await this.builder.save(target, one(body.revision), (content) => {
      const pages = pagesOf(content);
      pages.push({ id: freshId('page', pages.map((p) => p.id)), title: one(body.titre) || 'Nouvelle page', fields: [] });
      added = pages.length - 1;
    });
    res.redirect(303, `/teleservices/${id}/pages/${added}?fait=ajoute`);
  }

  @Get(':id/pages/:p')
  async page(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('p') p: string, @Query('fait') done?: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    this.renderPage(res, target, index(p), 200, NOTICES[one(done)] ?? null);
  }

  private renderPage(res: Response, target: BuilderTeleservice, p: number, status: number, notice: string | null, parseErrors?: Map<string, string>, posted?: Record<string, unknown>) {
    const content = contentOf(target.draft!);
    const page = pagesOf(content)[p];
    if (!isRecord(page)) throw builderErrors.itemNotFound();
    const base = `/teleservices/${target.teleservice.id}`;
    const errors = this.builder.authoring.validator.validate(content, target.teleservice);
    const own = assignErrors(PAGE_SPECS, errorsUnder(errors, `/form/pages/${p}`, 'fields'));
    const byInput = parseErrors ?? own.byInput;
    const fields = asList(page.fields);
    res.status(status).render('builder-page', {
      pageTitle: `${byInput.size || own.other.length ? 'Erreur — ' : ''}Page « ${String(page.title ?? '')} » — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base,
      teleservice: target.teleservice,
      revision: target.draft!.checksum,
      index: p,
      title: String(page.title ?? ''),
      notice,
      errorSummary: summary('p', PAGE_SPECS, byInput, parseErrors ? [] : own.other, 'page-formulaire'),
      inputs: renderInputs('p', PAGE_SPECS, page, byInput, posted),
      fields: fields.map((field, f) => ({
        loc: locatorText({ page: p, field: f }),
        label: String(field.label ?? ''),
        id: String(field.id ?? ''),
        typeLabel: fieldTypeLabel(field.type),
        errors: errorsUnder(errors, fieldPath({ page: p, field: f })).map((e) => e.message),
        first: f === 0,
        last: f === fields.length - 1,
      })),
      typeChoices: Object.entries(FIELD_TYPE_LABELS).map(([value, label]) => ({ value, label })),
    });
  }

  @Post(':id/pages/:p')
  async savePage(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('p') p: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const i = index(p);
    await this.builder.save(target, one(body.revision), (content) => {
      const page = pagesOf(content)[i];
      if (!isRecord(page)) throw builderErrors.itemNotFound();
      applyInputs(PAGE_SPECS, page, body);
    });
    res.redirect(303, `/teleservices/${id}/pages/${i}?fait=enregistre`);
  }

  @Post(':id/pages/:p/deplacer')
  async movePage(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('p') p: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.builder.save(target, one(body.revision), (content) => {
      if (!move(pagesOf(content), index(p), one(body.sens) === 'haut' ? -1 : 1)) throw builderErrors.itemNotFound();
    });
    res.redirect(303, `/teleservices/${id}?fait=deplace#pages`);
  }

  @Post(':id/pages/:p/supprimer')
  async deletePage(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('p') p: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const page = pagesOf(contentOf(target.draft!))[index(p)];
    const count = isRecord(page) ? asList(page.fields).length : 0;
    if (count > 0 && one(body.confirme) !== 'oui') {
      return this.confirm(res, target, {
        title: `Supprimer la page « ${String(page.title ?? '')} » ?`,
        message: `La page et ses ${count} champ(s) seront retirés du brouillon.`,
        action: `/teleservices/${id}/pages/${index(p)}/supprimer`,
        button: 'Supprimer la page et ses champs',
        revision: one(body.revision),
      });
    }
    await this.builder.save(target, one(body.revision), (content) => {
      const pages = pagesOf(content);
      if (index(p) >= pages.length) throw builderErrors.itemNotFound();
      pages.splice(index(p), 1);
    });
    res.redirect(303, `/teleservices/${id}?fait=supprime#pages`);
  }

  // ——— Fields ———

  @Post(':id/pages/:p/champs')
  async addField(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('p') p: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const type = one(body.type);
    if (!(type in FIELD_TYPE_LABELS)) throw DomainError.invalid('BUILDER_FIELD_TYPE_UNKNOWN', 'Type de champ inconnu : choisissez-en un dans la liste.');
    let loc = '';
    await this.builder.save(target, one(body.revision), (content) => {
      const page = pagesOf(content)[index(p)];
      if (!isRecord(page)) throw builderErrors.itemNotFound();
      if (!Array.isArray(page.fields)) page.fields = [];
      const fields = page.fields as unknown[];
      fields.push(newField(type, freshId(type === 'block' ? 'bloc' : 'champ', allFieldIds(content))));
      loc = locatorText({ page: index(p), field: fields.length - 1 });
    });
    res.redirect(303, `/teleservices/${id}/champs/${loc}?fait=ajoute`);
  }

  @Post(':id/champs/:loc/sous-champs')
  async addSubField(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('loc') locText: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const type = one(body.type);
    const loc = this.locator(locText);
    if (!(type in FIELD_TYPE_LABELS) || type === 'block' || loc.sub !== undefined) throw DomainError.invalid('BUILDER_FIELD_TYPE_UNKNOWN', 'Type de sous-champ inconnu (un bloc ne contient pas de bloc).');
    let added = '';
    await this.builder.save(target, one(body.revision), (content) => {
      const block = fieldAt(content, loc);
      if (!block || block.type !== 'block') throw builderErrors.itemNotFound();
      if (!Array.isArray(block.fields)) block.fields = [];
      const subs = block.fields as unknown[];
      subs.push(newField(type, freshId('champ', asList(block.fields).map((s) => s.id))));
      added = locatorText({ ...loc, sub: subs.length - 1 });
    });
    res.redirect(303, `/teleservices/${id}/champs/${added}?fait=ajoute`);
  }

  @Get(':id/champs/:loc')
  async field(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('loc') loc: string, @Query('fait') done?: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    this.renderField(res, target, this.locator(loc), 200, NOTICES[one(done)] ?? null);
  }

  private renderField(res: Response, target: BuilderTeleservice, loc: FieldLocator, status: number, notice: string | null, parseErrors?: Map<string, string>, posted?: Record<string, unknown>) {
    const content = contentOf(target.draft!);
    const field = fieldAt(content, loc);
    if (!field) throw builderErrors.itemNotFound();
    const page = pagesOf(content)[loc.page];
    const base = `/teleservices/${target.teleservice.id}`;
    const specs = fieldSpecs(String(field.type));
    const errors = this.builder.authoring.validator.validate(content, target.teleservice);
    const own = assignErrors(specs, errorsUnder(errors, fieldPath(loc), field.type === 'block' ? 'fields' : undefined));
    const byInput = parseErrors ?? own.byInput;
    const subs = field.type === 'block' ? asList(field.fields) : [];
    const parent = loc.sub !== undefined ? fieldAt(content, { page: loc.page, field: loc.field }) : null;
    res.status(status).render('builder-field', {
      pageTitle: `${byInput.size || own.other.length ? 'Erreur — ' : ''}Champ « ${String(field.label ?? '')} » — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base,
      teleservice: target.teleservice,
      revision: target.draft!.checksum,
      loc: locatorText(loc),
      page: { index: loc.page, title: isRecord(page) ? String(page.title ?? '') : '' },
      parent: parent ? { loc: locatorText({ page: loc.page, field: loc.field }), label: String(parent.label ?? '') } : null,
      label: String(field.label ?? ''),
      typeLabel: fieldTypeLabel(field.type),
      notice,
      errorSummary: summary('f', specs, byInput, parseErrors ? [] : own.other, 'f-formulaire'),
      inputs: renderInputs('f', specs, field, byInput, posted),
      isBlock: field.type === 'block',
      // The phone field texted for demands without account: offer its consent box (docs/builder.md).
      smsConsent: isSmsPhoneField(field, loc) ? smsConsentState(content) : null,
      subFields: subs.map((sub, s) => ({
        loc: locatorText({ ...loc, sub: s }),
        label: String(sub.label ?? ''),
        id: String(sub.id ?? ''),
        typeLabel: fieldTypeLabel(sub.type),
        errors: errorsUnder(errors, fieldPath({ ...loc, sub: s })).map((e) => e.message),
        first: s === 0,
        last: s === subs.length - 1,
      })),
      typeChoices: Object.entries(FIELD_TYPE_LABELS)
        .filter(([value]) => value !== 'block')
        .map(([value, label]) => ({ value, label })),
      changeTypeChoices: Object.entries(FIELD_TYPE_LABELS)
        .filter(([value]) => value !== field.type && (value !== 'block' || loc.sub === undefined))
        .map(([value, label]) => ({ value, label })),
      otherPages:
        loc.sub === undefined
          ? pagesOf(content)
              .map((other, i) => ({ index: i, title: String(other.title ?? '') }))
              .filter((other) => other.index !== loc.page)
          : [],
    });
  }

  @Post(':id/champs/:loc')
  async saveField(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('loc') locText: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const loc = this.locator(locText);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const current = fieldAt(contentOf(target.draft!), loc);
    if (!current) throw builderErrors.itemNotFound();
    const edited = structuredClone(current);
    const parseErrors = applyInputs(fieldSpecs(String(current.type)), edited, body);
    if (parseErrors.size) return this.renderField(res, target, loc, 422, null, parseErrors, body);
    tidyField(edited);
    await this.builder.save(target, one(body.revision), (content) => {
      const slot = fieldSlot(content, loc);
      if (!slot) throw builderErrors.itemNotFound();
      slot.list[slot.index] = edited;
    });
    res.redirect(303, `/teleservices/${id}/champs/${locText}?fait=enregistre`);
  }

  /**
   * « Ajouter la case d’accord pour les SMS »: the checkbox `consentement_sms` right after the phone field marked for
   * SMS (without it, citizens without account are never texted). Idempotent: nothing when the form already has it.
   */
  @Post(':id/champs/:loc/consentement-sms')
  async addSmsConsent(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('loc') locText: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const loc = this.locator(locText);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!isSmsPhoneField(fieldAt(contentOf(target.draft!), loc), loc)) {
      throw DomainError.invalid('BUILDER_SMS_PHONE_FIELD', 'La case d’accord pour les SMS s’ajoute après un champ téléphone (format téléphone, prérempli depuis le téléphone du profil).');
    }
    let outcome = 'present' as 'added' | 'present';
    await this.builder.save(target, one(body.revision), (content) => {
      if (!isSmsPhoneField(fieldAt(content, loc), loc)) throw builderErrors.itemNotFound();
      outcome = insertSmsConsentBox(content, loc);
    });
    res.redirect(303, `/teleservices/${id}/champs/${locText}?fait=${outcome === 'added' ? 'sms' : 'sms-deja'}`);
  }

  /** Another type for the field: id, label, hint, required and condition are kept, the type's own options reset. */
  @Post(':id/champs/:loc/type')
  async changeType(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('loc') locText: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const loc = this.locator(locText);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const type = one(body.type);
    if (!(type in FIELD_TYPE_LABELS) || (type === 'block' && loc.sub !== undefined)) throw DomainError.invalid('BUILDER_FIELD_TYPE_UNKNOWN', 'Type de champ inconnu (un bloc ne contient pas de bloc).');
    await this.builder.save(target, one(body.revision), (content) => {
      const slot = fieldSlot(content, loc);
      const current = slot?.list[slot.index];
      if (!slot || !isRecord(current)) throw builderErrors.itemNotFound();
      const kept = Object.fromEntries(['label', 'hint', 'required', 'condition'].filter((key) => current[key] !== undefined).map((key) => [key, current[key]]));
      slot.list[slot.index] = { ...newField(type, String(current.id ?? '')), ...kept };
    });
    res.redirect(303, `/teleservices/${id}/champs/${locText}?fait=enregistre`);
  }

  /** Moves a top-level field to the end of another page. */
  @Post(':id/champs/:loc/page')
  async moveToPage(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('loc') locText: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const loc = this.locator(locText);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const to = index(one(body.page));
    if (loc.sub !== undefined) throw builderErrors.itemNotFound();
    let moved = '';
    await this.builder.save(target, one(body.revision), (content) => {
      const slot = fieldSlot(content, loc);
      const page = pagesOf(content)[to];
      if (!slot || !isRecord(page)) throw builderErrors.itemNotFound();
      if (!Array.isArray(page.fields)) page.fields = [];
      const [field] = slot.list.splice(slot.index, 1);
      (page.fields as unknown[]).push(field);
      moved = locatorText({ page: to, field: (page.fields as unknown[]).length - 1 });
    });
    res.redirect(303, `/teleservices/${id}/champs/${moved}?fait=deplace`);
  }

  @Post(':id/champs/:loc/deplacer')
  async moveField(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('loc') locText: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const loc = this.locator(locText);
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.builder.save(target, one(body.revision), (content) => {
      const slot = fieldSlot(content, loc);
      if (!slot || !move(slot.list, slot.index, one(body.sens) === 'haut' ? -1 : 1)) throw builderErrors.itemNotFound();
    });
    res.redirect(303, loc.sub === undefined ? `/teleservices/${id}/pages/${loc.page}?fait=deplace#champs` : `/teleservices/${id}/champs/${loc.page}-${loc.field}?fait=deplace#sous-champs`);
  }

  @Post(':id/champs/:loc/supprimer')
  async deleteField(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('loc') locText: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const loc = this.locator(locText);
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.builder.save(target, one(body.revision), (content) => {
      const slot = fieldSlot(content, loc);
      if (!slot) throw builderErrors.itemNotFound();
      slot.list.splice(slot.index, 1);
    });
    res.redirect(303, loc.sub === undefined ? `/teleservices/${id}/pages/${loc.page}?fait=supprime#champs` : `/teleservices/${id}/champs/${loc.page}-${loc.field}?fait=supprime#sous-champs`);
  }

  // ——— Workflow ———

  @Get(':id/workflow')
  async workflow(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Query('fait') done?: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    this.renderWorkflow(res, target, NOTICES[one(done)] ?? null);
  }

  private renderWorkflow(res: Response, target: BuilderTeleservice, notice: string | null) {
    const content = contentOf(target.draft!);
    const workflow = workflowOf(content);
    const choices = workflowChoices(content);
    const specs = WORKFLOW_SPECS(choices.statuses);
    const errors = this.builder.authoring.validator.validate(content, target.teleservice);
    const own = assignErrors(specs, errorsUnder(errors, '/workflow', 'statuses'));
    const statuses = asList(workflow.statuses);
    const editing = { ...workflow, functions: asList(workflow.functions).map((f) => ({ value: f.id, label: f.label })) };
    res.render('builder-workflow', {
      pageTitle: `${own.byInput.size || own.other.length ? 'Erreur — ' : ''}Workflow — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base: `/teleservices/${target.teleservice.id}`,
      teleservice: target.teleservice,
      revision: target.draft!.checksum,
      notice,
      errorSummary: summary('w', specs, own.byInput, own.other, 'w-formulaire'),
      inputs: renderInputs('w', specs, editing, own.byInput),
      statuses: statuses.map((status, s) => ({
        index: s,
        id: String(status.id ?? ''),
        label: String(status.label ?? ''),
        colour: String(status.colour ?? ''),
        visibleLabel: status.visibility === 'citizen' ? 'visible par l’usager' : 'interne',
        final: status.final === true,
        initial: status.id === workflow.initialStatus,
        actionCount: asList(status.actions).length,
        errorCount: errorsUnder(errors, `/workflow/statuses/${s}`).length,
        first: s === 0,
        last: s === statuses.length - 1,
      })),
    });
  }

  @Post(':id/workflow')
  async saveWorkflow(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.builder.save(target, one(body.revision), (content) => {
      const workflow = workflowOf(content);
      applyInputs(WORKFLOW_SPECS(workflowChoices(content).statuses), workflow, body);
      workflow.functions = asList(workflow.functions).map((f) => ({ id: f.value, label: f.label }));
    });
    res.redirect(303, `/teleservices/${id}/workflow?fait=enregistre`);
  }

  @Post(':id/statuts')
  async addStatus(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    let added = 0;
    await this.builder.save(target, one(body.revision), (content) => {
      const statuses = statusesOf(content);
      statuses.push({ id: freshId('statut', statuses.map((s) => s.id)), label: one(body.libelle) || 'Nouveau statut', colour: '#1F5FAD', visibility: 'citizen', final: false, actions: [] });
      added = statuses.length - 1;
    });
    res.redirect(303, `/teleservices/${id}/statuts/${added}?fait=ajoute`);
  }

  @Get(':id/statuts/:s')
  async status(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string, @Query('fait') done?: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    this.renderStatus(res, target, index(s), 200, NOTICES[one(done)] ?? null);
  }

  private renderStatus(res: Response, target: BuilderTeleservice, s: number, status: number, notice: string | null) {
    const content = contentOf(target.draft!);
    const item = statusesOf(content)[s];
    if (!isRecord(item)) throw builderErrors.itemNotFound();
    const errors = this.builder.authoring.validator.validate(content, target.teleservice);
    const own = assignErrors(STATUS_SPECS, errorsUnder(errors, `/workflow/statuses/${s}`, 'actions'));
    const actions = asList(item.actions);
    res.status(status).render('builder-status', {
      pageTitle: `${own.byInput.size || own.other.length ? 'Erreur — ' : ''}Statut « ${String(item.label ?? '')} » — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base: `/teleservices/${target.teleservice.id}`,
      teleservice: target.teleservice,
      revision: target.draft!.checksum,
      index: s,
      label: String(item.label ?? ''),
      notice,
      errorSummary: summary('s', STATUS_SPECS, own.byInput, own.other, 's-formulaire'),
      inputs: renderInputs('s', STATUS_SPECS, item, own.byInput),
      actions: actions.map((action, a) => ({
        index: a,
        id: String(action.id ?? ''),
        label: action.label ? String(action.label) : '',
        kindLabel: ACTION_KIND_LABELS[String(action.kind)] ?? String(action.kind),
        errors: errorsUnder(errors, `/workflow/statuses/${s}/actions/${a}`).map((e) => e.message),
        first: a === 0,
        last: a === actions.length - 1,
      })),
      kindChoices: Object.entries(ACTION_KIND_LABELS).map(([value, label]) => ({ value, label })),
    });
  }

  @Post(':id/statuts/:s')
  async saveStatus(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const i = index(s);
    await this.builder.save(target, one(body.revision), (content) => {
      const workflow = workflowOf(content);
      const status = statusesOf(content)[i];
      if (!isRecord(status)) throw builderErrors.itemNotFound();
      const before = status.id;
      applyInputs(STATUS_SPECS, status, body);
      // A renamed status keeps the workflow consistent: the initial status and every reference follow it.
      if (before !== status.id && typeof before === 'string') renameStatus(workflow, before, String(status.id));
    });
    res.redirect(303, `/teleservices/${id}/statuts/${i}?fait=enregistre`);
  }

  @Post(':id/statuts/:s/deplacer')
  async moveStatus(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.builder.save(target, one(body.revision), (content) => {
      if (!move(statusesOf(content), index(s), one(body.sens) === 'haut' ? -1 : 1)) throw builderErrors.itemNotFound();
    });
    res.redirect(303, `/teleservices/${id}/workflow?fait=deplace#statuts`);
  }

  @Post(':id/statuts/:s/supprimer')
  async deleteStatus(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const item = statusesOf(contentOf(target.draft!))[index(s)];
    const count = isRecord(item) ? asList(item.actions).length : 0;
    if (count > 0 && one(body.confirme) !== 'oui') {
      return this.confirm(res, target, {
        title: `Supprimer le statut « ${String(item.label ?? '')} » ?`,
        message: `Le statut et ses ${count} action(s) seront retirés du brouillon. Les actions qui y mènent devront changer de statut d’arrivée.`,
        action: `/teleservices/${id}/statuts/${index(s)}/supprimer`,
        button: 'Supprimer le statut et ses actions',
        revision: one(body.revision),
      });
    }
    await this.builder.save(target, one(body.revision), (content) => {
      const statuses = statusesOf(content);
      if (index(s) >= statuses.length) throw builderErrors.itemNotFound();
      statuses.splice(index(s), 1);
    });
    res.redirect(303, `/teleservices/${id}/workflow?fait=supprime#statuts`);
  }

  @Post(':id/statuts/:s/actions')
  async addAction(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const kind = one(body.type);
    if (!(kind in ACTION_KIND_LABELS)) throw DomainError.invalid('BUILDER_ACTION_KIND_UNKNOWN', 'Type d’action inconnu : choisissez-en un dans la liste.');
    let added = 0;
    await this.builder.save(target, one(body.revision), (content) => {
      const status = statusesOf(content)[index(s)];
      if (!isRecord(status)) throw builderErrors.itemNotFound();
      if (!Array.isArray(status.actions)) status.actions = [];
      const actions = status.actions as unknown[];
      const ids = statusesOf(content).flatMap((st) => asList(st.actions).map((a) => a.id));
      actions.push(newAction(kind, freshId('action', ids).replace('_', '-'), workflowChoices(content)));
      added = actions.length - 1;
    });
    res.redirect(303, `/teleservices/${id}/statuts/${index(s)}/actions/${added}?fait=ajoute`);
  }

  @Get(':id/statuts/:s/actions/:a')
  async action(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string, @Param('a') a: string, @Query('fait') done?: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    this.renderAction(res, target, index(s), index(a), 200, NOTICES[one(done)] ?? null);
  }

  private renderAction(res: Response, target: BuilderTeleservice, s: number, a: number, status: number, notice: string | null, parseErrors?: Map<string, string>, posted?: Record<string, unknown>) {
    const content = contentOf(target.draft!);
    const item = statusesOf(content)[s];
    const action = isRecord(item) ? asList(item.actions)[a] : undefined;
    if (!isRecord(item) || !action) throw builderErrors.itemNotFound();
    const specs = actionSpecs(String(action.kind), workflowChoices(content));
    const errors = this.builder.authoring.validator.validate(content, target.teleservice);
    const own = assignErrors(specs, errorsUnder(errors, `/workflow/statuses/${s}/actions/${a}`));
    const byInput = parseErrors ?? own.byInput;
    res.status(status).render('builder-action', {
      pageTitle: `${byInput.size || own.other.length ? 'Erreur — ' : ''}Action « ${String(action.label ?? action.id ?? '')} » — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base: `/teleservices/${target.teleservice.id}`,
      teleservice: target.teleservice,
      revision: target.draft!.checksum,
      status: { index: s, label: String(item.label ?? '') },
      index: a,
      label: String(action.label ?? action.id ?? ''),
      kindLabel: ACTION_KIND_LABELS[String(action.kind)] ?? String(action.kind),
      notice,
      errorSummary: summary('a', specs, byInput, parseErrors ? [] : own.other, 'a-formulaire'),
      inputs: renderInputs('a', specs, actionForEditing(action), byInput, posted),
      documentPreview: action.kind === 'attach_document' && action.documentTemplate === CUSTOM_DOCUMENT ? `/teleservices/${target.teleservice.id}/statuts/${s}/actions/${a}/apercu.pdf` : null,
    });
  }

  /** The written document of an `attach_document` action, as a PDF on sample data (the draft as saved). */
  @Get(':id/statuts/:s/actions/:a/apercu.pdf')
  async documentPreview(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string, @Param('a') a: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const content = contentOf(target.draft!);
    const item = statusesOf(content)[index(s)];
    const action = isRecord(item) ? asList(item.actions)[index(a)] : undefined;
    if (!action || action.kind !== 'attach_document') throw builderErrors.itemNotFound();
    const collectivityName = req.agent!.collectivities.find((c) => c.id === target.teleservice.collectivityId)?.name ?? '';
    const pdf = previewDocumentPdf(action, content, collectivityName, this.builder.now());
    res.status(200);
    res.setHeader('Content-Type', 'application/pdf');
    res.setHeader('Content-Disposition', 'inline; filename="apercu-document.pdf"');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(pdf);
  }

  @Post(':id/statuts/:s/actions/:a')
  async saveAction(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string, @Param('a') a: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const [si, ai] = [index(s), index(a)];
    const content = contentOf(target.draft!);
    const item = statusesOf(content)[si];
    const action = isRecord(item) ? asList(item.actions)[ai] : undefined;
    if (!action) throw builderErrors.itemNotFound();
    const edited = actionForEditing(structuredClone(action));
    const parseErrors = applyInputs(actionSpecs(String(action.kind), workflowChoices(content)), edited, body);
    if (parseErrors.size) return this.renderAction(res, target, si, ai, 422, null, parseErrors, body);
    const tidy = tidyAction(edited);
    await this.builder.save(target, one(body.revision), (next) => {
      const status = statusesOf(next)[si];
      if (!isRecord(status) || !Array.isArray(status.actions) || ai >= status.actions.length) throw builderErrors.itemNotFound();
      status.actions[ai] = tidy;
    });
    res.redirect(303, `/teleservices/${id}/statuts/${si}/actions/${ai}?fait=enregistre`);
  }

  @Post(':id/statuts/:s/actions/:a/deplacer')
  async moveAction(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string, @Param('a') a: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.builder.save(target, one(body.revision), (content) => {
      const status = statusesOf(content)[index(s)];
      if (!isRecord(status) || !Array.isArray(status.actions) || !move(status.actions, index(a), one(body.sens) === 'haut' ? -1 : 1)) throw builderErrors.itemNotFound();
    });
    res.redirect(303, `/teleservices/${id}/statuts/${index(s)}?fait=deplace#actions`);
  }

  @Post(':id/statuts/:s/actions/:a/supprimer')
  async deleteAction(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('s') s: string, @Param('a') a: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.builder.save(target, one(body.revision), (content) => {
      const status = statusesOf(content)[index(s)];
      if (!isRecord(status) || !Array.isArray(status.actions) || index(a) >= status.actions.length) throw builderErrors.itemNotFound();
      status.actions.splice(index(a), 1);
    });
    res.redirect(303, `/teleservices/${id}/statuts/${index(s)}?fait=supprime#actions`);
  }

  // ——— Declared data sources ———

  @Get(':id/sources')
  async sources(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Query('fait') done?: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const content = contentOf(target.draft!);
    const errors = this.builder.authoring.validator.validate(content, target.teleservice);
    const sources = asList(content.dataSources);
    res.render('builder-sources', {
      pageTitle: `Sources de données — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base: `/teleservices/${id}`,
      teleservice: target.teleservice,
      revision: target.draft!.checksum,
      notice: NOTICES[one(done)] ?? null,
      sources: sources.map((source, i) => ({
        index: i,
        id: String(source.id ?? ''),
        label: String(source.label ?? ''),
        url: isRecord(source.source) ? String(source.source.url ?? source.source.kind ?? '') : '',
        errors: errorsUnder(errors, `/dataSources/${i}`).map((e) => e.message),
      })),
    });
  }

  @Post(':id/sources')
  async addSource(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    let added = 0;
    await this.builder.save(target, one(body.revision), (content) => {
      const sources = Array.isArray(content.dataSources) ? (content.dataSources as unknown[]) : [];
      content.dataSources = sources;
      sources.push({ id: freshId('source', asList(sources).map((s) => s.id)).replace('_', '-'), label: one(body.libelle) || 'Nouvelle source', source: { kind: 'url', url: 'https://', valuePath: 'code', labelPath: 'nom' } });
      added = sources.length - 1;
    });
    res.redirect(303, `/teleservices/${id}/sources/${added}?fait=ajoute`);
  }

  @Get(':id/sources/:i')
  async source(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('i') i: string, @Query('fait') done?: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    this.renderSource(res, target, index(i), 200, NOTICES[one(done)] ?? null);
  }

  private renderSource(res: Response, target: BuilderTeleservice, i: number, status: number, notice: string | null, parseErrors?: Map<string, string>, posted?: Record<string, unknown>) {
    const content = contentOf(target.draft!);
    const source = asList(content.dataSources)[i];
    if (!source) throw builderErrors.itemNotFound();
    const errors = this.builder.authoring.validator.validate(content, target.teleservice);
    const own = assignErrors(DATA_SOURCE_SPECS, errorsUnder(errors, `/dataSources/${i}`));
    const byInput = parseErrors ?? own.byInput;
    res.status(status).render('builder-source', {
      pageTitle: `${byInput.size || own.other.length ? 'Erreur — ' : ''}Source « ${String(source.label ?? '')} » — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base: `/teleservices/${target.teleservice.id}`,
      teleservice: target.teleservice,
      revision: target.draft!.checksum,
      index: i,
      label: String(source.label ?? ''),
      notice,
      errorSummary: summary('d', DATA_SOURCE_SPECS, byInput, parseErrors ? [] : own.other, 'd-formulaire'),
      inputs: renderInputs('d', DATA_SOURCE_SPECS, source, byInput, posted),
    });
  }

  @Post(':id/sources/:i')
  async saveSource(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('i') i: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const position = index(i);
    const current = asList(contentOf(target.draft!).dataSources)[position];
    if (!current) throw builderErrors.itemNotFound();
    const edited = structuredClone(current);
    edited.source = { kind: 'url', ...(isRecord(edited.source) ? edited.source : {}) };
    const parseErrors = applyInputs(DATA_SOURCE_SPECS, edited, body);
    if (parseErrors.size) return this.renderSource(res, target, position, 422, null, parseErrors, body);
    (edited.source as Record<string, unknown>).kind = 'url';
    await this.builder.save(target, one(body.revision), (content) => {
      if (!Array.isArray(content.dataSources) || position >= content.dataSources.length) throw builderErrors.itemNotFound();
      content.dataSources[position] = edited;
    });
    res.redirect(303, `/teleservices/${id}/sources/${position}?fait=enregistre`);
  }

  @Post(':id/sources/:i/supprimer')
  async deleteSource(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Param('i') i: string) {
    const target = this.requireDraft(await this.builder.load(req.agent!, id));
    const body = (req.body ?? {}) as Record<string, unknown>;
    await this.builder.save(target, one(body.revision), (content) => {
      if (!Array.isArray(content.dataSources) || index(i) >= content.dataSources.length) throw builderErrors.itemNotFound();
      content.dataSources.splice(index(i), 1);
    });
    res.redirect(303, `/teleservices/${id}/sources?fait=supprime`);
  }

  /** A confirmation page for what cannot be undone (the same POST again, with `confirme=oui`). */
  private confirm(res: Response, target: BuilderTeleservice, question: { title: string; message: string; action: string; button: string; revision?: string }) {
    res.status(200).render('builder-confirm', {
      pageTitle: `${question.title} — ${target.teleservice.title}`,
      navigation: NAVIGATION,
      base: `/teleservices/${target.teleservice.id}`,
      teleservice: target.teleservice,
      ...question,
    });
  }

  private requireDraft(target: BuilderTeleservice): BuilderTeleservice {
    if (!target.draft || target.teleservice.archivedAt || target.teleservice.packSourceId) throw builderErrors.noDraft();
    return target;
  }

  private locator(text: string): FieldLocator {
    const loc = parseLocator(text);
    if (!loc) throw builderErrors.itemNotFound();
    return loc;
  }
}

/** Replaces a status id everywhere the workflow refers to it (initial status, targets, waiting/resume statuses). */
function renameStatus(workflow: Record<string, unknown>, from: string, to: string): void {
  if (workflow.initialStatus === from) workflow.initialStatus = to;
  for (const status of asList(workflow.statuses)) {
    for (const action of asList(status.actions)) {
      for (const key of ['target', 'waitingStatus', 'resumeStatus', 'onSuccess', 'onFailure']) if (action[key] === from) action[key] = to;
    }
  }
}
