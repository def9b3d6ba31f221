import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/**
 * FranceConnect SIMULATOR — a stand-in for an external system Parvis cannot reach in development and tests.
 *
 * A small but real OpenID provider (oidc-provider 9) speaking the shapes of FranceConnect v2 that Parvis relies
 * on: issuer under `/api/v2`, `acr` `eidas1`, scopes named after the pivot-identity claims, userinfo returned as
 * a signed JWT (ES256 or RS256), RP-initiated logout at `session/end` with `id_token_hint`, `state` and
 * `post_logout_redirect_uri`, discovery and JWKS. Its login page lists a few test identities (no password).
 * Everything lives in memory and vanishes at exit. It refuses to start with NODE_ENV=production: it is never a
 * part of a real deployment, where the identity app talks to FranceConnect itself.
 *
 * Test knobs (`misbehave`) make it return what an attacker or a faulty provider could: a userinfo JWT whose
 * payload or signature was tampered with, an ID token carrying another nonce.
 */

/** A FranceConnect test identity: the pivot identity plus the optional claims. */
export interface SimulatedIdentity {
  sub: string;
  given_name: string;
  family_name: string;
  /** `YYYY-MM-DD`. */
  birthdate: string;
  gender: 'male' | 'female';
  /** INSEE code of the birth commune (empty when born abroad). */
  birthplace: string;
  /** INSEE code of the birth country (99100 for France). */
  birthcountry: string;
  email: string;
  preferred_username?: string;
}

export const SIMULATED_IDENTITIES: readonly SimulatedIdentity[] = [
  {
    sub: 'fc-sim-0001-angela-dubois',
    given_name: 'Angela Claire Louise',
    family_name: 'Dubois',
    birthdate: '1962-08-24',
    gender: 'female',
    birthplace: '75107',
    birthcountry: '99100',
    email: 'angela.dubois@example.org',
    preferred_username: 'Dubois',
  },
  {
    sub: 'fc-sim-0002-pierre-mercier',
    given_name: 'Pierre',
    family_name: 'Mercier',
    birthdate: '1990-03-12',
    gender: 'male',
    birthplace: '69123',
    birthcountry: '99100',
    email: 'pierre.mercier@example.org',
  },
  {
    sub: 'fc-sim-0003-fatima-benali',
    given_name: 'Fatima',
    family_name: 'Benali',
    birthdate: '1985-11-02',
    gender: 'female',
    birthplace: '69259',
    birthcountry: '99100',
    email: 'fatima.benali@example.org',
    preferred_username: 'Martin',
  },
  {
    sub: 'fc-sim-0004-lucas-schmidt',
    given_name: 'Lucas',
    family_name: 'Schmidt',
    birthdate: '1978-06-30',
    gender: 'male',
    birthplace: '',
    birthcountry: '99109',
    email: 'lucas.schmidt@example.org',
  },
];

/** The pivot identity and optional claims, each a scope of its own as in FranceConnect. */
export const FC_CLAIM_SCOPES = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email', 'preferred_username'] as const;

export interface SimulatorClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Algorithm of ID tokens and userinfo JWTs. Default ES256. */
  signingAlg?: 'ES256' | 'RS256';
}

export interface SimulatorMisbehaviour {
  /** Userinfo JWT altered after signing: a claim changed (`payload`) or the signature itself (`signature`). */
  userinfo?: 'payload' | 'signature';
  /** The nonce put in the ID token instead of the one the client sent. */
  nonce?: string;
}

export interface FranceConnectSimulator {
  /** e.g. http://127.0.0.1:3005/api/v2 */
  issuer: string;
  origin: string;
  port: number;
  registerClient(client: SimulatorClient): void;
  misbehave: SimulatorMisbehaviour;
  /** Every `session/end` request received (what the tests check). */
  readonly logouts: { idTokenHint: string | null; state: string | null; postLogoutRedirectUri: string | null }[];
  stop(): Promise<void>;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** Public origin when it differs from the listening address. */
  publicOrigin?: string;
  clients?: SimulatorClient[];
  env?: string;
}

const MOUNT = '/api/v2';

/** In-memory storage for the simulator's artefacts (never used by the real provider, which has a PostgreSQL adapter). */
class MemoryStore {
  private readonly rows = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  constructor(
    private readonly model: string,
    private readonly clients: Map<string, Record<string, unknown>>,
  ) {}
  private key(id: string) {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
    this.rows.set(this.key(id), { payload, expiresAt: Date.now() + (expiresIn || 3600) * 1000 });
  }
  async find(id: string) {
    if (this.model === 'Client') return this.clients.get(id);
    const row = this.rows.get(this.key(id));
    if (!row || row.expiresAt < Date.now()) return undefined;
    return row.payload;
  }
  async findByUid(uid: string) {
    for (const row of this.rows.values()) if (row.payload.uid === uid && row.expiresAt >= Date.now()) return row.payload;
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id: string) {
    const row = this.rows.get(this.key(id));
    if (row) row.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string) {
    this.rows.delete(this.key(id));
  }
  async revokeByGrantId(grantId: string) {
    for (const [key, row] of this.rows) if (row.payload.grantId === grantId) this.rows.delete(key);
  }
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} – Simulateur FranceConnect</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#161616}
.banner{background:#fff4d4;border:1px solid #b34000;padding:.75rem;margin-bottom:1rem}
button{background:#000091;color:#fff;border:0;padding:.6rem 1rem;font-size:1rem;cursor:pointer;margin:.25rem 0}
button:focus{outline:3px solid #0a76f6;outline-offset:2px}ul{list-style:none;padding:0}li{margin:.75rem 0}</style></head>
<body><main>
<p class="banner"><strong>Simulateur FranceConnect</strong> — outil de développement et de test, sans valeur d’identification. Ce n’est pas FranceConnect.</p>
${body}
</main></body></html>`;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
      if (body.length > 10_000) reject(new Error('corps trop long'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

/** Re-encodes one base64url JWT segment with a changed claim, or flips bits of the signature. */
function tamper(jwt: string, how: 'payload' | 'signature'): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  if (how === 'signature') {
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] = bytes[0]! ^ 0xff;
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    return `${header}.${payload}.${bytes.toString('base64url')}`;
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims.family_name = 'Usurpateur';
  claims.birthdate = '2000-01-01';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/** Starts the simulator on `port` (0: a free one). */
export async function startFranceConnectSimulator(options: SimulatorOptions = {}): Promise<FranceConnectSimulator> {
  if ((options.env ?? process.env.NODE_ENV) === 'production') {
    throw new Error('Le simulateur FranceConnect est un outil de développement et de test : il refuse de démarrer en production (NODE_ENV=production).');
  }
  const host = options.host ?? '127.0.0.1';
  const es = await generateKeyPair('ES256', { extractable: true });
  const rs = await generateKeyPair('RS256', { extractable: true });
  const esJwk: JWK = { ...(await exportJWK(es.privateKey)), kid: `sim-es-${randomBytes(4).toString('hex')}`, alg: 'ES256', use: 'sig' };
  const rsJwk: JWK = { ...(await exportJWK(rs.privateKey)), kid: `sim-rs-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' };

  const clients = new Map<string, Record<string, unknown>>();
  const stores = new Map<string, MemoryStore>();
  const misbehave: SimulatorMisbehaviour = {};
  const logouts: FranceConnectSimulator['logouts'] = [];
  const identities = new Map(SIMULATED_IDENTITIES.map((identity) => [identity.sub, identity]));

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = options.publicOrigin ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const issuer = `${origin}${MOUNT}`;

  const provider = new Provider(issuer, {
    adapter: (model: string) => {
      let store = stores.get(model);
      if (!store) stores.set(model, (store = new MemoryStore(model, clients)));
      return store;
    },
    clients: [],
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => {
      const identity = identities.get(sub);
      if (!identity) return undefined;
      return { accountId: sub, claims: async () => ({ ...identity }) };
    },
    claims: { openid: ['sub'], ...Object.fromEntries(FC_CLAIM_SCOPES.map((claim) => [claim, [claim]])) },
    scopes: ['openid', ...FC_CLAIM_SCOPES],
    acrValues: ['eidas1'],
    responseTypes: ['code'],
    pkce: { required: () => false },
    routes: { authorization: '/authorize', token: '/token', userinfo: '/userinfo', jwks: '/jwks', end_session: '/session/end' },
    jwks: { keys: [esJwk, rsJwk] },
    enabledJWA: { idTokenSigningAlgValues: ['ES256', 'RS256'], userinfoSigningAlgValues: ['ES256', 'RS256'] },
    cookies: { keys: [randomBytes(32).toString('hex')], long: { signed: true }, short: { signed: true } },
    clientDefaults: { grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      revocation: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // FranceConnect logs out without asking: the page posts itself (a button remains without JavaScript).
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          ctx.type = 'html';
          ctx.body = page(
            'Déconnexion',
            `<h1>Déconnexion de FranceConnect</h1>${form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>')}
<p><button type="submit" form="op.logoutForm">Se déconnecter de FranceConnect</button></p>
<script>document.getElementById('op.logoutForm').submit()</script>`,
          );
        },
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          ctx.body = page('Déconnecté', '<h1>Vous êtes déconnecté de FranceConnect</h1>');
        },
      },
    },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // Selecting an identity also grants the requested claims (FranceConnect's own consent screen is not simulated).
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ accountId, clientId: ctx.oidc.client.clientId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      await grant.save();
      return grant;
    },
    renderError: async (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = page('Erreur', `<h1>Erreur FranceConnect (simulateur)</h1><p>${escapeHtml(out.error)} : ${escapeHtml(out.error_description ?? '')}</p>`);
    },
  });

  // FranceConnect's own requirements, and the test knobs.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/authorize' && ctx.method === 'GET') {
      const query = new URLSearchParams(ctx.querystring);
      const problems = [
        (query.get('state') ?? '').length < 32 && 'state doit compter au moins 32 caractères',
        (query.get('nonce') ?? '').length < 32 && 'nonce doit compter au moins 32 caractères',
        !(query.get('acr_values') ?? '').split(' ').includes('eidas1') && 'acr_values doit demander eidas1',
      ].filter(Boolean);
      if (problems.length) {
        ctx.status = 400;
        ctx.type = 'html';
        ctx.body = page('Requête invalide', `<h1>Requête invalide</h1><p>${escapeHtml(problems.join(' ; '))}</p>`);
        return;
      }
      if (misbehave.nonce) {
        query.set('nonce', misbehave.nonce);
        ctx.querystring = query.toString();
        // oidc-provider derives its mount path from originalUrl: keep both in step.
        (ctx.req as IncomingMessage & { originalUrl?: string }).originalUrl = `${MOUNT}${ctx.req.url ?? ''}`;
      }
    }
    if (ctx.path === '/session/end' && ctx.method === 'GET') {
      const query = new URLSearchParams(ctx.querystring);
      logouts.push({ idTokenHint: query.get('id_token_hint'), state: query.get('state'), postLogoutRedirectUri: query.get('post_logout_redirect_uri') });
    }
    await next();
    if (ctx.path === '/userinfo' && misbehave.userinfo && typeof ctx.body === 'string' && ctx.status === 200) {
      ctx.body = tamper(ctx.body, misbehave.userinfo);
    }
  });

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined) {
    const details = await provider.interactionDetails(req, res).catch(() => undefined);
    if (!details || details.uid !== uid) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('Demande expirée', '<h1>Demande expirée</h1><p>Recommencez depuis le service.</p>'));
      return;
    }
    if (req.method === 'POST' && action === 'login') {
      const form = await readForm(req);
      const identity = identities.get(form.get('sub') ?? '');
      if (!identity) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('Identité inconnue', '<h1>Identité inconnue</h1>'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: identity.sub, acr: 'eidas1', amr: ['fc'] } }, { mergeWithLastSubmission: false });
      return;
    }
    if (req.method === 'POST' && action === 'abort') {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'L’usager a annulé.' }, { mergeWithLastSubmission: false });
      return;
    }
    const list = SIMULATED_IDENTITIES.map(
      (identity) =>
        `<li><form method="post" action="/interaction/${uid}/login"><input type="hidden" name="sub" value="${escapeHtml(identity.sub)}">` +
        `<button type="submit">${escapeHtml(identity.given_name)} ${escapeHtml(identity.family_name)}</button> ` +
        `née ou né le ${escapeHtml(identity.birthdate)}, ${escapeHtml(identity.email)}</form></li>`,
    ).join('\n');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(
      page(
        'Choisir une identité',
        `<h1>Choisissez une identité de test</h1>
<p>Le service <strong>${escapeHtml(details.params.client_id)}</strong> demande à vous identifier avec FranceConnect.</p>
<ul>${list}</ul>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Annuler</button></form>`,
      ),
    );
  }

  const callback = provider.callback();
  server.on('request', (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => {
    const url = req.url ?? '/';
    const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?(?:\?.*)?$/.exec(url);
    if (match) {
      interaction(req, res, match[1]!, match[2]).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`Erreur du simulateur : ${error instanceof Error ? error.message : String(error)}`);
      });
      return;
    }
    if (url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (url === MOUNT || url.startsWith(`${MOUNT}/`) || url.startsWith(`${MOUNT}?`)) {
      // Mounted like Express would: oidc-provider derives its mount path from originalUrl.
      req.originalUrl = url;
      req.url = url.slice(MOUNT.length) || '/';
      callback(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(page('Introuvable', '<h1>Page introuvable</h1>'));
  });

  const simulator: FranceConnectSimulator = {
    issuer,
    origin,
    port,
    misbehave,
    logouts,
    registerClient(client: SimulatorClient) {
      const alg = client.signingAlg ?? 'ES256';
      clients.set(client.clientId, {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: client.redirectUris,
        post_logout_redirect_uris: client.postLogoutRedirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: alg,
        userinfo_signed_response_alg: alg,
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  for (const client of options.clients ?? []) simulator.registerClient(client);
  return simulator;
}
