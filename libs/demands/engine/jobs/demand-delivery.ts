import type { EntityManager } from 'typeorm';
import type { AppConfig } from '#core';
import { agentNewDemandMail, agentRecipients, alertAgents, relayMail, type SummaryLine } from '#notifications';
import type { SummaryEntry } from '#forms';
import { Collectivity, type CounterOffer, type TerritoryService } from '#territory';
import type { Demand } from '../../entities/demand.entity.js';
import { DemandRepository } from '../../repositories/demand.repository.js';
import type { DemandEngine } from '../engine-context.js';

/**
 * How a demand reaches the commune competent for it, by the commune's current counter membership:
 * - `gru` (Partenaire, Abonné): the demand is in the commune's GRU by its `collectivity_id`; every agent of the
 *   commune (active `agent_role` with an email) gets one mail, key `agent-new/<demandId>/<agentRoleId>`, or a line
 *   of their daily digest (same key) by preference; an address marked failing is skipped, said in the event;
 * - `connector` (Connecté): a `connector_delivery` row waits `pending` with a JSON snapshot (the connector comes later);
 * - `email_relay` (no current membership, a `contact_email`): one mail with a readable summary to the commune,
 *   key `relay/<demandId>/<collectivityId>`, and a citizen-visible event naming the commune; a routed demand stays
 *   with the metropolis, whose agents follow it (the mail's link), since the commune has no GRU;
 * - `contact_missing` (no membership, no contact address): the demand must stay with the metropolis, with an
 *   internal « adresse de contact manquante » event — never lost.
 */
export type DeliveryPlan =
  | { mode: 'gru'; offer: Extract<CounterOffer, 'partenaire' | 'abonne'> }
  | { mode: 'connector' }
  | { mode: 'email_relay'; to: string }
  | { mode: 'contact_missing' };

/** History kinds a delivery writes; one of them for (demand, commune) means "delivered already". */
export const DELIVERY_EVENT_KINDS = ['delivered', 'relayed_by_email', 'delivery_blocked'] as const;

const ACTOR = { type: 'system', name: 'delivery' } as const;

export class DemandDelivery {
  constructor(
    private readonly engine: DemandEngine,
    private readonly territory: TerritoryService,
    private readonly config: AppConfig,
  ) {}

  /** A collectivity by id (the territory service has no such lookup; the table is small and public). */
  collectivity(id: string): Promise<Collectivity | null> {
    return this.engine.dataSource.manager.getRepository(Collectivity).findOneBy({ id });
  }

  /** What delivering to `commune` means today (read before the writing transaction). */
  async plan(commune: Collectivity): Promise<DeliveryPlan> {
    const membership = await this.territory.currentMembership(commune.id, 'counter');
    if (membership?.offer === 'partenaire' || membership?.offer === 'abonne') return { mode: 'gru', offer: membership.offer };
    if (membership?.offer === 'connecte') return { mode: 'connector' };
    const to = commune.contactEmail?.trim();
    return to ? { mode: 'email_relay', to } : { mode: 'contact_missing' };
  }

  /**
   * Whether this demand already went through this delivery to this commune (replays write nothing). A delivery
   * has a `round` when it is not the first of the demand (a re-routing, `extra.round`): each round delivers once.
   */
  async alreadyDone(manager: EntityManager, demandId: string, collectivityId: string, round = ''): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM "demand_event" WHERE "demand_id" = $1 AND "kind" = ANY($2) AND "payload"->>'collectivityId' = $3
          AND coalesce("payload"->>'round', '') = $4 LIMIT 1`,
      [demandId, [...DELIVERY_EVENT_KINDS], collectivityId, round],
    );
    return rows.length > 0;
  }

  /**
   * Records that `commune` cannot be reached (not adhering, no contact address): an internal event on the demand
   * where it is (the metropolis), for a manual handling. `extra` joins the payload (a routing decision).
   */
  async block(manager: EntityManager, demand: Demand, commune: Collectivity, now: Date, extra: Record<string, unknown> = {}): Promise<void> {
    if (await this.alreadyDone(manager, demand.id, commune.id, roundOf(extra))) return;
    await new DemandRepository(manager).appendEvent(demand, {
      at: now,
      kind: 'delivery_blocked',
      actor: ACTOR,
      visibility: 'internal',
      payload: {
        text: `Adresse de contact manquante pour la commune ${de(commune.name)} : la demande reste à la métropole pour un traitement manuel.`,
        collectivityId: commune.id,
        ...extra,
      },
    });
  }

  /**
   * Writes the delivery of `demand` to `commune` in the caller's platform transaction: GRU and connector deliveries
   * expect the demand already with the commune; a relay or a missing contact leaves it where it is (the
   * metropolis for a routed demand). `extra` joins the event's payload (a routing decision); `extra.round` names a
   * later delivery (a re-routing), whose mails and events are its own (a commune gets a re-routed demand again).
   */
  async write(manager: EntityManager, demand: Demand, commune: Collectivity, plan: DeliveryPlan, now: Date, extra: Record<string, unknown> = {}): Promise<void> {
    if (plan.mode === 'contact_missing') return this.block(manager, demand, commune, now, extra);
    const round = roundOf(extra);
    if (await this.alreadyDone(manager, demand.id, commune.id, round)) return;
    const suffix = round ? `/${round}` : '';
    const roundField = round ? { round } : {};
    const repository = new DemandRepository(manager);
    const teleservice = await this.engine.teleserviceById(demand.teleserviceId);
    const teleserviceTitle = teleservice?.title ?? 'Demande';
    switch (plan.mode) {
      case 'gru': {
        // Each agent of the commune, by preference: a mail now, or a line of their daily digest; a failing address is skipped.
        const link = `${this.backofficeUrl()}/demandes/${demand.id}`;
        const agents = await agentRecipients(manager, commune.id);
        const alerted = await alertAgents(
          manager,
          this.engine.outbox,
          agents,
          {
            collectivityId: commune.id,
            demandId: demand.id,
            keyPrefix: `agent-new/${demand.id}${suffix}`,
            title: `Nouvelle demande : ${teleserviceTitle} (n° ${demand.trackingCode})`,
            link,
            mail: () =>
              agentNewDemandMail({
                collectivityName: commune.name,
                teleserviceTitle,
                trackingCode: demand.trackingCode,
                link,
                preferencesUrl: `${this.backofficeUrl()}/preferences/notifications`,
              }),
          },
          now,
        );
        const notified = alerted.instant + alerted.digest;
        await repository.appendEvent(demand, {
          at: now,
          kind: 'delivered',
          actor: ACTOR,
          visibility: 'internal',
          payload: {
            text:
              `Demande confiée à la GRU de ${commune.name} (offre ${plan.offer === 'abonne' ? 'Abonné' : 'Partenaire'}) ; ${notified} agent(s) prévenu(s) par courriel` +
              (alerted.digest ? ` (dont ${alerted.digest} par le récapitulatif quotidien)` : '') +
              (alerted.skipped.length ? ` ; ${alerted.skipped.length} agent(s) non prévenu(s) : ${alerted.skipped[0]!.reason}.` : '.'),
            collectivityId: commune.id,
            channel: 'gru',
            ...roundField,
            agentsNotified: notified,
            ...(alerted.digest ? { agentsInDigest: alerted.digest } : {}),
            ...(alerted.skipped.length ? { agentsSkipped: alerted.skipped } : {}),
          },
        });
        return;
      }
      case 'connector': {
        const snapshot = {
          demand: {
            id: demand.id,
            trackingCode: demand.trackingCode,
            teleservice: teleservice ? { id: teleservice.id, slug: teleservice.slug, title: teleservice.title } : { id: demand.teleserviceId },
            versionId: demand.versionId,
            channel: demand.channel,
            status: demand.status,
            submittedAt: demand.submittedAt.toISOString(),
            data: demand.data,
          },
        };
        // A later round (re-routed to this commune again) puts the delivery back to `pending` with the new snapshot.
        await manager.query(
          `INSERT INTO "connector_delivery" (demand_id, collectivity_id, status, payload, created_at)
           VALUES ($1, $2, 'pending', $3::jsonb, $4) ON CONFLICT ON CONSTRAINT "connector_delivery_demand_collectivity_key"
           ${round ? `DO UPDATE SET status = 'pending', payload = EXCLUDED.payload` : 'DO NOTHING'}`,
          [demand.id, commune.id, JSON.stringify(snapshot), now],
        );
        await repository.appendEvent(demand, {
          at: now,
          kind: 'delivered',
          actor: ACTOR,
          visibility: 'internal',
          payload: { text: `Transmission au connecteur de ${commune.name} en attente.`, collectivityId: commune.id, channel: 'connector', ...roundField },
        });
        return;
      }
      case 'email_relay': {
        const definition = await this.engine.definitions.get(demand.versionId);
        const entries = definition ? definition.form.summary(demand.data, { communes: await this.engine.directory.communes() }) : [];
        const metropolisName = teleservice ? await this.engine.directory.nameOf(teleservice.collectivityId) : '';
        const mail = relayMail({
          senderName: metropolisName || 'Métropole de Lyon',
          communeName: commune.name,
          teleserviceTitle,
          trackingCode: demand.trackingCode,
          submittedAt: demand.submittedAt,
          lines: entries.map(toLine),
          agentLink: `${this.backofficeUrl()}/demandes/${demand.id}`,
        });
        // Framed with the sender's (the téléservice's collectivity's) branding by the worker.
        const brand = teleservice ? { brand: { collectivityId: teleservice.collectivityId } } : {};
        await this.engine.outbox.add(manager, 'mail.send', { to: plan.to, ...mail, ...brand }, { key: `relay/${demand.id}/${commune.id}${suffix}` });
        await repository.appendEvent(demand, {
          at: now,
          kind: 'relayed_by_email',
          actor: ACTOR,
          visibility: 'citizen',
          payload: {
            text: `Votre demande a été transmise par courriel à la commune ${de(commune.name)}, qui la traitera.`,
            collectivityId: commune.id,
            channel: 'email_relay',
            ...extra,
          },
        });
        return;
      }
    }
  }

  private backofficeUrl(): string {
    return this.config.webApps.backoffice.publicUrl ?? `http://${this.config.host}:${this.config.ports.backoffice}`;
  }
}

/** « de Givors », « d’Écully ». */
function de(name: string): string {
  return /^[aeiouyàâéèêëîïôœù]/i.test(name) ? `d’${name}` : `de ${name}`;
}

function toLine(entry: SummaryEntry): SummaryLine {
  return entry.items ? { label: entry.label, value: entry.value, items: entry.items.map((item) => item.map(toLine)) } : { label: entry.label, value: entry.value };
}

/** The delivery round named by `extra.round` ('' for a demand's first delivery). */
function roundOf(extra: Record<string, unknown>): string {
  return typeof extra.round === 'string' ? extra.round : '';
}
