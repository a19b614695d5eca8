// Mirrors the allocation state into each IPPool's `status.allocations`. Batched: changes mark a pool dirty and a
// single loop writes dirty pools after a short delay. Optimistic concurrency: read the pool, replace its status with
// the read resourceVersion, and on 409 read again. While the API server is unreachable the pools stay dirty and the
// loop retries with backoff, so the mirror catches up by itself.
// The store is the truth: a status someone else wrote (an admin, a tool, a stale writer) that differs from the store
// is rewritten soon (not after the slow-write pacing) and an Event on the IPPool says what was overwritten.
import type { IPPoolAllocation } from '@multinic/crd-types';
import type { KubeClient } from '@multinic/kube';
import { apiVersionOf, Backoff, collectionPath, isKubeError, KubeError, objectPath, RESOURCES } from '@multinic/kube';
import type { Logger } from 'pino';
import type { Verdict, WrittenStatus } from './repair.js';
import { judgeStatus, sameAllocations } from './repair.js';
import type { AllocationRecord } from './store.js';

export interface PoolObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; resourceVersion?: string; uid?: string };
  spec?: unknown;
  status?: { allocations?: IPPoolAllocation[]; [k: string]: unknown };
}

export function toPoolAllocation(r: AllocationRecord): IPPoolAllocation {
  return {
    address: r.address,
    containerID: r.containerID,
    interface: r.ifname,
    podName: r.podName,
    podNamespace: r.podNamespace,
    podUID: r.podUID,
  };
}

/**
 * One status write per pool per second at most, by default. The status is a mirror for observers (the node's
 * checkpoint is authoritative), and each write is a PUT through the API server: at 50 ms batches the writes,
 * on the same cores as the agent, tripled the allocate p99 under load (bench agent, open loop at 2,500/s).
 */
export const DEFAULT_MIRROR_BATCH_MS = 1000;

/**
 * The mirror waits at least this many times as long as its last flush took before the next one. A status write of a
 * pool with 1,000 allocations costs the API server about 250 ms (measured on this project's test control plane);
 * this keeps the mirror at no more than a tenth of that work whatever the pool size, and changes nothing for small pools.
 */
export const MIRROR_IDLE_FACTOR = 9;
/** ...but never waits longer than this (a control plane slow for a while must not leave the status minutes behind). */
export const MIRROR_MAX_DELAY_MS = 30_000;

/**
 * Until the next flush: the backoff after a failure, else the batch interval, stretched after a slow flush — except
 * for a repair of a foreign write (`urgent`), which waits only the batch interval: the stretch is a budget for the
 * mirror's own steady load, while a repair is one write per foreign write (at most one per pool per batch interval).
 */
export function nextFlushDelay(o: {
  readonly batchMs: number;
  readonly backoffMs: number;
  readonly lastFlushMs: number;
  readonly urgent?: boolean;
}): number {
  if (o.backoffMs > 0) return o.backoffMs;
  if (o.urgent === true) return o.batchMs;
  return Math.max(o.batchMs, Math.min(MIRROR_MAX_DELAY_MS, MIRROR_IDLE_FACTOR * o.lastFlushMs));
}

/** Where the agent records Events about IPPools: core/v1 Events about cluster-scoped objects live in `default`. */
export const POOL_EVENT_NAMESPACE = 'default';
/** The reason of the Warning Event recorded when the mirror overwrites a foreign status. */
export const STATUS_REPAIRED_REASON = 'StatusRepaired';
/** How many of its recent writes per pool the mirror remembers to recognise their echoes. */
const WRITTEN_HISTORY = 8;

export interface RepairEvents {
  /** reportingInstance of the Events (the node name). */
  readonly instance: string;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
}

export interface MirrorOptions {
  readonly client: KubeClient;
  /** The allocations a pool should show, in address order; undefined when the pool is no longer ours. */
  readonly desired: (pool: string) => AllocationRecord[] | undefined;
  readonly log: Logger;
  /** Delay between a change and its write (batching); default `DEFAULT_MIRROR_BATCH_MS`. */
  readonly batchMs?: number;
  /** Backoff after a failed write: starts here, doubles, capped at 5 s (or at retryMs when that is longer). */
  readonly retryMs?: number;
  readonly onWrite?: (outcome: 'written' | 'conflict' | 'error' | 'unchanged') => void;
  /**
   * The pool as the agent's watch last saw it: the first attempt of a write starts from it instead of a GET (a large
   * pool's object is read once less per write); a conflict falls back to a fresh GET.
   */
  readonly cached?: (pool: string) => PoolObject | undefined;
  /** Records a Warning Event on the IPPool for each repair of a foreign status (without: repairs are only logged). */
  readonly events?: RepairEvents;
  /** Called after each repair write (metrics, tests). */
  readonly onRepair?: (pool: string, verdict: Extract<Verdict, { repair: true }>) => void;
}

export class PoolMirror {
  readonly #o: MirrorOptions;
  readonly #dirty = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  readonly #retries: Backoff<'flush'>;
  /** The delay before the next flush after a failed one; 0 after a success. */
  #backoff = 0;
  /** Wall time of the last flush, in ms. */
  #lastFlushMs = 0;
  #stopped = false;
  readonly #idleWaiters: (() => void)[] = [];
  /** Per pool, the mirror's recent status bodies (written or read back equal), oldest first. */
  readonly #written = new Map<string, WrittenStatus[]>();
  /** A repair is pending: the next flush waits only the batch interval. */
  #urgent = false;
  /** When the scheduled flush fires (performance.now() ms). */
  #due = 0;

  constructor(options: MirrorOptions) {
    this.#o = options;
    const baseMs = options.retryMs ?? 200;
    this.#retries = new Backoff({ baseMs, maxMs: Math.max(baseMs, 5_000) });
  }

  /** Pools whose status is not known to match the state yet. */
  get pending(): number {
    return this.#dirty.size;
  }

  markDirty(pools: Iterable<string>): void {
    for (const p of pools) this.#dirty.add(p);
    if (this.#dirty.size > 0) this.#schedule(this.#delay());
  }

  /**
   * The pool as the watch sees it now. A status that differs from the store and that the mirror did not write is
   * foreign: the pool is rewritten at the next batch interval (the write re-checks against a fresh read and records
   * the Event).
   */
  observe(obj: PoolObject): void {
    const pool = obj.metadata.name;
    const verdict = this.#judge(pool, obj);
    if (!verdict.repair) return;
    this.#o.log.warn(
      { pool, resourceVersion: obj.metadata.resourceVersion, ...verdict.diff },
      'the IPPool status was overwritten by someone else; rewriting it from the checkpoint',
    );
    this.#dirty.add(pool);
    this.#urgent = true;
    const delay = this.#delay();
    // Bring a flush that was scheduled after a slow-write pause forward.
    if (this.#timer !== undefined && this.#due > performance.now() + delay) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#schedule(delay);
  }

  #judge(pool: string, obj: PoolObject): Verdict {
    const records = this.#o.desired(pool);
    if (records === undefined) this.#written.delete(pool);
    return judgeStatus({
      desired: records?.map(toPoolAllocation),
      written: this.#written.get(pool) ?? [],
      observed: { resourceVersion: obj.metadata.resourceVersion, allocations: obj.status?.allocations ?? [] },
    });
  }

  #remember(pool: string, entry: WrittenStatus): WrittenStatus {
    const list = this.#written.get(pool) ?? [];
    list.push(entry);
    if (list.length > WRITTEN_HISTORY) list.shift();
    this.#written.set(pool, list);
    return entry;
  }

  #forget(pool: string, entry: WrittenStatus): void {
    const list = this.#written.get(pool);
    const i = list?.indexOf(entry) ?? -1;
    if (i >= 0) list?.splice(i, 1);
  }

  #delay(): number {
    return nextFlushDelay({
      batchMs: this.#o.batchMs ?? DEFAULT_MIRROR_BATCH_MS,
      backoffMs: this.#backoff,
      lastFlushMs: this.#lastFlushMs,
      urgent: this.#urgent,
    });
  }

  #schedule(delay: number): void {
    if (this.#stopped || this.#timer !== undefined || this.#running !== undefined) return;
    this.#due = performance.now() + delay;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#urgent = false;
      const started = performance.now();
      this.#running = this.#flush().finally(() => {
        this.#running = undefined;
        this.#lastFlushMs = performance.now() - started;
        if (this.#dirty.size > 0) this.#schedule(this.#delay());
        else for (const w of this.#idleWaiters.splice(0)) w();
      });
    }, delay);
  }

  async #flush(): Promise<void> {
    const pools = [...this.#dirty];
    this.#dirty.clear();
    let failed = false;
    for (const pool of pools) {
      try {
        await this.#sync(pool);
      } catch (err) {
        failed = true;
        this.#dirty.add(pool);
        this.#o.onWrite?.('error');
        this.#o.log.warn({ pool, err: String(err) }, 'mirroring allocations to the IPPool failed; will retry');
      }
    }
    if (failed) this.#backoff = this.#retries.next('flush');
    else {
      this.#retries.forget('flush');
      this.#backoff = 0;
    }
  }

  async #sync(pool: string): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const result = await this.#attempt(pool, attempt === 0 ? this.#o.cached?.(pool) : undefined);
      if (result !== 'conflict') return;
      this.#o.onWrite?.('conflict');
      if (attempt >= 20)
        throw new KubeError('CONFLICT', `IPPool ${pool}: still conflicting after ${attempt + 1} attempts`, {
          status: 409,
        });
    }
  }

  /** One read-compare-replace round (from `known` when given, else a GET); 'conflict' when the pool changed in between. */
  async #attempt(pool: string, known: PoolObject | undefined): Promise<'done' | 'conflict'> {
    const records = this.#o.desired(pool);
    if (records === undefined) {
      this.#written.delete(pool);
      return 'done';
    }
    const desired = records.map(toPoolAllocation);
    const obj =
      known ??
      (await this.#o.client
        .request<PoolObject>({ method: 'GET', path: objectPath(RESOURCES.ippools, pool) })
        .catch((err: unknown) => {
          if (isKubeError(err, 'NOT_FOUND')) return undefined;
          throw err;
        }));
    if (obj === undefined) return 'done';
    if (sameAllocations(obj.status?.allocations ?? [], desired)) {
      // The watch's copy may lag behind the server: only a fresh read may conclude that nothing needs writing.
      if (known !== undefined) return this.#attempt(pool, undefined);
      this.#remember(pool, { resourceVersion: obj.metadata.resourceVersion, allocations: desired });
      this.#o.onWrite?.('unchanged');
      return 'done';
    }
    const verdict = this.#judge(pool, obj);
    const body: PoolObject = { ...obj, status: { ...obj.status, allocations: desired } };
    // Remembered before the answer: a write that times out may still have landed, and its echo is not foreign.
    const attempt = this.#remember(pool, { resourceVersion: undefined, allocations: desired });
    let written: PoolObject;
    try {
      written = await this.#o.client.request<PoolObject>({
        method: 'PUT',
        path: `${objectPath(RESOURCES.ippools, pool)}/status`,
        body,
      });
    } catch (err) {
      if (isKubeError(err, 'CONFLICT')) {
        this.#forget(pool, attempt);
        return 'conflict';
      }
      throw err;
    }
    this.#forget(pool, attempt);
    this.#remember(pool, { resourceVersion: written.metadata.resourceVersion, allocations: desired });
    this.#o.onWrite?.('written');
    if (verdict.repair) await this.#repaired(obj, verdict);
    return 'done';
  }

  /** After a foreign status was overwritten: a log line, the callback and a Warning Event on the IPPool. */
  async #repaired(obj: PoolObject, verdict: Extract<Verdict, { repair: true }>): Promise<void> {
    const pool = obj.metadata.name;
    this.#o.log.warn(
      { pool, overwritten: obj.metadata.resourceVersion, ...verdict.diff },
      'rewrote a foreign IPPool status from the checkpoint',
    );
    this.#o.onRepair?.(pool, verdict);
    const ev = this.#o.events;
    if (ev === undefined) return;
    const now = new Date((ev.now ?? Date.now)()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      await this.#o.client.request({
        method: 'POST',
        path: collectionPath(RESOURCES.events, POOL_EVENT_NAMESPACE),
        body: {
          apiVersion: apiVersionOf(RESOURCES.events),
          kind: 'Event',
          metadata: { generateName: `${pool}.`, namespace: POOL_EVENT_NAMESPACE },
          involvedObject: {
            apiVersion: apiVersionOf(RESOURCES.ippools),
            kind: RESOURCES.ippools.kind,
            name: pool,
            uid: obj.metadata.uid,
            resourceVersion: obj.metadata.resourceVersion,
          },
          type: 'Warning',
          reason: STATUS_REPAIRED_REASON,
          message: verdict.message.slice(0, 1024),
          source: { component: 'multinic-agent', host: ev.instance },
          reportingComponent: 'multinic-agent',
          reportingInstance: ev.instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.#o.log.warn({ pool, err: String(err) }, 'could not record the StatusRepaired Event');
    }
  }

  /** Writes what is pending now instead of after the batch delay (shutdown); resolves when nothing is left. */
  async flushNow(): Promise<void> {
    await this.#running;
    // A flush that just ended may have scheduled the next one after the batch delay: bring it forward.
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty.size > 0 && !this.#stopped) this.#schedule(0);
    await this.idle();
  }

  /** Resolves when nothing is dirty and no write is running (for shutdown and tests). */
  idle(): Promise<void> {
    if (this.#dirty.size === 0 && this.#running === undefined && this.#timer === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
