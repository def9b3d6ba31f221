import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BrandingService } from './branding.js';

/**
 * A collectivity's logo (`/marque/<slug>/logo`), public: the portal and mails may link to it. Served with the type
 * sniffed at upload, `nosniff`, and a sandboxing CSP (never an active document).
 */
@Controller('marque')
export class LogoController {
  constructor(private readonly branding: BrandingService) {}

  @Get(':slug/logo')
  async logo(@Param('slug') slug: string, @Res() res: Response) {
    const logo = /^[a-z0-9-]{1,80}$/.test(slug) ? await this.branding.logo(slug) : null;
    if (!logo) throw new NotFoundException('Aucun logo pour cette collectivité.');
    res.setHeader('Content-Type', logo.mediaType);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('Last-Modified', logo.updatedAt.toUTCString());
    res.send(logo.content);
  }
}
