import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { collectivityLogo, logoHeaders } from '#territory';

/**
 * A collectivity's logo (`/marque/<slug>/logo`), public: mails may link to it. Served as the portal serves it
 * (`logoHeaders` of #territory: the type sniffed at upload, `nosniff`, a sandboxing CSP — never an active document).
 */
@Controller('marque')
export class LogoController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':slug/logo')
  async logo(@Param('slug') slug: string, @Res() res: Response) {
    const logo = await collectivityLogo(this.dataSource, slug);
    if (!logo) throw new NotFoundException('Aucun logo pour cette collectivité.');
    res.set(logoHeaders(logo)).send(logo.content);
  }
}
