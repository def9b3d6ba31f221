import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { AdminEvent } from '#agents';
import { Clock } from '#core';
import type { AdminActor } from './admin-access.js';

/** Labels of the journal's actions, for the pages. */
export const ACTION_LABELS: Record<string, string> = {
  'agent.invited': 'Agent invité',
  'agent.invitation_accepted': 'Invitation acceptée',
  'agent.invitation_cancelled': 'Invitation annulée',
  'agent.roles_changed': 'Rôles ou fonctions modifiés',
  'agent.revoked': 'Accès retiré',
  'function.granted': 'Fonction attribuée',
  'function.revoked': 'Attribution de fonction retirée',
  'branding.changed': 'Identité visuelle modifiée',
  'offer.changed': 'Offre modifiée',
  'instance.created': 'Instance créée',
  'instance.decommissioned': 'Instance décommissionnée',
  'instance.exported': 'Données de l’instance exportées',
  'client.created': 'Client d’identité créé',
  'client.updated': 'Client d’identité modifié',
  'client.secret_rotated': 'Secret du client renouvelé',
  'client.deleted': 'Client d’identité supprimé',
  'pack.deployed': 'Pack du catalogue déployé',
  'pack.updated': 'Pack du catalogue mis à jour',
  'pack.unchanged': 'Coordonnées d’un pack modifiées',
};

/** The administration journal (`admin_event`): who did what, when. Written in the caller's transaction when given one. */
@Injectable()
export class AdminJournal {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async record(
    actor: AdminActor,
    entry: { collectivityId: string | null; action: string; subject?: string | null; details?: Record<string, unknown> },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    const repository = manager.getRepository(AdminEvent);
    await repository.save(repository.create({
      collectivityId: entry.collectivityId,
      actorSub: actor.sub,
      actorEmail: actor.email,
      action: entry.action,
      subject: entry.subject ?? null,
      details: entry.details ?? {},
      createdAt: this.clock.now(),
    }));
  }

  /** The latest entries of a collectivity (or platform-wide ones with `null`), newest first. */
  async latest(collectivityId: string | null, limit = 30): Promise<AdminEvent[]> {
    return this.dataSource.getRepository(AdminEvent).find({
      where: collectivityId ? { collectivityId } : { collectivityId: IsNull() },
      order: { createdAt: 'DESC' },
      take: limit,
    });
  }
}
