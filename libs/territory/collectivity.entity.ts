import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import type { BoundaryGeometry } from './geometry.js';
import type { CollectivityKind } from './territory.types.js';

/**
 * The metropolis (EPCI) and its member communes. Reference columns (names, SIREN, INSEE code,
 * population, postcodes, boundary) come from official data and are refreshed by the reference seed;
 * `contact_email` is operational and never overwritten by it.
 *
 * Schema source of truth: migrations/1763800000000-territory.ts. Constraint and index names here must
 * match it exactly (the schema check compares them).
 */
@Entity({ name: 'collectivity' })
@Unique('collectivity_insee_code_key', ['inseeCode'])
@Unique('collectivity_siren_key', ['siren'])
@Unique('collectivity_slug_key', ['slug'])
@Check('collectivity_kind_check', `kind IN ('metropolis', 'commune')`)
@Check(
  'collectivity_shape_check',
  `(kind = 'metropolis' AND insee_code IS NULL AND parent_id IS NULL) OR (kind = 'commune' AND insee_code IS NOT NULL AND parent_id IS NOT NULL AND cardinality(postcodes) > 0)`,
)
@Check('collectivity_insee_code_check', `insee_code ~ '^[0-9][0-9AB][0-9]{3}$'`)
@Check('collectivity_siren_check', `siren ~ '^[0-9]{9}$'`)
@Check('collectivity_slug_check', `slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`)
@Check('collectivity_population_check', `population >= 0`)
@Check(
  'collectivity_bbox_check',
  `(boundary IS NULL AND min_lon IS NULL AND min_lat IS NULL AND max_lon IS NULL AND max_lat IS NULL) OR (boundary IS NOT NULL AND min_lon <= max_lon AND min_lat <= max_lat)`,
)
export class Collectivity {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'collectivity_pkey' })
  id: string;

  @Column({ name: 'kind', type: 'text' })
  kind: CollectivityKind;

  /** Code officiel géographique (COG) of a commune; null for the metropolis. */
  @Column({ name: 'insee_code', type: 'varchar', length: 5, nullable: true })
  inseeCode: string | null;

  @Column({ name: 'siren', type: 'varchar', length: 9 })
  siren: string;

  @Column({ name: 'name', type: 'text' })
  name: string;

  /** Stable, URL-safe name: `givors`, `metropole-de-lyon`. */
  @Column({ name: 'slug', type: 'text' })
  slug: string;

  /** Population municipale (INSEE), as published by @etalab/decoupage-administratif. */
  @Column({ name: 'population', type: 'integer' })
  population: number;

  /** Postcodes serving the commune; several communes may share one (69250). Empty for the metropolis. */
  @Column({ name: 'postcodes', type: 'text', array: true })
  postcodes: string[];

  /** The metropolis a commune belongs to; null for the metropolis itself. */
  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  @ManyToOne(() => Collectivity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'collectivity_parent_id_fkey' })
  parent?: Relation<Collectivity> | null;

  /** GeoJSON Polygon or MultiPolygon (WGS 84); null when no boundary is known (the metropolis). */
  @Column({ name: 'boundary', type: 'jsonb', nullable: true })
  boundary: BoundaryGeometry | null;

  /** Bounding box of `boundary`, for a cheap SQL prefilter before the exact point-in-polygon test. */
  @Column({ name: 'min_lon', type: 'double precision', nullable: true })
  minLon: number | null;

  @Column({ name: 'min_lat', type: 'double precision', nullable: true })
  minLat: number | null;

  @Column({ name: 'max_lon', type: 'double precision', nullable: true })
  maxLon: number | null;

  @Column({ name: 'max_lat', type: 'double precision', nullable: true })
  maxLat: number | null;

  /** Where demands within the collectivity's competence are relayed by email when it does not adhere. */
  @Column({ name: 'contact_email', type: 'text', nullable: true })
  contactEmail: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
