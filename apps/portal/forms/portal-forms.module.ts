import { Module } from '@nestjs/common';

/** Form filling: pages of a téléservice's form, drafts, recap, submission, receipt (apps/portal/forms). */
@Module({
  imports: [],
  controllers: [],
  providers: [],
})
export class PortalFormsModule {}
