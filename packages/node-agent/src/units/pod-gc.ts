// Pod GC: frees the allocations of pods that no longer exist on this node. The watch of the node's pods nominates,
// a fresh list confirms (the pure rule is podGcPredicate in ../pod-gc.ts); what is freed goes to the mirror and the
// checkpoint.
import type { V1Pod } from '@kubernetes/client-node';
import { RESOURCES, collectionPath, podsOnNodeSelector } from '@multinic/kube';
import type { Informer, KubeClient } from '@multinic/kube';
import type { Logger } from 'pino';
import type { AllocationRecord } from '../ipam/store.js';
import type { AgentMetrics } from '../metrics.js';
import { podGcPredicate } from '../pod-gc.js';
import type { AgentState } from './state.js';

export interface PodGcOptions {
  readonly nodeName: string;
  readonly graceMs: number;
  /** This node's pods (field selector on spec.nodeName). */
  readonly pods: Informer<V1Pod>;
  readonly client: KubeClient;
  readonly state: AgentState;
  readonly clock: () => number;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
}

export class PodGc {
  readonly #o: PodGcOptions;

  constructor(options: PodGcOptions) {
    this.#o = options;
  }

  /** `namespace/name` of the pods in the watch's copy. */
  watched(): string[] {
    return this.#o.pods.list().map((p) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`);
  }

  /** One pass: nothing while the watch is unhealthy; frees, persists and marks the pools of what it freed. */
  async run(): Promise<void> {
    const { pods, state, metrics, log } = this.#o;
    if (!pods.healthy) return;
    let doomed: ((r: AllocationRecord) => boolean) | undefined;
    try {
      doomed = await podGcPredicate({
        records: state.store.records(),
        watched: new Set(pods.list().map((p) => p.metadata?.uid)),
        now: this.#o.clock(),
        graceMs: this.#o.graceMs,
        listLive: () => this.#listPodUids(),
      });
    } catch (err) {
      log.warn(
        { err },
        "pod GC: could not list this node's pods to confirm what the watch shows gone; nothing freed this time",
      );
      return;
    }
    if (doomed === undefined) return;
    const freed = state.store.releaseWhere(doomed);
    if (freed.length === 0) return;
    metrics.gcFreed.inc(freed.length);
    metrics.releases.inc({ cause: 'pod-gc' }, freed.length);
    log.info(
      { freed: freed.map((r) => `${r.podNamespace}/${r.podName} ${r.address}`) },
      'freed the addresses of pods that no longer exist',
    );
    state.changed(freed.map((r) => r.pool));
    state.updateGauges();
    await state.persist();
  }

  /** UIDs of this node's pods, listed from the API server now (not from the watch's copy). */
  async #listPodUids(): Promise<Set<string | undefined>> {
    const list = await this.#o.client.request<{ items?: V1Pod[] }>({
      method: 'GET',
      path: collectionPath(RESOURCES.pods),
      query: { fieldSelector: podsOnNodeSelector(this.#o.nodeName) },
    });
    return new Set((list.items ?? []).map((p) => p.metadata?.uid));
  }
}
