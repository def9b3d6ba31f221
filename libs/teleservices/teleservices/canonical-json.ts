import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units, as RFC 8785), no whitespace, arrays in order,
 * numbers as JSON.stringify writes them. Two equal definitions give the same text whatever their key order,
 * and a value JSON cannot hold (undefined, NaN, a function, a cycle) is refused rather than silently dropped.
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const write = (v: unknown, path: string): string => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return JSON.stringify(v);
      case 'number':
        if (!Number.isFinite(v)) throw new TypeError(`Valeur non représentable en JSON à ${path} : ${v}`);
        return JSON.stringify(v);
      case 'object': {
        if (seen.has(v)) throw new TypeError(`Référence circulaire à ${path}`);
        seen.add(v);
        try {
          if (Array.isArray(v)) return `[${v.map((item, i) => write(item, `${path}[${i}]`)).join(',')}]`;
          const keys = Object.keys(v).sort();
          const parts: string[] = [];
          for (const key of keys) {
            const item = (v as Record<string, unknown>)[key];
            if (item === undefined) continue;
            parts.push(`${JSON.stringify(key)}:${write(item, `${path}.${key}`)}`);
          }
          return `{${parts.join(',')}}`;
        } finally {
          seen.delete(v);
        }
      }
      default:
        throw new TypeError(`Valeur non représentable en JSON à ${path} : ${typeof v}`);
    }
  };
  return write(value, '$');
}

/** sha-256 (hex) of the canonical JSON of a value. */
export function canonicalChecksum(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
