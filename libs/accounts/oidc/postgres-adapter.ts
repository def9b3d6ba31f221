import { DataSource, type EntityManager } from 'typeorm';
import type { ProviderClientMetadata } from '../clients/client.service.js';

/** What oidc-provider stores: a JSON payload with a few indexed fields. */
export interface AdapterPayload {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
  [key: string]: unknown;
}

/** The adapter interface oidc-provider calls, one instance per model name. */
export interface OidcAdapter {
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<AdapterPayload | undefined>;
  findByUid(uid: string): Promise<AdapterPayload | undefined>;
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

const TABLE = '"identity"."oidc_artifact"';

/**
 * oidc-provider's storage in PostgreSQL (`identity.oidc_artifact`): sessions, interactions, codes, tokens
 * and grants, one row per (model, id), with the grant id, session uid and user code as indexed columns.
 * Expiry is honoured on read (an expired row is never returned) and rows are purged by `purgeExpired`.
 * Time is the wall clock, as oidc-provider's own. `Client` is read from `identity.oidc_client` instead.
 */
export class PostgresOidcAdapter implements OidcAdapter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
    const consumedAt = typeof payload.consumed === 'number' ? new Date(payload.consumed * 1000) : null;
    await this.dataSource.query(
      `INSERT INTO ${TABLE} (model, id, payload, grant_id, uid, user_code, expires_at, consumed_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid,
         user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at,
         consumed_at = COALESCE(${TABLE}.consumed_at, EXCLUDED.consumed_at)`,
      [this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null, expiresAt, consumedAt],
    );
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('id = $2', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('uid = $2', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('user_code = $2', userCode);
  }

  async consume(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE ${TABLE} SET consumed_at = COALESCE(consumed_at, $3) WHERE model = $1 AND id = $2`, [
      this.model,
      id,
      new Date(),
    ]);
  }

  async destroy(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${TABLE} WHERE model = $1 AND id = $2`, [this.model, id]);
  }

  /** Everything issued under a grant (codes, access and refresh tokens…) and the grant itself. */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${TABLE} WHERE grant_id = $1 OR (model = 'Grant' AND id = $1)`, [grantId]);
  }

  private async findWhere(condition: string, value: string): Promise<AdapterPayload | undefined> {
    const rows: { payload: AdapterPayload; consumed_at: Date | null }[] = await this.dataSource.query(
      `SELECT payload, consumed_at FROM ${TABLE} WHERE model = $1 AND ${condition} AND (expires_at IS NULL OR expires_at > $3) LIMIT 1`,
      [this.model, value, new Date()],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
  }
}

/** Clients come from `identity.oidc_client` (read on each use, so a new or rotated client needs no restart). */
export class ClientAdapter implements OidcAdapter {
  constructor(private readonly load: (clientId: string) => Promise<ProviderClientMetadata | undefined>) {}
  find(id: string) {
    return this.load(id) as Promise<AdapterPayload | undefined>;
  }
  async upsert(): Promise<void> {
    throw new Error('Les clients OIDC sont enregistrés par l’équipe de la plateforme (tools/identity-client.ts).');
  }
  async findByUid() {
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

/** Deletes expired artefacts in batches; returns how many rows went. */
export async function purgeExpiredArtifacts(dataSource: DataSource, batch = 1000): Promise<number> {
  const result: unknown[] = await dataSource.query(
    `DELETE FROM ${TABLE} WHERE ctid IN (SELECT ctid FROM ${TABLE} WHERE expires_at <= $1 LIMIT $2)`,
    [new Date(), batch],
  );
  return typeof result[1] === 'number' ? result[1] : 0;
}

/** What a revocation of an account's access keeps: the session the person is using, and the grants it holds. */
export interface KeptAccess {
  sessionId?: string;
  grantIds?: string[];
}

/**
 * Ends the provider sessions of an account and revokes its grants with everything issued under them (codes,
 * access and refresh tokens), except the session and grants given (after a change of password: the person's
 * current session goes on). Sessions' rows go, so their cookies lead nowhere and the next authorization asks for
 * the password; a relying party's refresh token stops working at once. Consents stay: the next authorization
 * builds a new grant from them. Runs in the caller's transaction when given its manager. Returns how many rows went.
 */
export async function revokeAccountAccess(executor: DataSource | EntityManager, accountId: string, keep: KeptAccess = {}): Promise<number> {
  const result: unknown[] = await executor.query(
    `WITH grants AS (
       SELECT id FROM ${TABLE} WHERE model = 'Grant' AND payload->>'accountId' = $1 AND NOT (id = ANY($3::text[]))
     )
     DELETE FROM ${TABLE}
      WHERE (model = 'Session' AND payload->>'accountId' = $1 AND id <> $2)
         OR (model = 'Grant' AND id IN (SELECT id FROM grants))
         OR grant_id IN (SELECT id FROM grants)
         OR (model IN ('AccessToken', 'RefreshToken', 'AuthorizationCode') AND payload->>'accountId' = $1 AND NOT (grant_id = ANY($3::text[])))`,
    [accountId, keep.sessionId ?? '', keep.grantIds ?? []],
  );
  return typeof result[1] === 'number' ? result[1] : 0;
}

/** The grant ids a provider session holds (`authorizations[clientId].grantId`), to keep them. */
export function sessionGrantIds(authorizations: Record<string, unknown> | undefined): string[] {
  return Object.values(authorizations ?? {}).flatMap((entry) => {
    const grantId = (entry as { grantId?: unknown } | null)?.grantId;
    return typeof grantId === 'string' ? [grantId] : [];
  });
}
