// Caches of API objects kept current by client-node's ListWatch (list, then watch from that resourceVersion;
// relist on 410 Gone). A cache is "synced" once its first list succeeded; the controller does no work before
// every cache is synced. ListWatch stops on an error other than a timeout or 410, so the cache restarts it
// after a capped exponential backoff.
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Backoff } from './backoff.js';
import type { CancelTimer, Clock } from './clock.js';
import type { KubeList, KubeObject } from './objects.js';
import { collectionPath, type Resource } from './resources.js';
import type { KubeRest } from './rest.js';

export interface CacheHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T): void;
  onDelete?(obj: T): void;
  /** A full list replaced the cache (start-up, or after the watch fell too far behind). */
  onRelist?(): void;
}

export interface CacheOptions {
  readonly kubeConfig: KubeConfig;
  readonly rest: KubeRest;
  readonly resource: Resource;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly labelSelector?: string;
  /** Drops what the controller never reads (it runs on every object before it is cached or handled). */
  readonly transform?: (obj: KubeObject) => void;
  readonly handlers?: CacheHandlers<KubeObject>;
  /** Objects per list page (default 500). */
  readonly pageSize?: number;
}

/** What every cached object loses: managedFields are large and the controller never reads them. */
export function stripManagedFields(obj: KubeObject): void {
  delete obj.metadata.managedFields;
}

/** client-node types metadata timestamps as Date; on the wire (and in this cache) they are strings. */
const asKube = (obj: KubernetesObject): KubeObject => obj as unknown as KubeObject;

export class ResourceCache {
  readonly resource: Resource;
  readonly #options: CacheOptions;
  readonly #informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  readonly #restarts = new Backoff<string>({ baseMs: 500, maxMs: 30_000 });
  #synced = false;
  #stopped = false;
  #cancelRestart: CancelTimer | undefined;

  constructor(options: CacheOptions) {
    this.resource = options.resource;
    this.#options = options;
    const path = collectionPath(options.resource);
    this.#informer = makeInformer<KubernetesObject>(options.kubeConfig, path, () => this.#list(), options.labelSelector);
    const transform = options.transform ?? stripManagedFields;
    const handlers = options.handlers ?? {};
    // Registered first, so every later callback (and the cache) sees the transformed object.
    this.#informer.on('add', (obj) => {
      transform(asKube(obj));
      handlers.onAdd?.(asKube(obj));
    });
    this.#informer.on('update', (obj) => {
      transform(asKube(obj));
      handlers.onUpdate?.(asKube(obj));
    });
    this.#informer.on('delete', (obj) => handlers.onDelete?.(asKube(obj)));
    this.#informer.on('error', (err: unknown) => this.#restart(err));
  }

  get synced(): boolean {
    return this.#synced;
  }

  get(name: string, namespace?: string): KubeObject | undefined {
    const obj = this.#informer.get(name, namespace);
    return obj === undefined ? undefined : asKube(obj);
  }

  list(namespace?: string): readonly KubeObject[] {
    return this.#informer.list(namespace) as unknown as readonly KubeObject[];
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#informer.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelRestart?.();
    await this.#informer.stop();
  }

  async #list(): Promise<KubernetesListObject<KubernetesObject>> {
    const items: KubeObject[] = [];
    let resourceVersion: string | undefined;
    let token: string | undefined;
    do {
      const page: KubeList<KubeObject> = await this.#options.rest.request({
        method: 'GET',
        path: collectionPath(this.resource),
        query: { limit: this.#options.pageSize ?? 500, continue: token, labelSelector: this.#options.labelSelector },
      });
      resourceVersion ??= page.metadata?.resourceVersion;
      token = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
      items.push(...page.items);
    } while (token !== undefined);
    this.#synced = true;
    this.#restarts.forget('list');
    this.#options.handlers?.onRelist?.();
    return { apiVersion: 'v1', kind: 'List', metadata: resourceVersion === undefined ? {} : { resourceVersion }, items: items as unknown as KubernetesObject[] };
  }

  #restart(err: unknown): void {
    if (this.#stopped) return;
    const delay = this.#restarts.next('list');
    this.#options.logger.warn({ resource: this.resource.plural, err: String(err), retryInMs: delay }, 'watch failed; restarting');
    this.#cancelRestart?.();
    this.#cancelRestart = this.#options.clock.setTimeout(() => {
      if (!this.#stopped) this.#informer.start().catch((e: unknown) => this.#restart(e));
    }, delay);
  }
}
