import type { Readable } from 'node:stream';
import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, type FieldError } from '#core';
import type { CompiledDefinition } from '#demands';
import {
  blockIndexes,
  blocksWithFiles,
  errorKey,
  errorsByKey,
  fileInputOf,
  pageHasFiles,
  pageOfPath,
  pageView,
  readPage,
  shownIds,
  visibility,
  type CommuneChoice,
  type FieldDefinition,
  type FormProfile,
  type FormValues,
  type PageDefinition,
} from '#forms';
import { authorizationHref, type ReleasedScope, type WebSession } from '#web-session';
import { portalNavigation } from '../navigation.js';
import { assetUrl } from './assets.controller.js';

import { FormFillingService, formNotFound, stagedKeys, type Flash, type FormTeleservice, type Progress } from './form-filling.service.js';
import { isMultipart, readMultipart } from './multipart.js';
import { authorizationScopeOf, MANDATE_ACTION, mandatesOf, offersMandateChoice, offersOf, offersScope, releaseKey, releasedAttributes, SCOPE_OF_ATTRIBUTE, type TellUsOnceOffer } from './tell-us-once.js';

const NEW = 'nouveau';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a logged-in citizen resumes a draft (the « Mes démarches » list links here). */
export const draftResumeUrl = (draftId: string) => `/brouillons/${draftId}`;

interface Loaded {
  teleservice: FormTeleservice;
  progress: Progress;
  definition: CompiledDefinition;
  profile: FormProfile;
  isNew: boolean;
  /** The purpose data released by an incremental authorization is kept for (this form in progress). */
  releaseKey: string;
  released: Record<string, ReleasedScope>;
}

/**
 * Filling a téléservice's form on the portal, page by page, without JavaScript (JavaScript only improves):
 * `…/formulaire` (start), `…/formulaire/<id>/etape/<page>`, `…/formulaire/<id>/recapitulatif`,
 * `…/formulaire/<id>/recu`; `<id>` is `nouveau` before the first save, then the draft's (or session form's) id.
 * Every POST answers 303 (Post/Redirect/Get): what a page must show again travels in the session's flash.
 */
@Controller()
export class FormController {
  constructor(private readonly forms: FormFillingService) {}

  // ------------------------------------------------------------------------------------------ start

  @Get('demarches/:instance/:slug/formulaire')
  async start(@Param('instance') instance: string, @Param('slug') slug: string, @Req() req: Request, @Res() res: Response) {
    const teleservice = await this.forms.teleservice(instance, slug);
    this.forms.assertOpen(teleservice);
    const session = req.webSession!;
    const base = this.base(teleservice);
    if (!teleservice.anonymousAllowed && !session.user) {
      return res.render('form-login', {
        pageTitle: `Connexion nécessaire — ${teleservice.title}`,
        navigation: portalNavigation('demarches'),
        teleservice,
        loginHref: `/auth/login?returnTo=${encodeURIComponent(base)}`,
      });
    }
    const { drafts, full } = await this.forms.draftsOf(session, teleservice.id);
    const definition = await this.forms.definition(teleservice.versionId!);
    const first = this.firstPage(definition, this.forms.profileOf(session));
    // At the draft limit, say so before the citizen types anything (the creation would be refused).
    if (!drafts.length && full) throw this.forms.draftLimitReached();
    if (!drafts.length) return res.redirect(303, `${base}/${NEW}/etape/${first}`);
    const brand = await this.forms.brand(teleservice);
    return res.render('form-start', {
      pageTitle: `Reprendre ou commencer — ${teleservice.title}`,
      navigation: portalNavigation('demarches'),
      brand,
      stylesheets: brand ? [brand.styleUrl] : [],
      teleservice,
      csrfToken: await session.csrfToken(),
      newHref: full ? null : `${base}/${NEW}/etape/${first}`,
      limitMessage: full ? this.forms.draftLimitReached().message : null,
      drafts: drafts.map((d) => ({
        href: `${base}/${d.id}`,
        deleteAction: `${base}/${d.id}/supprimer`,
        savedAt: frenchDateTime(new Date(d.updatedAt)),
        expiresAt: d.expiresAt ? frenchDate(new Date(d.expiresAt)) : null,
      })),
    });
  }

  /** The resume link of a draft: finds its téléservice and goes to the page where the citizen left. */
  @Get('brouillons/:id')
  async resumeDraft(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const session = req.webSession!;
    if (!session.user) return res.redirect(303, `/auth/login?returnTo=${encodeURIComponent(draftResumeUrl(id))}`);
    const progress = await this.forms.load(session, id);
    const teleservice = progress && (await this.forms.teleserviceById(progress.teleserviceId));
    if (!progress || !teleservice) throw formNotFound();
    return res.redirect(303, `${this.base(teleservice)}/${progress.id}`);
  }

  @Get('demarches/:instance/:slug/formulaire/:formId')
  async resume(@Param('instance') instance: string, @Param('slug') slug: string, @Param('formId') formId: string, @Req() req: Request, @Res() res: Response) {
    const loaded = await this.load(req, instance, slug, formId);
    const pages = loaded.definition.form.visiblePages(loaded.progress.data, await this.forms.validationContext(loaded.profile, loaded.definition.form));
    const page = loaded.progress.currentPage && pages.includes(loaded.progress.currentPage) ? loaded.progress.currentPage : pages[0];
    return res.redirect(303, `${this.base(loaded.teleservice)}/${formId}/etape/${page}`);
  }

  @Post('demarches/:instance/:slug/formulaire/:formId/supprimer')
  async remove(@Param('instance') instance: string, @Param('slug') slug: string, @Param('formId') formId: string, @Req() req: Request, @Res() res: Response) {
    const loaded = await this.load(req, instance, slug, formId);
    await this.forms.discard(req.webSession!, loaded.progress);
    return res.redirect(303, `${loaded.teleservice.href}?brouillon=supprime`);
  }

  // ------------------------------------------------------------------------------------------ pages

  @Get('demarches/:instance/:slug/formulaire/:formId/etape/:page')
  async page(
    @Param('instance') instance: string,
    @Param('slug') slug: string,
    @Param('formId') formId: string,
    @Param('page') pageId: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const session = req.webSession!;
    const loaded = await this.load(req, instance, slug, formId);
    const { definition, progress, teleservice, profile } = loaded;
    const form = definition.form;
    const page = form.definition.pages.find((p) => p.id === pageId);
    if (!page) throw DomainError.notFound('FORM_PAGE_NOT_FOUND', 'Cette étape n’existe pas dans ce formulaire.');
    const context = await this.forms.validationContext(profile, form);
    const flash = loaded.isNew ? null : await this.forms.takeFlash(session, formId, pageId);
    const prefill = form.prefill(profile);
    const values: FormValues = flash ? { ...progress.data, ...flash.values } : { ...progress.data };
    for (const id of prefill.locked) values[id] = prefill.values[id];
    const pages = form.visiblePages(values, context);
    if (!pages.includes(pageId)) return res.redirect(303, `${this.base(teleservice)}/${formId}/etape/${pages[0]}`);
    // A repeatable block that needs items starts with one empty item to fill.
    for (const field of page.fields) {
      if (field.type === 'block' && !Array.isArray(values[field.id]) && (field.required || (field.minItems ?? 0) > 0)) values[field.id] = [{}];
    }
    const communes = await this.forms.communes();
    const visible = visibility(form.definition, values, profile);
    const errors = flash?.errors ?? [];
    const view = pageView(page, {
      definition: form.definition,
      values,
      errors: errorsByKey(errors),
      visible,
      locked: new Set(prefill.locked),
      communes,
      communeChoices: new Map(Object.entries(flash?.choices ?? {})),
      options: (field: FieldDefinition, key: string) => this.forms.options(field, key, context.resolveOptions),
      tilesUrl: this.forms.tilesUrl,
      uploadMaxBytes: this.forms.uploadMaxBytes,
    });
    const shownTop = new Set(view.fields.map((f) => f.name.slice(2)));
    const unplaced = errors.filter((e) => !shownTop.has(errorKey(e.path).split('.')[0])).map((e) => ({ message: e.message }));
    const summary = [...view.summary, ...unplaced];
    const step = pages.indexOf(pageId) + 1;
    const previous = step > 1 ? `${this.base(teleservice)}/${formId}/etape/${pages[step - 2]}` : teleservice.href;
    const hasFile = pageHasFiles(page);
    const hasMap = view.fields.some((f) => f.kind === 'map');
    const csrfToken = await session.csrfToken();
    const action = `${this.base(teleservice)}/${formId}/etape/${pageId}`;
    if (hasMap) this.allowTiles(res);
    const versionNotice = loaded.isNew ? null : await this.forms.takeNotice(session, formId);
    const tellUsOnce = this.offers(session, res, loaded, page, action);
    res.status(errors.length ? 422 : 200);
    res.setHeader('Cache-Control', 'no-store'); // what the person typed, even anonymously
    const brand = await this.forms.brand(teleservice);
    return res.render('form-page', {
      brand,
      pageTitle: `${errors.length ? 'Erreur : ' : ''}Étape ${step} sur ${pages.length} — ${page.title} — ${teleservice.title}`,
      navigation: portalNavigation('demarches'),
      stylesheets: [assetUrl('portal/forms.css'), ...(hasMap ? ['/assets/leaflet/leaflet.css'] : []), ...(brand ? [brand.styleUrl] : [])],
      scripts: [assetUrl('portal/forms.js')],
      teleservice,
      page: { id: page.id, title: page.title },
      step,
      steps: pages.length,
      fields: view.fields,
      tellUsOnce,
      errors: summary,
      notice: flash?.notice,
      versionNotice,
      csrfToken,
      action,
      // A page with a file input posts multipart: its token travels in the query string (the body is read after the check).
      multipart: hasFile,
      formAction: hasFile ? `${action}?_csrf=${encodeURIComponent(csrfToken)}` : action,
      visibilityUrl: `${action}/visibilite`,
      uploadUrl: `${action}/fichiers`,
      shown: shownIds(page, visible).join(','),
      previous,
      previousLabel: step > 1 ? 'Précédent' : 'Revenir à la présentation de la démarche',
      canSave: Boolean(session.user),
      lastPage: step === pages.length,
      deleteAction: loaded.isNew ? null : `${this.base(teleservice)}/${formId}/supprimer`,
      loggedIn: Boolean(session.user),
    });
  }

  @Post('demarches/:instance/:slug/formulaire/:formId/etape/:page')
  async submitPage(
    @Param('instance') instance: string,
    @Param('slug') slug: string,
    @Param('formId') formId: string,
    @Param('page') pageId: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const session = req.webSession!;
    const loaded = await this.load(req, instance, slug, formId);
    const { definition, teleservice, profile } = loaded;
    const form = definition.form;
    const page = form.definition.pages.find((p) => p.id === pageId);
    if (!page) throw DomainError.notFound('FORM_PAGE_NOT_FOUND', 'Cette étape n’existe pas dans ce formulaire.');

    // The body: form fields, and files staged as they arrive (multipart, without JavaScript).
    // Files are keyed by their input's key: `photo`, or `enfants.<index as named>.certificat`.
    const refused = new Map<string, string>();
    const uploaded = new Map<string, Record<string, unknown>[]>();
    let body: Record<string, unknown>;
    if (isMultipart(req)) {
      const parsed = await readMultipart(req, this.forms.uploadMaxBytes, async (name: string, fileName: string, stream: Readable) => {
        const input = fileInputOf(page, name);
        if (!input) {
          stream.resume();
          return null;
        }
        const outcome = await this.forms.stage(input.field, fileName, stream);
        if (outcome.ok) uploaded.set(input.key, [...(uploaded.get(input.key) ?? []), outcome.descriptor]);
        else if (!refused.has(input.key)) refused.set(input.key, outcome.message);
        return outcome;
      });
      body = parsed.fields;
    } else body = (req.body ?? {}) as Record<string, unknown>;

    // « Dites-le-nous une fois »: the page's buttons ask for a scope, or choose the mandate to act for; only what the page
    // offers now (otherwise 422 and nothing kept).
    const asked = authorizationScopeOf(body._action);
    const chosenMandate = body._action === MANDATE_ACTION ? body.mandat : undefined;
    if (asked !== null || body._action === MANDATE_ACTION) {
      const offers = this.offers(session, res, loaded, page, `${this.base(teleservice)}/${formId}/etape/${pageId}`);
      const refusal =
        asked !== null && !offersScope(offers, asked)
          ? DomainError.invalid('AUTHORIZATION_NOT_OFFERED', 'Cette information ne peut pas être demandée à l’administration depuis cette page. Revenez à la page et utilisez le bouton qu’elle propose.')
          : asked === null && (!offersMandateChoice(offers) || !mandatesOf(loaded.released.mandats).some((m) => m.siret === chosenMandate))
            ? DomainError.invalid('MANDATE_UNKNOWN', 'Choisissez l’une de vos entreprises (ou associations) dans la liste de vos mandats, puis recommencez.')
            : null;
      if (refusal) {
        const sent = [...uploaded.values()].flat();
        if (sent.length) await this.forms.deleteStaged(stagedKeys({ sent }));
        throw refusal;
      }
    }

    const progress = loaded.isNew
      ? await this.forms.create(session, { teleserviceId: teleservice.id, versionId: loaded.progress.versionId, data: {}, currentPage: pageId })
      : loaded.progress;
    if (loaded.isNew) await session.moveReleased(loaded.releaseKey, progress.id);
    const base = `${this.base(teleservice)}/${progress.id}`;
    const here = `${base}/etape/${pageId}`;
    const communes = await this.forms.communes();
    const raw = readPage(page, body, communes);
    // Certified profile values are locked: whatever was sent, they stay the profile's. Data of the administration or
    // of a mandate is checked instead: a different value sent is refused by the validator (PREFILL_LOCKED).
    const prefill = form.prefill(profile);
    for (const id of prefill.locked) {
      const field = page.fields.find((f) => f.id === id);
      if (!field) continue;
      const attribute = 'prefill' in field && field.prefill ? field.prefill.attribute : '';
      if (!(attribute in SCOPE_OF_ATTRIBUTE) || raw[id] === undefined || raw[id] === '') raw[id] = prefill.values[id];
    }

    // Files: those kept, those removed, those just uploaded (multipart or staged by the JavaScript upload).
    const action = typeof body._action === 'string' ? body._action : 'continue';
    const staged = await this.forms.takeStaged(session, page, body);
    const uploadErrors: FieldError[] = [];
    const placed = new Set<string>();
    const placeFiles = async (field: { maxFiles?: number }, key: string, path: string, kept: Record<string, unknown>[]): Promise<Record<string, unknown>[]> => {
      placed.add(key);
      const removeAt = action.startsWith(`remove-file:${key}:`) ? Number(action.slice(`remove-file:${key}:`.length)) : -1;
      if (Number.isInteger(removeAt) && removeAt >= 0 && removeAt < kept.length) {
        const [removed] = kept.splice(removeAt, 1);
        await this.forms.deleteStaged(stagedKeys({ removed: [removed] }));
      }
      const all = [...kept, ...(staged.get(key) ?? []), ...(uploaded.get(key) ?? [])];
      const message = refused.get(key);
      if (message) uploadErrors.push({ path: `data.${path}`, code: 'FILE_REFUSED', message });
      const max = field.maxFiles ?? 1;
      if (all.length > max) {
        const extra = all.splice(max);
        await this.forms.deleteStaged(stagedKeys({ extra }));
        uploadErrors.push({ path: `data.${path}`, code: 'TOO_MANY_FILES', message: max === 1 ? 'Un seul fichier est admis : retirez le fichier joint pour en joindre un autre.' : `${max} fichiers au plus.` });
      }
      return all;
    };
    const filesOf = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? (value as unknown[]).filter(isObject) : []);
    for (const field of page.fields) {
      if (field.type !== 'file') continue;
      const all = await placeFiles(field, field.id, field.id, filesOf(progress.data[field.id]));
      if (all.length) raw[field.id] = all;
      else delete raw[field.id];
    }
    // In a block, an item the page showed (`f.<block>.<i>._saved`) keeps the files saved at its index; the files of
    // items no longer sent (removed, also in place by the JavaScript) are deleted.
    const blockFiles = blocksWithFiles(page);
    for (const block of blockFiles) {
      const saved = Array.isArray(progress.data[block.id]) ? (progress.data[block.id] as unknown[]) : [];
      const items = Array.isArray(raw[block.id]) ? (raw[block.id] as FormValues[]) : [];
      const claimed = new Set<number>();
      const indexes = blockIndexes(body, block.id);
      for (const [position, index] of indexes.entries()) {
        const item = items[position];
        if (!item) continue;
        const source = body[`f.${block.id}.${index}._saved`] !== undefined && isObject(saved[index]) ? (saved[index] as FormValues) : undefined;
        if (source) claimed.add(index);
        for (const sub of block.files) {
          const all = await placeFiles(sub, `${block.id}.${index}.${sub.id}`, `${block.id}[${position}].${sub.id}`, filesOf(source?.[sub.id]));
          if (all.length) item[sub.id] = all;
        }
      }
      const dropped = saved.filter((item, index) => !claimed.has(index) && isObject(item));
      await this.forms.deleteStaged(stagedKeys({ [block.id]: dropped }));
    }
    // Files sent for an item the body does not have: not kept.
    const unplaced = [...staged, ...uploaded].filter(([key]) => !placed.has(key)).flatMap(([, files]) => files);
    if (unplaced.length) await this.forms.deleteStaged(stagedKeys({ unplaced }));
    const pageIds = new Set(page.fields.map((f) => f.id));
    const others = Object.fromEntries(Object.entries(progress.data).filter(([id]) => !pageIds.has(id)));
    const values: FormValues = { ...others, ...raw };

    // Buttons that change the page without going forward: add or remove a block's item.
    const blockAction = /^(add|remove):([a-z][a-z0-9_]*)(?::(\d+))?$/.exec(action);
    const actionBlock = blockAction ? page.fields.find((f) => f.id === blockAction[2] && f.type === 'block') : undefined;
    let blockAnchor = '';
    if (blockAction && actionBlock?.type === 'block') {
      const list = Array.isArray(values[actionBlock.id]) ? [...(values[actionBlock.id] as FormValues[])] : [];
      if (blockAction[1] === 'add' && list.length < (actionBlock.maxItems ?? 20)) {
        list.push({});
        blockAnchor = `#f-${actionBlock.id}-${list.length - 1}`;
      } else if (blockAction[1] === 'remove') {
        const removed = list.splice(Number(blockAction[3]), 1);
        await this.forms.deleteStaged(stagedKeys({ [actionBlock.id]: removed }));
        blockAnchor = `#f-${actionBlock.id}`;
      }
      values[actionBlock.id] = list;
    }
    // Files are tracked by the form in progress at once, whatever happens next (no orphan when it is deleted); a
    // block with file fields is kept as sent, so that its items' indexes match the page shown next.
    const fileIds = page.fields.filter((f) => f.type === 'file').map((f) => f.id);
    const trackedIds = [...fileIds, ...blockFiles.map((b) => b.id)];
    if (trackedIds.length) {
      for (const id of trackedIds) {
        const value = fileIds.includes(id) ? raw[id] : values[id];
        if (value !== undefined) progress.data[id] = value;
        else delete progress.data[id];
      }
      await this.forms.save(session, progress);
    }
    const again = async (flash: Omit<Flash, 'page'>, anchor = '') => {
      await this.forms.setFlash(session, progress.id, { page: pageId, ...flash });
      return res.redirect(303, `${here}${anchor}`);
    };

    if (blockAction && actionBlock) {
      return again({ values: pick(values, pageIds), errors: uploadErrors, notice: blockAction[1] === 'add' ? 'Un élément a été ajouté : remplissez-le.' : 'L’élément a été supprimé.' }, blockAnchor);
    }
    if (action.startsWith('remove-file:')) return again({ values: pick(values, pageIds), errors: uploadErrors, notice: 'Le fichier a été retiré.' });
    // The answers typed are kept for the return (the page shows them, the released value wins for its locked field).
    if (asked !== null) {
      await this.forms.setFlash(session, progress.id, { page: pageId, values: pick(values, pageIds), errors: uploadErrors });
      return res.redirect(303, authorizationHref(asked, releaseKey(teleservice.id, progress.id), here));
    }
    // « Agir pour : <entreprise> »: the mandate's SIRET and denomination prefill the page's company fields, locked.
    if (typeof chosenMandate === 'string' && loaded.released.mandats) {
      await session.keepReleased(releaseKey(teleservice.id, progress.id), 'mandats', { ...loaded.released.mandats, choice: chosenMandate });
      return again({ values: pick(values, pageIds), errors: uploadErrors });
    }

    if (action === 'save' && session.user) {
      progress.data = values;
      progress.currentPage = pageId;
      await this.forms.save(session, progress);
      return res.redirect(303, `${base}/enregistre`);
    }

    // Places and addresses: the commune of a postcode, a typed place geocoded to a point.
    const extraErrors: FieldError[] = [...uploadErrors];
    const choices: Record<string, CommuneChoice[]> = {};
    await this.completePlaces(page, values, extraErrors, choices, communes);

    // New questions revealed by these answers, not shown yet: show them rather than skip them.
    const visible = visibility(form.definition, values, profile);
    const shownBefore = new Set(typeof body._shown === 'string' ? body._shown.split(',') : []);
    const appeared = typeof body._shown === 'string' && shownIds(page, visible).some((id) => !shownBefore.has(id));
    const context = await this.forms.validationContext(profile, form);
    const result = form.validatePage(pageId, values, context);
    const errors = [...extraErrors, ...(result.ok ? [] : result.errors)];
    if (appeared) {
      return again({ values: pick(values, pageIds), errors: errors.filter((e) => shownBefore.has(errorKey(e.path)) || shownBefore.has(errorKey(e.path).split('.')[0])), notice: 'De nouvelles questions sont apparues selon vos réponses : complétez-les puis continuez.', choices });
    }
    if (errors.length || !result.ok) return again({ values: pick(values, pageIds), errors, choices });

    const answers = { ...others, ...result.data };
    // Files of fields (or block items) the conditions now hide leave the answers: deleted at once, not left behind.
    const keptFiles = new Set(stagedKeys(answers));
    const hiddenFiles = stagedKeys(values).filter((key) => !keptFiles.has(key));
    progress.data = answers;
    const pages = form.visiblePages(progress.data, context);
    const next = pages[pages.indexOf(pageId) + 1];
    progress.currentPage = next ?? pageId;
    await this.forms.save(session, progress);
    if (hiddenFiles.length) await this.forms.deleteStaged(hiddenFiles);
    return res.redirect(303, next ? `${base}/etape/${next}` : `${base}/recapitulatif`);
  }

  /** Postcode → commune (asks among several), another commune by its name, a typed place → point. */
  private async completePlaces(page: PageDefinition, values: FormValues, errors: FieldError[], choices: Record<string, CommuneChoice[]>, communes: CommuneChoice[]) {
    for (const field of page.fields) {
      const value = values[field.id];
      if (field.type === 'address' && isObject(value)) {
        const postcode = typeof value.postcode === 'string' ? value.postcode.replace(/\s/g, '') : '';
        if (!postcode || value.inseeCode) continue;
        const candidates = this.forms.communesForPostcode(postcode);
        if (value.inseeCode === undefined && typeof value.commune === 'string' && value.commune && !candidates.length) {
          const outside = await this.forms.communeOutside(postcode, value.commune);
          if (outside) Object.assign(value, { inseeCode: outside.inseeCode, commune: outside.name });
          else errors.push({ path: `data.${field.id}.commune`, code: 'NOT_FOUND', message: 'Commune introuvable pour ce code postal : vérifiez l’orthographe.' });
        } else if (candidates.length === 1) {
          Object.assign(value, { inseeCode: candidates[0].inseeCode, commune: candidates[0].name });
        } else if (candidates.length > 1) {
          choices[field.id] = candidates;
          errors.push({ path: `data.${field.id}.inseeCode`, code: 'AMBIGUOUS', message: `Le code postal ${postcode} est commun à plusieurs communes : choisissez la vôtre.` });
        } else if (!communes.length || field.withinCommunes) {
          errors.push({ path: `data.${field.id}.postcode`, code: 'NOT_AN_OPTION', message: 'Ce code postal n’est pas celui d’une commune de la Métropole.' });
        } else {
          errors.push({ path: `data.${field.id}.commune`, code: 'REQUIRED', message: 'Indiquez le nom de la commune (hors Métropole).' });
        }
      }
      if (field.type === 'map_point' && isObject(value) && typeof value.place === 'string') {
        const found = await this.forms.locate(value.place);
        if (found) values[field.id] = { lat: found.lat, lon: found.lon };
        else {
          values[field.id] = { place: value.place };
          errors.push({ path: `data.${field.id}`, code: 'NOT_FOUND', message: 'Ce lieu est introuvable : précisez l’adresse (numéro, rue, commune).' });
        }
      }
    }
    // A place that was not found stays as typed for the page, out of the data the validator reads.
    for (const field of page.fields) {
      const value = values[field.id];
      if (field.type === 'map_point' && isObject(value) && 'place' in value) values[field.id] = undefined;
    }
  }

  @Get('demarches/:instance/:slug/formulaire/:formId/enregistre')
  async saved(@Param('instance') instance: string, @Param('slug') slug: string, @Param('formId') formId: string, @Req() req: Request, @Res() res: Response) {
    const loaded = await this.load(req, instance, slug, formId);
    return res.render('form-saved', {
      pageTitle: `Démarche enregistrée — ${loaded.teleservice.title}`,
      navigation: portalNavigation('demarches'),
      teleservice: loaded.teleservice,
      resumeHref: `${this.base(loaded.teleservice)}/${formId}`,
      expiresAt: frenchDate(new Date(this.forms.expiryOf(loaded.progress))),
    });
  }

  // ------------------------------------------------------------------------------------------ recap & submission

  @Get('demarches/:instance/:slug/formulaire/:formId/recapitulatif')
  async recap(@Param('instance') instance: string, @Param('slug') slug: string, @Param('formId') formId: string, @Req() req: Request, @Res() res: Response) {
    const session = req.webSession!;
    const receipt = this.forms.receipt(session, formId);
    if (receipt) return res.redirect(303, `${this.base2(instance, slug)}/${formId}/recu`);
    const loaded = await this.load(req, instance, slug, formId);
    if (loaded.isNew) throw formNotFound();
    const { definition, progress, teleservice, profile } = loaded;
    const form = definition.form;
    const context = await this.forms.validationContext(profile, form);
    const result = form.validate(progress.data, context);
    if (!result.ok) return this.backToErrors(res, session, loaded, result.errors);
    const entries = form.summary(result.data, { communes: context.communes, profile, resolveOptions: context.resolveOptions });
    const pages = form.visiblePages(result.data, context);
    const flash = await this.forms.takeFlash(session, formId, 'recapitulatif');
    const sections = pages.map((pageId) => {
      const page = form.definition.pages.find((p) => p.id === pageId)!;
      const ids = new Set(page.fields.map((f) => f.id));
      return {
        title: page.title,
        editHref: `${this.base(teleservice)}/${formId}/etape/${pageId}`,
        entries: entries
          .filter((e) => ids.has(e.id))
          .map((e) => ({ ...e, items: e.items?.map((item, i) => ({ index: i + 1, entries: item })) })),
      };
    });
    res.setHeader('Cache-Control', 'no-store');
    const brand = await this.forms.brand(teleservice);
    return res.render('form-recap', {
      pageTitle: `${flash?.errors.length ? 'Erreur : ' : ''}Récapitulatif — ${teleservice.title}`,
      navigation: portalNavigation('demarches'),
      brand,
      stylesheets: [assetUrl('portal/forms.css'), ...(brand ? [brand.styleUrl] : [])],
      scripts: [assetUrl('portal/forms.js')],
      teleservice,
      sections,
      errors: flash?.errors.map((e) => ({ message: e.message })) ?? [],
      csrfToken: await session.csrfToken(),
      action: `${this.base(teleservice)}/${formId}/recapitulatif`,
      previous: `${this.base(teleservice)}/${formId}/etape/${pages[pages.length - 1]}`,
      routed: teleservice.kind === 'mutualised',
      anonymous: !session.user,
    });
  }

  @Post('demarches/:instance/:slug/formulaire/:formId/recapitulatif')
  async submit(@Param('instance') instance: string, @Param('slug') slug: string, @Param('formId') formId: string, @Req() req: Request, @Res() res: Response) {
    const session = req.webSession!;
    // Sent twice (double click, back button): the first one's receipt.
    if (this.forms.receipt(session, formId)) return res.redirect(303, `${this.base2(instance, slug)}/${formId}/recu`);
    const loaded = await this.load(req, instance, slug, formId);
    if (loaded.isNew) throw formNotFound();
    const outcome = await this.forms.submit(session, loaded.progress, loaded.teleservice, loaded.definition);
    if ('errors' in outcome) return this.backToErrors(res, session, loaded, outcome.errors);
    // Created by this request, or by a request sent at the same time that ended first: its receipt either way.
    return res.redirect(303, `${this.base(loaded.teleservice)}/${formId}/recu`);
  }

  @Get('demarches/:instance/:slug/formulaire/:formId/recu')
  async receipt(@Param('instance') instance: string, @Param('slug') slug: string, @Param('formId') formId: string, @Req() req: Request, @Res() res: Response) {
    const session = req.webSession!;
    const stored = this.forms.receipt(session, formId);
    if (!stored) throw formNotFound();
    const receipt = { ...stored };
    const teleservice = await this.forms.teleservice(instance, slug);
    if (receipt.accessSecret) await this.forms.forgetSecret(session, formId);
    res.setHeader('Cache-Control', 'no-store');
    const brand = await this.forms.brand(teleservice);
    return res.render('form-receipt', {
      pageTitle: `Demande envoyée — ${receipt.teleserviceTitle}`,
      navigation: portalNavigation('demarches'),
      brand,
      stylesheets: [assetUrl('portal/forms.css'), ...(brand ? [brand.styleUrl] : [])],
      teleservice,
      receipt,
      followHref: receipt.anonymous ? `/suivi?code=${encodeURIComponent(receipt.trackingCode)}` : `/mes-demarches/${receipt.demandId}`,
    });
  }

  // ------------------------------------------------------------------------------------------ helpers

  private async backToErrors(res: Response, session: WebSession, loaded: Loaded, errors: FieldError[]) {
    const form = loaded.definition.form.definition;
    const first = errors.map((e) => pageOfPath(form, e.path)).find((p): p is string => p !== null);
    const base = `${this.base(loaded.teleservice)}/${loaded.progress.id}`;
    if (!first) {
      await this.forms.setFlash(session, loaded.progress.id, { page: 'recapitulatif', values: {}, errors });
      return res.redirect(303, `${base}/recapitulatif`);
    }
    const page = form.pages.find((p) => p.id === first)!;
    const ids = new Set(page.fields.map((f) => f.id));
    await this.forms.setFlash(session, loaded.progress.id, {
      page: first,
      values: pick(loaded.progress.data, ids),
      errors: errors.filter((e) => pageOfPath(form, e.path) === first),
      notice: 'Votre demande n’a pas pu être envoyée : corrigez les réponses signalées, elles sont gardées.',
    });
    return res.redirect(303, `${base}/etape/${first}`);
  }

  /** What the page offers from « Dites-le-nous une fois » (`here`: the page's URL, where the authorization comes back). */
  private offers(session: WebSession, res: Response, loaded: Loaded, page: PageDefinition, here: string): TellUsOnceOffer[] {
    return offersOf(page, loaded.released, {
      loggedIn: Boolean(session.user),
      certified: session.user?.profile?.certified === true,
      key: loaded.releaseKey,
      here,
      accountUrl: String((res.locals.account as { accountUrl?: string } | undefined)?.accountUrl ?? ''),
    });
  }

  private base(t: FormTeleservice) {
    return t.formHref;
  }

  private base2(instance: string, slug: string) {
    return `/demarches/${encodeURIComponent(instance)}/${encodeURIComponent(slug)}/formulaire`;
  }

  private firstPage(definition: CompiledDefinition, profile: FormProfile): string {
    const pages = definition.form.visiblePages({}, { today: '2000-01-01', profile });
    return pages[0] ?? definition.form.definition.pages[0].id;
  }

  /** Lets the map's tiles load on pages with a map (the platform's CSP allows only this site's images). */
  private allowTiles(res: Response) {
    const csp = res.getHeader('Content-Security-Policy');
    let origin: string;
    try {
      origin = new URL(this.forms.tilesUrl.replace(/\{[a-z]\}/g, '0')).origin;
    } catch {
      return;
    }
    if (typeof csp === 'string') res.setHeader('Content-Security-Policy', csp.replace("img-src 'self' data:", `img-src 'self' data: ${origin}`));
  }

  /** The téléservice (open), the visitor's form in progress `formId` (or a new one) on its pinned version. */
  private async load(req: Request, instance: string, slug: string, formId: string): Promise<Loaded> {
    const session = req.webSession!;
    const teleservice = await this.forms.teleservice(instance, slug);
    this.forms.assertOpen(teleservice);
    if (!teleservice.anonymousAllowed && !session.user) {
      throw new DomainError('LOGIN_REQUIRED', 'Connectez-vous pour remplir cette démarche.', 'unauthenticated');
    }
    const key = releaseKey(teleservice.id, formId);
    const released = await session.released(key);
    const profile: FormProfile = { ...this.forms.profileOf(session), ...releasedAttributes(released) };
    const tell = { releaseKey: key, released };
    if (formId === NEW) {
      const definition = await this.forms.definition(teleservice.versionId!);
      const prefill = definition.form.prefill(profile);
      const progress: Progress = { id: NEW, kind: session.user ? 'draft' : 'session', teleserviceId: teleservice.id, versionId: teleservice.versionId!, data: prefill.values, currentPage: null };
      return { teleservice, progress, definition, profile, isNew: true, ...tell };
    }
    const progress = await this.forms.load(session, formId);
    if (!progress || progress.teleserviceId !== teleservice.id) throw formNotFound();
    if (progress.versionId !== teleservice.versionId) {
      // A new version was published since: continue on it with the answers whose fields still exist.
      const definition = await this.forms.definition(teleservice.versionId!);
      const ids = new Set(definition.form.definition.pages.flatMap((p) => p.fields.map((f) => f.id)));
      const dropped = Object.entries(progress.data).filter(([id]) => !ids.has(id));
      await this.forms.deleteStaged(stagedKeys(Object.fromEntries(dropped)));
      progress.data = Object.fromEntries(Object.entries(progress.data).filter(([id]) => ids.has(id)));
      progress.versionId = teleservice.versionId!;
      await this.forms.setNotice(session, progress.id, 'Ce formulaire a été mis à jour depuis votre dernier passage : vos réponses aux questions qui existent toujours ont été gardées. Vérifiez-les et complétez les nouvelles questions.');
      if (progress.currentPage && !definition.form.definition.pages.some((p) => p.id === progress.currentPage)) progress.currentPage = null;
      await this.forms.save(session, progress);
      return { teleservice, progress, definition, profile, isNew: false, ...tell };
    }
    return { teleservice, progress, definition: await this.forms.definition(progress.versionId), profile, isNew: false, ...tell };
  }
}

function pick(values: FormValues, ids: ReadonlySet<string>): FormValues {
  return Object.fromEntries(Object.entries(values).filter(([id]) => ids.has(id)));
}

function frenchDate(date: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' }).format(date);
}

function frenchDateTime(date: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(date);
}
