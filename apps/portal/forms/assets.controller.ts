import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, fromRoot } from '#core';

const PORTAL_ASSETS = fromRoot('apps', 'portal', 'public');
const LEAFLET_ASSETS = fromRoot('node_modules', 'leaflet', 'dist');
const ONE_YEAR_S = 365 * 24 * 3600;

/** A fingerprint of the portal's own assets: their URLs change with their content, so they may be cached for a year. */
const VERSION = (() => {
  const hash = createHash('sha256');
  try {
    for (const file of readdirSync(PORTAL_ASSETS).sort()) hash.update(file).update(readFileSync(join(PORTAL_ASSETS, file)));
  } catch {
    /* no assets */
  }
  return hash.digest('hex').slice(0, 12);
})();

/** `/assets/portal/forms.js?v=<fingerprint>`. */
export const assetUrl = (file: string) => `/assets/${file}?v=${VERSION}`;

const SAFE = /^[a-z0-9][a-z0-9._-]*$/i;

/**
 * The portal's JavaScript and CSS (`apps/portal/public`, under `/assets/portal/`) and Leaflet's files
 * (`node_modules/leaflet/dist`, under `/assets/leaflet/`), with long cache headers (fingerprinted URLs; Leaflet's
 * version is fixed by the lock file).
 */
@Controller('assets')
export class AssetsController {
  @Get('portal/:file')
  portal(@Param('file') file: string, @Res() res: Response) {
    return this.send(res, PORTAL_ASSETS, file);
  }

  @Get('leaflet/:file')
  leaflet(@Param('file') file: string, @Res() res: Response) {
    return this.send(res, LEAFLET_ASSETS, file);
  }

  @Get('leaflet/images/:file')
  leafletImages(@Param('file') file: string, @Res() res: Response) {
    return this.send(res, join(LEAFLET_ASSETS, 'images'), file);
  }

  private send(res: Response, root: string, file: string) {
    if (!SAFE.test(file) || normalize(file) !== file || file.endsWith('.map')) throw DomainError.notFound('ASSET_NOT_FOUND', 'Fichier introuvable.');
    res.setHeader('Cache-Control', `public, max-age=${ONE_YEAR_S}, immutable`);
    return new Promise<void>((resolve) => {
      res.sendFile(file, { root, dotfiles: 'deny', cacheControl: false }, (error) => {
        if (error && !res.headersSent) res.status(404).type('text/plain').send('Fichier introuvable.');
        resolve();
      });
    });
  }
}
