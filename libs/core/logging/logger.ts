import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { currentCorrelationId } from './context.js';

/**
 * Keys whose values are personal data or secrets: they never reach a log line, at any depth we know of.
 * Pino redaction paths are exact; the wildcard levels cover request bodies, job payloads and errors.
 */
const SENSITIVE_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'id_token',
  'idToken',
  'authorization',
  'cookie',
  'set-cookie',
  'email',
  'phone',
  'telephone',
  'firstName',
  'lastName',
  'given_name',
  'family_name',
  'birthdate',
  'address',
  'iban',
  'nir',
  'to',
  'cc',
  'bcc',
  'databaseUrl',
  'redisUrl',
];

export const REDACT_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((key) =>
    /^[A-Za-z_$][\w$]*$/.test(key) ? [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`] : [`["${key}"]`],
  ),
];

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)([^:@/\s]*):([^@/\s]+)@/gi;

/** Removes credentials embedded in URLs (postgres://user:pass@host) from free text. */
export function scrubSecrets(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1$2:***@');
}

export interface LoggerSettings {
  level: string;
  app: string;
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { app: settings.app },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[masqué]' },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => {
        const err = object.err as { message?: string; stack?: string } | undefined;
        if (err && typeof err === 'object') {
          if (err.message) err.message = scrubSecrets(err.message);
          if (err.stack) err.stack = scrubSecrets(err.stack);
        }
        return object;
      },
    },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args;
        if (typeof first === 'string') return method.apply(this, [scrubSecrets(first), ...rest] as Parameters<typeof method>);
        if (typeof rest[0] === 'string') rest[0] = scrubSecrets(rest[0]);
        return method.apply(this, [first, ...rest] as Parameters<typeof method>);
      },
    },
    mixin: () => {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
    serializers: { err: pino.stdSerializers.err },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
