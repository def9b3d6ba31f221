import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { currentCorrelationId, DomainError, ErrorCodes, type ErrorKind, type FieldError } from '#core';

const KIND_STATUS: Record<ErrorKind, number> = {
  invalid: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_many: 429,
  unavailable: 503,
};

const STATUS_DEFAULTS: Record<number, { code: string; message: string }> = {
  400: { code: ErrorCodes.BAD_REQUEST, message: 'La requête est mal formée.' },
  401: { code: ErrorCodes.UNAUTHENTICATED, message: 'Vous devez vous identifier pour accéder à cette page.' },
  403: { code: ErrorCodes.FORBIDDEN, message: "Vous n'avez pas accès à cette ressource." },
  404: { code: ErrorCodes.NOT_FOUND, message: "La page ou la ressource demandée n'existe pas." },
  405: { code: ErrorCodes.METHOD_NOT_ALLOWED, message: "Cette méthode n'est pas acceptée ici." },
  413: { code: ErrorCodes.PAYLOAD_TOO_LARGE, message: 'Le contenu envoyé est trop volumineux.' },
  415: { code: ErrorCodes.UNSUPPORTED_MEDIA_TYPE, message: "Ce type de contenu n'est pas accepté." },
  429: { code: ErrorCodes.TOO_MANY_REQUESTS, message: 'Trop de tentatives : réessayez dans quelques instants.' },
  503: { code: ErrorCodes.UNAVAILABLE, message: 'Le service est momentanément indisponible. Réessayez dans quelques instants.' },
};

export interface ErrorBody {
  code: string;
  message: string;
  fields?: FieldError[];
  correlationId?: string;
}

export interface ErrorView {
  status: number;
  body: ErrorBody;
}

/** Body-parser and other Express-level errors carry a numeric status and a type. */
interface ExpressHttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** Turns anything thrown into the public error shape. Unknown errors become a 500 with only a correlation id. */
export function describeError(exception: unknown): ErrorView & { unexpected: boolean } {
  const correlationId = currentCorrelationId();
  if (exception instanceof DomainError) {
    const body: ErrorBody = { code: exception.code, message: exception.message };
    if (exception.fields?.length) body.fields = exception.fields;
    return { status: KIND_STATUS[exception.kind], body, unexpected: false };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const known = STATUS_DEFAULTS[status];
    const cause = exception.cause as ExpressHttpError | undefined;
    if (status === 400 && (cause?.type === 'entity.parse.failed' || cause instanceof SyntaxError)) {
      return { status, body: { code: ErrorCodes.BAD_REQUEST, message: "Le contenu envoyé n'est pas un JSON valide." }, unexpected: false };
    }
    if (status < 500 && known) return { status, body: { ...known }, unexpected: false };
    if (status < 500) return { status, body: { code: `HTTP_${status}`, message: 'La requête ne peut pas aboutir.' }, unexpected: false };
  }
  if (isDependencyDown(exception)) {
    return { status: 503, body: { ...STATUS_DEFAULTS[503], correlationId }, unexpected: false };
  }
  const httpish = exception as ExpressHttpError | undefined;
  const status = httpish?.status ?? httpish?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && httpish?.expose !== false) {
    const known = STATUS_DEFAULTS[status] ?? { code: `HTTP_${status}`, message: 'La requête ne peut pas aboutir.' };
    const message =
      httpish?.type === 'entity.parse.failed' ? "Le contenu envoyé n'est pas un JSON valide." : known.message;
    return { status, body: { code: known.code, message }, unexpected: false };
  }
  return {
    status: 500,
    body: {
      code: ErrorCodes.INTERNAL,
      message: `Une erreur inattendue est survenue. Si elle persiste, communiquez ce numéro au support : ${correlationId ?? 'inconnu'}.`,
      correlationId,
    },
    unexpected: true,
  };
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006', // connection failures
]);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Stream isn't writeable|Connection is closed|MaxRetriesPerRequestError/i;

/** PostgreSQL or Redis unreachable (directly or wrapped by TypeORM): a 503 to retry later, not a bug. */
function isDependencyDown(exception: unknown): boolean {
  for (let error = exception as { code?: unknown; message?: unknown; cause?: unknown; driverError?: unknown } | undefined, depth = 0; error && depth < 4; depth++) {
    if (typeof error.code === 'string' && UNAVAILABLE_CODES.has(error.code)) return true;
    if (typeof error.message === 'string' && UNAVAILABLE_MESSAGES.test(error.message)) return true;
    error = (error.driverError ?? error.cause) as typeof error;
  }
  return false;
}

export interface HttpErrorFilterOptions {
  logger: Logger;
  /** Render an HTML page (view `errors/error`) for browsers; APIs (paths under /api) always get JSON. */
  html: boolean;
}

export function wantsHtml(req: Request): boolean {
  if (req.path.startsWith('/api/') || req.path === '/api' || req.path === '/health' || req.path === '/metrics') return false;
  return req.accepts(['json', 'html']) === 'html';
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly options: HttpErrorFilterOptions) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    if (!(this.options.html && wantsHtml(req))) {
      sendJsonError(res, exception, { logger: this.options.logger, method: req.method, path: req.path });
      return;
    }
    const view = prepareError(res, exception, { logger: this.options.logger, method: req.method, path: req.path });
    if (!view) return;
    res.status(view.status).render('errors/error', {
      pageTitle: titleFor(view.status),
      status: view.status,
      error: view.body,
    });
  }
}

/**
 * The platform's JSON error response for anything thrown (`describeError`), logged when unexpected, with the
 * error filter's headers; also used by the routes Node answers without Express (`HttpAppSpec.directRoutes`).
 */
export function sendJsonError(res: ServerResponse, exception: unknown, where: { logger: Logger; method?: string; path: string }): void {
  const view = prepareError(res, exception, where);
  if (!view) return;
  res.statusCode = view.status;
  sendJson(res, view.body);
}

/** Ends the response with `value` as JSON (UTF-8, with its length), at the status already set. */
export function sendJson(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Logs and sets the headers of an error response; undefined when the response had already started (then ended). */
function prepareError(res: ServerResponse, exception: unknown, where: { logger: Logger; method?: string; path: string }): ErrorView | undefined {
  const view = describeError(exception);
  if (view.unexpected) {
    where.logger.error({ err: exception, method: where.method, path: where.path }, 'Erreur inattendue');
  } else if (view.status >= 500) {
    where.logger.warn({ err: exception, path: where.path }, view.body.code);
  }
  if (res.headersSent) {
    res.end();
    return undefined;
  }
  if (view.body.correlationId) res.setHeader('X-Correlation-Id', view.body.correlationId);
  if (view.status === 503) res.setHeader('Retry-After', '30');
  if (view.status === 401 || view.status >= 500) res.setHeader('Cache-Control', 'no-store');
  return view;
}

function titleFor(status: number): string {
  if (status === 404) return 'Page introuvable';
  if (status === 403) return 'Accès refusé';
  if (status === 401) return 'Identification requise';
  if (status === 429) return 'Trop de tentatives';
  if (status >= 500) return 'Erreur du service';
  return 'Requête impossible';
}
