import { Check, Column, Entity, JoinColumn, OneToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Collectivity } from './collectivity.entity.js';

export const LOGO_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type LogoMediaType = (typeof LOGO_MEDIA_TYPES)[number];

/**
 * What a collectivity shows of itself on its pages: the name shown, a logo (bytes kept in the row, type sniffed on
 * upload), an accent colour (`#rrggbb`, AA contrast against white checked on input). Absent row or null column:
 * the reference name, no logo, the platform's colour. Set by the back office's administration (docs/administration.md).
 *
 * Schema source of truth: migrations/1763801700000-administration.ts.
 */
@Entity({ name: 'collectivity_branding' })
@Check('collectivity_branding_accent_color_check', `accent_color ~ '^#[0-9a-f]{6}$'`)
@Check('collectivity_branding_logo_media_type_check', `logo_media_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')`)
@Check('collectivity_branding_logo_check', `(logo IS NULL) = (logo_media_type IS NULL)`)
export class CollectivityBranding {
  @PrimaryColumn({ name: 'collectivity_id', type: 'uuid', primaryKeyConstraintName: 'collectivity_branding_pkey' })
  collectivityId: string;

  @OneToOne(() => Collectivity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'collectivity_id', foreignKeyConstraintName: 'collectivity_branding_collectivity_id_fkey' })
  collectivity?: Relation<Collectivity>;

  @Column({ name: 'display_name', type: 'text', nullable: true })
  displayName: string | null;

  @Column({ name: 'accent_color', type: 'text', nullable: true })
  accentColor: string | null;

  @Column({ name: 'logo', type: 'bytea', nullable: true, select: false })
  logo: Buffer | null;

  @Column({ name: 'logo_media_type', type: 'text', nullable: true })
  logoMediaType: LogoMediaType | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** The back-office `sub` of the administrator who last changed it. */
  @Column({ name: 'updated_by', type: 'text' })
  updatedBy: string;
}
