import type { EntityManager } from 'typeorm';
import type { FieldError } from '#core';
import { ApiKey } from './api-key.entity.js';
import { API_KEY_SCOPES, generateApiKey, parseApiKey, secretMatchesHash, type ApiKeyScope } from './api-key-format.js';
import { teleserviceErrors } from '../teleservices/teleservice.errors.js';
import { pgCode, UNIQUE_VIOLATION } from '../teleservices/pg-errors.js';

/** A key as shown in lists: never its secret nor its hash. */
export type ApiKeyInfo = Pick<ApiKey, 'id' | 'collectivityId' | 'name' | 'keyPrefix' | 'scopes' | 'createdAt' | 'lastUsedAt' | 'revokedAt'>;

export interface VerifiedApiKey {
  apiKeyId: string;
  collectivityId: string;
  scopes: ApiKeyScope[];
}

/** How often `last_used_at` is written at most (one write per key per minute, not per request). */
const LAST_USED_RESOLUTION_MS = 60_000;

/** The only code that touches `api_key`. */
export class ApiKeyRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Creates a key for a collectivity. The full key is in the result, and nowhere else, ever again. */
  async create(collectivityId: string, name: string, scopes: readonly ApiKeyScope[], now: Date): Promise<{ key: string; info: ApiKeyInfo }> {
    const fields: FieldError[] = [];
    if (typeof name !== 'string' || name.trim() === '' || name.length > 200)
      fields.push({ path: 'name', code: 'REQUIRED', message: 'Donnez un nom à la clé (200 caractères au plus).' });
    if (scopes.length === 0 || scopes.some((s) => !API_KEY_SCOPES.includes(s)))
      fields.push({ path: 'scopes', code: 'INVALID', message: `Portées possibles : ${API_KEY_SCOPES.join(', ')}.` });
    if (fields.length) throw teleserviceErrors.apiKeyInputInvalid(fields);
    for (let attempt = 0; ; attempt++) {
      const generated = generateApiKey();
      try {
        const rows: Record<string, unknown>[] = await this.manager.query(
          `INSERT INTO "api_key" ("collectivity_id", "name", "key_prefix", "secret_hash", "scopes", "created_at")
           VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING *`,
          [collectivityId, name.trim(), generated.prefix, generated.secretHash, [...new Set(scopes)], now],
        );
        return { key: generated.key, info: toInfo(rows[0]) };
      } catch (error) {
        // A prefix collision (36^10 prefixes): draw again.
        if (pgCode(error) === UNIQUE_VIOLATION && attempt < 3) continue;
        throw error;
      }
    }
  }

  /**
   * The collectivity and scopes of a valid, unrevoked key; API_KEY_INVALID otherwise — the same error, after
   * the same constant-time comparison, for a malformed, unknown, wrong or revoked key.
   */
  async verify(key: string, now: Date): Promise<VerifiedApiKey> {
    const parsed = parseApiKey(key);
    const rows: Record<string, unknown>[] = parsed
      ? await this.manager.query(`SELECT * FROM "api_key" WHERE "key_prefix" = $1`, [parsed.prefix])
      : [];
    const row = rows[0];
    const matches = secretMatchesHash(parsed?.secret ?? '', (row?.secret_hash as string | undefined) ?? null);
    if (!row || !matches || row.revoked_at !== null) throw teleserviceErrors.apiKeyInvalid();
    await this.manager.query(
      `UPDATE "api_key" SET "last_used_at" = $2 WHERE "id" = $1 AND ("last_used_at" IS NULL OR "last_used_at" < $3)`,
      [row.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)],
    );
    return { apiKeyId: row.id as string, collectivityId: row.collectivity_id as string, scopes: row.scopes as ApiKeyScope[] };
  }

  /** Revokes a key of this collectivity (idempotent); API_KEY_NOT_FOUND for another collectivity's key. */
  async revoke(collectivityId: string, id: string, now: Date): Promise<ApiKeyInfo> {
    const [rows] = (await this.manager.query(
      `UPDATE "api_key" SET "revoked_at" = COALESCE("revoked_at", $3) WHERE "id" = $1 AND "collectivity_id" = $2 RETURNING *`,
      [id, collectivityId, now],
    )) as [Record<string, unknown>[], number];
    if (rows.length === 0) throw teleserviceErrors.apiKeyNotFound();
    return toInfo(rows[0]);
  }

  async list(collectivityId: string): Promise<ApiKeyInfo[]> {
    const rows: Record<string, unknown>[] = await this.manager.query(
      `SELECT * FROM "api_key" WHERE "collectivity_id" = $1 ORDER BY "created_at" DESC, "id"`,
      [collectivityId],
    );
    return rows.map(toInfo);
  }
}

function toInfo(r: Record<string, unknown>): ApiKeyInfo {
  return {
    id: r.id as string,
    collectivityId: r.collectivity_id as string,
    name: r.name as string,
    keyPrefix: r.key_prefix as string,
    scopes: r.scopes as string[],
    createdAt: r.created_at as Date,
    lastUsedAt: r.last_used_at as Date | null,
    revokedAt: r.revoked_at as Date | null,
  };
}
