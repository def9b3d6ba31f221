import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/** Why an outbound request failed (no personal data, no URL query in it: safe for logs and history). */
export type OutboundFailure = 'refused_host' | 'invalid_url' | 'timeout' | 'too_large' | 'network' | 'redirect';

export class OutboundHttpError extends Error {
  constructor(
    readonly reason: OutboundFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OutboundHttpError';
  }
}

export interface OutboundRequest {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string | null;
  /** Deadline of the whole exchange (connection, request, response body). */
  timeoutMs: number;
  /** The response body is refused beyond this size. */
  maxBytes: number;
}

export interface OutboundResponse {
  status: number;
  contentType: string | null;
  body: Buffer;
}

/** Addresses an outbound request of the engine never reaches (unless the host is allowed explicitly). */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address is loopback, private, link-local, reserved or multicast (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
    return PRIVATE.check(address, 'ipv6');
  }
  return true;
}

/**
 * The engine's HTTP client for what a téléservice's definition makes it fetch (data sources, workflow webservices):
 * http/https only, no redirects followed, a deadline for the whole exchange, a cap on the response size, and no
 * request to a loopback, private, link-local or reserved address — checked on the literal host and on every address
 * DNS gives, at connection time (no rebinding between check and use) — unless the URL's host is in
 * `allowedPrivateHosts` (`OUTBOUND_PRIVATE_HOSTS`: development and tests, or an operator's internal service).
 */
export class OutboundHttp {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowedPrivateHosts: readonly string[] = []) {
    this.allowed = new Set(allowedPrivateHosts.map((host) => normaliseHost(host)));
  }

  request(request: OutboundRequest): Promise<OutboundResponse> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (error) {
      return Promise.reject(new OutboundHttpError('invalid_url', 'Adresse invalide.', { cause: error }));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new OutboundHttpError('invalid_url', 'Seuls http et https sont permis.'));
    if (url.username || url.password) return Promise.reject(new OutboundHttpError('invalid_url', 'Identifiants dans l’adresse refusés.'));
    const host = normaliseHost(url.hostname);
    const mayBePrivate = this.allowed.has(host);
    if (isIP(host) && !mayBePrivate && isPrivateAddress(host)) {
      return Promise.reject(new OutboundHttpError('refused_host', `Adresse ${host} refusée : réseau privé ou réservé.`));
    }
    const lookup = (hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
      dnsLookup(hostname, { family: options.family ?? 0, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error);
        const refused = mayBePrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
        if (refused || addresses.length === 0) {
          return callback(new OutboundHttpError('refused_host', `Hôte ${hostname} refusé : il désigne un réseau privé ou réservé.`));
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      });
    };
    return new Promise<OutboundResponse>((resolve, reject) => {
      let settled = false;
      const fail = (error: OutboundHttpError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(error);
      };
      const headers: Record<string, string> = { 'user-agent': 'Parvis-moteur/1', accept: 'application/json', ...(request.headers ?? {}) };
      if (request.body != null && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
        headers['content-length'] = String(Buffer.byteLength(request.body));
      }
      const client = url.protocol === 'https:' ? https : http;
      const req = client.request(url, { method: request.method ?? 'GET', headers, lookup: lookup as never, agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          res.resume();
          return fail(new OutboundHttpError('redirect', `Redirection (${status}) non suivie.`));
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > request.maxBytes) {
          res.resume();
          return fail(new OutboundHttpError('too_large', `Réponse trop volumineuse (plus de ${request.maxBytes} octets).`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxBytes) return fail(new OutboundHttpError('too_large', `Réponse trop volumineuse (plus de ${request.maxBytes} octets).`));
          chunks.push(chunk);
        });
        res.on('error', (error) => fail(new OutboundHttpError('network', 'Réponse interrompue.', { cause: error })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status, contentType: typeof res.headers['content-type'] === 'string' ? res.headers['content-type'] : null, body: Buffer.concat(chunks) });
        });
      });
      const timer = setTimeout(() => fail(new OutboundHttpError('timeout', `Pas de réponse en ${request.timeoutMs} ms.`)), request.timeoutMs);
      req.on('error', (error) => fail(error instanceof OutboundHttpError ? error : new OutboundHttpError('network', `Échec de la connexion (${(error as NodeJS.ErrnoException).code ?? 'réseau'}).`, { cause: error })));
      if (request.body != null) req.end(request.body);
      else req.end();
    });
  }
}

function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
}
