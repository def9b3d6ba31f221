import { demandErrors } from '../demands.errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Keyset pagination cursor over demands: the exact (microsecond) `submitted_at` text and the id of the last
 * row shown, base64url JSON. Opaque to callers; a forged or damaged cursor is refused (`cursorInvalid`).
 */
export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    if (cursor.length > 200) throw new Error('too long');
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const [at, id] = value as [string, string];
      if (UUID.test(id) && !Number.isNaN(Date.parse(at))) return { at, id };
    }
  } catch {
    // fall through
  }
  throw demandErrors.cursorInvalid();
}
