import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Collectivity } from './collectivity.entity.js';
import type { CounterOffer, MembershipService } from './territory.types.js';

/**
 * A collectivity's adhesion to a service over a period. History is kept: changing offer ends the
 * current membership (`ends_on`) and starts a new one. At most one current membership (no `ends_on`)
 * per collectivity and service, enforced by a partial unique index.
 *
 * Schema source of truth: migrations/1763800000000-territory.ts.
 */
@Entity({ name: 'membership' })
@Check('membership_service_check', `service IN ('counter', 'school_workspace')`)
@Check(
  'membership_offer_check',
  `(service = 'counter' AND offer IS NOT NULL AND offer IN ('partenaire', 'abonne', 'connecte')) OR (service = 'school_workspace' AND offer IS NULL)`,
)
@Check('membership_dates_check', `ends_on IS NULL OR ends_on > starts_on`)
@Index('membership_current_key', ['collectivityId', 'service'], { unique: true, where: 'ends_on IS NULL' })
export class Membership {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'membership_pkey' })
  id: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'membership_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'service', type: 'text' })
  service: MembershipService;

  /** Required for the counter, absent for the schools' workspace. */
  @Column({ name: 'offer', type: 'text', nullable: true })
  offer: CounterOffer | null;

  /** Calendar dates (`YYYY-MM-DD`), as agreements are dated. */
  @Column({ name: 'starts_on', type: 'date' })
  startsOn: string;

  /** Exclusive end; null while the membership is current. */
  @Column({ name: 'ends_on', type: 'date', nullable: true })
  endsOn: string | null;

  /** Date of the last signature of the agreement: the first year's contribution is pro rata from it. */
  @Column({ name: 'signed_on', type: 'date', nullable: true })
  signedOn: string | null;

  @Column({ name: 'contact_email', type: 'text', nullable: true })
  contactEmail: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
