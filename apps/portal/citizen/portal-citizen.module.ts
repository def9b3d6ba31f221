import { Module } from '@nestjs/common';

/** A citizen's follow-up: « Mes démarches », demand detail and messages, notifications, tracking code, help (apps/portal/citizen). */
@Module({
  imports: [],
  controllers: [],
  providers: [],
})
export class PortalCitizenModule {}
