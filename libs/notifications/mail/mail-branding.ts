import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { brandingOfCollectivity, collectivityLogo } from '#territory';
import { brandMailHtml } from '../templates/mail-templates.js';
import type { MailAttachment } from './mail-sender.js';

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' };

/**
 * The branding of the competent collectivity on a mail's HTML part, applied by `mail.send` when it sends: the name
 * the collectivity shows, its accent colour (kept when it reaches AA contrast on white, else the platform's), its
 * logo as an inline attachment referenced by `cid:` (mail clients show it without loading anything remote; the
 * `alt` and the name beside it are the fallback). A collectivity without branding keeps the platform's header
 * (its name, the platform's colour, no logo). Read at send time from #territory (`brandingOfCollectivity`,
 * `collectivityLogo`), so the `cid:` in the HTML and the attached logo always agree.
 */
@Injectable()
export class MailBranding {
  constructor(private readonly dataSource: DataSource) {}

  async apply(html: string, collectivityId: string): Promise<{ html: string; attachments: MailAttachment[] }> {
    const rows: { slug: string }[] = await this.dataSource.query(`SELECT slug FROM "collectivity" WHERE id = $1`, [collectivityId]);
    const slug = rows[0]?.slug;
    const branding = slug ? await brandingOfCollectivity(this.dataSource, slug) : null;
    if (!slug || !branding) return { html, attachments: [] };
    const logo = branding.hasLogo ? await collectivityLogo(this.dataSource, slug) : null;
    const logoCid = logo ? `logo-${slug}@parvis` : null;
    return {
      html: brandMailHtml(html, { name: branding.name, accentColor: branding.accentColor, logoCid }),
      attachments: logo
        ? [{ cid: logoCid!, filename: `logo-${slug}.${EXTENSIONS[logo.mediaType] ?? 'img'}`, content: logo.content, contentType: logo.mediaType, contentDisposition: 'inline' }]
        : [],
    };
  }
}
