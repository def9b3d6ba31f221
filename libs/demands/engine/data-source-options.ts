import type { ChoiceOption, CompiledForm, ExternalDataSource, OptionsResolver } from '#forms';
import type { Logger } from 'pino';
import { OutboundHttp, OutboundHttpError } from './outbound-http.js';

type UrlSource = Extract<ExternalDataSource, { kind: 'url' }>;

export const DATA_SOURCE_DEFAULTS = {
  cacheSeconds: 300,
  timeoutMs: 5_000,
  /** Response body cap. */
  maxBytes: 1024 * 1024,
  /** Options kept from one response (the forms' static lists have the same limit). */
  maxOptions: 1_000,
  /** How long a copy is kept to be served while the source is down. */
  staleSeconds: 7 * 24 * 3600,
  /** After a failure, the source is not asked again for this long (the stale copy, or nothing, is served). */
  failureBackoffSeconds: 30,
  /** Cached sources per process (least recently used first out). */
  maxEntries: 500,
} as const;

interface Entry {
  options: readonly ChoiceOption[] | null;
  fetchedAt: number;
  failedAt: number | null;
}

/** Where the collectivities' list comes from (TerritoryDirectory in the engine). */
export interface CollectivityList {
  collectivities(): Promise<{ slug: string; name: string }[]>;
}

/**
 * Options of a form's external data sources, resolved server-side for #forms' `ValidationContext.resolveOptions`
 * (and `DisplayContext`): call `resolverFor(form)` before validating or rendering; the resolver it returns is
 * synchronous, as #forms wants it.
 *
 * - `url`: fetched with `OutboundHttp` (deadline `timeoutMs`, default 5 s; body ≤ 1 MiB; no private network unless
 *   allowed), JSON read at `itemsPath`, each item's `valuePath` / `labelPath` (strings or numbers; others
 *   skipped; duplicates keep the first; 1,000 options at most). Kept **in memory, per process**, for
 *   `cacheSeconds` (default 300; 0 = fetched every time). When the source fails (down, timeout, bad JSON, no
 *   usable item) the last good copy is served for up to 7 days, and the source is not asked again for 30 s.
 *   No copy: the field's options are unavailable (`SOURCE_UNAVAILABLE` on validation).
 * - `collectivities`: the metropolis then its communes, value = the collectivity's slug, label = its name.
 *
 * Concurrent requests for one source share one fetch. Never throws.
 */
export class DataSourceOptions {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Entry>>();

  constructor(
    private readonly http: OutboundHttp,
    private readonly territory: CollectivityList,
    /** Wall-clock milliseconds (a cache, not domain time). */
    private readonly now: () => number = () => Date.now(),
    private readonly logger?: Logger,
  ) {}

  async resolverFor(form: Pick<CompiledForm, 'externalSources'>): Promise<OptionsResolver> {
    const sources = form.externalSources();
    if (sources.length === 0) return () => undefined;
    const byKey = new Map<string, readonly ChoiceOption[] | undefined>();
    await Promise.all(
      sources.map(async ({ key, source }) => {
        byKey.set(key, source.kind === 'url' ? await this.urlOptions(source) : await this.collectivityOptions());
      }),
    );
    return (fieldKey) => byKey.get(fieldKey);
  }

  /** Drops every cached copy (tests, administration). */
  clear(): void {
    this.entries.clear();
  }

  private async collectivityOptions(): Promise<readonly ChoiceOption[] | undefined> {
    try {
      const list = await this.territory.collectivities();
      return list.map((c) => ({ value: c.slug, label: c.name }));
    } catch (error) {
      this.logger?.warn({ err: error }, 'Liste des collectivités indisponible');
      return undefined;
    }
  }

  private async urlOptions(source: UrlSource): Promise<readonly ChoiceOption[] | undefined> {
    const key = JSON.stringify([source.url, source.itemsPath ?? '', source.valuePath, source.labelPath]);
    const now = this.now();
    const cached = this.entries.get(key);
    const freshMs = (source.cacheSeconds ?? DATA_SOURCE_DEFAULTS.cacheSeconds) * 1000;
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      const fresh = cached.options && now - cached.fetchedAt < freshMs;
      const backingOff = cached.failedAt !== null && now - cached.failedAt < DATA_SOURCE_DEFAULTS.failureBackoffSeconds * 1000;
      if (fresh || backingOff) return this.usable(cached, now);
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetch(source, cached, key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return this.usable(await pending, this.now());
  }

  private usable(entry: Entry, now: number): readonly ChoiceOption[] | undefined {
    if (!entry.options) return undefined;
    return now - entry.fetchedAt <= DATA_SOURCE_DEFAULTS.staleSeconds * 1000 ? entry.options : undefined;
  }

  private async fetch(source: UrlSource, previous: Entry | undefined, key: string): Promise<Entry> {
    let entry: Entry;
    try {
      const response = await this.http.request({
        url: source.url,
        timeoutMs: source.timeoutMs ?? DATA_SOURCE_DEFAULTS.timeoutMs,
        maxBytes: DATA_SOURCE_DEFAULTS.maxBytes,
      });
      if (response.status < 200 || response.status >= 300) throw new Error(`statut HTTP ${response.status}`);
      const options = optionsFrom(JSON.parse(response.body.toString('utf8')) as unknown, source);
      if (options.length === 0) throw new Error('aucune option exploitable dans la réponse');
      entry = { options, fetchedAt: this.now(), failedAt: null };
    } catch (error) {
      const reason = error instanceof OutboundHttpError ? error.reason : error instanceof SyntaxError ? 'invalid_json' : (error as Error).message;
      this.logger?.warn({ source: new URL(source.url).origin, reason }, 'Source de données indisponible : copie précédente servie si elle existe');
      entry = { options: previous?.options ?? null, fetchedAt: previous?.fetchedAt ?? 0, failedAt: this.now() };
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > DATA_SOURCE_DEFAULTS.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return entry;
  }
}

/** Reads the options out of a JSON document (pure; exported for tests). */
export function optionsFrom(document: unknown, source: Pick<UrlSource, 'itemsPath' | 'valuePath' | 'labelPath'>): ChoiceOption[] {
  const items = source.itemsPath ? at(document, source.itemsPath) : document;
  if (!Array.isArray(items)) return [];
  const options: ChoiceOption[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    if (options.length >= DATA_SOURCE_DEFAULTS.maxOptions) break;
    const value = scalar(at(item, source.valuePath));
    const label = scalar(at(item, source.labelPath));
    if (!value || !label || value.length > 200 || seen.has(value)) continue;
    seen.add(value);
    options.push({ value, label: label.slice(0, 500) });
  }
  return options;
}

function at(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function scalar(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() || null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
