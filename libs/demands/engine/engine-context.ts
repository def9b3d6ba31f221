import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock, LOGGER } from '#core';
import { OutboxService } from '#queue';
import { TeleserviceRepository, type Teleservice } from '#teleservices';
import { TerritoryService } from '#territory';
import { ATTACHMENT_STORAGE, type AttachmentStorage } from '../storage/attachment-storage.js';
import type { TenantScope } from '../tenancy/tenant-scope.js';
import { withTenant } from '../tenancy/with-tenant.js';
import { CompiledDefinitionCache } from './compiled-definitions.js';

const DIRECTORY_TTL_MS = 10 * 60_000;
const METROPOLIS_SLUG = 'metropole-de-lyon';

const MAX_REMEMBERED = 2_000;

/** A short-lived, bounded memo (wall-clock time: it is a cache, not domain time). A failed load is not kept. */
function remember<T>(map: Map<string, { until: number; value: Promise<T> }>, key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
  const now = performance.now();
  const hit = map.get(key);
  if (hit && hit.until > now) return hit.value;
  const value = load();
  if (ttlMs > 0) {
    if (map.size >= MAX_REMEMBERED) map.clear();
    map.set(key, { until: now + ttlMs, value });
    value.catch(() => map.delete(key));
  }
  return value;
}

/** Communes (for `commune` fields and addresses) and collectivity names (for templates), read once in a while. */
export class TerritoryDirectory {
  private loaded: {
    at: number;
    communes: { inseeCode: string; name: string }[];
    names: Map<string, string>;
    collectivities: { slug: string; name: string }[];
  } | null = null;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly territory: TerritoryService,
    private readonly now: () => number,
  ) {}

  async communes(): Promise<{ inseeCode: string; name: string }[]> {
    await this.refresh();
    return this.loaded!.communes;
  }

  /** The metropolis, then its communes in alphabetical order (`collectivities` data sources). */
  async collectivities(): Promise<{ slug: string; name: string }[]> {
    await this.refresh();
    return this.loaded!.collectivities;
  }

  async nameOf(collectivityId: string): Promise<string> {
    await this.refresh();
    return this.loaded!.names.get(collectivityId) ?? '';
  }

  private async refresh(): Promise<void> {
    if (this.loaded && this.now() - this.loaded.at < DIRECTORY_TTL_MS) return;
    this.pending ??= (async () => {
      const communes = await this.territory.listCommunes();
      const metropolis = await this.territory.findBySlug(METROPOLIS_SLUG);
      const names = new Map(communes.map((c) => [c.id, c.name]));
      if (metropolis) names.set(metropolis.id, metropolis.name);
      this.loaded = {
        at: this.now(),
        communes: communes.filter((c) => c.inseeCode).map((c) => ({ inseeCode: c.inseeCode!, name: c.name })),
        names,
        collectivities: [...(metropolis ? [metropolis] : []), ...communes].map((c) => ({ slug: c.slug, name: c.name })),
      };
    })().finally(() => (this.pending = null));
    await this.pending;
  }
}

/**
 * What the demands' use cases share: the database, the clock, the attachment storage, the outbox, compiled
 * definitions cached by version id, the territory directory. One per process.
 */
@Injectable()
export class DemandEngine {
  readonly definitions: CompiledDefinitionCache;
  readonly directory: TerritoryDirectory;

  constructor(
    readonly dataSource: DataSource,
    readonly clock: Clock,
    readonly outbox: OutboxService,
    @Inject(ATTACHMENT_STORAGE) readonly storage: AttachmentStorage,
    territory: TerritoryService,
    @Optional() @Inject(LOGGER) readonly logger?: Logger,
  ) {
    this.definitions = new CompiledDefinitionCache((id) => new TeleserviceRepository(dataSource.manager).findVersion(id));
    this.directory = new TerritoryDirectory(territory, () => clock.now().getTime());
  }

  /** A tenant transaction (platform scopes logged with their reason). */
  transaction<T>(scope: TenantScope, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return withTenant(this.dataSource, scope, work, { logger: this.logger });
  }

  teleservices(): TeleserviceRepository {
    return new TeleserviceRepository(this.dataSource.manager);
  }

  /**
   * How long the submission path may reuse "téléservice → latest published version" (and the téléservice row:
   * opening dates, archival) before reading it again: a publication or a closure is seen by every engine process
   * within this delay. 0 reads every time.
   */
  catalogueTtlMs = 2_000;
  private readonly catalogue = new Map<string, { until: number; value: Promise<Teleservice | null> }>();
  private readonly latest = new Map<string, { until: number; value: Promise<string | null> }>();

  /** A collectivity's téléservice by slug, or null (cached `catalogueTtlMs`). */
  teleserviceBySlug(collectivityId: string, slug: string): Promise<Teleservice | null> {
    return remember(this.catalogue, `${collectivityId}/${slug}`, this.catalogueTtlMs, async () => {
      const all = await this.teleservices().listForCollectivity(collectivityId);
      return all.find((t) => t.slug === slug) ?? null;
    });
  }

  /** A téléservice by id, or null (cached `catalogueTtlMs`). */
  teleserviceById(id: string): Promise<Teleservice | null> {
    return remember(this.catalogue, id, this.catalogueTtlMs, () => this.teleservices().findById(id));
  }

  /** Id of the latest published version, or null (cached `catalogueTtlMs`; reads the version list, never the definitions). */
  latestPublishedVersionId(teleserviceId: string): Promise<string | null> {
    return remember(this.latest, teleserviceId, this.catalogueTtlMs, async () => {
      const versions = await this.teleservices().listVersions(teleserviceId);
      return versions.find((v) => v.state === 'published')?.id ?? null;
    });
  }

  /** Drops what `catalogueTtlMs` keeps (after a publication or a closure made in this process). */
  forgetCatalogue(): void {
    this.catalogue.clear();
    this.latest.clear();
  }

  /** Deletes stored files after a refusal or a failed transaction; a failure to delete is logged, never thrown. */
  async discardFiles(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map((key) =>
        this.storage.delete(key).catch((error: unknown) => this.logger?.warn({ err: error, key }, 'Fichier orphelin non supprimé')),
      ),
    );
  }
}
