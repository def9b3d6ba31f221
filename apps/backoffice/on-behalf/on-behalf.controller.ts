import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Controller, Get, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { DomainError, fromRoot, type FieldError } from '#core';
import { AGENT_CHANNELS, DataSourceOptions, DemandEngine, SubmitDemand, SubmitDemandCommand, type UploadedFile } from '#demands';
import {
  blockIndexes,
  errorKey,
  errorsByKey,
  fieldView,
  normaliseEmail,
  readPage,
  type CommuneChoice,
  type FieldDefinition,
  type FieldView,
  type FormDefinition,
  type FormValues,
  type LeafFieldDefinition,
  type OptionsResolver,
  type PageContext,
  type PageDefinition,
} from '#forms';
import { TeleserviceRepository, type Teleservice } from '#teleservices';
import { TerritoryService } from '#territory';
import { AgentGuard } from '../agent.guard.js';
import { agentCaller } from '../agent-caller.js';
import { NAVIGATION } from '../demands.controller.js';
import { AccountLookupClient } from './account-lookup.client.js';
import { readOnBehalfMultipart, type OnBehalfForm } from './on-behalf-multipart.js';

const CHANNEL_LABELS: Record<string, string> = { counter: 'Accueil (guichet)', phone: 'Téléphone', mail: 'Courrier postal', email: 'Courriel reçu' };

type Raw = Record<string, string | string[]>;

/** The page's only script (progressive enhancement: the commune list narrowed as the postcode is typed). */
const SCRIPT_DIR = fromRoot('apps', 'backoffice', 'on-behalf', 'public');
const SCRIPT_VERSION = (() => {
  try {
    return createHash('sha256').update(readFileSync(`${SCRIPT_DIR}/communes.js`)).digest('hex').slice(0, 12);
  } catch {
    return 'absent';
  }
})();
type Target = Awaited<ReturnType<OnBehalfController['target']>>;

/** What the page shows besides the form's answers: channel, contact, the account being linked, errors. */
interface PageState {
  raw: Raw;
  values: FormValues;
  errors: readonly FieldError[];
  /** A looked-up account (name shown for the agent to confirm). */
  account?: { email: string; name: string | null } | null;
  notice?: string;
}

/** An address of the form (a field, or a block item's sub-field), by its key (`adresse`, `travaux.0.adresse`). */
interface AddressAt {
  key: string;
  /** The engine's path of the address (`data.adresse`, `data.travaux[0].adresse`). */
  path: string;
  value: FormValues | undefined;
  withinCommunes: boolean;
  set: (value: FormValues) => void;
}

/**
 * Submission on behalf of a citizen (issue 7): an agent with a processing role picks a published, open
 * téléservice of their collectivities and the channel (counter, phone, mail, email), types the whole form on one
 * page, and the engine (`SubmitDemand` with the agent caller) validates and files it with `submitted_by_agent`.
 * Every field type of #forms is typed in here with the portal's parsing and view models (`readPage`, `fieldView`
 * of #forms): addresses (street, postcode, commune and INSEE code), map points (latitude, longitude), repeatable
 * blocks (« Ajouter » / « Supprimer » are submit buttons: no JavaScript), data sources resolved server-side.
 * The demand is filed without account (notifications to the contact email), or for an existing territorial
 * account found by its exact email through the identity's internal lookup (`AccountLookupClient`): the agent
 * confirms the person's name, and the demand carries the portal's `sub` of that account (« Mes démarches »).
 * Not under `/demandes/…`: DemandsController's `GET /demandes/:id` is registered first and would take `nouvelle`.
 */
@Controller('nouvelle-demande')
@UseGuards(AgentGuard)
export class OnBehalfController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: DemandEngine,
    private readonly submitDemand: SubmitDemand,
    private readonly dataSources: DataSourceOptions,
    private readonly accounts: AccountLookupClient,
    private readonly territory: TerritoryService,
  ) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response, @Query('teleservice') teleserviceId?: string, @Query('canal') channel?: string) {
    const caller = agentCaller(req.agent!);
    if (!caller.collectivityIds.length) throw DomainError.forbidden('AGENT_PROCESSING_ROLE_REQUIRED', 'Le dépôt pour un usager est réservé aux agents qui traitent les demandes.');
    if (typeof teleserviceId !== 'string' || teleserviceId === '') {
      const choices = await this.openTeleservices(caller.collectivityIds);
      return res.render('on-behalf-choose', {
        pageTitle: 'Nouvelle demande pour un usager',
        navigation: NAVIGATION('demands'),
        teleservices: choices.map((t) => ({ id: t.id, title: t.title })),
        channels: channelChoices(''),
      });
    }
    const target = await this.target(caller.collectivityIds, teleserviceId);
    res.render('on-behalf-form', await this.formPage(target, { raw: { canal: typeof channel === 'string' ? channel : '' }, values: {}, errors: [] }));
  }

  /** The commune-narrowing script, for agents (`?v=` its fingerprint: cached while it does not change). */
  @Get('communes.js')
  script(@Res() res: Response) {
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    res.type('text/javascript');
    res.sendFile('communes.js', { root: SCRIPT_DIR, dotfiles: 'deny', cacheControl: false });
  }

  @Post()
  async submit(@Req() req: Request, @Res() res: Response) {
    // Filing a demand is the engine's `demands:submit` permission, on top of reading and processing.
    const processing = agentCaller(req.agent!);
    const caller = { ...processing, permissions: [...processing.permissions, 'demands:submit' as const] };
    if (!caller.collectivityIds.length) throw DomainError.forbidden('AGENT_PROCESSING_ROLE_REQUIRED', 'Le dépôt pour un usager est réservé aux agents qui traitent les demandes.');
    const form: OnBehalfForm = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '')
      ? await readOnBehalfMultipart(req)
      : { fields: (req.body ?? {}) as Raw, files: [] };
    const target = await this.target(caller.collectivityIds, one(form.fields.teleservice));
    const raw = form.fields;
    const values = await this.readValues(target, raw);
    const action = one(raw._action);
    const again = async (status: number, state: Omit<PageState, 'raw' | 'values'>) => res.status(status).render('on-behalf-form', await this.formPage(target, { raw, values, ...state }));

    // « Ajouter » / « Supprimer » an item of a repeatable block: the page again, nothing filed (files are chosen again).
    const blockAction = /^(add|remove):([A-Za-z][A-Za-z0-9_-]*)(?::(\d{1,3}))?$/.exec(action);
    const block = blockAction ? target.form.pages.flatMap((p) => p.fields).find((f) => f.id === blockAction[2] && f.type === 'block') : undefined;
    if (blockAction && block?.type === 'block') {
      const list = Array.isArray(values[block.id]) ? [...(values[block.id] as FormValues[])] : [];
      if (blockAction[1] === 'add' && list.length < (block.maxItems ?? 20)) list.push({});
      if (blockAction[1] === 'remove' && blockAction[3] !== undefined) list.splice(Number(blockAction[3]), 1);
      values[block.id] = list;
      const account = verifiedAccountOf(raw);
      return again(200, { errors: [], account, notice: blockAction[1] === 'add' ? 'Élément ajouté : complétez-le.' : 'Élément supprimé.' });
    }

    // « Vérifier le code postal » of an address: the commune list narrowed to that postcode's communes, nothing filed.
    const postcodeAction = /^codepostal:([A-Za-z][A-Za-z0-9_.-]*)$/.exec(action);
    if (postcodeAction) {
      const address = addressesOf(target.form, values).find((a) => a.key === postcodeAction[1]);
      const account = verifiedAccountOf(raw);
      if (!address) return again(200, { errors: [], account });
      const checked = await this.checkPostcode(address);
      return again(checked.error ? 422 : 200, { errors: checked.error ? [checked.error] : [], account, notice: checked.notice });
    }

    // The account to link, by its exact email: looked up (« Rechercher le compte ») then confirmed by the agent.
    const email = accountEmail(raw);
    const typed = one(raw.compte).trim();
    let accountSub: string | null = null;
    let linked: PageState['account'] = null;
    if (typed !== '' || action === 'rechercher') {
      if (!email) return again(422, { errors: [{ path: 'compte', code: 'INVALID_FORMAT', message: 'Saisissez l’adresse électronique complète du compte de l’usager.' }] });
      const found = await this.accounts.find(email, caller.sub);
      if (found.kind !== 'found') return again(found.kind === 'not_found' ? 422 : found.status, { errors: [{ path: 'compte', code: 'ACCOUNT_NOT_FOUND', message: found.message }] });
      const account = { email, name: found.name };
      if (action === 'rechercher') return again(200, { errors: [], account, notice: 'Compte trouvé : vérifiez l’identité de la personne puis confirmez.' });
      if (one(raw.compte_verifie) !== email) {
        return again(422, { account, errors: [{ path: 'compte_confirme', code: 'CONFIRMATION_REQUIRED', message: `Confirmez que la personne est bien ${displayName(account)} (compte recherché à l’instant).` }] });
      }
      if (one(raw.compte_confirme) !== '1') {
        return again(422, { account, errors: [{ path: 'compte_confirme', code: 'CONFIRMATION_REQUIRED', message: `Confirmez que la personne est bien ${displayName(account)}.` }] });
      }
      accountSub = found.sub;
      linked = account;
    }

    const contact = one(raw.contact).trim();
    try {
      const { demand } = await this.submitDemand.execute(
        SubmitDemandCommand.create(caller, {
          teleservice: { id: target.teleservice.id },
          data: values,
          files: this.filesOf(target, form),
          channel: one(raw.canal),
          // A linked account is told at its own address unless another one is given.
          contactEmail: contact !== '' ? contact : accountSub ? email : undefined,
          ...(accountSub ? { onBehalfOf: { accountSub } } : {}),
        }),
      );
      res.redirect(303, `/demandes/${demand.id}?fait=1`);
    } catch (error) {
      if (!(error instanceof DomainError) || (error.kind !== 'invalid' && error.kind !== 'conflict')) throw error;
      const errors = error.fields?.length ? error.fields : [{ path: '', code: error.code, message: error.message }];
      await again(error.kind === 'invalid' ? 422 : 409, { errors, account: linked });
    }
  }

  /** My collectivities' téléservices with a published version, not archived, open now. */
  private async openTeleservices(collectivityIds: readonly string[]): Promise<Teleservice[]> {
    const repository = new TeleserviceRepository(this.dataSource.manager);
    const now = this.engine.clock.now();
    const all = (await Promise.all(collectivityIds.map((id) => repository.listForCollectivity(id)))).flat();
    const open = all.filter((t) => !t.archivedAt && (!t.opensAt || t.opensAt <= now) && (!t.closesAt || t.closesAt > now));
    const published = await Promise.all(open.map(async (t) => ((await repository.latestPublished(t.id)) ? t : null)));
    return published.filter((t): t is Teleservice => t !== null).sort((a, b) => a.title.localeCompare(b.title, 'fr'));
  }

  /** The chosen téléservice and its latest published form (compiled); another collectivity's, or none, is « not found ». */
  private async target(collectivityIds: readonly string[], teleserviceId: string) {
    const notFound = () => DomainError.notFound('TELESERVICE_NOT_FOUND', 'Téléservice introuvable parmi ceux de vos collectivités.');
    if (!UUID.test(teleserviceId)) throw notFound();
    const teleservice = await new TeleserviceRepository(this.dataSource.manager).findById(teleserviceId);
    if (!teleservice || !collectivityIds.includes(teleservice.collectivityId)) throw notFound();
    const versionId = await this.engine.latestPublishedVersionId(teleservice.id);
    const definition = versionId ? await this.engine.definitions.get(versionId) : null;
    if (!definition) throw notFound();
    return { teleservice, compiled: definition.form, form: definition.form.definition };
  }

  /** The answers as the engine reads them, parsed like the portal's pages (`readPage`). */
  private async readValues(target: Target, raw: Raw): Promise<FormValues> {
    const communes = await this.communes();
    // An address outside the metropolis: its INSEE code is typed (the list only has the metropolis' communes).
    const body: Record<string, unknown> = { ...raw };
    for (const key of Object.keys(raw)) {
      if (!key.endsWith('.inseeAutre')) continue;
      const base = key.slice(0, -'.inseeAutre'.length);
      const other = one(raw[key]).trim();
      if (other !== '' && one(raw[`${base}.inseeCode`]).trim() === '') body[`${base}.inseeCode`] = other;
    }
    return Object.assign({}, ...target.form.pages.map((page) => readPage(page, body, communes))) as FormValues;
  }

  /** Uploaded files for the engine: `f.<field>` → `<field>`, `f.<block>.<i>.<sub>` → `<block>[<position>].<sub>`. */
  private filesOf(target: Target, form: OnBehalfForm): UploadedFile[] {
    const fields = target.form.pages.flatMap((p) => p.fields);
    const files: UploadedFile[] = [];
    for (const file of form.files) {
      const parts = file.fieldId.split('.');
      if (parts.length === 1 && fields.some((f) => f.id === parts[0] && f.type === 'file')) files.push({ fieldId: parts[0], name: file.name, content: file.content });
      if (parts.length !== 3) continue;
      const block = fields.find((f) => f.id === parts[0]);
      if (block?.type !== 'block' || !block.fields.some((s) => s.id === parts[2] && s.type === 'file')) continue;
      const position = blockIndexes(form.fields, block.id).indexOf(Number(parts[1]));
      if (position >= 0) files.push({ fieldId: `${block.id}[${position}].${parts[2]}`, name: file.name, content: file.content });
    }
    return files;
  }

  /**
   * The communes of the metropolis a typed postcode serves (several for a shared postcode, 69250: six communes); empty
   * for a postcode outside it, null when nothing valid is typed. In the names of the address' commune list.
   */
  private async communesOf(postcode: unknown): Promise<CommuneChoice[] | null> {
    const compact = typeof postcode === 'string' ? postcode.replace(/\s+/g, '') : '';
    if (!POSTCODE.test(compact)) return null;
    const codes = new Set((await this.territory.communesForPostcode(compact)).map((c) => c.inseeCode));
    return (await this.communes()).filter((c) => codes.has(c.inseeCode));
  }

  /** « Vérifier le code postal »: chooses the only commune of the postcode, or says how many there are, or what is wrong. */
  private async checkPostcode(address: AddressAt): Promise<{ notice?: string; error?: FieldError }> {
    const postcode = typeof address.value?.postcode === 'string' ? address.value.postcode.replace(/\s+/g, '') : '';
    const communes = await this.communesOf(postcode);
    if (communes === null) {
      return { error: { path: `${address.path}.postcode`, code: 'INVALID_FORMAT', message: 'Saisissez un code postal de cinq chiffres, par exemple 69700.' } };
    }
    if (!communes.length) {
      if (address.withinCommunes) return { error: { path: `${address.path}.postcode`, code: 'NOT_AN_OPTION', message: `Le code postal ${postcode} n’est pas celui d’une commune de la Métropole.` } };
      return { notice: `Le code postal ${postcode} n’est pas celui d’une commune de la Métropole : saisissez la commune hors Métropole et son code INSEE.` };
    }
    const chosen = typeof address.value?.inseeCode === 'string' ? address.value.inseeCode : '';
    if (communes.length === 1) {
      address.set({ ...address.value, inseeCode: communes[0].inseeCode, commune: communes[0].name });
      return { notice: `Code postal ${postcode} : commune ${communes[0].name}.` };
    }
    const previous = chosen && !communes.some((c) => c.inseeCode === chosen) ? (await this.communes()).find((c) => c.inseeCode === chosen) : undefined;
    if (previous) address.set({ ...address.value, inseeCode: '', commune: '' });
    const dropped = previous ? ` (${previous.name}, choisie avant, n’en fait pas partie)` : '';
    return { notice: `Le code postal ${postcode} est commun à ${communes.length} communes (${communes.map((c) => c.name).join(', ')}) : choisissez la commune dans la liste${dropped}.` };
  }

  private async communes(): Promise<CommuneChoice[]> {
    const list = await this.engine.directory.communes();
    return [...list].sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  }

  private async formPage(target: Target, state: PageState) {
    const { raw, values } = state;
    const [communes, resolve, withPostcodes] = await Promise.all([this.communes(), this.dataSources.resolverFor(target.compiled), this.territory.listCommunes()]);
    // Each commune's postcodes, carried by its option for the script that narrows the list as one types.
    const postcodes = new Map(withPostcodes.map((c) => [c.inseeCode ?? '', c.postcodes.join(' ')]));
    const dataErrors = state.errors.filter((e) => e.path === 'data' || e.path.startsWith('data.') || e.path.startsWith('data['));
    const fieldIds = new Set(target.form.pages.flatMap((p) => p.fields.map((f) => f.id)));
    const own = (path: string) => state.errors.find((e) => e.path === path)?.message;
    const summary: { id?: string; message: string }[] = [];
    for (const error of state.errors) {
      const anchor = ANCHORS[error.path];
      if (anchor) summary.push({ id: anchor, message: error.message });
      else if (!dataErrors.includes(error)) summary.push({ message: error.message });
      else if (!fieldIds.has(errorKey(error.path).split('.')[0] ?? '')) summary.push({ message: error.message });
    }
    // Each address whose postcode is known shows only that postcode's communes — unless a commune of the metropolis
    // that the postcode does not serve is chosen: the whole list then, so that the choice is not silently dropped.
    const communeChoices = new Map<string, CommuneChoice[]>();
    const allCommunes = await this.communes();
    for (const address of addressesOf(target.form, values)) {
      const narrowed = await this.communesOf(address.value?.postcode);
      const chosen = typeof address.value?.inseeCode === 'string' ? address.value.inseeCode : '';
      const dropped = chosen !== '' && allCommunes.some((c) => c.inseeCode === chosen) && !narrowed?.some((c) => c.inseeCode === chosen);
      if (narrowed?.length && !dropped) communeChoices.set(address.key, narrowed);
    }
    const ctx: PageContext = {
      definition: target.form,
      values,
      errors: errorsByKey(dataErrors),
      visible: everythingVisible(target.form, values),
      locked: new Set(),
      communes,
      communeChoices,
      options: (field, key) => optionsOf(field, key, resolve),
      tilesUrl: '',
      uploadMaxBytes: 20 * 1024 * 1024,
    };
    const pages = withConditionHints(target.form).pages.map((page, p) => {
      const fields = page.fields.map((field) => fieldView(field, ctx, { key: field.id, value: values[field.id] })).filter((v): v is FieldView => v !== null);
      fields.forEach((view) => adjust(view, postcodes));
      for (const view of fields) collectErrors(view, summary);
      return { number: p + 1, title: page.title, fields };
    });
    return {
      pageTitle: `${state.errors.length ? 'Erreur — ' : ''}Nouvelle demande : ${target.teleservice.title}`,
      navigation: NAVIGATION('demands'),
      scripts: [`/nouvelle-demande/communes.js?v=${SCRIPT_VERSION}`],
      errors: summary,
      notice: state.notice,
      teleservice: { id: target.teleservice.id, title: target.teleservice.title },
      channels: channelChoices(one(raw.canal)),
      channelError: own('channel'),
      contact: one(raw.contact),
      contactError: own('contactEmail'),
      compte: one(raw.compte),
      compteError: own('compte'),
      account: state.account ? { email: state.account.email, name: state.account.name ?? '', display: displayName(state.account) } : null,
      confirmed: one(raw.compte_confirme) === '1' && one(raw.compte_verifie) === state.account?.email,
      confirmError: own('compte_confirme'),
      pages,
    };
  }
}

/** Page-level error paths and the element each one points to. */
const ANCHORS: Record<string, string> = { channel: 'canal', contactEmail: 'contact', compte: 'compte', compte_confirme: 'compte-confirme', onBehalfOf: 'compte', 'onBehalfOf.accountSub': 'compte' };

/** The form's addresses, top-level and in block items, with their current values. */
function addressesOf(form: FormDefinition, values: FormValues): AddressAt[] {
  const found: AddressAt[] = [];
  const asValues = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as FormValues) : undefined);
  for (const field of form.pages.flatMap((p) => p.fields)) {
    if (field.type === 'address') {
      found.push({ key: field.id, path: `data.${field.id}`, value: asValues(values[field.id]), withinCommunes: field.withinCommunes === true, set: (v) => (values[field.id] = v) });
    }
    if (field.type !== 'block' || !Array.isArray(values[field.id])) continue;
    const items = values[field.id] as FormValues[];
    items.forEach((item, i) => {
      for (const sub of field.fields) {
        if (sub.type !== 'address') continue;
        found.push({
          key: `${field.id}.${i}.${sub.id}`,
          path: `data.${field.id}[${i}].${sub.id}`,
          value: asValues(item?.[sub.id]),
          withinCommunes: sub.withinCommunes === true,
          set: (v) => (items[i] = { ...(items[i] ?? {}), [sub.id]: v }),
        });
      }
    });
  }
  return found;
}

/** The account shown on the page again (block buttons): the one looked up, if the address was not changed since. */
function verifiedAccountOf(raw: Raw): PageState['account'] {
  const verified = one(raw.compte_verifie);
  return verified && verified === accountEmail(raw) ? { email: verified, name: one(raw.compte_nom) || null } : null;
}

/** The typed account address as the identity stores addresses (trimmed, lower case); '' when it is not one. */
function accountEmail(raw: Raw): string {
  return normaliseEmail(one(raw.compte).trim())?.toLowerCase() ?? '';
}

function displayName(account: { email: string; name: string | null }): string {
  return account.name ? `${account.name} (${account.email})` : `${account.email} (nom non renseigné dans le compte)`;
}

function channelChoices(selected: string) {
  return AGENT_CHANNELS.map((id) => ({ id, label: CHANNEL_LABELS[id] ?? id, checked: id === selected }));
}

/** Options of a choice or a data source field (resolved server-side, like the portal); undefined when unavailable now. */
function optionsOf(field: FieldDefinition, key: string, resolve: OptionsResolver): readonly { value: string; label: string }[] | undefined {
  if (field.type === 'choice') return field.options;
  if (field.type !== 'data_source') return undefined;
  return field.source.kind === 'static' ? field.source.options : resolve(key, field.source);
}

/** The agent sees every field (the engine drops what the conditions hide); conditions are shown as hints. */
function everythingVisible(form: FormDefinition, values: FormValues) {
  const fields = new Set<string>();
  const items = new Set<string>();
  for (const field of form.pages.flatMap((p) => p.fields)) {
    fields.add(field.id);
    if (field.type !== 'block') continue;
    const list = Array.isArray(values[field.id]) ? (values[field.id] as unknown[]) : [];
    list.forEach((_, i) => field.fields.forEach((sub) => items.add(`${field.id}.${i}.${sub.id}`)));
  }
  return { fields, items };
}

function withConditionHints(form: FormDefinition): { pages: PageDefinition[] } {
  const hinted = <F extends FieldDefinition | LeafFieldDefinition>(field: F): F => {
    const def = field as F & { hint?: string; condition?: string };
    const withHint = def.condition ? ({ ...def, hint: [def.hint, `Seulement si : ${def.condition}`].filter(Boolean).join(' — ') } as F) : field;
    return withHint.type === 'block' ? ({ ...withHint, fields: withHint.fields.map(hinted) } as F) : withHint;
  };
  return { pages: form.pages.map((page) => ({ ...page, fields: page.fields.map(hinted) })) };
}

/**
 * The back office's variants of the shared view models: a map point is typed as latitude and longitude; an address'
 * commune options carry their postcodes (`data-codes-postaux`).
 */
function adjust(view: FieldView, postcodes: ReadonlyMap<string, string>) {
  view.hidden = false;
  if (view.kind === 'map') view.inputId = `${view.id}-lat`;
  if (view.kind === 'address') {
    view.communeOptions = (view.communeOptions as { value: string }[]).map((o) => ({ ...o, postcodes: postcodes.get(o.value) ?? '' }));
  }
  if (view.kind === 'block') {
    for (const item of view.items as { fields: FieldView[] }[]) item.fields.forEach((sub) => adjust(sub, postcodes));
    (view.template as { fields: FieldView[] }).fields.forEach((sub) => adjust(sub, postcodes));
  }
}

/** The error summary in the page's order, each message linked to its input. */
function collectErrors(view: FieldView, summary: { id?: string; message: string }[]) {
  if (view.kind === 'block') {
    if (view.blockError) summary.push({ id: String(view.inputId), message: `${view.label} : ${String(view.blockError)}` });
    for (const item of view.items as { legend: string; fields: FieldView[] }[]) {
      for (const sub of item.fields) if (sub.error) summary.push({ id: String(sub.inputId ?? sub.id), message: `${item.legend} — ${sub.label} : ${sub.error}` });
    }
    return;
  }
  if (view.error) summary.push({ id: String(view.inputId ?? view.id), message: `${view.label} : ${view.error}` });
}

function one(value: unknown): string {
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof v === 'string' ? v.slice(0, 100_000) : '';
}

const POSTCODE = /^\d{5}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
