import type { TeleserviceVersion } from './teleservice-version.entity.js';

/**
 * Published versions never change (the database refuses it), so a process may keep them by id with no
 * invalidation: a bounded least-recently-used map. Only drafts must never be put here.
 */
export class PublishedVersionCache {
  private readonly entries = new Map<string, TeleserviceVersion>();

  constructor(private readonly maxEntries = 500) {}

  async get(id: string, load: (id: string) => Promise<TeleserviceVersion | null>): Promise<TeleserviceVersion | null> {
    const hit = this.entries.get(id);
    if (hit) {
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit;
    }
    const loaded = await load(id);
    if (loaded?.state === 'published') {
      this.entries.set(id, loaded);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    return loaded;
  }

  get size(): number {
    return this.entries.size;
  }
}
