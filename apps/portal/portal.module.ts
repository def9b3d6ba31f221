import { Module } from '@nestjs/common';
import { CatalogueSearchService } from '#teleservices';
import { WebSessionModule } from '#web-session';
import { PortalCitizenModule } from './citizen/portal-citizen.module.js';
import { PortalFormsModule } from './forms/portal-forms.module.js';
import { BrandingController } from './branding.controller.js';
import { HomeController } from './home.controller.js';

/** The citizen portal: the catalogue (search, téléservice pages), and login through the territorial account (sessions in Redis). */
@Module({
  imports: [
    WebSessionModule.forApp({ app: 'portal', scopes: 'openid profile email address phone certification', extraScopes: ['quotient_familial', 'droits_sociaux', 'mandats'], cookieName: 'parvis_portal' }),
    PortalFormsModule,
    PortalCitizenModule,
  ],
  controllers: [HomeController, BrandingController],
  providers: [CatalogueSearchService],
})
export class PortalModule {}
