import { fromRoot } from '#core';
import type { HttpAppSpec } from '#platform';
import { PortalModule } from './portal.module.js';

export const portalApp: HttpAppSpec = {
  app: 'portal',
  module: PortalModule,
  views: { dir: fromRoot('apps', 'portal', 'views'), siteName: 'Guichet numérique de la Métropole' },
};
