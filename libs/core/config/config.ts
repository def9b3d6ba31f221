import { z } from 'zod';

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
}

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
  });
}

/** Nest injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');
