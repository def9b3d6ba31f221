import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Collectivity, Instance } from '#territory';
import type { RoutingRule, TeleserviceKind } from './teleservice.types.js';

/**
 * A téléservice (démarche), owned by an instance. `collectivity_id` is the owner (the instance's
 * collectivity), denormalised so that listings and row-level security need no join.
 *
 * Schema source of truth: migrations/1763800300000-engine.ts. Names and expressions match it exactly.
 */
@Entity({ name: 'teleservice' })
@Unique('teleservice_instance_id_slug_key', ['instanceId', 'slug'])
@Check('teleservice_kind_check', `kind IN ('communal', 'metropolitan', 'mutualised', 'catalogue_pack')`)
@Check('teleservice_slug_check', `slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`)
@Check(
  'teleservice_routing_rule_check',
  `(kind = 'mutualised' AND COALESCE(jsonb_typeof(routing_rule) = 'object' AND routing_rule->>'by' IN ('map_point', 'address', 'postcode', 'commune') AND jsonb_typeof(routing_rule->'field') = 'string', false)) OR (kind <> 'mutualised' AND routing_rule IS NULL)`,
)
@Check('teleservice_pack_source_check', `pack_source_id IS NULL OR kind <> 'catalogue_pack'`)
@Check('teleservice_dates_check', `opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at`)
@Check('teleservice_settings_check', `settings IS NULL OR jsonb_typeof(settings) = 'object'`)
@Index('teleservice_collectivity_id_idx', ['collectivityId'])
export class Teleservice {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'teleservice_pkey' })
  id: string;

  @Column({ name: 'instance_id', type: 'uuid' })
  instanceId: string;

  @ManyToOne(() => Instance, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'instance_id', foreignKeyConstraintName: 'teleservice_instance_id_fkey' })
  instance?: Relation<Instance>;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'teleservice_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  /** Unique per instance, URL-safe. */
  @Column({ name: 'slug', type: 'text' })
  slug: string;

  @Column({ name: 'kind', type: 'text' })
  kind: TeleserviceKind;

  @Column({ name: 'title', type: 'text' })
  title: string;

  @Column({ name: 'summary', type: 'text' })
  summary: string;

  @Column({ name: 'description', type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'theme', type: 'text', nullable: true })
  theme: string | null;

  @Column({ name: 'anonymous_allowed', type: 'boolean', default: false })
  anonymousAllowed: boolean;

  /** Mutualised téléservices only: which field decides the competent commune, and how. */
  @Column({ name: 'routing_rule', type: 'jsonb', nullable: true })
  routingRule: RoutingRule | null;

  /** For a deployed catalogue pack: the pack it comes from. */
  @Column({ name: 'pack_source_id', type: 'uuid', nullable: true })
  packSourceId: string | null;

  @ManyToOne(() => Teleservice, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'pack_source_id', foreignKeyConstraintName: 'teleservice_pack_source_id_fkey' })
  packSource?: Relation<Teleservice> | null;

  @Column({ name: 'opens_at', type: 'timestamptz', nullable: true })
  opensAt: Date | null;

  @Column({ name: 'closes_at', type: 'timestamptz', nullable: true })
  closesAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'archived_at', type: 'timestamptz', nullable: true })
  archivedAt: Date | null;

  /** Small per-téléservice settings (migration 1763800450000-authoring), e.g. a deployed pack's contact details. */
  @Column({ name: 'settings', type: 'jsonb', nullable: true })
  settings: Record<string, unknown> | null;
}
