import { once } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { Clock, DomainError } from '#core';
import { ATTACHMENT_STORAGE, platformScope, withTenant, type AttachmentStorage } from '#demands';
import { calendarDay, Collectivity, COUNTER_OFFERS, Instance, instanceSlug, Membership, type CounterOffer, type InstanceEnvironment } from '#territory';
import type { AdminActor } from './admin-access.js';
import yazl from 'yazl';
import { AdminJournal } from './admin-journal.js';
import { attachmentPaths } from './export-paths.js';
import { JsonObjectStream } from './json-stream.js';

export const OFFER_LABELS: Record<string, string> = { partenaire: 'Partenaire', abonne: 'Abonné', connecte: 'Connecté', none: 'Aucune (n’adhère pas)' };
export const ENVIRONMENT_LABELS: Record<string, string> = { production: 'Production', test: 'Test' };

export const PlatformErrors = {
  OFFER_CHANGE_BLOCKED: 'OFFER_CHANGE_BLOCKED',
  OFFER_INVALID: 'OFFER_INVALID',
  DECOMMISSION_BLOCKED: 'DECOMMISSION_BLOCKED',
  INSTANCE_NOT_FOUND: 'INSTANCE_NOT_FOUND',
  INSTANCE_EXISTS: 'INSTANCE_EXISTS',
} as const;

/** An offer change refused: the blocking items, one sentence each, shown as a list. */
export class BlockedChange extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly blockers: string[],
  ) {
    super(code, message, 'conflict');
  }
}

export interface CollectivitySummary {
  collectivity: Collectivity;
  offer: CounterOffer | null;
  since: string | null;
  contactEmail: string | null;
  activeInstances: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Demands fetched from the export's cursor at a time (téléservices: a tenth of it, they carry every version). */
export const EXPORT_PAGE_ROWS = 200;

/** Reads a query through a server-side cursor, `pageRows` rows at a time; `onPage` is awaited before the next FETCH. */
async function pages(manager: EntityManager, sql: string, params: unknown[], pageRows: number, onPage: (rows: Record<string, unknown>[]) => Promise<void>): Promise<void> {
  await manager.query(`DECLARE "instance_export" NO SCROLL CURSOR FOR ${sql}`, params);
  for (;;) {
    const rows = await manager.query<Record<string, unknown>[]>(`FETCH ${pageRows} FROM "instance_export"`);
    if (!rows.length) break;
    await onPage(rows);
  }
  await manager.query(`CLOSE "instance_export"`);
}
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Platform operation (role `platform` on the metropolis): collectivities' counter offers with their history,
 * instances, and the rules of DOMAIN.md for changing offer or leaving (docs/administration.md):
 * - leaving **Partenaire**: its instances must be decommissioned first, which needs its open demands finished
 *   (their data stays exportable after decommissioning);
 * - leaving **Abonné**: its open demands must be finished; its téléservices then go offline (archived);
 * - leaving **Connecté**: routing reads the current offer, so ending it switches the connector delivery off;
 * - becoming **Partenaire**: production and test instances are created when missing.
 * A refused change lists everything that blocks it and writes nothing.
 */
@Injectable()
export class PlatformOperation {
  constructor(
    private readonly dataSource: DataSource,
    private readonly journal: AdminJournal,
    private readonly clock: Clock,
    @Inject(ATTACHMENT_STORAGE) private readonly storage: AttachmentStorage,
  ) {}

  async collectivities(): Promise<CollectivitySummary[]> {
    const rows = await this.dataSource.query<{ id: string; offer: CounterOffer | null; starts_on: string | null; contact_email: string | null; instances: number }[]>(
      `SELECT c.id, m.offer, to_char(m.starts_on, 'YYYY-MM-DD') AS starts_on, m.contact_email,
              (SELECT count(*)::int FROM instance i WHERE i.collectivity_id = c.id AND i.status = 'active') AS instances
         FROM collectivity c
         LEFT JOIN membership m ON m.collectivity_id = c.id AND m.service = 'counter' AND m.ends_on IS NULL`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const all = await this.dataSource.getRepository(Collectivity).find({ order: { kind: 'DESC', slug: 'ASC' } });
    return all.map((collectivity) => {
      const row = byId.get(collectivity.id);
      return { collectivity, offer: row?.offer ?? null, since: row?.starts_on ?? null, contactEmail: row?.contact_email ?? null, activeInstances: row?.instances ?? 0 };
    });
  }

  async collectivity(slug: string): Promise<Collectivity> {
    const found = /^[a-z0-9-]{1,80}$/.test(slug) ? await this.dataSource.getRepository(Collectivity).findOneBy({ slug }) : null;
    if (!found) throw DomainError.notFound('COLLECTIVITY_NOT_FOUND', 'Collectivité introuvable.');
    return found;
  }

  /** The counter memberships of a collectivity, newest first (the history of its offers). */
  memberships(collectivity: Collectivity): Promise<Membership[]> {
    return this.dataSource.getRepository(Membership).find({ where: { collectivityId: collectivity.id, service: 'counter' }, order: { startsOn: 'DESC', createdAt: 'DESC' } });
  }

  instances(collectivity: Collectivity): Promise<Instance[]> {
    return this.dataSource.getRepository(Instance).find({ where: { collectivityId: collectivity.id }, order: { status: 'ASC', environment: 'ASC', createdAt: 'DESC' } });
  }

  async instance(id: string): Promise<Instance & { collectivity: Collectivity }> {
    const found = /^[0-9a-f-]{36}$/i.test(id) ? await this.dataSource.getRepository(Instance).findOne({ where: { id }, relations: { collectivity: true } }) : null;
    if (!found) throw DomainError.notFound(PlatformErrors.INSTANCE_NOT_FOUND, 'Instance introuvable.');
    return found as Instance & { collectivity: Collectivity };
  }

  /** What would block leaving the current offer (empty: the change is possible). */
  async offerChangeBlockers(collectivity: Collectivity, next: CounterOffer | null, manager: EntityManager = this.dataSource.manager): Promise<string[]> {
    const current = await manager.getRepository(Membership).findOneBy({ collectivityId: collectivity.id, service: 'counter', endsOn: IsNull() });
    const from = current?.offer ?? null;
    if (from === next || (from !== 'partenaire' && from !== 'abonne')) return [];
    const blockers: string[] = [];
    if (from === 'partenaire') {
      const active = await manager.getRepository(Instance).findBy({ collectivityId: collectivity.id, status: 'active' });
      for (const instance of active) {
        blockers.push(`L’instance « ${instance.slug} » (${ENVIRONMENT_LABELS[instance.environment].toLowerCase()}) est encore active : exportez ses données puis décommissionnez-la.`);
      }
    }
    blockers.push(...(await this.openDemandBlockers({ collectivityId: collectivity.id })));
    return blockers;
  }

  /** Changes the counter offer (`null`: the collectivity stops adhering) from `startsOn`, keeping the history. */
  async changeOffer(
    actor: AdminActor,
    collectivity: Collectivity,
    input: { offer: string; startsOn: string; signedOn: string; contactEmail: string },
  ): Promise<{ createdInstances: string[] }> {
    const offer = input.offer === 'none' ? null : (COUNTER_OFFERS as readonly string[]).includes(input.offer) ? (input.offer as CounterOffer) : undefined;
    const fields = [];
    if (offer === undefined) fields.push({ path: 'offer', code: 'UNKNOWN', message: 'Choisissez une offre.' });
    if (!DAY.test(input.startsOn)) fields.push({ path: 'startsOn', code: 'INVALID', message: 'Date de début attendue au format AAAA-MM-JJ.' });
    if (input.signedOn && !DAY.test(input.signedOn)) fields.push({ path: 'signedOn', code: 'INVALID', message: 'Date de signature attendue au format AAAA-MM-JJ.' });
    const contactEmail = input.contactEmail.trim().toLowerCase();
    if (contactEmail && !EMAIL.test(contactEmail)) fields.push({ path: 'contactEmail', code: 'INVALID', message: 'Adresse électronique invalide.' });
    if (collectivity.kind === 'metropolis') fields.push({ path: 'offer', code: 'METROPOLIS', message: 'La métropole n’a pas d’offre : elle opère la plateforme.' });
    if (fields.length) throw DomainError.invalid(PlatformErrors.OFFER_INVALID, 'Le changement d’offre est invalide : corrigez les erreurs.', fields);

    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('parvis:offer:' || $1))`, [collectivity.id]);
      const current = await manager.getRepository(Membership).findOneBy({ collectivityId: collectivity.id, service: 'counter', endsOn: IsNull() });
      if ((current?.offer ?? null) === offer) {
        throw DomainError.invalid(PlatformErrors.OFFER_INVALID, 'C’est déjà l’offre en cours.', [{ path: 'offer', code: 'UNCHANGED', message: 'C’est déjà l’offre en cours.' }]);
      }
      if (current && input.startsOn <= current.startsOn) {
        throw DomainError.invalid(PlatformErrors.OFFER_INVALID, 'La nouvelle offre doit commencer après le début de l’offre en cours.', [
          { path: 'startsOn', code: 'TOO_EARLY', message: `Choisissez une date après le ${current.startsOn.split('-').reverse().join('/')}.` },
        ]);
      }
      const blockers = await this.offerChangeBlockers(collectivity, offer!, manager);
      if (blockers.length) {
        throw new BlockedChange(PlatformErrors.OFFER_CHANGE_BLOCKED, `L’offre de ${collectivity.name} ne peut pas encore changer :`, blockers);
      }
      const now = this.clock.now();
      if (current) await manager.getRepository(Membership).update({ id: current.id }, { endsOn: input.startsOn });
      if (offer) {
        await manager.getRepository(Membership).insert({
          collectivityId: collectivity.id,
          service: 'counter',
          offer,
          startsOn: input.startsOn,
          endsOn: null,
          signedOn: input.signedOn || null,
          contactEmail: contactEmail || null,
          createdAt: now,
        });
      }
      // Abonné téléservices go offline when the commune leaves the offer (open demands were finished first).
      if (current?.offer === 'abonne') {
        await manager.query(`UPDATE teleservice SET archived_at = $2, updated_at = $2 WHERE collectivity_id = $1 AND archived_at IS NULL`, [collectivity.id, now]);
      }
      const createdInstances: string[] = [];
      if (offer === 'partenaire') {
        for (const environment of ['production', 'test'] as const) {
          const created = await this.createInstanceIn(manager, collectivity, environment);
          if (created) createdInstances.push(created.slug);
        }
      }
      await this.journal.record(
        actor,
        { collectivityId: collectivity.id, action: 'offer.changed', subject: offer ?? 'none', details: { from: current?.offer ?? null, to: offer, startsOn: input.startsOn, createdInstances } },
        manager,
      );
      return { createdInstances };
    });
  }

  async createInstance(actor: AdminActor, collectivity: Collectivity, environment: string): Promise<Instance> {
    if (environment !== 'production' && environment !== 'test') throw DomainError.invalid(PlatformErrors.OFFER_INVALID, 'Environnement inconnu.', [{ path: 'environment', code: 'UNKNOWN', message: 'Choisissez production ou test.' }]);
    return this.dataSource.transaction(async (manager) => {
      const created = await this.createInstanceIn(manager, collectivity, environment);
      if (!created) throw DomainError.conflict(PlatformErrors.INSTANCE_EXISTS, `${collectivity.name} a déjà une instance ${ENVIRONMENT_LABELS[environment].toLowerCase()} active.`);
      await this.journal.record(actor, { collectivityId: collectivity.id, action: 'instance.created', subject: created.slug, details: { environment } }, manager);
      return created;
    });
  }

  /** Decommissions an instance once the open demands of its téléservices are finished. Its data stays exportable. */
  async decommission(actor: AdminActor, instanceId: string): Promise<Instance> {
    const instance = await this.instance(instanceId);
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('parvis:offer:' || $1))`, [instance.collectivityId]);
      const fresh = await manager.getRepository(Instance).findOneByOrFail({ id: instance.id });
      if (fresh.status !== 'active') throw DomainError.conflict(PlatformErrors.DECOMMISSION_BLOCKED, 'Cette instance est déjà décommissionnée.');
      const blockers = await this.openDemandBlockers({ instanceId: instance.id });
      if (blockers.length) throw new BlockedChange(PlatformErrors.DECOMMISSION_BLOCKED, `L’instance « ${instance.slug} » ne peut pas encore être décommissionnée :`, blockers);
      const now = this.clock.now();
      await manager.getRepository(Instance).update({ id: instance.id }, { status: 'decommissioned', decommissionedAt: now });
      await manager.query(`UPDATE teleservice SET archived_at = $2, updated_at = $2 WHERE instance_id = $1 AND archived_at IS NULL`, [instance.id, now]);
      await this.journal.record(actor, { collectivityId: instance.collectivityId, action: 'instance.decommissioned', subject: instance.slug, details: {} }, manager);
      return { ...fresh, status: 'decommissioned', decommissionedAt: now };
    });
  }

  /** Blockers for open demands (not closed) of a collectivity or of an instance's téléservices, read in platform scope. */
  async openDemandBlockers(where: { collectivityId: string } | { instanceId: string }): Promise<string[]> {
    const byCollectivity = 'collectivityId' in where;
    const rows = await withTenant(this.dataSource, platformScope('administration : demandes ouvertes avant un changement d’offre'), (manager) =>
      manager.query<{ count: number; codes: string[] | null }[]>(
        `SELECT count(*)::int AS count, (array_agg(d.tracking_code ORDER BY d.submitted_at))[1:5] AS codes
           FROM demand d ${byCollectivity ? '' : 'JOIN teleservice t ON t.id = d.teleservice_id'}
          WHERE d.closed_at IS NULL AND ${byCollectivity ? 'd.collectivity_id = $1' : 't.instance_id = $1'}`,
        [byCollectivity ? where.collectivityId : where.instanceId],
      ),
    );
    const { count, codes } = rows[0];
    if (!count) return [];
    const more = count > (codes?.length ?? 0) ? ', …' : '';
    return [`${count} demande${count > 1 ? 's' : ''} ouverte${count > 1 ? 's' : ''} à terminer d’abord (${(codes ?? []).join(', ')}${more}).`];
  }

  /**
   * Everything an instance holds, as one JSON document (`parvis-instance-export`, version 1): its téléservices with
   * every version (form and workflow) and the demands made on them with their history, messages and attachments; and
   * the attachments' files themselves, `pieces-jointes/<tracking code>/<file name>` (`attachmentPaths`), which the
   * document references (`attachments[].path`). Available before and after decommissioning.
   * Streamed in constant memory: a zip (yazl) written while PostgreSQL cursors are read (`DECLARE … NO SCROLL CURSOR`,
   * `FETCH` a page at a time) in one platform-scope transaction. The files come first, one at a time, each streamed
   * from the storage driver into its entry before the next is opened (never whole in memory); a file the storage no
   * longer has is left out and marked `missing: true`, `path: null` in the document (the ids of those are the only
   * thing kept across the passes). Then the document, each page written — and the HTTP response drained — before the
   * next is fetched. The export is journalled when it starts (an access to the data, even if the download is
   * interrupted). A reader that goes away stops the reading (the transaction is rolled back).
   */
  async exportInstance(actor: AdminActor, instanceId: string, out: Writable, options: { pageRows?: number } = {}): Promise<void> {
    const instance = await this.instance(instanceId);
    await this.journal.record(actor, { collectivityId: instance.collectivityId, action: 'instance.exported', subject: instance.slug, details: {} });
    const pageRows = Math.max(1, Math.trunc(options.pageRows ?? EXPORT_PAGE_ROWS));
    const zip = new yazl.ZipFile();
    const entry = new PassThrough();
    const aborted = new AbortController();
    let finishedExport = false;
    out.once('close', () => {
      if (!finishedExport) aborted.abort(new Error('export interrompu : le client est parti'));
    });
    zip.outputStream.pipe(out);
    let reading: Readable | null = null;
    try {
      await withTenant(this.dataSource, platformScope('administration : export des données d’une instance'), async (manager) => {
        // 1. The files, demand by demand, in the order (and so with the paths) the document gives them.
        const missing = new Set<string>();
        await pages(
          manager,
          `SELECT d.tracking_code,
                  jsonb_agg(jsonb_build_object('id', a.id, 'fileName', a.file_name, 'storageKey', a.storage_key, 'createdAt', a.created_at) ORDER BY a.created_at, a.id) AS files
             FROM demand d JOIN teleservice t ON t.id = d.teleservice_id JOIN attachment a ON a.demand_id = d.id
            WHERE t.instance_id = $1 GROUP BY d.id, d.tracking_code, d.submitted_at ORDER BY d.submitted_at, d.id`,
          [instance.id],
          pageRows,
          async (rows) => {
            for (const row of rows) {
              const files = row.files as { id: string; fileName: string; storageKey: string; createdAt: string }[];
              const paths = attachmentPaths(String(row.tracking_code), files);
              for (const file of files) {
                aborted.signal.throwIfAborted();
                try {
                  reading = await this.storage.get(file.storageKey);
                } catch (error) {
                  if (!(error instanceof DomainError) || error.kind !== 'not_found') throw error;
                  missing.add(file.id);
                  continue;
                }
                // Lazily handed over, then forgotten: yazl keeps every entry (for the central directory) but not its stream.
                let handed: Readable | null = reading;
                zip.addReadStreamLazy(paths.get(file.id)!, { mtime: new Date(file.createdAt) }, (give) => {
                  const stream = handed!;
                  handed = null;
                  give(null, stream);
                });
                await finished(reading, { signal: aborted.signal });
                reading = null;
              }
            }
          },
        );
        // 2. The document.
        zip.addReadStream(entry, this.exportEntryName(instance.slug));
        zip.end();
        const json = new JsonObjectStream(entry, aborted.signal);
        await json.member('format', 'parvis-instance-export');
        await json.member('version', 1);
        await json.member('exportedAt', this.clock.now().toISOString());
        await json.member('collectivity', { id: instance.collectivity.id, name: instance.collectivity.name, slug: instance.collectivity.slug });
        await json.member('instance', { id: instance.id, slug: instance.slug, environment: instance.environment, status: instance.status });
        await json.array('teleservices');
        await pages(
          manager,
          `SELECT t.id, t.slug, t.kind, t.title, t.summary, t.created_at, t.archived_at,
                  coalesce((SELECT jsonb_agg(jsonb_build_object('id', v.id, 'state', v.state, 'form', v.form, 'workflow', v.workflow) ORDER BY v.created_at)
                              FROM teleservice_version v WHERE v.teleservice_id = t.id), '[]'::jsonb) AS versions
             FROM teleservice t WHERE t.instance_id = $1 ORDER BY t.slug`,
          [instance.id],
          Math.max(1, Math.trunc(pageRows / 10)),
          (rows) => json.items(rows),
        );
        await json.array('demands');
        await pages(
          manager,
          `SELECT d.id, d.teleservice_id, d.version_id, d.tracking_code, d.channel, d.status, d.data, d.backoffice_data, d.submitted_at, d.closed_at,
                  coalesce((SELECT jsonb_agg(jsonb_build_object('kind', e.kind, 'visibility', e.visibility, 'at', e.at, 'payload', e.payload) ORDER BY e.id)
                              FROM demand_event e WHERE e.demand_id = d.id), '[]'::jsonb) AS history,
                  coalesce((SELECT jsonb_agg(to_jsonb(m) - 'collectivity_id' ORDER BY m.created_at) FROM demand_message m WHERE m.demand_id = d.id), '[]'::jsonb) AS messages,
                  coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'field_id', a.field_id, 'message_id', a.message_id, 'file_name', a.file_name,
                                                                'mime_type', a.mime_type, 'size_bytes', a.size_bytes, 'sha256', a.sha256, 'created_at', a.created_at)
                                             ORDER BY a.created_at, a.id)
                              FROM attachment a WHERE a.demand_id = d.id), '[]'::jsonb) AS attachments
             FROM demand d JOIN teleservice t ON t.id = d.teleservice_id
            WHERE t.instance_id = $1 ORDER BY d.submitted_at, d.id`,
          [instance.id],
          pageRows,
          (rows) =>
            json.items(
              rows.map((row) => {
                const attachments = row.attachments as { id: string; file_name: string }[];
                const paths = attachmentPaths(String(row.tracking_code), attachments.map((a) => ({ id: a.id, fileName: a.file_name })));
                return {
                  ...row,
                  attachments: attachments.map((a) => (missing.has(a.id) ? { ...a, path: null, missing: true } : { ...a, path: paths.get(a.id) })),
                };
              }),
            ),
        );
        await json.end();
      });
      entry.end();
      if (!aborted.signal.aborted) await once(out, 'finish', { signal: aborted.signal });
      finishedExport = true;
    } catch (error) {
      finishedExport = true;
      (reading as Readable | null)?.destroy();
      entry.destroy(error as Error);
      out.destroy(error as Error);
    }
  }

  /** The download's name: `parvis-<instance>-<day>.zip`, holding `parvis-<instance>-<day>.json`. */
  exportFileName(slug: string): string {
    return `parvis-${slug}-${calendarDay(this.clock.now())}.zip`;
  }

  private exportEntryName(slug: string): string {
    return `parvis-${slug}-${calendarDay(this.clock.now())}.json`;
  }

  /** A new active instance (slug `givors` / `givors-test`, suffixed when a decommissioned one holds it); null when one is active already. */
  private async createInstanceIn(manager: EntityManager, collectivity: Collectivity, environment: InstanceEnvironment): Promise<Instance | null> {
    const repo = manager.getRepository(Instance);
    if (await repo.existsBy({ collectivityId: collectivity.id, environment, status: 'active' })) return null;
    const base = instanceSlug(collectivity.slug, environment);
    let slug = base;
    for (let n = 2; await repo.existsBy({ slug }); n++) slug = `${base}-${n}`;
    return repo.save(repo.create({ collectivityId: collectivity.id, environment, slug, status: 'active', createdAt: this.clock.now(), decommissionedAt: null }));
  }
}
