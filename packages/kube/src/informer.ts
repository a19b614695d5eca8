// A cache of one resource kept current by list + watch (client-go's reflector): list (in pages), then watch from
// that resourceVersion with bookmarks. When the server ends a watch (its timeout) the informer watches again from
// where it was; when the resourceVersion is too old (410 Gone) it lists again at once; on any other failure (the
// API server unreachable, a refused request) it lists again after a capped exponential backoff, for as long as it
// runs. A relist replaces the cache and reports the difference as add/update/delete events.
import { Backoff, type BackoffOptions } from './backoff.js';
import type { KubeClient, WatchEvent } from './client.js';
import { systemClock, type CancelTimer, type Clock } from './clock.js';
import { codeOfStatus, isKubeError, KubeError } from './errors.js';
import { collectionPath, type Resource } from './resources.js';

/** What an informer needs of an object: its name, namespace and resourceVersion. */
export interface CachedObject {
  metadata?:
    | {
        name?: string | undefined;
        namespace?: string | undefined;
        resourceVersion?: string | undefined;
        managedFields?: unknown;
      }
    | undefined;
}

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  onDelete?(obj: T): void;
  /** A full list is about to replace the cache (start-up, or after the watch failed); its differences follow as events. */
  onRelist?(): void;
  /** The cache reflects a full list again (after the events of its differences). */
  onSynced?(): void;
}

/** The logger calls an informer makes (pino's Logger fits). */
export interface InformerLogger {
  warn(obj: object, msg: string): void;
}

export interface InformerOptions<T> {
  readonly client: KubeClient;
  readonly resource: Resource;
  /** Only this namespace (a namespaced resource); default all namespaces. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly log: InformerLogger;
  /** Schedules the restarts (default the process clock). */
  readonly clock?: Clock;
  /** Delay before a restart after a failure: base, doubling per failure in a row, capped (default 500 ms … 30 s). */
  readonly backoff?: BackoffOptions;
  /** Objects per list page (default 500). */
  readonly pageSize?: number;
  /** How long the server keeps one watch open (default 300 s); the informer then watches again. */
  readonly watchTimeoutSeconds?: number;
  /** Runs on every object before it is cached or handled (default: drop managedFields, which nobody reads). */
  readonly transform?: (obj: T) => void;
  readonly handlers?: InformerHandlers<T>;
}

interface ListPage<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** What every cached object loses by default: managedFields are large and neither the controller nor the agent read them. */
export function stripManagedFields(obj: CachedObject): void {
  if (obj.metadata !== undefined) delete obj.metadata.managedFields;
}

/** `namespace/name` for namespaced objects, `name` otherwise. */
export function cacheKey(obj: CachedObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns === undefined || ns === '' ? name : `${ns}/${name}`;
}

const RESTART = 'restart';

export class Informer<T extends CachedObject> {
  readonly resource: Resource;
  readonly #o: InformerOptions<T>;
  readonly #clock: Clock;
  readonly #backoff: Backoff<typeof RESTART>;
  readonly #handlers: InformerHandlers<T>[] = [];
  #cache = new Map<string, T>();
  /** Where the next watch starts; undefined: list first. */
  #resourceVersion: string | undefined;
  #synced = false;
  #healthy = false;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #sleep: { cancel: CancelTimer; wake: () => void } | undefined;
  readonly #syncWaiters: (() => void)[] = [];
  #lists = 0;
  #watches = 0;

  constructor(options: InformerOptions<T>) {
    this.resource = options.resource;
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = new Backoff(options.backoff ?? { baseMs: 500, maxMs: 30_000 });
    if (options.handlers !== undefined) this.#handlers.push(options.handlers);
  }

  /** Adds handlers (before start(), to see every object). */
  on(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
  }

  /** Called with the object on every add, update and delete, and with `undefined` after each (re)sync. */
  onChange(handler: (obj: T | undefined) => void): void {
    this.on({ onAdd: handler, onUpdate: handler, onDelete: handler, onSynced: () => handler(undefined) });
  }

  /** Starts listing and watching in the background; it keeps retrying until stop(). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#sleep?.wake();
    await this.#loop;
  }

  /** True once the first list succeeded. */
  get hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list succeeded. */
  synced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** Listed, and no failure since: the cache reflects the server. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Full lists and watches started so far. */
  get stats(): { readonly lists: number; readonly watches: number; readonly failures: number } {
    return { lists: this.#lists, watches: this.#watches, failures: this.#backoff.failures(RESTART) };
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#cache.get(namespace === undefined || namespace === '' ? name : `${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (this.#resourceVersion === undefined) await this.#relist();
        await this.#watch();
      } catch (err) {
        if (this.#stopped) return;
        this.#resourceVersion = undefined;
        if (isKubeError(err, 'GONE')) continue;
        this.#healthy = false;
        const delay = this.#backoff.next(RESTART);
        this.#o.log.warn(
          { resource: this.resource.plural, err: String(err), retryInMs: delay },
          'list or watch failed; listing again after a backoff',
        );
        await this.#pause(delay);
      }
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.#sleep?.cancel();
        this.#sleep = undefined;
        resolve();
      };
      this.#sleep = { cancel: this.#clock.setTimeout(wake, ms), wake };
    });
  }

  #selectors(): Record<string, string | undefined> {
    return { labelSelector: this.#o.labelSelector, fieldSelector: this.#o.fieldSelector };
  }

  async #relist(): Promise<void> {
    const path = collectionPath(this.resource, this.#o.namespace);
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let token: string | undefined;
    this.#lists++;
    do {
      const page = await this.#o.client.request<ListPage<T>>({
        method: 'GET',
        path,
        query: { limit: this.#o.pageSize ?? 500, continue: token, ...this.#selectors() },
      });
      resourceVersion ??= page.metadata?.resourceVersion;
      token = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
      items.push(...(page.items ?? []));
    } while (token !== undefined);
    if (this.#stopped) return;
    this.#replace(items);
    this.#resourceVersion = resourceVersion ?? '';
    this.#healthy = true;
    this.#backoff.forget(RESTART);
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
    for (const h of this.#handlers) h.onSynced?.();
  }

  /**
   * Replaces the cache with a full list, then reports the difference. The new cache is complete before the first
   * event: a handler that reads `list()` sees the whole new state, never a half-built one (the agent's pool sync
   * replaced its pools from such a list after a relist and dropped the allocations of the pools not yet re-added).
   */
  #replace(items: T[]): void {
    for (const h of this.#handlers) h.onRelist?.();
    const old = this.#cache;
    const next = new Map<string, T>();
    for (const obj of items) {
      this.#transform(obj);
      next.set(cacheKey(obj), obj);
    }
    this.#cache = next;
    for (const [key, obj] of next) {
      const before = old.get(key);
      old.delete(key);
      if (before === undefined) this.#emit((h) => h.onAdd?.(obj));
      else if (before.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
        this.#emit((h) => h.onUpdate?.(obj, before));
    }
    for (const gone of old.values()) this.#emit((h) => h.onDelete?.(gone));
  }

  #transform(obj: T): void {
    (this.#o.transform ?? stripManagedFields)(obj);
  }

  #emit(call: (h: InformerHandlers<T>) => void): void {
    for (const h of this.#handlers) call(h);
  }

  /** One watch from the current resourceVersion; resolves when the server ends it, rejects on failure. */
  async #watch(): Promise<void> {
    if (this.#stopped) return;
    const timeoutSeconds = this.#o.watchTimeoutSeconds ?? 300;
    const abort = new AbortController();
    this.#abort = abort;
    this.#watches++;
    await this.#o.client.watch<T>({
      path: collectionPath(this.resource, this.#o.namespace),
      query: {
        resourceVersion: this.#resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
        ...this.#selectors(),
      },
      onEvent: (event) => this.#event(event),
      signal: abort.signal,
      idleMs: (timeoutSeconds + 30) * 1_000,
    });
  }

  #event(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') {
      const status = event.object as { code?: number; reason?: string; message?: string };
      const code = status.code ?? 0;
      throw new KubeError(
        codeOfStatus(code, status.reason),
        `watch ${this.resource.plural}: ${status.message ?? 'error event'}`,
        { status: code },
      );
    }
    const obj = event.object;
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '') this.#resourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    const key = cacheKey(obj);
    if (event.type === 'DELETED') {
      const before = this.#cache.get(key);
      this.#cache.delete(key);
      this.#transform(obj);
      this.#emit((h) => h.onDelete?.(before ?? obj));
      return;
    }
    this.#transform(obj);
    const before = this.#cache.get(key);
    this.#cache.set(key, obj);
    if (before === undefined) this.#emit((h) => h.onAdd?.(obj));
    else this.#emit((h) => h.onUpdate?.(obj, before));
  }
}
