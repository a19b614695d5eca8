// What the controller wrote and its caches have not seen yet. A watch event arrives some milliseconds after a
// write; a reconcile that runs in between must not take the cache's older copy for the truth (it would write
// the same thing again, or plan from a stale CIDR and fail its resourceVersion precondition). Watch events
// arrive in resourceVersion order, so an entry is dropped as soon as the cache shows the written version;
// a relist drops everything (the list is newer than any write before it).
import type { KubeObject } from './objects.js';

export class RecentWrites<T extends KubeObject> {
  readonly #written = new Map<string, T>();

  /** Remembers `written` (the API's answer) unless the cache already holds that version. */
  record(key: string, written: T, cached: T | undefined): void {
    const version = written.metadata.resourceVersion;
    if (version === undefined || version === cached?.metadata.resourceVersion) this.#written.delete(key);
    else {
      delete written.metadata.managedFields;
      this.#written.set(key, written);
    }
  }

  /** The newest known version: the written one until the cache catches up, else the cached one. */
  view(key: string, cached: T | undefined): T | undefined {
    const written = this.#written.get(key);
    if (written === undefined) return cached;
    if (cached !== undefined && cached.metadata.resourceVersion === written.metadata.resourceVersion) {
      this.#written.delete(key);
      return cached;
    }
    return written;
  }

  /** The cache delivered a version of `key`. */
  observed(key: string, obj: KubeObject): void {
    if (this.#written.get(key)?.metadata.resourceVersion === obj.metadata.resourceVersion) this.#written.delete(key);
  }

  /** The object was deleted (or the cache was rebuilt): forget what was written. */
  forget(key: string): void {
    this.#written.delete(key);
  }

  clear(): void {
    this.#written.clear();
  }

  get size(): number {
    return this.#written.size;
  }
}
