// NIC discovery → HostInterface spec. Each run reads the host's NICs, logs what changed, and writes this node's
// HostInterface (server-side apply) when the list differs from what it last wrote. Until the first run the NICs
// come from the HostInterface as the watch sees it (what an earlier run of the agent wrote).
//
// A NIC that leaves the host while a pod holds an address on it was lent to that pod (a host-device delegate moved
// it into the pod's network namespace): it stays in the HostInterface with its last-known addressing and `lentTo`,
// so the controller keeps its plan and IPPool, and select gives it to no other pod. The last-known record is what
// this agent last reported, else (after a restart) the HostInterface itself: the API server keeps it, so a NIC
// lent before the restart keeps its addressing; the checkpoint keeps the allocations that say who holds it.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { HostNic } from '@multinic/crd-types';
import { compareInterfaceNames } from '@multinic/policy';
import { APPLY_PATCH, RESOURCES, objectPath } from '@multinic/kube';
import type { Informer, KubeClient } from '@multinic/kube';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import { diffNics } from '../discovery/nics.js';
import { readNics } from '../discovery/reader.js';
import type { HostOps } from '../host.js';
import type { AllocationRecord } from '../ipam/store.js';
import type { AgentMetrics } from '../metrics.js';

export const FIELD_MANAGER = 'multinic-agent';

export interface HostInterfaceObj extends KubernetesObject {
  spec?: { interfaces?: HostNic[] };
}

export interface HostReporterOptions {
  readonly nodeName: string;
  readonly discovery: AgentConfig['discovery'];
  readonly host: HostOps;
  readonly client: KubeClient;
  /** This node's HostInterface (field selector on its name). */
  readonly self: Informer<HostInterfaceObj>;
  /** The allocations on each NIC that has any (the store's), to tell a lent NIC from a removed one. */
  readonly held: () => ReadonlyMap<string, readonly AllocationRecord[]>;
  /** How long a run waits for the HostInterface to be listed when a held NIC has no last-known record (default 10 s). */
  readonly listWaitMs?: number;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
}

/** The pod a lent NIC is reported as lent to: the first holder by namespace/name. */
function lentTo(records: readonly AllocationRecord[]): string | undefined {
  return records.map((r) => `${r.podNamespace}/${r.podName}`).sort()[0];
}

export class HostReporter {
  readonly #o: HostReporterOptions;
  #nics: HostNic[] | undefined;
  #applied: string | undefined;
  /** Held NICs that are gone and were never reported (warned about once). */
  readonly #warned = new Set<string>();

  constructor(options: HostReporterOptions) {
    this.#o = options;
  }

  /** The host's NICs: as last discovered, else as the HostInterface says. */
  nics(): readonly HostNic[] {
    return this.#nics ?? this.#o.self.get(this.#o.nodeName)?.spec?.interfaces ?? [];
  }

  /** Discovers the NICs and writes the HostInterface when they changed. */
  async run(): Promise<void> {
    const { discovery, log } = this.#o;
    const result = await readNics(this.#o.host, {
      excludeNames: discovery.excludeNames.map((s) => new RegExp(s)),
      excludeKinds: discovery.excludeKinds,
      includeDefaultRoute: discovery.includeDefaultRoute,
      includeDown: discovery.includeDown,
      includeUnaddressed: discovery.includeUnaddressed,
    });
    const lent = await this.#lent(result.nics);
    const nics = [...result.nics, ...lent.nics].sort((a, b) => compareInterfaceNames(a.interfaceName, b.interfaceName));
    const changes = diffNics(this.#nics ?? [], nics);
    if (this.#nics === undefined || changes.added.length + changes.removed.length + changes.changed.length > 0) {
      log.info(
        {
          ...changes,
          nics: nics.map(
            (n) => `${n.interfaceName}=${n.hostIP || '-'}${n.lentTo === undefined ? '' : ` lent to ${n.lentTo}`}`,
          ),
          skipped: result.skipped,
        },
        'NICs discovered',
      );
      if (changes.removed.length > 0)
        log.warn({ removed: changes.removed }, 'NICs disappeared; removing them from the HostInterface');
    }
    this.#nics = nics;
    this.#o.metrics.nics.set(nics.length);
    if (lent.unknown.length > 0) {
      // Writing now would drop them from the plan (and their IPPools with the pods' addresses); the next run retries.
      throw new Error(
        `NICs ${lent.unknown.join(', ')} left the host while pods hold addresses on them, and the HostInterface with their last-known addressing has not been listed yet; not writing it`,
      );
    }
    const text = JSON.stringify(nics);
    if (text === this.#applied) return;
    const node = this.#o.nodeName;
    await this.#o.client.request({
      method: 'PATCH',
      path: objectPath(RESOURCES.hostInterfaces, node),
      query: { fieldManager: FIELD_MANAGER, force: 'true' },
      contentType: APPLY_PATCH,
      body: {
        apiVersion: 'multinic.dev/v1',
        kind: 'HostInterface',
        metadata: { name: node },
        spec: { hostName: node, interfaces: nics },
      },
    });
    this.#applied = text;
    log.info({ nics: nics.length, lent: lent.nics.map((n) => n.interfaceName) }, 'HostInterface written');
  }

  /**
   * The NICs that left the host while pods hold addresses on them, as last known plus `lentTo`; `unknown` names
   * those without a last-known record while the HostInterface has not been listed yet (after a restart).
   */
  async #lent(discovered: readonly HostNic[]): Promise<{ nics: HostNic[]; unknown: string[] }> {
    const present = new Set(discovered.map((n) => n.interfaceName));
    const missing = [...this.#o.held()].filter(([name]) => !present.has(name));
    if (missing.length === 0) return { nics: [], unknown: [] };
    const self = this.#o.self;
    const reported = (): Map<string, HostNic> =>
      new Map(
        [...(self.get(this.#o.nodeName)?.spec?.interfaces ?? []), ...(this.#nics ?? [])].map((n) => [
          n.interfaceName,
          n,
        ]),
      );
    let known = reported();
    if (!self.hasSynced && missing.some(([name]) => !known.has(name))) {
      const wait = new Promise<void>((resolve) => setTimeout(resolve, this.#o.listWaitMs ?? 10_000).unref());
      await Promise.race([self.synced(), wait]);
      known = reported();
    }
    const nics: HostNic[] = [];
    const unknown: string[] = [];
    for (const [name, records] of missing) {
      const last = known.get(name);
      const pod = lentTo(records);
      if (last !== undefined && pod !== undefined) nics.push({ ...last, lentTo: pod });
      else if (!self.hasSynced) unknown.push(name);
      else if (!this.#warned.has(name)) {
        this.#warned.add(name);
        this.#o.log.warn(
          { interfaceName: name, holders: records.map((r) => `${r.podNamespace}/${r.podName}`) },
          'a NIC that pods hold addresses on is gone and was never reported; its IPPools stay while they hold allocations',
        );
      }
    }
    return { nics, unknown };
  }
}
