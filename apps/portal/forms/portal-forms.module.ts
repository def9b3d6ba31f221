import { Module } from '@nestjs/common';
import { CitizenDrafts, DemandEngineModule, DemandsModule } from '#demands';
import { RoutingModule } from '#routing';
import { AssetsController } from './assets.controller.js';
import { FormApiController } from './form-api.controller.js';
import { FormFillingService } from './form-filling.service.js';
import { FormController } from './form.controller.js';

/** Form filling: pages of a téléservice's form, drafts, recap, submission, receipt (apps/portal/forms). See docs/portal.md. */
@Module({
  imports: [DemandsModule, DemandEngineModule, RoutingModule],
  controllers: [FormController, FormApiController, AssetsController],
  providers: [FormFillingService, CitizenDrafts],
  exports: [CitizenDrafts],
})
export class PortalFormsModule {}
