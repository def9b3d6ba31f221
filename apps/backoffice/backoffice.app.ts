import { fromRoot } from '#core';
import type { HttpAppSpec } from '#platform';
import { BackofficeModule } from './backoffice.module.js';

export const backofficeApp: HttpAppSpec = {
  app: 'backoffice',
  module: BackofficeModule,
  views: { dir: fromRoot('apps', 'backoffice', 'views'), siteName: 'Parvis — Gestion de la relation usager' },
};
