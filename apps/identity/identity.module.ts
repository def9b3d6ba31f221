import { Module } from '@nestjs/common';
import { AccountsModule, AdministrationData, ApiParticulierClient } from '#accounts';
import { REDIS } from '#platform';
import { TerritoryModule } from '#territory';
import { HomeController } from './home.controller.js';
import { AccountLookupController } from './web/account-lookup.controller.js';
import { FranceConnectSessions } from './oidc/franceconnect-sessions.js';
import { IdentityProvider } from './oidc/identity-provider.js';
import { AccountAreaController } from './web/account-area.controller.js';
import { AccountSession } from './web/account-session.js';
import { AccountController } from './web/account.controller.js';
import { Csrf } from './web/csrf.js';
import { DeletedAccountsController } from './web/deleted-accounts.controller.js';
import { FranceConnectController } from './web/franceconnect.controller.js';
import { InteractionController } from './web/interaction.controller.js';
import { TellUsOnceController } from './web/tell-us-once.controller.js';
import { ProfessionalController } from './web/professional.controller.js';

/** The territorial account: the OpenID provider at /oidc, its interactions, and the account pages. */
@Module({
  imports: [AccountsModule.withRedis(REDIS), TerritoryModule],
  controllers: [HomeController, InteractionController, AccountController, AccountAreaController, FranceConnectController, DeletedAccountsController, AccountLookupController, TellUsOnceController, ProfessionalController],
  providers: [IdentityProvider, Csrf, FranceConnectSessions, AccountSession, ApiParticulierClient, AdministrationData],
})
export class IdentityModule {}
