// IPPool watch → the store's pools. Each change of this node's IPPools replaces the store's pool set; allocations a
// pool no longer holds are dropped (counted and logged). The first sync also adopts the allocations in IPPool status
// that the checkpoint cannot know about (first start, lost disk), then persists and marks every pool for the mirror.
// Without a checkpoint the status alone is not trusted (it may have been emptied or damaged while the agent was away):
// the first sync waits until this node's pods are listed too and adopts what rebuildAllocations makes of both (the
// status and the pods' network-status); until then the store has no pools and allocate answers 503 / CNI 11.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { IPPoolAllocationSchema, IPPoolSpecSchema, NETWORK_STATUS_ANNOTATION, parseWith } from '@multinic/crd-types';
import type { Informer } from '@multinic/kube';
import type { Logger } from 'pino';
import type { LivePod } from '../ipam/rebuild.js';
import { rebuildAllocations } from '../ipam/rebuild.js';
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
  /**
   * This node's pods (field selector on spec.nodeName; the agent starts it). Without a checkpoint the first sync waits
   * for their list and rebuilds from their network-status as well as from the IPPool status.
   */
  readonly pods: Informer<V1Pod>;
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
    ...(s.gateway === undefined ? {} : { gateway: s.gateway }),
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

  /** True until the first sync of an agent without a checkpoint has rebuilt from the status and the pods. */
  get rebuilding(): boolean {
    return !this.#applied && this.#o.checkpointPools === undefined;
  }

  /** Applies every change of the watched pools from now on (the informers themselves are started by the agent). */
  start(): void {
    this.#o.pools.onChange(() => this.#apply());
    if (this.#o.checkpointPools === undefined) {
      this.#o.pods.on({ onSynced: () => (this.#applied ? undefined : this.#apply()) });
    }
    const observe = (obj: PoolObj): void => this.#o.state.observePool(obj as PoolObject);
    this.#o.pools.on({ onAdd: observe, onUpdate: observe });
  }

  #apply(): void {
    const { pools, state, nodeName, metrics, log } = this.#o;
    if (!pools.hasSynced) return;
    // Without a checkpoint, no pool is served before the pods on this node are known too.
    if (this.rebuilding && !this.#o.pods.hasSynced) return;
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

  /** First sync: takes over what the checkpoint cannot know: IPPool status (and, with no checkpoint, the pods'). */
  #adopt(objs: readonly PoolObj[]): void {
    const now = this.#o.clock();
    const specs: PoolSpec[] = [];
    const status: AllocationRecord[] = [];
    for (const obj of objs) {
      const spec = poolSpecOf(obj);
      if (spec === undefined || this.#o.checkpointPools?.has(spec.name) === true) continue;
      specs.push(spec);
      status.push(...statusRecords(spec, obj, now));
    }
    if (this.#o.checkpointPools === undefined) {
      this.#rebuild({ specs, status, now });
      return;
    }
    if (status.length === 0) return;
    const result = this.#o.state.store.restore(status);
    this.#o.log.info(
      { adopted: result.restored, rejected: result.rejected.length },
      'adopted allocations from IPPool status',
    );
  }

  /** No checkpoint: the IPPool status and the addresses the pods on this node show, as rebuildAllocations decides. */
  #rebuild(options: { specs: PoolSpec[]; status: AllocationRecord[]; now: number }): void {
    const { state, log } = this.#o;
    const pods = this.#o.pods.list().map(livePodOf);
    const result = rebuildAllocations({ pools: options.specs, status: options.status, pods, now: options.now });
    const restored = state.store.restore(result.records);
    for (const c of result.conflicts) log.warn({ pool: c.pool, address: c.address, keptFor: c.keptFor }, c.reason);
    for (const problem of result.problems) log.warn({ problem }, 'rebuild from the pods on this node');
    for (const { record, reason } of restored.rejected) {
      log.warn({ pool: record.pool, address: record.address, reason }, 'rebuilt allocation not restored');
    }
    log.info(
      {
        pods: pods.length,
        fromStatus: result.records.length - result.fromPods.length,
        fromPods: result.fromPods.map((r) => `${r.pool}/${r.address} ${r.podNamespace}/${r.podName}`),
        orphans: result.orphans.length,
        conflicts: result.conflicts.length,
        restored: restored.restored,
      },
      'no checkpoint: rebuilt the allocations from IPPool status and the network-status of the pods on this node',
    );
  }
}

/** The allocations of an IPPool's status, as records of this pool (unparsable items are skipped). */
function statusRecords(spec: PoolSpec, obj: PoolObj, now: number): AllocationRecord[] {
  const records: AllocationRecord[] = [];
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
  return records;
}

function livePodOf(pod: V1Pod): LivePod {
  return {
    uid: pod.metadata?.uid ?? '',
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase,
    networkStatus: pod.metadata?.annotations?.[NETWORK_STATUS_ANNOTATION],
  };
}
