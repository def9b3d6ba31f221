import { fromRoot } from '#core';
import type { HttpAppSpec } from '#platform';
import { IdentityModule } from './identity.module.js';

export const identityApp: HttpAppSpec = {
  app: 'identity',
  module: IdentityModule,
  views: { dir: fromRoot('apps', 'identity', 'views'), siteName: 'Compte territorial' },
  // oidc-provider reads its own request bodies (token, end-session and PAR endpoints).
  rawBodyPrefixes: ['/oidc'],
};
