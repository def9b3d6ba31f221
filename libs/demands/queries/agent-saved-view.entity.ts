import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Collectivity } from '#territory';
import { BulkOperation } from './agent-bulk-operation.entity.js';

export const SAVED_VIEW_VISIBILITIES = ['private', 'shared'] as const;
export type SavedViewVisibility = (typeof SAVED_VIEW_VISIBILITIES)[number];

/**
 * A saved listing of the back office (filters, columns, sort, as the listing's query string) of one agent in one
 * collectivity: `private` (its owner only) or `shared` (every agent of the collectivity); one default view per
 * owner. Row-level security by collectivity and owner (migration 1763801300000-backoffice-work).
 */
@Entity({ name: 'saved_view' })
@Unique('saved_view_owner_name_key', ['ownerSub', 'collectivityId', 'name'])
@Check('saved_view_visibility_check', `visibility IN ('private', 'shared')`)
@Check('saved_view_name_check', `char_length(name) BETWEEN 1 AND 100`)
@Check('saved_view_query_check', `char_length(query) <= 4000`)
@Index('saved_view_collectivity_id_idx', ['collectivityId'])
@Index('saved_view_default_key', ['ownerSub'], { unique: true, where: 'is_default' })
export class SavedView {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'saved_view_pkey' })
  id: string;

  @Column({ name: 'collectivity_id', type: 'uuid' })
  collectivityId: string;

  @ManyToOne(() => Collectivity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'saved_view_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  /** The back office's `sub` of the agent who saved it. */
  @Column({ name: 'owner_sub', type: 'text' })
  ownerSub: string;

  @Column({ name: 'name', type: 'text' })
  name: string;

  @Column({ name: 'visibility', type: 'text' })
  visibility: SavedViewVisibility;

  /** The listing's parameters (`statut=…&colonnes=…&tri=…`), without pagination. */
  @Column({ name: 'query', type: 'text' })
  query: string;

  /** The owner's default view (opens when the inbox is opened without parameters). */
  @Column({ name: 'is_default', type: 'boolean', default: false })
  isDefault: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/**
 * Entities of the back office's listings (migration 1763801300000-backoffice-work): saved views and bulk
 * operations, registered in libs/platform/schema.ts.
 */
export const BACKOFFICE_WORK_ENTITIES = [SavedView, BulkOperation];
