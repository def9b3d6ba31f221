import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { fromRoot } from '../paths/repo-root.js';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const url = (protocols: string[]) =>
  z
    .string()
    .min(1)
    .refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `doit être une URL ${protocols.map((p) => p.replace(':', '://…')).join(' ou ')}`);

/** Every environment variable the platform reads. `.env.example` documents each one. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: url(['redis:', 'rediss:']),
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]+$/, 'lettres, chiffres, « : », « _ » ou « - » uniquement')
    .default('parvis'),
  PORTAL_PORT: port(3000),
  BACKOFFICE_PORT: port(3001),
  ENGINE_PORT: port(3002),
  IDENTITY_PORT: port(3003),
  WORKER_PORT: port(3004),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_BASE_URL: url(['http:', 'https:']).optional(),
  SMTP_URL: url(['smtp:', 'smtps:']).default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().min(3).default('Parvis <ne-pas-repondre@parvis.localhost>'),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),
  QUEUE_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  SCHEDULE_TIMEZONE: z.string().min(1).default('Europe/Paris'),
  SCHEDULE_TIMER_SWEEP_MS: z.coerce.number().int().min(100).max(86_400_000).default(300_000),
  TIMER_SWEEP_GRACE_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
  SCHEDULE_DRAFT_PURGE_CRON: z.string().regex(/^\S+( \S+){4,5}$/, 'expression cron attendue (5 ou 6 champs)').default('20 3 * * *'),
  SCHEDULE_ACCOUNT_INACTIVITY_CRON: z.string().regex(/^\S+( \S+){4,5}$/, 'expression cron attendue (5 ou 6 champs)').default('40 3 * * *'),
  AGENT_DIGEST_HOUR: z.coerce.number().int().min(0).max(23).default(7),
  SMS_PROVIDER_URL: url(['http:', 'https:']).optional(),
  SMS_PROVIDER_TOKEN: z.string().min(1).optional(),
  SMS_SENDER: z.string().regex(/^[A-Za-z0-9 ]{1,11}$/, '11 lettres ou chiffres au plus').default('Parvis'),
  SMS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  WORKER_DASHBOARD_TOKEN: z.string().min(32, 'au moins 32 caractères').optional(),
  STORAGE_DIR: z.string().min(1).default('.parvis/files'),
  GEOCODER_URL: url(['http:', 'https:']).default('https://api-adresse.data.gouv.fr'),
  GEOCODER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  COMPANY_REGISTRY_URL: url(['http:', 'https:']).default('https://recherche-entreprises.api.gouv.fr'),
  COMPANY_REGISTRY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  COMPANY_REGISTRY_DOUBLE_PORT: port(3007),
  OUTBOUND_PRIVATE_HOSTS: z
    .string()
    .regex(/^[a-zA-Z0-9.:_[\]-]+(,[a-zA-Z0-9.:_[\]-]+)*$/, 'noms d’hôtes ou adresses IP séparés par des virgules')
    .optional(),
  IDENTITY_PUBLIC_URL: url(['http:', 'https:']).optional(),
  IDENTITY_COOKIE_KEYS: z
    .string()
    .refine((v) => v.split(',').every((k) => k.trim().length >= 32), 'chaque clé doit compter au moins 32 caractères')
    .optional(),
  IDENTITY_SECRET_KEY: z.string().min(32, 'au moins 32 caractères').optional(),
  IDENTITY_PAIRWISE_SALT: z.string().min(32, 'au moins 32 caractères').optional(),
  IDENTITY_DEV_BACKCHANNEL_HOSTS: z
    .string()
    .regex(/^[a-zA-Z0-9.:_[\], -]*$/, 'noms d’hôtes ou adresses IP séparés par des virgules')
    .optional(),
  IDENTITY_ACCOUNT_LOOKUP_CLIENTS: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{2,63}(,[a-z0-9][a-z0-9._-]{2,63})*$/, 'identifiants de clients OIDC séparés par des virgules')
    .optional(),
  PORTAL_PUBLIC_URL: url(['http:', 'https:']).optional(),
  PORTAL_OIDC_CLIENT_ID: z.string().min(1).default('parvis-portal'),
  PORTAL_OIDC_CLIENT_SECRET: z.string().min(16, 'au moins 16 caractères').optional(),
  BACKOFFICE_PUBLIC_URL: url(['http:', 'https:']).optional(),
  BACKOFFICE_OIDC_CLIENT_ID: z.string().min(1).default('parvis-backoffice'),
  BACKOFFICE_OIDC_CLIENT_SECRET: z.string().min(16, 'au moins 16 caractères').optional(),
  FRANCECONNECT_ISSUER: url(['http:', 'https:']).optional(),
  FRANCECONNECT_CLIENT_ID: z.string().min(1).optional(),
  FRANCECONNECT_CLIENT_SECRET: z.string().min(1).optional(),
  FRANCECONNECT_REDIRECT_URI: url(['http:', 'https:']).optional(),
  FRANCECONNECT_SIGNING_ALG: z.enum(['ES256', 'RS256']).default('ES256'),
  FRANCECONNECT_SIMULATOR_PORT: port(3005),
  API_PARTICULIER_URL: url(['http:', 'https:']).optional(),
  API_PARTICULIER_TOKEN: z.string().min(1).optional(),
  API_PARTICULIER_RECIPIENT: z.string().regex(/^\d{14}$/, 'numéro SIRET attendu (14 chiffres)').optional(),
  API_PARTICULIER_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3_000),
  API_PARTICULIER_DOUBLE_PORT: port(3006),
  DRAFT_MAX_PER_ACCOUNT: z.coerce.number().int().min(1).max(1_000).default(20),
  DRAFT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(30),
  MAP_TILES_URL: z
    .string()
    .regex(/^https?:\/\/[^\s]*\{z\}[^\s]*$/, 'URL de tuiles attendue, avec {z}, {x} et {y}')
    .default('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
  PORTAL_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1_024).max(200 * 1024 * 1024).default(20 * 1024 * 1024),
});

export type Env = z.infer<typeof envSchema>;

export type AppName = 'portal' | 'backoffice' | 'engine' | 'identity' | 'worker';

export interface AppConfig {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  host: string;
  ports: Record<AppName, number>;
  publicBaseUrl?: string;
  database: { url: string; poolSize: number };
  redis: { url: string; prefix: string };
  mail: { smtpUrl: string; from: string };
  outbox: { pollMs: number; batchSize: number };
  /** BullMQ job lock (ms): a job held by a dead worker is handed to another one after about this long (checked as often). */
  queue: { lockMs: number };
  /** The worker's schedulers (hours read in `timezone`), and its queue dashboard's token (unset: no dashboard). */
  worker: {
    timezone: string;
    timerSweepEveryMs: number;
    timerSweepGraceMs: number;
    draftPurgeCron: string;
    accountInactivityCron: string;
    agentDigestHour: number;
    dashboardToken?: string;
  };
  /** SMS through an HTTP provider (docs/worker.md); no URL: SMS jobs fail with SMS_NOT_CONFIGURED. */
  sms: { url?: string; token?: string; sender: string; timeoutMs: number };
  /** Attachments' local storage: an absolute folder (STORAGE_DIR, relative values resolved from the repository root). */
  storage: { dir: string };
  /** Citizen form filling on the portal: drafts per account and their retention, map tiles, upload ceiling. */
  portalForms: { draftMaxPerAccount: number; draftRetentionDays: number; mapTilesUrl: string; uploadMaxBytes: number };
  /** Address geocoding for routing: the national address API (BAN format), or a service speaking it. */
  geocoder: { url: string; timeoutMs: number };
  /** The company registry of professional accounts: the API Recherche d'entreprises, or a service speaking its format. */
  companyRegistry: { url: string; timeoutMs: number };
  /** Requests the engine makes for téléservices (data sources, webservices): hosts allowed to be on a private network. */
  outbound: { privateHosts: string[] };
  identity: IdentityConfig;
  /** The portal and the back office as relying parties of the territorial account (libs/web-session). */
  webApps: Record<'portal' | 'backoffice', WebAppConfig>;
  /** FranceConnect federation of the territorial account; null (feature off) unless issuer, client id and secret are set. */
  franceConnect: FranceConnectConfig | null;
  /** « Dites-le-nous une fois »: the national provider of administration data (API Particulier); null (feature off) unless its URL is set. */
  apiParticulier: ApiParticulierConfig | null;
}

/** API Particulier (libs/accounts/administration-data): data the administration holds, queried with the certified identity. */
export interface ApiParticulierConfig {
  /** Base URL, e.g. `https://particulier.api.gouv.fr` (the client adds `/v3/dss/...`). */
  url: string;
  /** The access token (sent as `Authorization: Bearer`). */
  token: string;
  /** SIRET of the administration asking (the metropolis), sent as `recipient`. */
  recipient: string;
  /** Each call gives up after this long (the claim is then left out). */
  timeoutMs: number;
}

/** The FranceConnect client of apps/identity (libs/accounts/franceconnect). */
export interface FranceConnectConfig {
  /** Issuer URL, or the URL of its discovery document. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registered callback; unset: `<identity public origin>/franceconnect/retour`. */
  redirectUri?: string;
  /** Algorithm FranceConnect signs ID tokens and userinfo responses with (chosen in the partner space). */
  signingAlg: 'ES256' | 'RS256';
}

/** One server-rendered app that logs people in through the territorial account. */
export interface WebAppConfig {
  /** Public origin (no trailing slash); unset: the listening address. https makes cookies `Secure` and `__Host-`. */
  publicUrl?: string;
  oidcClientId: string;
  oidcClientSecret: string;
  /** True when the secret is the development default (matches DEV_CLIENT_SECRETS of #accounts). */
  usesDevelopmentSecret: boolean;
}

/** The territorial account (apps/identity). Development defaults are refused by the identity app in production. */
export interface IdentityConfig {
  /** Public origin of the identity app (no trailing slash); the OIDC issuer is `<publicUrl>/oidc`. Unset: the listening address. */
  publicUrl?: string;
  /** Keys signing the provider's cookies, newest first (rotation: add a new key in front, drop the last later). */
  cookieKeys: string[];
  /** Encrypts client secrets and private signing keys at rest (AES-256-GCM, key derived with HKDF). */
  secretKey: string;
  /** Salt of the pairwise subject identifiers. Never change it: every `sub` would change. */
  pairwiseSalt: string;
  /** True when one of the values above is the development default. */
  usesDevelopmentSecrets: boolean;
  /**
   * Development only: hosts (e.g. 127.0.0.1) the provider may call despite oidc-provider's guard against
   * special-use addresses (back-channel logout to apps on loopback). Empty in production, where setting it is refused.
   */
  devBackchannelHosts: string[];
  /**
   * OIDC clients allowed to look an account up by email (`/api/comptes/recherche`, for submissions on behalf of a
   * citizen): IDENTITY_ACCOUNT_LOOKUP_CLIENTS, default the back office's client alone.
   */
  accountLookupClients: string[];
}

/** Development-only defaults: public, so never acceptable in production (the identity app refuses them). */
const DEV_IDENTITY = {
  cookieKey: 'dev-only-cookie-key-parvis-not-for-production-0001',
  secretKey: 'dev-only-secret-key-parvis-not-for-production-0001',
  pairwiseSalt: 'dev-only-pairwise-salt-parvis-not-for-production-01',
};

/** Development-only secrets of the platform's own OIDC clients: the same values as DEV_CLIENT_SECRETS (#accounts). */
export const DEV_WEB_CLIENT_SECRETS = {
  portal: 'dev-only-portal-secret-not-for-production',
  backoffice: 'dev-only-backoffice-secret-not-for-production',
} as const;

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Configuration invalide :\n' +
        problems.map((p) => `  - ${p.variable} : ${p.message}`).join('\n') +
        '\nVoir .env.example pour la liste des variables.',
    );
    this.name = 'ConfigError';
  }
}

/** Validates the environment once and returns a typed, frozen configuration. Throws ConfigError naming each bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key];
    raw[key] = value === '' ? undefined : value;
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '?'),
        message: issue.code === 'invalid_type' && raw[String(issue.path[0])] === undefined ? 'variable obligatoire manquante' : issue.message,
      })),
    );
  }
  const e = parsed.data;
  if (e.API_PARTICULIER_URL) {
    const missing = (['API_PARTICULIER_TOKEN', 'API_PARTICULIER_RECIPIENT'] as const).filter((name) => !e[name]);
    if (missing.length) throw new ConfigError(missing.map((variable) => ({ variable, message: 'obligatoire quand API_PARTICULIER_URL est défini' })));
    if (e.NODE_ENV === 'production' && new URL(e.API_PARTICULIER_URL).protocol !== 'https:') {
      throw new ConfigError([{ variable: 'API_PARTICULIER_URL', message: 'doit être en https en production' }]);
    }
  }
  if (e.NODE_ENV === 'production' && e.IDENTITY_DEV_BACKCHANNEL_HOSTS) {
    throw new ConfigError([{ variable: 'IDENTITY_DEV_BACKCHANNEL_HOSTS', message: 'réservée au développement : interdite en production' }]);
  }
  return Object.freeze({
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    ports: {
      portal: e.PORTAL_PORT,
      backoffice: e.BACKOFFICE_PORT,
      engine: e.ENGINE_PORT,
      identity: e.IDENTITY_PORT,
      worker: e.WORKER_PORT,
    },
    publicBaseUrl: e.PUBLIC_BASE_URL,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    outbox: { pollMs: e.OUTBOX_POLL_MS, batchSize: e.OUTBOX_BATCH_SIZE },
    queue: { lockMs: e.QUEUE_LOCK_MS },
    worker: Object.freeze({
      timezone: e.SCHEDULE_TIMEZONE,
      timerSweepEveryMs: e.SCHEDULE_TIMER_SWEEP_MS,
      timerSweepGraceMs: e.TIMER_SWEEP_GRACE_MS,
      draftPurgeCron: e.SCHEDULE_DRAFT_PURGE_CRON,
      accountInactivityCron: e.SCHEDULE_ACCOUNT_INACTIVITY_CRON,
      agentDigestHour: e.AGENT_DIGEST_HOUR,
      dashboardToken: e.WORKER_DASHBOARD_TOKEN,
    }),
    sms: Object.freeze({ url: e.SMS_PROVIDER_URL, token: e.SMS_PROVIDER_TOKEN, sender: e.SMS_SENDER, timeoutMs: e.SMS_TIMEOUT_MS }),
    storage: { dir: isAbsolute(e.STORAGE_DIR) ? e.STORAGE_DIR : fromRoot(e.STORAGE_DIR) },
    geocoder: { url: e.GEOCODER_URL, timeoutMs: e.GEOCODER_TIMEOUT_MS },
    companyRegistry: { url: e.COMPANY_REGISTRY_URL, timeoutMs: e.COMPANY_REGISTRY_TIMEOUT_MS },
    outbound: { privateHosts: e.OUTBOUND_PRIVATE_HOSTS ? e.OUTBOUND_PRIVATE_HOSTS.split(',') : [] },
    portalForms: Object.freeze({
      draftMaxPerAccount: e.DRAFT_MAX_PER_ACCOUNT,
      draftRetentionDays: e.DRAFT_RETENTION_DAYS,
      mapTilesUrl: e.MAP_TILES_URL,
      uploadMaxBytes: e.PORTAL_UPLOAD_MAX_BYTES,
    }),
    identity: Object.freeze({
      publicUrl: e.IDENTITY_PUBLIC_URL?.replace(/\/+$/, ''),
      cookieKeys: e.IDENTITY_COOKIE_KEYS ? e.IDENTITY_COOKIE_KEYS.split(',').map((k) => k.trim()) : [DEV_IDENTITY.cookieKey],
      secretKey: e.IDENTITY_SECRET_KEY ?? DEV_IDENTITY.secretKey,
      pairwiseSalt: e.IDENTITY_PAIRWISE_SALT ?? DEV_IDENTITY.pairwiseSalt,
      usesDevelopmentSecrets: !e.IDENTITY_COOKIE_KEYS || !e.IDENTITY_SECRET_KEY || !e.IDENTITY_PAIRWISE_SALT,
      devBackchannelHosts:
        e.NODE_ENV === 'production'
          ? []
          : (e.IDENTITY_DEV_BACKCHANNEL_HOSTS ?? '127.0.0.1,localhost,::1')
              .split(',')
              .map((host) => host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase())
              .filter(Boolean),
      accountLookupClients: (e.IDENTITY_ACCOUNT_LOOKUP_CLIENTS ?? e.BACKOFFICE_OIDC_CLIENT_ID).split(','),
    }),
    webApps: Object.freeze({
      portal: Object.freeze({
        publicUrl: e.PORTAL_PUBLIC_URL?.replace(/\/+$/, ''),
        oidcClientId: e.PORTAL_OIDC_CLIENT_ID,
        oidcClientSecret: e.PORTAL_OIDC_CLIENT_SECRET ?? DEV_WEB_CLIENT_SECRETS.portal,
        usesDevelopmentSecret: !e.PORTAL_OIDC_CLIENT_SECRET,
      }),
      backoffice: Object.freeze({
        publicUrl: e.BACKOFFICE_PUBLIC_URL?.replace(/\/+$/, ''),
        oidcClientId: e.BACKOFFICE_OIDC_CLIENT_ID,
        oidcClientSecret: e.BACKOFFICE_OIDC_CLIENT_SECRET ?? DEV_WEB_CLIENT_SECRETS.backoffice,
        usesDevelopmentSecret: !e.BACKOFFICE_OIDC_CLIENT_SECRET,
      }),
    }),
    franceConnect:
      e.FRANCECONNECT_ISSUER && e.FRANCECONNECT_CLIENT_ID && e.FRANCECONNECT_CLIENT_SECRET
        ? Object.freeze({
            issuer: e.FRANCECONNECT_ISSUER,
            clientId: e.FRANCECONNECT_CLIENT_ID,
            clientSecret: e.FRANCECONNECT_CLIENT_SECRET,
            redirectUri: e.FRANCECONNECT_REDIRECT_URI,
            signingAlg: e.FRANCECONNECT_SIGNING_ALG,
          })
        : null,
    apiParticulier:
      e.API_PARTICULIER_URL && e.API_PARTICULIER_TOKEN && e.API_PARTICULIER_RECIPIENT
        ? Object.freeze({
            url: e.API_PARTICULIER_URL.replace(/\/+$/, ''),
            token: e.API_PARTICULIER_TOKEN,
            recipient: e.API_PARTICULIER_RECIPIENT,
            timeoutMs: e.API_PARTICULIER_TIMEOUT_MS,
          })
        : null,
  });
}

/** Nest injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');
