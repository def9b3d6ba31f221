import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { DynamicModule, Type } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  acceptCorrelationId,
  ConfigError,
  createLogger,
  loadConfig,
  PinoNestLogger,
  runWithCorrelation,
  type AppConfig,
  type AppName,
} from '#core';
import { createViewEngine, UI_ASSETS, UI_VIEWS } from '#ui';
import type { Logger } from 'pino';
import { HttpErrorFilter, sendJsonError } from './http-error.filter.js';
import { PlatformModule, type PlatformContext } from './platform.module.js';

export interface HttpAppSpec {
  app: AppName;
  /** The app's feature module (controllers, domain modules). */
  module: Type | DynamicModule;
  /** Server-rendered pages: the app's views folder and the name shown in the header. */
  views?: { dir: string; siteName: string };
  /**
   * Path prefixes whose request bodies the platform's JSON/form parsers must leave unread, for a handler that
   * reads its own (the identity app's OpenID provider under `/oidc`).
   */
  rawBodyPrefixes?: string[];
  /**
   * Requests the app answers with Node's own request and response, before Express and Nest: its hottest route (the
   * engine's JSON submission), where their routing, body parser and pipeline are most of the process' work. Built
   * once the app's providers exist; takes a request by returning true, else Express gets it. A direct route frames
   * its request with `platform` (correlation id, security headers, access log, error shape) exactly as the
   * platform's Express middleware and error filter do.
   */
  directRoutes?: (app: NestExpressApplication, platform: PlatformHttp) => DirectRoute;
}

/** Takes a request (and then answers it) by returning true; false leaves it to Express, untouched. */
export type DirectRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/** What every request of an app gets, for a direct route: the same as Express' middleware and the error filter give. */
export interface PlatformHttp {
  /**
   * Correlation id (the caller's X-Correlation-Id when well-formed, echoed back), security headers and the access
   * log line when the response ends; `handle` runs in the correlation's context (log lines, error bodies).
   */
  frame(req: IncomingMessage, res: ServerResponse, path: string, handle: () => void): void;
  /** The platform's JSON error response for anything thrown (status, stable code, French message, fields). */
  sendError(res: ServerResponse, error: unknown, where: { method: string; path: string }): void;
}

/** Builds (does not start) a Nest app on Express with the platform's conventions. Used by main.ts and by tests. */
export async function createHttpApp(spec: HttpAppSpec, context: PlatformContext): Promise<NestExpressApplication> {
  const root: DynamicModule = { module: class ParvisRootModule {}, imports: [PlatformModule.forApp(context), spec.module] };
  const app = await NestFactory.create<NestExpressApplication>(root, {
    logger: new PinoNestLogger(context.logger),
    bodyParser: false,
    abortOnError: false,
  });
  const platform = platformHttp(context);
  configureHttpApp(app, spec, context, platform);
  if (spec.directRoutes) installDirectRoutes(app.getHttpServer() as Server, spec.directRoutes(app, platform));
  return app;
}

/** Direct routes answer first; whatever they leave goes to the listener Express' adapter registered. */
function installDirectRoutes(server: Server, direct: DirectRoute) {
  const others = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (direct(req, res)) return;
    for (const listener of others) listener.call(server, req, res);
  });
}

function platformHttp({ logger, config }: PlatformContext): PlatformHttp {
  const setSecurityHeaders = securityHeaderSetter(config);
  return {
    frame(req, res, path, handle) {
      const correlationId = beginRequest(req, res, path, logger);
      setSecurityHeaders(res);
      runWithCorrelation(correlationId, handle);
    },
    sendError(res, error, where) {
      sendJsonError(res, error, { logger, ...where });
    },
  };
}

function configureHttpApp(app: NestExpressApplication, spec: HttpAppSpec, context: PlatformContext, platform: PlatformHttp) {
  const { logger, config } = context;
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // Every request Express gets is framed as a direct route's is: correlation id, security headers, access log.
  app.use((req: Request, res: Response, next: NextFunction) => platform.frame(req, res, req.path, next));
  const raw = spec.rawBodyPrefixes ?? [];
  const unlessRaw = (parser: express.RequestHandler) => (req: Request, res: Response, next: NextFunction) =>
    raw.some((prefix) => req.path === prefix || req.path.startsWith(`${prefix}/`)) ? next() : parser(req, res, next);
  app.use(unlessRaw(express.json({ limit: '1mb' })));
  app.use(unlessRaw(express.urlencoded({ extended: false, limit: '1mb' })));
  if (spec.views) {
    const engine = createViewEngine({ appViews: spec.views.dir, siteName: spec.views.siteName, cache: config.env === 'production' });
    app.engine('hbs', engine.express);
    app.setViewEngine('hbs');
    app.setBaseViewsDir([spec.views.dir, UI_VIEWS]);
    app.useStaticAssets(UI_ASSETS, { prefix: '/assets/', maxAge: config.env === 'production' ? '1d' : 0, index: false });
  }
  app.useGlobalFilters(new HttpErrorFilter({ logger, html: Boolean(spec.views) }));
  app.enableShutdownHooks();
}

/**
 * One correlation id per request (the caller's X-Correlation-Id when well-formed), echoed back and in every log
 * line; the access log line when the response ends. Returns the id, for `runWithCorrelation`.
 */
function beginRequest(req: IncomingMessage, res: ServerResponse, path: string, logger: Logger): string {
  const correlationId = acceptCorrelationId(req.headers['x-correlation-id']);
  res.setHeader('X-Correlation-Id', correlationId);
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    const line = { correlationId, method: req.method, path, status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10 };
    if (path === '/health' || path === '/metrics') logger.debug(line, 'requête');
    else if (res.statusCode >= 500) logger.error(line, 'requête');
    else logger.info(line, 'requête');
  });
  return correlationId;
}

function securityHeaderSetter(config: AppConfig): (res: ServerResponse) => void {
  const csp = [
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return (res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(self)');
    res.setHeader('Content-Security-Policy', csp);
    if (config.env === 'production') res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };
}

/**
 * Entry point of every app's main.ts: validates the environment (stops with a message naming each bad
 * variable), builds the app, listens on its port and logs its URL. A crash is logged, never silent.
 */
export async function runHttpApp(spec: HttpAppSpec): Promise<NestExpressApplication> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`[parvis-${spec.app}] ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, app: spec.app });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'Promesse rejetée non gérée'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'Exception non gérée : arrêt du processus');
    process.exit(1);
  });
  try {
    const app = await createHttpApp(spec, { app: spec.app, config, logger });
    const port = config.ports[spec.app];
    await app.listen(port, config.host);
    logger.info({ url: `http://${config.host}:${port}` }, `Parvis ${spec.app} à l'écoute sur http://${config.host}:${port}`);
    return app;
  } catch (error) {
    logger.fatal({ err: error }, `Démarrage impossible de ${spec.app}`);
    process.exit(1);
  }
}
