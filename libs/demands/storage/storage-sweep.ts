import { stagedFileKeys } from '../use-cases/drafts.use-case.js';
import type { DemandEngine } from '../engine/engine-context.js';
import { platformScope } from '../tenancy/tenant-scope.js';

/**
 * How old a staged file must be before the sweep may delete it (when no live draft references it). It must stay
 * well above the life of a web session (30 minutes without activity), where anonymous forms and JavaScript uploads
 * keep their references.
 */
export const STAGED_FILE_MAX_AGE_MS = 24 * 3_600_000;
const SWEEP_BATCH = 500;

/**
 * Keys of `staged_upload` rows older than `$1`, that no live draft (expiring after `$2`) references — a file
 * descriptor `{ ref }` at any depth of its data, as `stagedFileKeys` reads them — oldest first, locked (`SKIP
 * LOCKED`: sweeps on several workers take different rows), deleted, returned.
 */
const SWEEP_SQL = `
  WITH referenced AS (
    SELECT DISTINCT r #>> '{}' AS storage_key
      FROM "draft" d, jsonb_path_query(d.data, 'lax $.**.ref') r
     WHERE d.expires_at > $2
  ), candidates AS (
    SELECT s.storage_key FROM "staged_upload" s
     WHERE s.staged_at < $1 AND NOT EXISTS (SELECT 1 FROM referenced x WHERE x.storage_key = s.storage_key)
       -- Never a demand's attachment (the engine stores its own copies; this only guards against a mistake).
       AND NOT EXISTS (SELECT 1 FROM "attachment" a WHERE a.storage_key = s.storage_key)
     ORDER BY s.staged_at
     LIMIT $3
       FOR UPDATE OF s SKIP LOCKED
  )
  DELETE FROM "staged_upload" s USING candidates c WHERE s.storage_key = c.storage_key RETURNING s.storage_key`;

/**
 * The files the portal stages in the attachment storage for forms in progress (`staged_upload`): recorded when
 * stored, forgotten when deleted, and swept when nothing will ever reference them — an anonymous form abandoned
 * (its session expired), a JavaScript upload never sent with its page, a draft's file whose draft went. Only
 * recorded keys are ever swept: demands' attachments (the engine's own copies) and other stored files never are.
 */
export class StagedUploads {
  constructor(private readonly engine: DemandEngine) {}

  /** Records freshly stored files (at the injected clock's now). */
  async record(keys: readonly string[]): Promise<void> {
    if (!keys.length) return;
    await this.engine.dataSource.query(
      `INSERT INTO "staged_upload" ("storage_key", "staged_at") SELECT k, $2 FROM unnest($1::text[]) k ON CONFLICT ("storage_key") DO NOTHING`,
      [[...keys], this.engine.clock.now()],
    );
  }

  /** Deletes staged files now (a removal, a hidden field's files, a submitted form), then their rows. */
  async discard(keys: readonly string[]): Promise<void> {
    if (!keys.length) return;
    await this.engine.discardFiles(keys);
    await this.engine.dataSource.query(`DELETE FROM "staged_upload" WHERE "storage_key" = ANY($1::text[])`, [[...keys]]);
  }

  /** Deletes the staged files of a form's data (`stagedFileKeys`). */
  discardOf(data: Record<string, unknown>): Promise<void> {
    return this.discard(stagedFileKeys(data));
  }

  /**
   * One sweep: deletes, batch by batch, the staged files older than `maxAgeMs` that no live draft references, and
   * their rows. Each batch's rows are deleted in one transaction (locked rows are skipped, so two sweeps at once
   * delete each file once), the files after its commit (a failure there is logged: the file is an orphan again,
   * but no row points at a missing file). Returns the number of files deleted.
   */
  async sweep(maxAgeMs: number = STAGED_FILE_MAX_AGE_MS, batchSize: number = SWEEP_BATCH): Promise<number> {
    if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) throw new Error('maxAgeMs invalide');
    const now = this.engine.clock.now();
    const olderThan = new Date(now.getTime() - maxAgeMs);
    let total = 0;
    for (;;) {
      const result: unknown = await this.engine.transaction(platformScope('ménage des fichiers déposés'), (manager) => manager.query(SWEEP_SQL, [olderThan, now, batchSize]));
      const keys = rowsOf<{ storage_key: string }>(result).map((r) => r.storage_key);
      await this.engine.discardFiles(keys);
      total += keys.length;
      if (keys.length < batchSize) return total;
    }
  }
}

/** `DELETE/UPDATE … RETURNING` through TypeORM answers `[rows, count]`; a plain query, the rows. */
export function rowsOf<T = unknown>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return Array.isArray(result) ? (result as T[]) : [];
}
