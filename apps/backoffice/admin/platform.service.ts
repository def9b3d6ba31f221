import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { Clock, DomainError } from '#core';
import { platformScope, withTenant } from '#demands';
import { calendarDay, Collectivity, COUNTER_OFFERS, Instance, instanceSlug, Membership, type CounterOffer, type InstanceEnvironment } from '#territory';
import type { AdminActor } from './admin-access.js';
import { AdminJournal } from './admin-journal.js';

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
   * Everything an instance holds, as one JSON document: its téléservices with every version (form and workflow) and
   * the demands made on them with their history and messages. Available before and after decommissioning.
   */
  async exportInstance(actor: AdminActor, instanceId: string): Promise<{ filename: string; body: string }> {
    const instance = await this.instance(instanceId);
    const data = await withTenant(this.dataSource, platformScope('administration : export des données d’une instance'), async (manager) => {
      const teleservices = await manager.query<Record<string, unknown>[]>(
        `SELECT t.id, t.slug, t.kind, t.title, t.summary, t.created_at, t.archived_at,
                coalesce((SELECT jsonb_agg(jsonb_build_object('id', v.id, 'state', v.state, 'form', v.form, 'workflow', v.workflow) ORDER BY v.created_at)
                            FROM teleservice_version v WHERE v.teleservice_id = t.id), '[]'::jsonb) AS versions
           FROM teleservice t WHERE t.instance_id = $1 ORDER BY t.slug`,
        [instance.id],
      );
      const demands = await manager.query<Record<string, unknown>[]>(
        `SELECT d.id, d.teleservice_id, d.version_id, d.tracking_code, d.channel, d.status, d.data, d.backoffice_data, d.submitted_at, d.closed_at,
                coalesce((SELECT jsonb_agg(jsonb_build_object('kind', e.kind, 'visibility', e.visibility, 'at', e.at, 'payload', e.payload) ORDER BY e.id)
                            FROM demand_event e WHERE e.demand_id = d.id), '[]'::jsonb) AS history,
                coalesce((SELECT jsonb_agg(to_jsonb(m) - 'collectivity_id' ORDER BY m.created_at) FROM demand_message m WHERE m.demand_id = d.id), '[]'::jsonb) AS messages
           FROM demand d JOIN teleservice t ON t.id = d.teleservice_id
          WHERE t.instance_id = $1 ORDER BY d.submitted_at`,
        [instance.id],
      );
      return { teleservices, demands };
    });
    await this.journal.record(actor, { collectivityId: instance.collectivityId, action: 'instance.exported', subject: instance.slug, details: {} });
    const body = JSON.stringify(
      { format: 'parvis-instance-export', version: 1, exportedAt: this.clock.now().toISOString(), collectivity: { id: instance.collectivity.id, name: instance.collectivity.name, slug: instance.collectivity.slug }, instance: { id: instance.id, slug: instance.slug, environment: instance.environment, status: instance.status }, ...data },
      null,
      2,
    );
    return { filename: `parvis-${instance.slug}-${calendarDay(this.clock.now())}.json`, body };
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
