// IPPool watch → the store's pools. Each change of this node's IPPools replaces the store's pool set; allocations a
// pool no longer holds are dropped (counted and logged). The first sync also adopts the allocations in IPPool status
// that the checkpoint cannot know about (first start, lost disk), then persists and marks every pool for the mirror.
import type { KubernetesObject } from '@kubernetes/client-node';
import { IPPoolAllocationSchema, IPPoolSpecSchema, parseWith } from '@multinic/crd-types';
import type { Informer } from '@multinic/kube';
import type { Logger } from 'pino';
import type { AllocationRecord, PoolSpec } from '../ipam/store.js';
import type { PoolObject } from '../ipam/mirror.js';
import type { AgentMetrics } from '../metrics.js';
import type { AgentState } from './state.js';

export interface PoolObj extends KubernetesObject {
  spec?: unknown;
  status?: unknown;
}

export interface PoolSyncOptions {
  readonly nodeName: string;
  /** This node's IPPools (label selector on multinic.dev/host). */
  readonly pools: Informer<PoolObj>;
  readonly state: AgentState;
  /** Pools the checkpoint knew; undefined when there was none (then every IPPool status is adopted). */
  readonly checkpointPools: ReadonlySet<string> | undefined;
  readonly clock: () => number;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
}

function poolSpecOf(obj: PoolObj): PoolSpec | undefined {
  const spec = parseWith(IPPoolSpecSchema, obj.spec);
  const name = obj.metadata?.name;
  if (!spec.ok || name === undefined) return undefined;
  const s = spec.value;
  return {
    name,
    network: s.network,
    interfaceName: s.interfaceName,
    podCIDR: s.podCIDR,
    vlanCIDR: s.vlanCIDR,
    excludes: s.excludes,
  };
}

export class PoolSync {
  readonly #o: PoolSyncOptions;
  #applied = false;

  constructor(options: PoolSyncOptions) {
    this.#o = options;
  }

  /** True once the informer listed and its pools were applied. */
  get applied(): boolean {
    return this.#applied;
  }

  /** Applies every change of the watched pools from now on (the informer itself is started by the agent). */
  start(): void {
    this.#o.pools.onChange(() => this.#apply());
    const observe = (obj: PoolObj): void => this.#o.state.observePool(obj as PoolObject);
    this.#o.pools.on({ onAdd: observe, onUpdate: observe });
  }

  #apply(): void {
    const { pools, state, nodeName, metrics, log } = this.#o;
    if (!pools.hasSynced) return;
    const mine = pools.list().filter((o) => (o.spec as { hostName?: unknown } | undefined)?.hostName === nodeName);
    const specs = mine.map(poolSpecOf).filter((s): s is PoolSpec => s !== undefined);
    const change = state.store.setPools(specs);
    for (const problem of change.problems) log.warn({ problem }, 'IPPool unusable');
    if (change.dropped.length > 0) {
      metrics.releases.inc({ cause: 'pool' }, change.dropped.length);
      log.warn(
        { dropped: change.dropped.map((r) => `${r.pool}/${r.address}`) },
        'allocations dropped: their IPPool went away or no longer contains them',
      );
    }
    const first = !this.#applied;
    if (first) {
      this.#applied = true;
      this.#adopt(mine);
    }
    if (first || change.changed.length > 0 || change.dropped.length > 0) {
      state.persist().catch((err: unknown) => log.error({ err: String(err) }, 'checkpoint write failed'));
      state.changed(first ? state.store.pools().map((p) => p.name) : change.changed);
    }
    state.updateGauges();
  }

  /** First sync: takes over the allocations in IPPool status that the checkpoint cannot know about. */
  #adopt(objs: readonly PoolObj[]): void {
    const now = this.#o.clock();
    const records: AllocationRecord[] = [];
    for (const obj of objs) {
      const spec = poolSpecOf(obj);
      if (spec === undefined || this.#o.checkpointPools?.has(spec.name) === true) continue;
      const list = (obj.status as { allocations?: unknown[] } | undefined)?.allocations ?? [];
      for (const item of list) {
        const a = parseWith(IPPoolAllocationSchema, item);
        if (!a.ok) continue;
        const v = a.value;
        records.push({
          pool: spec.name,
          address: v.address,
          network: spec.network,
          containerID: v.containerID,
          ifname: v.interface,
          interfaceName: spec.interfaceName,
          podInterface: '',
          podName: v.podName,
          podNamespace: v.podNamespace,
          podUID: v.podUID,
          createdAt: now,
        });
      }
    }
    if (records.length === 0) return;
    const result = this.#o.state.store.restore(records);
    this.#o.log.info(
      { adopted: result.restored, rejected: result.rejected.length },
      'adopted allocations from IPPool status',
    );
  }
}
