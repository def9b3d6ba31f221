import { Controller, Get, Param, Query, Render, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CatalogueSearchService } from '#teleservices';
import { DataSource } from 'typeorm';
import { readCookie } from '#web-session';
import { instanceBrand } from './branding.controller.js';
import { portalNavigation } from './navigation.js';

/** « Ma commune »: a plain preference cookie (no personal data), read on the catalogue pages. */
export const COMMUNE_COOKIE = 'parvis_commune';
const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

const text = (value: unknown, max = 200) => (typeof value === 'string' ? value.trim().slice(0, max) : '');
const plural = (count: number, one: string, many: string) => `${count} ${count <= 1 ? one : many}`;

@Controller()
export class HomeController {
  constructor(
    private readonly catalogue: CatalogueSearchService,
    private readonly dataSource: DataSource,
  ) {}

  /** Home = catalogue: search form, themes, results (everything works without JavaScript: GET forms and links). */
  @Get()
  @Render('home')
  async home(@Query() query: Record<string, unknown>, @Req() req: Request) {
    const communes = await this.catalogue.communes();
    const preferred = readCookie(req, COMMUNE_COOKIE);
    const commune = communes.find((c) => c.slug === preferred);
    const q = text(query.q);
    const theme = text(query.theme);
    const collectivity = text(query.collectivite);
    const [results, themes, providers] = await Promise.all([
      this.catalogue.search({ text: q, theme: theme || undefined, collectivity: collectivity || undefined, commune: commune?.slug }),
      this.catalogue.themes(commune?.slug),
      this.catalogue.providers(),
    ]);
    const filtered = !!(q || theme || collectivity);
    const count = plural(results.length, 'démarche trouvée', 'démarches trouvées');
    return {
      pageTitle: filtered ? `${q ? `« ${q} »` : 'Démarches'} : ${count} — Démarches` : 'Accueil',
      navigation: portalNavigation('demarches'),
      q,
      filtered,
      count,
      results,
      themes: themes.map((name) => ({ name, selected: name === theme, href: `/?theme=${encodeURIComponent(name)}` })),
      providers: providers
        .filter((p) => !commune || p.kind === 'metropolis' || p.slug === commune.slug)
        .map((p) => ({ ...p, selected: p.slug === collectivity })),
      communes: communes.map((c) => ({ ...c, selected: c.slug === commune?.slug })),
      commune,
    };
  }

  /** Saves « Ma commune » (or clears it) and goes back to the catalogue. A GET form: a display preference only. */
  @Get('ma-commune')
  async setCommune(@Query('commune') slug: unknown, @Res() res: Response) {
    const communes = await this.catalogue.communes();
    const commune = communes.find((c) => c.slug === text(slug));
    if (commune) res.cookie(COMMUNE_COOKIE, commune.slug, { path: '/', maxAge: ONE_YEAR_MS, sameSite: 'lax', httpOnly: true });
    else res.clearCookie(COMMUNE_COOKIE, { path: '/' });
    res.redirect(303, '/');
  }

  @Get('demarches/:instance/:slug')
  @Render('teleservice')
  async teleservice(@Param('instance') instance: string, @Param('slug') slug: string) {
    const teleservice = await this.catalogue.getTeleservice(instance, slug);
    const brand = await instanceBrand(this.dataSource, instance);
    return {
      pageTitle: `${teleservice.title} — Démarches`,
      brand,
      stylesheets: brand ? [brand.styleUrl] : [],
      navigation: portalNavigation('demarches'),
      teleservice,
      requiredDocuments: teleservice.toPrepare.filter((item) => !item.conditional),
      conditionalDocuments: teleservice.toPrepare.filter((item) => item.conditional),
      fields: plural(teleservice.fieldCount, 'champ', 'champs'),
    };
  }
}
