import type { IncomingMessage } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SubmitDemand } from '#demands';
import { sendJson, type DirectRoute, type PlatformHttp } from '#platform';
import { ApiKeyGuard, BEARER } from './api-caller.js';
import { jsonSubmission, submissionReply } from './demands.controller.js';
import { API_BODY_LIMIT_BYTES, API_KEY_BEARER, asJsonObject } from './request-body.js';

const PATH = /^\/api\/v1\/teleservices\/([^/]+)\/demands$/;
/** `application/json`, without charset or in UTF-8: what the direct route reads itself. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;

/**
 * Which requests the direct route takes: `POST /api/v1/teleservices/<slug>/demands` with an API key and a plain
 * JSON body (UTF-8, not compressed). Everything else — multipart, another type, a charset or a `Content-Encoding`
 * to decode, a missing key, a path Express would also match (case, trailing slash), an undecodable slug — goes to
 * Express and Nest unchanged. Returns the slug.
 */
export function takesDirectly(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>): string | undefined {
  if (req.method !== 'POST' || !req.url) return undefined;
  const query = req.url.indexOf('?');
  const match = PATH.exec(query === -1 ? req.url : req.url.slice(0, query));
  if (!match) return undefined;
  const { headers } = req;
  if (!PLAIN_JSON.test(headers['content-type'] ?? '') || !API_KEY_BEARER.test(headers.authorization ?? '')) return undefined;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * The engine's hottest route, answered with Node's request and response before Express and Nest, whose routing,
 * body parser and pipeline were about a fifth of the process' work per submission (bench/README.md). It does what
 * the Nest route does, in the same order, with the same functions: the platform's framing (correlation id, security
 * headers, access log), the JSON body (limit, 400 for malformed JSON, 413 too large — as the API's parser), the API
 * key and rate limit (ApiKeyGuard.authenticate), the submission envelope (jsonSubmission), SubmitDemand, the reply
 * (submissionReply), and the platform's error shape (sendError). The engine's tests run through it.
 */
export function directSubmission(app: NestExpressApplication, platform: PlatformHttp): DirectRoute {
  const guard = app.get(ApiKeyGuard);
  const submitDemand = app.get(SubmitDemand);
  return (req, res) => {
    const slug = takesDirectly(req);
    if (slug === undefined) return false;
    const path = req.url!.split('?', 1)[0];
    platform.frame(req, res, path, () => {
      void (async () => {
        try {
          const body = await readJson(req);
          const match = BEARER.exec(req.headers.authorization ?? '');
          const caller = await guard.authenticate(match?.[1] ?? '', res);
          const result = await submitDemand.execute(jsonSubmission(caller, slug, asJsonObject(body)));
          sendJson(res, submissionReply(res, result));
        } catch (error) {
          platform.sendError(res, error, { method: 'POST', path });
        }
      })();
    });
    return true;
  };
}

/** An error as the API's body parser reports it (body-parser's shape, described by the platform's error filter). */
function bodyError(status: 400 | 413, type: string, message: string): Error {
  return Object.assign(status === 400 ? new SyntaxError(message) : new Error(message), { status, statusCode: status, type, expose: true });
}

/**
 * The body as the API's parser (`express.json`, strict, API_BODY_LIMIT_BYTES) reads it: an empty body is `{}`, a
 * byte-order mark is ignored, anything but an object or array at the top is malformed. On an error the rest of the
 * body is read and dropped before the answer, as body-parser does, so that the connection stays usable.
 */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const fail = (error: Error) => {
      req.removeAllListeners('data');
      req.resume();
      if (req.complete) reject(error);
      else req.once('end', () => reject(error)).once('close', () => reject(error));
    };
    if (declared > API_BODY_LIMIT_BYTES) return fail(bodyError(413, 'entity.too.large', 'request entity too large'));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > API_BODY_LIMIT_BYTES) return fail(bodyError(413, 'entity.too.large', 'request entity too large'));
      chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('aborted', () => reject(bodyError(400, 'request.aborted', 'request aborted')));
    req.once('end', () => {
      if (size > API_BODY_LIMIT_BYTES) return;
      let text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return resolve({});
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return reject(bodyError(400, 'entity.parse.failed', (error as Error).message));
      }
      // Strict, as body-parser: a string, number, boolean or null at the top is refused as malformed.
      if (typeof value !== 'object' || value === null) return reject(bodyError(400, 'entity.parse.failed', 'objet ou tableau JSON attendu'));
      resolve(value);
    });
  });
}
