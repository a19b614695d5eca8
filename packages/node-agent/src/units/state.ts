// The allocation state every other unit works on: the store, its checkpoint (snapshot + journal) and the IPPool
// status mirror. Restore fills it from the checkpoint before anything serves; persist() writes it and remembers
// whether the last write failed (for /healthz); changed() tells the mirror which pools to write.
import * as path from 'node:path';
import type { KubeClient } from '@multinic/kube';
import type { Logger } from 'pino';
import { CheckpointWriter, loadCheckpoint } from '../ipam/checkpoint/index.js';
import type { CheckpointMeta } from '../ipam/checkpoint/index.js';
import type { PoolObject } from '../ipam/mirror.js';
import { PoolMirror } from '../ipam/mirror.js';
import { AllocationStore } from '../ipam/store.js';
import type { AgentMetrics } from '../metrics.js';

export interface AgentStateOptions {
  readonly nodeName: string;
  readonly stateDir: string;
  readonly mirror: { readonly batchMs: number; readonly retryMs: number };
  readonly client: KubeClient;
  /** The watch's copy of an IPPool (the mirror's first write attempt starts from it). */
  readonly cachedPool: (pool: string) => PoolObject | undefined;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
}

/** What restore() found: the pools the checkpoint knew (undefined without a checkpoint: adopt every IPPool status). */
export interface Restored {
  readonly checkpointPools: ReadonlySet<string> | undefined;
}

export class AgentState {
  readonly store = new AllocationStore();
  readonly file: string;
  readonly #log: Logger;
  readonly #metrics: AgentMetrics;
  readonly #checkpoint: CheckpointWriter;
  readonly #mirror: PoolMirror;
  #routeTables: Record<string, number> = {};
  #checkpointError: string | undefined;

  constructor(options: AgentStateOptions) {
    this.#log = options.log;
    this.#metrics = options.metrics;
    this.file = path.join(options.stateDir, 'allocations.json');
    const meta = (): CheckpointMeta => ({
      version: 1,
      nodeName: options.nodeName,
      pools: this.store.pools(),
      routeTables: this.#routeTables,
    });
    this.#checkpoint = new CheckpointWriter({
      file: this.file,
      snapshot: () => ({ ...meta(), allocations: this.store.records() }),
      journal: { changes: () => this.store.takeChanges(), meta },
      observe: (s) => this.#metrics.checkpointSeconds.observe(s),
    });
    this.#mirror = new PoolMirror({
      client: options.client,
      desired: (pool) => (this.store.poolSpec(pool) === undefined ? undefined : this.store.poolRecords(pool)),
      log: this.#log,
      batchMs: options.mirror.batchMs,
      retryMs: options.mirror.retryMs,
      cached: options.cachedPool,
      events: { instance: options.nodeName },
      onWrite: (outcome) => {
        this.#metrics.mirrorWrites.inc({ outcome });
        this.#metrics.mirrorPending.set(this.#mirror.pending);
      },
    });
  }

  /** Loads the checkpoint into the store (a corrupt one is moved aside, a torn log tail discarded). */
  restore(now: number): Restored {
    const loaded = loadCheckpoint(this.file, now, {
      onReplay: (replay) =>
        this.#log.warn(
          replay,
          replay.stale
            ? 'the checkpoint log belongs to an older snapshot (a compaction was interrupted); ignored it'
            : 'the checkpoint log ends in a torn or corrupt record (a write cut short); discarded it',
        ),
    });
    if (loaded.kind === 'corrupt') {
      this.#log.error(
        { error: loaded.error, movedTo: loaded.movedTo },
        'the checkpoint does not parse; moved it aside and rebuilding from IPPool status',
      );
      return { checkpointPools: undefined };
    }
    if (loaded.kind === 'none') {
      this.#log.info({ file: this.file }, 'no checkpoint yet; allocations will be rebuilt from IPPool status');
      return { checkpointPools: undefined };
    }
    const cp = loaded.checkpoint;
    this.#routeTables = { ...cp.routeTables };
    const change = this.store.setPools(cp.pools);
    for (const problem of change.problems) this.#log.warn({ problem }, 'checkpointed pool unusable');
    const restored = this.store.restore(cp.allocations);
    for (const { record, reason } of restored.rejected)
      this.#log.warn({ record, reason }, 'checkpointed allocation not restored');
    this.#log.info({ pools: cp.pools.length, allocations: restored.restored }, 'state restored from the checkpoint');
    return { checkpointPools: new Set(cp.pools.map((p) => p.name)) };
  }

  /** The routing table of each routed network, as last programmed (kept in the checkpoint). */
  get routeTables(): Readonly<Record<string, number>> {
    return this.#routeTables;
  }

  /** Remembers new route tables and persists them when they differ. */
  async setRouteTables(tables: Record<string, number>): Promise<void> {
    if (JSON.stringify(tables) === JSON.stringify(this.#routeTables)) return;
    this.#routeTables = tables;
    await this.persist();
  }

  /** Why the last checkpoint write failed, or undefined. */
  get checkpointError(): string | undefined {
    return this.#checkpointError;
  }

  /** Writes the checkpoint and remembers whether the last write failed (for /healthz). */
  async persist(): Promise<void> {
    try {
      await this.#checkpoint.persist();
      this.#checkpointError = undefined;
    } catch (err) {
      this.#checkpointError = (err as Error).message;
      throw err;
    }
  }

  /** An IPPool as the watch sees it: a status someone else overwrote is rewritten from the store (with an Event). */
  observePool(obj: PoolObject): void {
    this.#mirror.observe(obj);
  }

  /** Tells the mirror these pools changed. */
  changed(pools: Iterable<string>): void {
    this.#mirror.markDirty(pools);
    this.#metrics.mirrorPending.set(this.#mirror.pending);
  }

  updateGauges(): void {
    this.#metrics.allocated.reset();
    for (const [pool, n] of this.store.counts()) this.#metrics.allocated.set({ pool }, n);
    this.#metrics.mirrorPending.set(this.#mirror.pending);
  }

  /** Resolves when the IPPool status mirror has nothing left to write. */
  mirrorIdle(): Promise<void> {
    return this.#mirror.idle();
  }

  /**
   * The final writes: the checkpoint (only by the owner, the agent that served the socket), then the pending IPPool
   * status now, not after the batch delay (a controller deciding whether this node's pools are still in use reads
   * it), for at most `timeoutMs`.
   */
  async close(options: { readonly owner: boolean; readonly timeoutMs: number }): Promise<void> {
    if (options.owner)
      await this.#checkpoint
        .persist()
        .catch((err: unknown) => this.#log.error({ err: String(err) }, 'final checkpoint write failed'));
    await this.#checkpoint.close();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, options.timeoutMs).unref());
    await Promise.race([this.#mirror.flushNow(), timeout]);
    this.#mirror.stop();
  }
}
