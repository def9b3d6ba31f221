import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_CONFIG, Clock, DomainError, LOGGER, type AppConfig, type FieldError } from '#core';
import {
  ATTACHMENT_STORAGE,
  CitizenDrafts,
  DataSourceOptions,
  DemandEngine,
  SubmitDemand,
  StagedUploads,
  SubmitDemandCommand,
  formatTrackingCode,
  stagedFileKeys,
  type AttachmentStorage,
  type CompiledDefinition,
  type UploadedFile,
} from '#demands';
import {
  fileInputOf,
  formProfile,
  type CommuneChoice,
  type CompiledForm,
  type FieldDefinition,
  type FormProfile,
  type FormValues,
  type OptionsResolver,
  type PageDefinition,
  type ValidationContext,
} from '#forms';
import { REDIS } from '#platform';
import { GEOCODER, RoutingTable, type Geocoder } from '#routing';
import type { WebSession, WebSessionData } from '#web-session';
import { instanceBrand, type BrandView } from '../branding.controller.js';

/** A téléservice as the form pages need it, whatever its state (the pages explain closures). */
export interface FormTeleservice {
  id: string;
  instanceSlug: string;
  slug: string;
  kind: string;
  title: string;
  anonymousAllowed: boolean;
  archived: boolean;
  opensAt: Date | null;
  closesAt: Date | null;
  versionId: string | null;
  /** « la commune de Bron », « la Métropole de Lyon ». */
  collectivityName: string;
  collectivityKind: string;
  href: string;
  formHref: string;
}

/** A form in progress: a draft (logged-in citizen, in the database) or an anonymous form (in the web session). */
export interface Progress {
  id: string;
  kind: 'draft' | 'session';
  teleserviceId: string;
  versionId: string;
  data: FormValues;
  currentPage: string | null;
  updatedAt?: number;
}

/** What a page shows again after a POST that did not go forward (Post/Redirect/Get). */
export interface Flash {
  page: string;
  values: FormValues;
  errors: FieldError[];
  notice?: string;
  /** Communes to choose among, per address field whose postcode several communes share. */
  choices?: Record<string, CommuneChoice[]>;
}

export interface Receipt {
  demandId: string;
  trackingCode: string;
  accessSecret: string | null;
  status: string;
  teleserviceTitle: string;
  collectivityName: string;
  routed: boolean;
  anonymous: boolean;
  email: string | null;
}

interface StagedUpload {
  fieldId: string;
  descriptor: Record<string, unknown>;
}

interface SessionForms {
  forms?: Record<string, Omit<Progress, 'kind' | 'id'>>;
  flash?: Record<string, Flash>;
  receipts?: Record<string, Receipt>;
  /** Files uploaded by the JavaScript enhancement before the page is sent, by random token. */
  staged?: Record<string, StagedUpload>;
  /** One-time notices per form in progress (a new version of the form). */
  notices?: Record<string, string>;
}

const MAX_STAGED = 20;

/** The portal's form filling keeps its values under one key of the session's `app` area (other pages use others). */
const SESSION_AREA = 'formulaires';
function areaOf(data: WebSessionData): SessionForms {
  const app = (data.app ??= {});
  return (app[SESSION_AREA] ??= {}) as SessionForms;
}

const MAX_SESSION_FORMS = 3;
const MAX_SESSION_FORM_BYTES = 200_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PARIS_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });

export const FORM_ERRORS = {
  NOT_FOUND: 'FORM_NOT_FOUND',
  TOO_LARGE: 'FORM_TOO_LARGE',
  LOGIN_REQUIRED: 'LOGIN_REQUIRED',
  UPLOAD_REFUSED: 'UPLOAD_REFUSED',
} as const;

export const formNotFound = () =>
  DomainError.notFound(FORM_ERRORS.NOT_FOUND, 'Ce formulaire en cours n’existe pas ou plus (il a peut-être été envoyé, supprimé ou a expiré).');

/**
 * The portal's form filling: téléservice lookup, forms in progress (drafts or session), staged uploads,
 * geocoding of places, submission through the engine's `SubmitDemand`.
 */
@Injectable()
export class FormFillingService {
  readonly tilesUrl: string;
  readonly uploadMaxBytes: number;
  /** Staged files are recorded (`staged_upload`) so that the storage sweep finds those nothing references. */
  private readonly staged: StagedUploads;

  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: DemandEngine,
    private readonly drafts: CitizenDrafts,
    private readonly dataSources: DataSourceOptions,
    private readonly submitDemand: SubmitDemand,
    private readonly clock: Clock,
    private readonly table: RoutingTable,
    @Inject(GEOCODER) private readonly geocoder: Geocoder,
    @Inject(ATTACHMENT_STORAGE) private readonly storage: AttachmentStorage,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.tilesUrl = config.portalForms.mapTilesUrl;
    this.uploadMaxBytes = config.portalForms.uploadMaxBytes;
    this.staged = new StagedUploads(engine);
  }

  // --------------------------------------------------------------------------------- téléservices

  async teleservice(instanceSlug: string, slug: string): Promise<FormTeleservice> {
    const rows = await this.dataSource.query(`${TELESERVICE_SQL} WHERE i.slug = $1 AND t.slug = $2`, [instanceSlug, slug]);
    if (!rows.length) throw DomainError.notFound('TELESERVICE_NOT_FOUND', 'Cette démarche n’existe pas ou n’est plus proposée en ligne.');
    return toTeleservice(rows[0]);
  }

  /** The branding of the téléservice's instance's collectivity (name, logo, accent), or null: the platform's look. */
  brand(teleservice: FormTeleservice): Promise<BrandView | null> {
    return instanceBrand(this.dataSource, teleservice.instanceSlug);
  }

  async teleserviceById(id: string): Promise<FormTeleservice | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.dataSource.query(`${TELESERVICE_SQL} WHERE t.id = $1`, [id]);
    return rows.length ? toTeleservice(rows[0]) : null;
  }

  /** Refuses a téléservice that takes no demand now, with a French page (410 archived or closed, 404 otherwise). */
  assertOpen(t: FormTeleservice): void {
    const now = this.clock.now();
    if (t.archived) throw new DomainError('TELESERVICE_ARCHIVED', `La démarche « ${t.title} » n’est plus proposée en ligne.`, 'gone');
    if (t.closesAt && t.closesAt <= now) throw new DomainError('TELESERVICE_CLOSED', `La démarche « ${t.title} » est close depuis le ${frenchDate(t.closesAt)} : elle ne reçoit plus de demandes.`, 'gone');
    if (t.opensAt && t.opensAt > now) throw DomainError.notFound('TELESERVICE_NOT_OPEN', `La démarche « ${t.title} » ouvrira le ${frenchDate(t.opensAt)}.`);
    if (!t.versionId) throw DomainError.notFound('TELESERVICE_NOT_PUBLISHED', `La démarche « ${t.title} » n’est pas encore proposée en ligne.`);
  }

  async definition(versionId: string): Promise<CompiledDefinition> {
    const definition = await this.engine.definitions.get(versionId);
    if (!definition) throw DomainError.notFound('TELESERVICE_NOT_PUBLISHED', 'Cette version du formulaire n’existe plus.');
    return definition;
  }

  async communes(): Promise<CommuneChoice[]> {
    const list = await this.engine.directory.communes();
    return [...list].sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  }

  communesForPostcode(postcode: string): CommuneChoice[] {
    return this.table.communesForPostcode(postcode).map((c) => ({ inseeCode: c.inseeCode, name: c.name }));
  }

  /** Today (Europe/Paris), the profile, the territory's communes, and the form's external data sources resolved. */
  async validationContext(profile: FormProfile, form: CompiledForm): Promise<ValidationContext & { resolveOptions: OptionsResolver }> {
    const [communes, resolveOptions] = await Promise.all([this.engine.directory.communes(), this.dataSources.resolverFor(form)]);
    return { today: PARIS_DAY.format(this.clock.now()), profile, communes, resolveOptions };
  }

  /** Options of a choice or a data source field; undefined when an external list cannot be had now. */
  options(field: FieldDefinition, key: string, resolve: OptionsResolver): readonly { value: string; label: string }[] | undefined {
    if (field.type === 'choice') return field.options;
    if (field.type !== 'data_source') return undefined;
    return field.source.kind === 'static' ? field.source.options : resolve(key, field.source);
  }

  profileOf(session: WebSession | undefined): FormProfile {
    return formProfile(session?.user?.profile as Record<string, unknown> | undefined);
  }

  // --------------------------------------------------------------------------------- progress

  /** The form in progress `id` of this visitor (their draft, or their session's form), or null. */
  async load(session: WebSession, id: string): Promise<Progress | null> {
    const sub = session.user?.sub;
    if (sub) {
      const draft = await this.drafts.find(sub, id);
      if (!draft) return null;
      return {
        id: draft.id,
        kind: 'draft',
        teleserviceId: draft.teleserviceId,
        versionId: draft.versionId,
        data: draft.data,
        currentPage: draft.currentPage,
        updatedAt: new Date(draft.updatedAt).getTime(),
      };
    }
    const stored = this.app(session).forms?.[id];
    return stored ? { ...stored, id, kind: 'session' } : null;
  }

  /** Creates the form in progress at its first save (a draft when logged in: the per-account limit applies). */
  async create(session: WebSession, input: { teleserviceId: string; versionId: string; data: FormValues; currentPage: string | null }): Promise<Progress> {
    const sub = session.user?.sub;
    if (sub) {
      const draft = await this.drafts.create(sub, input);
      return { id: draft.id, kind: 'draft', teleserviceId: draft.teleserviceId, versionId: draft.versionId, data: draft.data, currentPage: draft.currentPage };
    }
    const progress: Progress = { id: randomUUID(), kind: 'session', ...input };
    await this.saveSession(session, progress);
    return progress;
  }

  async save(session: WebSession, progress: Progress): Promise<void> {
    if (progress.kind === 'draft') {
      await this.drafts.save(session.user!.sub, progress.id, { data: progress.data, currentPage: progress.currentPage, versionId: progress.versionId });
    } else await this.saveSession(session, progress);
  }

  private async saveSession(session: WebSession, progress: Progress): Promise<void> {
    const { id, kind: _kind, ...stored } = progress;
    if (JSON.stringify(stored).length > MAX_SESSION_FORM_BYTES) {
      throw DomainError.invalid(FORM_ERRORS.TOO_LARGE, 'Vos réponses sont trop volumineuses pour être gardées sans compte : raccourcissez-les ou connectez-vous.');
    }
    await session.update((data) => {
      const app = areaOf(data);
      const forms = (app.forms ??= {});
      forms[id] = { ...stored, updatedAt: this.clock.now().getTime() };
      const ids = Object.keys(forms).sort((a, b) => (forms[b].updatedAt ?? 0) - (forms[a].updatedAt ?? 0));
      for (const old of ids.slice(MAX_SESSION_FORMS)) delete forms[old];
    });
  }

  /** Deletes a form in progress and its staged files. */
  async discard(session: WebSession, progress: Progress): Promise<void> {
    if (progress.kind === 'draft') {
      if (await this.drafts.delete(session.user!.sub, progress.id)) await this.staged.discard(stagedKeys(progress.data));
    } else {
      await this.deleteStaged(stagedKeys(progress.data));
      await session.update((data) => delete areaOf(data).forms?.[progress.id]);
    }
  }

  /** The visitor's drafts of a téléservice, and whether the account may start another one. */
  async draftsOf(session: WebSession, teleserviceId: string): Promise<{ drafts: { id: string; updatedAt: Date; expiresAt: Date | null }[]; full: boolean }> {
    const sub = session.user?.sub;
    if (!sub) {
      // Anonymous: the forms in progress of this visit (they end with the session).
      const forms = Object.entries(this.app(session).forms ?? {}).filter(([, form]) => form.teleserviceId === teleserviceId);
      return { drafts: forms.map(([id, form]) => ({ id, updatedAt: new Date(form.updatedAt ?? 0), expiresAt: null })), full: false };
    }
    const now = this.clock.now();
    const all = (await this.drafts.list(sub)).filter((d) => d.expiresAt > now);
    return { drafts: all.filter((d) => d.teleserviceId === teleserviceId), full: all.length >= this.drafts.maxPerAccount };
  }

  draftLimitReached(): DomainError {
    return this.drafts.limitReached();
  }

  // --------------------------------------------------------------------------------- flash & receipts

  private app(session: WebSession): SessionForms {
    return (session.data?.app?.[SESSION_AREA] ?? {}) as SessionForms;
  }

  async setFlash(session: WebSession, formId: string, flash: Flash): Promise<void> {
    await session.update((data) => {
      const app = areaOf(data);
      app.flash = { [formId]: flash };
    });
  }

  /** The flash of a page, consumed. */
  async takeFlash(session: WebSession, formId: string, page: string): Promise<Flash | null> {
    const flash = this.app(session).flash?.[formId];
    if (!flash || flash.page !== page) return null;
    await session.update((data) => delete areaOf(data).flash);
    return flash;
  }

  async setNotice(session: WebSession, formId: string, notice: string): Promise<void> {
    await session.update((data) => {
      const app = areaOf(data);
      app.notices = { ...(app.notices ?? {}), [formId]: notice };
    });
  }

  async takeNotice(session: WebSession, formId: string): Promise<string | null> {
    const notice = this.app(session).notices?.[formId];
    if (!notice) return null;
    await session.update((data) => delete areaOf(data).notices?.[formId]);
    return notice;
  }

  /** When a draft will be deleted if left as is (anonymous forms end with the session). */
  expiryOf(progress: Progress): number {
    return (progress.updatedAt ?? this.clock.now().getTime()) + this.drafts.retentionDays * 24 * 3600 * 1000;
  }

  /** Keeps a file uploaded by the JavaScript enhancement until its page is sent; returns its token. `fieldId` is the field's identity (`photo`, `enfants.certificat`). */
  async keepStaged(session: WebSession, fieldId: string, descriptor: Record<string, unknown>): Promise<string> {
    const token = randomUUID();
    const evicted: string[] = [];
    await session.update((data) => {
      const app = areaOf(data);
      const staged = (app.staged ??= {});
      staged[token] = { fieldId, descriptor };
      const tokens = Object.keys(staged);
      for (const old of tokens.slice(0, Math.max(0, tokens.length - MAX_STAGED))) {
        evicted.push(...stagedKeys({ file: [staged[old].descriptor] }));
        delete staged[old];
      }
    });
    await this.deleteStaged(evicted);
    return token;
  }

  /**
   * The JavaScript-staged files a page's body names (`f.<input key>.staged`), taken out of the session, by input
   * key (`photo`, `enfants.1.certificat`). A token is kept for its field's identity (`photo`,
   * `enfants.certificat`), so a block item's files follow the item whatever its index.
   */
  async takeStaged(session: WebSession, page: PageDefinition, body: Record<string, unknown>): Promise<Map<string, Record<string, unknown>[]>> {
    const out = new Map<string, Record<string, unknown>[]>();
    const staged = this.app(session).staged ?? {};
    const taken: string[] = [];
    for (const [name, sent] of Object.entries(body)) {
      if (!name.endsWith('.staged')) continue;
      const input = fileInputOf(page, name.slice(0, -'.staged'.length));
      if (!input) continue;
      for (const token of Array.isArray(sent) ? sent : [sent]) {
        if (typeof token !== 'string' || !Object.hasOwn(staged, token) || staged[token].fieldId !== input.identity || taken.includes(token)) continue;
        out.set(input.key, [...(out.get(input.key) ?? []), staged[token].descriptor]);
        taken.push(token);
      }
    }
    if (taken.length) await session.update((data) => taken.forEach((token) => delete areaOf(data).staged?.[token]));
    return out;
  }

  receipt(session: WebSession, formId: string): Receipt | null {
    return this.app(session).receipts?.[formId] ?? null;
  }

  /** The access secret is shown once: the receipt forgets it after its first display. */
  async forgetSecret(session: WebSession, formId: string): Promise<void> {
    await session.update((data) => {
      const receipt = areaOf(data).receipts?.[formId];
      if (receipt) receipt.accessSecret = null;
    });
  }

  // --------------------------------------------------------------------------------- uploads

  /**
   * Stages one uploaded file of a file field: streamed to the attachment storage with the field's size limit,
   * type detected from the content and checked against the field's `accept`. A refusal leaves nothing stored.
   */
  async stage(field: FieldDefinition, name: string, content: Readable): Promise<{ ok: true; descriptor: Record<string, unknown> } | { ok: false; message: string }> {
    if (field.type !== 'file') return { ok: false, message: 'Ce champ n’accepte pas de fichier.' };
    const maxBytes = Math.min(field.maxSizeBytes ?? 10 * 1024 * 1024, this.uploadMaxBytes);
    let stored;
    try {
      const put = await this.storage.put(content, { maxBytes });
      await this.staged.record([put.key]).catch(async (error: unknown) => {
        await this.engine.discardFiles([put.key]);
        throw error;
      });
      stored = put;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'ATTACHMENT_TOO_LARGE') {
        return { ok: false, message: `Le fichier « ${baseName(name)} » est trop volumineux (${Math.round(maxBytes / (1024 * 1024) * 10) / 10} Mo au plus).`.replace('.', ',') };
      }
      throw error;
    }
    const accepted = field.accept.some((type) => (type.endsWith('/*') ? stored.mimeType.startsWith(type.slice(0, -1)) : type === stored.mimeType));
    if (!accepted || stored.sizeBytes === 0) {
      await this.deleteStaged([stored.key]);
      return {
        ok: false,
        message: stored.sizeBytes === 0 ? `Le fichier « ${baseName(name)} » est vide.` : `Le fichier « ${baseName(name)} » n’est pas d’un type accepté ici (son contenu n’est pas ${field.accept.map(mimeLabel).join(', ')}).`,
      };
    }
    return { ok: true, descriptor: { name: baseName(name) || 'fichier', size: stored.sizeBytes, mimeType: stored.mimeType, ref: stored.key } };
  }

  /** Deletes staged files at once (removed, replaced, dropped with a hidden field or a block item, sent), and their records. */
  async deleteStaged(keys: readonly string[]): Promise<void> {
    await this.staged.discard(keys);
  }

  /**
   * A file uploaded by the JavaScript enhancement, then removed in the browser before its page was sent: taken out
   * of the session and deleted now. False when the session holds no such token (already sent, evicted, another
   * field's).
   */
  async dropStaged(session: WebSession, fieldId: string, token: string): Promise<boolean> {
    const upload = this.app(session).staged?.[token];
    if (!upload || upload.fieldId !== fieldId) return false;
    await session.update((data) => delete areaOf(data).staged?.[token]);
    await this.deleteStaged(stagedKeys({ file: [upload.descriptor] }));
    return true;
  }

  // --------------------------------------------------------------------------------- places

  /** Geocodes a place typed instead of a map point; null when it cannot be placed. */
  async locate(text: string): Promise<{ lat: number; lon: number; label: string } | null> {
    try {
      const [best] = await this.geocoder.geocode({ text: text.slice(0, 200) });
      if (!best?.position) return null;
      return { lon: best.position[0], lat: best.position[1], label: best.label };
    } catch (error) {
      this.logger.warn({ err: error }, 'Géocodage indisponible pour un lieu de formulaire');
      return null;
    }
  }

  /** Address suggestions for the autocomplete (street-level results only). */
  async suggest(q: string): Promise<{ label: string; street: string; postcode: string; commune: string; inseeCode: string; lat?: number; lon?: number }[]> {
    const results = await this.geocoder.geocode({ text: q.slice(0, 200) });
    return results
      .filter((r) => r.position && r.type !== 'municipality')
      .slice(0, 5)
      .map((r) => ({
        label: r.label,
        street: r.label.replace(new RegExp(`\\s*${r.postcode ?? ''}\\s*${escapeRegex(r.city)}\\s*$`), '').trim(),
        postcode: r.postcode ?? '',
        commune: r.city,
        inseeCode: r.inseeCode,
        lat: r.position?.[1],
        lon: r.position?.[0],
      }));
  }

  /** The INSEE code of a commune outside the territory (postcode + name), through the geocoder. */
  async communeOutside(postcode: string, name: string): Promise<{ inseeCode: string; name: string } | null> {
    try {
      const results = await this.geocoder.geocode({ postcode, city: name, text: `${postcode} ${name}` });
      const best = results.find((r) => r.inseeCode);
      return best ? { inseeCode: best.citycode || best.inseeCode, name: best.city } : null;
    } catch {
      return null;
    }
  }

  // --------------------------------------------------------------------------------- submission

  /**
   * Submits a form in progress once: a Redis lock per form refuses a second concurrent submission, and a
   * submitted form leaves a receipt that a repeated POST is sent to. Once the demand is created the lock stays, marked
   * « submitted », for SUBMITTED_LOCK_SECONDS: a request that read the form before the first one ended (so without
   * its receipt) gets `{ duplicate: true }` (sent to the receipt) instead of creating a second demand. After a
   * failure the lock goes, and the citizen can send again. Staged files are streamed into the engine (which re-validates and stores its own copies), then
   * deleted; the draft is deleted.
   */
  async submit(
    session: WebSession,
    progress: Progress,
    teleservice: FormTeleservice,
    definition: CompiledDefinition,
  ): Promise<{ receipt: Receipt } | { errors: FieldError[] } | { duplicate: true }> {
    const lock = `${this.config.redis.prefix}:portal:submit:${progress.id}`;
    const acquired = await this.redis.set(lock, 'sending', 'EX', 120, 'NX');
    if (acquired !== 'OK') {
      if ((await this.redis.get(lock)) === 'submitted') return { duplicate: true };
      throw DomainError.conflict('FORM_ALREADY_SUBMITTED', 'Cette demande est déjà en cours d’envoi : patientez quelques secondes puis consultez « Mes démarches ».');
    }
    let submitted = false;
    try {
      const data: FormValues = { ...progress.data };
      const files: UploadedFile[] = [];
      for (const fieldId of definition.fileFields.keys()) {
        const list = Array.isArray(data[fieldId]) ? (data[fieldId] as Record<string, unknown>[]) : [];
        delete data[fieldId];
        for (const file of list) {
          if (typeof file?.ref !== 'string') continue;
          files.push({ fieldId, name: String(file.name ?? 'fichier'), content: await this.storage.get(file.ref) });
        }
      }
      // Files of a block's items go as `<block>[<index>].<field>` (the items are copied, the progress stays as is).
      for (const field of definition.blockFileFields.values()) {
        const items = data[field.blockId];
        if (!Array.isArray(items)) continue;
        const copies: unknown[] = [];
        for (const [index, item] of (items as unknown[]).entries()) {
          if (typeof item !== 'object' || item === null || Array.isArray(item)) {
            copies.push(item);
            continue;
          }
          const copy = { ...(item as Record<string, unknown>) };
          const list = Array.isArray(copy[field.id]) ? (copy[field.id] as Record<string, unknown>[]) : [];
          delete copy[field.id];
          for (const file of list) {
            if (typeof file?.ref !== 'string') continue;
            files.push({ fieldId: `${field.blockId}[${index}].${field.id}`, name: String(file.name ?? 'fichier'), content: await this.storage.get(file.ref) });
          }
          copies.push(copy);
        }
        data[field.blockId] = copies;
      }
      const sub = session.user?.sub;
      const email = typeof data.email === 'string' ? data.email : null;
      let result;
      try {
        const command = SubmitDemandCommand.create(sub ? { kind: 'citizen', sub } : { kind: 'anonymous' }, { teleservice: { id: teleservice.id }, data, files });
        result = await this.submitDemand.execute(command);
        submitted = true;
      } catch (error) {
        for (const file of files) (file.content as Readable).destroy?.();
        if (error instanceof DomainError && (error.code === 'DEMAND_DATA_INVALID' || error.code === 'DEMAND_REQUEST_INVALID') && error.fields?.length) {
          return { errors: error.fields };
        }
        throw error;
      }
      const receipt: Receipt = {
        demandId: result.demand.id,
        trackingCode: formatTrackingCode(result.demand.trackingCode),
        accessSecret: result.accessSecret,
        status: result.citizenStatus.label,
        teleserviceTitle: teleservice.title,
        collectivityName: teleservice.collectivityName,
        routed: teleservice.kind === 'mutualised',
        anonymous: !sub,
        email: email ?? session.user?.email ?? null,
      };
      await session.update((value) => {
        const app = areaOf(value);
        app.receipts = { ...Object.fromEntries(Object.entries(app.receipts ?? {}).slice(-2)), [progress.id]: receipt };
        delete app.forms?.[progress.id];
      });
      // The staged copies go (the engine stored its own): with the draft, or from the session's form.
      if (progress.kind === 'draft') {
        await this.drafts.delete(sub!, progress.id);
        await this.staged.discard(stagedKeys(progress.data));
      } else await this.deleteStaged(stagedKeys(progress.data));
      return { receipt };
    } finally {
      if (submitted) await this.redis.set(lock, 'submitted', 'EX', SUBMITTED_LOCK_SECONDS);
      else await this.redis.del(lock);
    }
  }
}

/** How long a submitted form's lock refuses a late duplicate (its form is gone from the session or drafts by then). */
const SUBMITTED_LOCK_SECONDS = 600;

/** Storage keys of the staged files referenced by a form's data (top-level file fields and block items'). */
export const stagedKeys = (data: FormValues): string[] => stagedFileKeys(data);

const TELESERVICE_SQL = `SELECT t.id, i.slug AS instance_slug, t.slug, t.kind, t.title, t.anonymous_allowed, t.archived_at, t.opens_at, t.closes_at,
    c.name AS collectivity_name, c.kind AS collectivity_kind,
    (SELECT v.id FROM teleservice_version v WHERE v.teleservice_id = t.id AND v.state = 'published' ORDER BY v.number DESC LIMIT 1) AS version_id
  FROM teleservice t
  JOIN instance i ON i.id = t.instance_id AND i.environment = 'production' AND i.status = 'active'
  JOIN collectivity c ON c.id = t.collectivity_id AND t.kind <> 'catalogue_pack'`;

function toTeleservice(row: Record<string, unknown>): FormTeleservice {
  const href = `/demarches/${String(row.instance_slug)}/${String(row.slug)}`;
  return {
    id: String(row.id),
    instanceSlug: String(row.instance_slug),
    slug: String(row.slug),
    kind: String(row.kind),
    title: String(row.title),
    anonymousAllowed: row.anonymous_allowed === true,
    archived: row.archived_at !== null,
    opensAt: row.opens_at ? new Date(row.opens_at as string) : null,
    closesAt: row.closes_at ? new Date(row.closes_at as string) : null,
    versionId: (row.version_id as string | null) ?? null,
    collectivityName: row.collectivity_kind === 'commune' ? `la commune de ${String(row.collectivity_name)}` : `la ${String(row.collectivity_name)}`,
    collectivityKind: String(row.collectivity_kind),
    href,
    formHref: `${href}/formulaire`,
  };
}

function frenchDate(date: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' }).format(date);
}

function baseName(name: string): string {
  return (name.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001F\u007F]/g, '').trim().slice(0, 200); // eslint-disable-line no-control-regex
}

function mimeLabel(type: string): string {
  return ({ 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/webp': 'WebP', 'application/pdf': 'PDF', 'image/*': 'une image' } as Record<string, string>)[type] ?? type;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

