import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CitizenDemandQueries, CitizenDrafts, CitizenNotifications, DemandEngineModule } from '#demands';
import { CitizenLocalsInterceptor } from './citizen-locals.interceptor.js';
import { HelpController } from './help.controller.js';
import { MyDemandsController } from './my-demands.controller.js';
import { NotificationsController } from './notifications.controller.js';
import { TrackingController } from './tracking.controller.js';
import { TrackingThrottle } from './tracking-throttle.js';

/**
 * A citizen's follow-up (apps/portal/citizen, docs/portal.md): « Mes démarches » (drafts and demands), a demand's
 * page with messages and requests for information, the notification centre (and the header's unread counter),
 * anonymous follow-up by tracking code, and the help (SAU) form.
 */
@Module({
  imports: [DemandEngineModule],
  controllers: [MyDemandsController, NotificationsController, TrackingController, HelpController],
  providers: [CitizenDemandQueries, CitizenNotifications, CitizenDrafts, TrackingThrottle, { provide: APP_INTERCEPTOR, useClass: CitizenLocalsInterceptor }],
})
export class PortalCitizenModule {}
