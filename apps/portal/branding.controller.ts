import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { brandingOfCollectivity, brandingOfInstance, collectivityLogo, logoHeaders, type PublicBranding } from '#territory';

/** What a page of a collectivity's instance shows of it: its name, its logo, its accent stylesheet. */
export interface BrandView {
  name: string;
  logoUrl: string | null;
  styleUrl: string;
}

export function brandView(branding: PublicBranding | null): BrandView | null {
  if (!branding) return null;
  const version = branding.updatedAt.getTime();
  return {
    name: branding.name,
    logoUrl: branding.hasLogo ? `/marque/${branding.collectivitySlug}/logo?v=${version}` : null,
    styleUrl: `/marque/${branding.collectivitySlug}/style.css?v=${version}`,
  };
}

/** The brand of an instance's collectivity for a page, or null (platform look). */
export async function instanceBrand(dataSource: DataSource, instanceSlug: string): Promise<BrandView | null> {
  return brandView(await brandingOfInstance(dataSource, instanceSlug));
}

/**
 * A collectivity's branding as the portal serves it (the table the back office's administration writes):
 * `/marque/<slug>/logo` (the type sniffed at upload, `nosniff`, a sandboxing CSP: never an active document) and
 * `/marque/<slug>/style.css` (the accent colour on a border and the name only; the platform's look stays).
 */
@Controller('marque')
export class BrandingController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':slug/logo')
  async logo(@Param('slug') slug: string, @Res() res: Response) {
    const logo = await collectivityLogo(this.dataSource, slug);
    if (!logo) throw new NotFoundException('Aucun logo pour cette collectivité.');
    res.set(logoHeaders(logo)).send(logo.content);
  }

  @Get(':slug/style.css')
  async style(@Param('slug') slug: string, @Res() res: Response) {
    const branding = await brandingOfCollectivity(this.dataSource, slug);
    if (!branding) throw new NotFoundException('Aucune identité visuelle pour cette collectivité.');
    res.setHeader('Content-Type', 'text/css; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.send(brandStylesheet(branding.accentColor));
  }
}

/** The brand band's look; the accent colour (`#rrggbb`, checked by the table) only on its border and the name. */
export function brandStylesheet(accent: string | null): string {
  const color = accent && /^#[0-9a-f]{6}$/.test(accent) ? accent : null;
  return [
    '.collectivity-brand{display:flex;align-items:center;gap:.75rem;margin:0 0 1rem;padding:.5rem .75rem;border-left:.375rem solid currentColor}',
    '.collectivity-brand-logo{max-height:3rem;max-width:10rem;width:auto;height:auto}',
    '.collectivity-brand-name{margin:0;font-weight:700}',
    ...(color ? [`.collectivity-brand{border-left-color:${color}}`, `.collectivity-brand-name{color:${color}}`] : []),
  ].join('\n');
}
