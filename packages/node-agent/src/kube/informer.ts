// A client-node ListWatch that keeps itself running: client-node's informer stops for good after a list or watch
// error (e.g. while the API server is down); this one restarts it after a delay and tells whether its cache is
// current (synced and not failed since).
import { ListWatch, Watch } from '@kubernetes/client-node';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from './client.js';

export interface WatchedOptions {
  readonly client: KubeClient;
  /** Collection path, e.g. `/apis/multinic.dev/v1/ippools`. */
  readonly path: string;
  readonly fieldSelector?: string;
  readonly log: Logger;
  /** First delay before restarting after an error (default 1 s; doubles while failures go on, up to 30 s). */
  readonly retryMs?: number;
}

type Handler<T> = (obj: T) => void;

export class Watched<T extends KubernetesObject> {
  readonly #lw: ListWatch<T>;
  readonly #options: WatchedOptions;
  #healthy = false;
  #synced = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #errored = false;
  #delay = 0;
  readonly #syncWaiters: (() => void)[] = [];
  readonly #changeHandlers: Handler<T>[] = [];

  constructor(options: WatchedOptions) {
    this.#options = options;
    const list = async (): Promise<KubernetesListObject<T>> => {
      const query: Record<string, string> = options.fieldSelector === undefined ? {} : { fieldSelector: options.fieldSelector };
      const result = await options.client.request<KubernetesListObject<T>>({ method: 'GET', path: options.path, query });
      return result;
    };
    this.#lw = new ListWatch<T>(options.path, new Watch(options.client.kubeConfig), list, false, undefined, options.fieldSelector);
    this.#lw.on('error', (err: unknown) => this.#onError(err));
    for (const verb of ['add', 'update', 'delete'] as const) this.#lw.on(verb, (obj: T) => this.#changed(obj));
  }

  #changed(obj: T): void {
    for (const h of this.#changeHandlers) h(obj);
  }

  #onError(err: unknown): void {
    this.#errored = true;
    this.#healthy = false;
    if (this.#stopped) return;
    this.#options.log.warn({ path: this.#options.path, err: String(err) }, 'watch failed; restarting');
    this.#schedule();
  }

  /** Restarts after a delay that doubles on every failure in a row (up to 30 s) and resets on success. */
  #schedule(): void {
    clearTimeout(this.#timer);
    const base = this.#options.retryMs ?? 1_000;
    this.#delay = this.#delay === 0 ? base : Math.min(this.#delay * 2, Math.max(base, 30_000));
    this.#timer = setTimeout(() => void this.#run(), this.#delay);
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    this.#errored = false;
    try {
      await this.#lw.start();
    } catch (err) {
      this.#onError(err);
      return;
    }
    if (this.#errored || this.#stopped) return;
    this.#healthy = true;
    this.#delay = 0;
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
    this.#changed(undefined as unknown as T);
  }

  /** Starts listing and watching in the background; it keeps retrying until stop(). */
  start(): void {
    this.#stopped = false;
    void this.#run();
  }

  /** Resolves once the first list succeeded. */
  synced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  get hasSynced(): boolean {
    return this.#synced;
  }

  /** Listed once and no error since: the cache reflects the server. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Called on every add/update/delete, and with `undefined` after each (re)sync. */
  onChange(handler: (obj: T | undefined) => void): void {
    this.#changeHandlers.push(handler as Handler<T>);
  }

  list(): readonly T[] {
    return this.#lw.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#lw.get(name, namespace);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#lw.stop();
  }
}
