// A de-duplicated work queue with delayed and rate-limited adds (the semantics of client-go's workqueue):
// - a key is queued at most once, however often it is added;
// - a key is handed to one worker at a time; added again while being processed, it is queued again once
//   the worker calls done(), so a change that arrives during a reconcile is never lost;
// - addRateLimited() retries a key after a capped exponential backoff; forget() resets it after a success.
import type { Backoff } from '@multinic/kube';
import type { CancelTimer, Clock } from './clock.js';

export interface WorkQueueOptions<K> {
  readonly clock: Clock;
  readonly backoff: Backoff<K>;
  /** Called whenever the number of queued keys changes (for the queue-depth gauge). */
  readonly onDepth?: (depth: number) => void;
  /** Called for each rate-limited retry (for the retries counter). */
  readonly onRetry?: (key: K, delayMs: number) => void;
}

interface Delayed {
  readonly at: number;
  readonly cancel: CancelTimer;
}

export class WorkQueue<K> {
  readonly #options: WorkQueueOptions<K>;
  /** Keys waiting for a worker, in order. */
  #queue: K[] = [];
  /** Keys that need processing: queued, or added again while being processed. */
  readonly #dirty = new Set<K>();
  readonly #processing = new Set<K>();
  readonly #delayed = new Map<K, Delayed>();
  #waiters: ((key: K | undefined) => void)[] = [];
  #shutDown = false;

  constructor(options: WorkQueueOptions<K>) {
    this.#options = options;
  }

  /** Keys waiting for a worker. */
  get depth(): number {
    return this.#queue.length;
  }

  /** Keys being processed right now. */
  get processing(): number {
    return this.#processing.size;
  }

  get isShutDown(): boolean {
    return this.#shutDown;
  }

  add(key: K): void {
    if (this.#shutDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (!this.#processing.has(key)) this.#enqueue(key);
  }

  /** Adds `key` after `delayMs`; an earlier pending add of the same key wins over a later one. */
  addAfter(key: K, delayMs: number): void {
    if (this.#shutDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.#options.clock.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      pending.cancel();
    }
    const cancel = this.#options.clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { at, cancel });
  }

  /** Retries `key` after its next backoff delay. */
  addRateLimited(key: K): number {
    const delay = this.#options.backoff.next(key);
    this.#options.onRetry?.(key, delay);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the backoff of `key` (call it after a successful reconcile). */
  forget(key: K): void {
    this.#options.backoff.forget(key);
  }

  /** Failures of `key` since the last forget(). */
  retries(key: K): number {
    return this.#options.backoff.failures(key);
  }

  /** The next key to process (it stays "processing" until done()); undefined once the queue is shut down. */
  get(): Promise<K | undefined> {
    if (this.#shutDown) return Promise.resolve(undefined);
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#options.onDepth?.(this.#queue.length);
      return Promise.resolve(this.#take(key));
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile, it is queued again. */
  done(key: K): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shutDown) this.#enqueue(key);
  }

  /** Stops handing out keys: waiting get()s resolve with undefined, pending delayed adds are dropped. */
  shutDown(): void {
    this.#shutDown = true;
    for (const delayed of this.#delayed.values()) delayed.cancel();
    this.#delayed.clear();
    this.#queue = [];
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve(undefined);
    this.#options.onDepth?.(0);
  }

  #take(key: K): K {
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #enqueue(key: K): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter(this.#take(key));
      return;
    }
    this.#queue.push(key);
    this.#options.onDepth?.(this.#queue.length);
  }
}
