import type { DataSource } from 'typeorm';
import type { LogoMediaType } from './collectivity-branding.entity.js';

/** A collectivity's branding as its public pages show it (read-only; the back office's administration writes it). */
export interface PublicBranding {
  collectivitySlug: string;
  /** The name shown: the branding's, or the collectivity's official name. */
  name: string;
  /** `#rrggbb` (AA contrast against white checked on input), or null: the platform's colour. */
  accentColor: string | null;
  hasLogo: boolean;
  updatedAt: Date;
}

/**
 * The branding of the collectivity an instance belongs to (`instance.slug`), or null when the collectivity has set
 * none (its pages keep the platform's look).
 */
export async function brandingOfInstance(dataSource: DataSource, instanceSlug: string): Promise<PublicBranding | null> {
  return readBranding(dataSource, `c.id = (SELECT i.collectivity_id FROM instance i WHERE i.slug = $1)`, instanceSlug);
}

/** The branding of a collectivity by its slug, or null when it has set none. */
export async function brandingOfCollectivity(dataSource: DataSource, collectivitySlug: string): Promise<PublicBranding | null> {
  return /^[a-z0-9-]{1,80}$/.test(collectivitySlug) ? readBranding(dataSource, 'c.slug = $1', collectivitySlug) : null;
}

async function readBranding(dataSource: DataSource, where: string, param: string): Promise<PublicBranding | null> {
  const rows = await dataSource.query(
    `SELECT c.slug, c.name, b.display_name, b.accent_color, b.logo_media_type, b.updated_at
       FROM collectivity c JOIN collectivity_branding b ON b.collectivity_id = c.id
      WHERE ${where}`,
    [param],
  );
  if (!rows.length) return null;
  const row = rows[0] as Record<string, unknown>;
  return {
    collectivitySlug: String(row.slug),
    name: typeof row.display_name === 'string' && row.display_name.trim() ? row.display_name : String(row.name),
    accentColor: typeof row.accent_color === 'string' && /^#[0-9a-f]{6}$/.test(row.accent_color) ? row.accent_color : null,
    hasLogo: row.logo_media_type !== null,
    updatedAt: new Date(row.updated_at as string),
  };
}

/**
 * The headers a collectivity's logo is served with, wherever it is served (portal, back office): the type sniffed at
 * upload, `nosniff`, a sandboxing CSP (never an active document), a short public cache.
 */
export function logoHeaders(logo: { mediaType: LogoMediaType; updatedAt: Date }): Record<string, string> {
  return {
    'Content-Type': logo.mediaType,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'public, max-age=300',
    'Last-Modified': logo.updatedAt.toUTCString(),
  };
}

/** A collectivity's logo by its slug (bytes and the type sniffed at upload), or null. */
export async function collectivityLogo(dataSource: DataSource, collectivitySlug: string): Promise<{ content: Buffer; mediaType: LogoMediaType; updatedAt: Date } | null> {
  if (!/^[a-z0-9-]{1,80}$/.test(collectivitySlug)) return null;
  const rows = await dataSource.query(
    `SELECT b.logo, b.logo_media_type, b.updated_at FROM collectivity c JOIN collectivity_branding b ON b.collectivity_id = c.id
      WHERE c.slug = $1 AND b.logo IS NOT NULL`,
    [collectivitySlug],
  );
  if (!rows.length) return null;
  return { content: rows[0].logo as Buffer, mediaType: rows[0].logo_media_type as LogoMediaType, updatedAt: new Date(rows[0].updated_at as string) };
}
