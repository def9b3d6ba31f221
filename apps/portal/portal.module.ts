import { Module } from '@nestjs/common';
import { WebSessionModule } from '#web-session';
import { HomeController } from './home.controller.js';

/** The citizen portal: public pages, and login through the territorial account (sessions in Redis). */
@Module({
  imports: [WebSessionModule.forApp({ app: 'portal', scopes: 'openid profile email', cookieName: 'parvis_portal' })],
  controllers: [HomeController],
})
export class PortalModule {}
