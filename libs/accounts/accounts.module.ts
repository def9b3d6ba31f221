import { Module, type DynamicModule } from '@nestjs/common';
import { QueueProducerModule } from '#queue';
import { AccountErasure } from './accounts/account-erasure.service.js';
import { AccountService } from './accounts/account.service.js';
import { ClientService } from './clients/client.service.js';
import { ConsentService } from './consent/consent.service.js';
import { FranceConnectAccounts } from './franceconnect/franceconnect-accounts.service.js';
import { FranceConnectClient } from './franceconnect/franceconnect-client.js';
import { COMPANY_REGISTRY_PROVIDER, CompanyRegistry } from './professional/company-registry.js';
import { MandateService } from './professional/mandates.service.js';
import { SigningKeys } from './oidc/signing-keys.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { ACCOUNTS_REDIS, LoginThrottle } from './throttle/login-throttle.js';

/**
 * The identity domain's services. Needs the platform's globals (DataSource, Clock, APP_CONFIG) and
 * `ACCOUNTS_REDIS` from the importing app (LoginThrottle only).
 */
@Module({
  imports: [QueueProducerModule],
  providers: [PasswordHasher, AccountService, AccountErasure, ClientService, ConsentService, SigningKeys, LoginThrottle, FranceConnectAccounts, FranceConnectClient, COMPANY_REGISTRY_PROVIDER, MandateService],
  exports: [PasswordHasher, AccountService, AccountErasure, ClientService, ConsentService, SigningKeys, LoginThrottle, FranceConnectAccounts, FranceConnectClient, CompanyRegistry, MandateService],
})
export class AccountsModule {
  /** The module with the Redis connection of the given (global) provider token, e.g. the platform's `REDIS`. */
  static withRedis(token: symbol | string): DynamicModule {
    return { module: AccountsModule, providers: [{ provide: ACCOUNTS_REDIS, useExisting: token }] };
  }
}
