import { Account } from './entities/account.entity.js';
import { AccountToken } from './entities/account-token.entity.js';
import { Consent } from './entities/consent.entity.js';
import { OidcArtifact } from './entities/oidc-artifact.entity.js';
import { OidcClient } from './entities/oidc-client.entity.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { DeletedAccount } from './entities/deleted-account.entity.js';
import { FranceConnectLink } from './franceconnect/franceconnect-link.entity.js';
import { CompanyMandate } from './professional/company-mandate.entity.js';

/** Entities of #accounts (schema `identity`, migration 1763800200000-identity and later ones). */
export const ACCOUNTS_ENTITIES: (new () => unknown)[] = [Account, OidcClient, Consent, AccountToken, OidcArtifact, SigningKey, FranceConnectLink, DeletedAccount, CompanyMandate];
export { Account, OidcClient, Consent, AccountToken, OidcArtifact, SigningKey, DeletedAccount };
export type { DeletionReason } from './entities/deleted-account.entity.js';
export type { CertificationLevel, CertificationSource, PostalAddress } from './entities/account.entity.js';
export type { ClientAuthMethod } from './entities/oidc-client.entity.js';
export type { AccountTokenPurpose } from './entities/account-token.entity.js';

export { AccountsModule } from './accounts.module.js';
export {
  AccountService,
  normalizeEmail,
  type ProfileUpdate,
  VERIFY_EMAIL_TTL_MS,
  RESET_PASSWORD_TTL_MS,
  CHANGE_EMAIL_TTL_MS,
  WRONG_CURRENT_PASSWORD_MESSAGE,
  GENDERS,
  type AccountLinks,
  type RegisterCommand,
} from './accounts/account.service.js';
export { AccountInactivityJob, AccountInactivityModule } from './accounts/account-inactivity.job.js';
export {
  AccountErasure,
  INACTIVITY_DELETION_MS,
  INACTIVITY_NOTICE_MS,
  DELETED_ACCOUNTS_KEPT_MS,
  type DeletedAccountEntry,
} from './accounts/account-erasure.service.js';
export { AccountErrors, INVALID_CREDENTIALS_MESSAGE, TOKEN_INVALID_MESSAGE } from './accounts/accounts.errors.js';
export { ClientService, SUPPORTED_SCOPES, type ClientCommand, type ClientView, type ProviderClientMetadata } from './clients/client.service.js';
export { seedIdentityClients, DEV_CLIENT_SECRETS, type IdentitySeedUrls } from './clients/identity-seed.js';
export { ConsentService, CONSENT_TTL_MS, SCOPES_WITHOUT_CONSENT, type ConsentView } from './consent/consent.service.js';
export { SigningKeys, SIGNING_KEY_OVERLAP_MS } from './oidc/signing-keys.js';
export { PostgresOidcAdapter, ClientAdapter, purgeExpiredArtifacts, revokeAccountAccess, sessionGrantIds, type KeptAccess, type OidcAdapter, type AdapterPayload } from './oidc/postgres-adapter.js';
export { PasswordHasher } from './passwords/password-hasher.js';
export { checkPassword, commonPasswords, PASSWORD_MIN_LENGTH } from './passwords/password-policy.js';
export { LoginThrottle, ACCOUNTS_REDIS, ACCOUNT_RULE, IP_RULE, MAIL_RULE, type ThrottleKey, type ThrottleRule } from './throttle/login-throttle.js';
export { SecretBox } from './crypto/secret-box.js';
export { randomToken, sha256Hex, hmacHex, safeEqual } from './crypto/tokens.js';

// FranceConnect federation (libs/accounts/franceconnect).
export { FranceConnectLink };
export { FranceConnectAccounts } from './franceconnect/franceconnect-accounts.service.js';
export { FranceConnectClient, type FranceConnectAuthorization, type FranceConnectResult } from './franceconnect/franceconnect-client.js';
export { FranceConnectErrors, SUB_ALREADY_LINKED_MESSAGE, CERTIFICATION_REQUIRED_MESSAGE } from './franceconnect/franceconnect.errors.js';
export { pivotIdentity, CERTIFIED_ATTRIBUTES, FRANCECONNECT_SCOPES, type PivotIdentity } from './franceconnect/pivot-identity.js';
export { birthplaceLabel, birthcountryLabel } from './franceconnect/birthplace.js';
export { seedDemoAccounts, DEMO_ACCOUNTS, type DemoAccount } from './accounts/demo-accounts.seed.js';

// « Dites-le-nous une fois »: data the administration holds, through API Particulier (libs/accounts/administration-data).
export { AdministrationData, TELL_US_ONCE_SCOPES, DATA_HOLDERS, type AdministrationOverview } from './administration-data/administration-data.service.js';
export { ApiParticulierClient, type Lookup, type UnavailableReason } from './administration-data/api-particulier.client.js';
export {
  ADMINISTRATION_DATA_KINDS,
  API_PARTICULIER_PATHS,
  identityQuery,
  parseQuotientFamilial,
  parseComplementaireSanteSolidaire,
  parseRevenuSolidariteActive,
  UnexpectedAnswer,
  type AdministrationDataKind,
  type AdministrationValues,
  type CertifiedIdentity,
  type QuotientFamilial,
  type SocialRight,
} from './administration-data/api-particulier.js';

// Professional accounts: companies and mandates (libs/accounts/professional).
export { CompanyMandate };
export type { MandateRole, MandateScope, MandateStatus, MandateRevokedBy } from './professional/company-mandate.entity.js';
export { CompanyRegistry, COMPANY_REGISTRY_PROVIDER, type Company, type CompanyLeader, type CompanyRegistryOptions } from './professional/company-registry.js';
export { parseCompanyNumber, type CompanyNumber } from './professional/company-number.js';
export { matchesLeader, matchingLeaders, normaliseName, type CertifiedPerson, type LeaderIdentity } from './professional/leader-match.js';
export {
  MandateService,
  MANDATE_REQUEST_TTL_MS,
  MANDATE_REQUESTS_PER_DAY,
  MANDATE_SCOPES,
  type MandateClaim,
  type MandateView,
  type MandateLinks,
  type MandateRequestCommand,
  type MandateRequestReview,
} from './professional/mandates.service.js';
export { ProfessionalErrors } from './professional/professional.errors.js';
