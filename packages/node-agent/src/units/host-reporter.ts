// NIC discovery → HostInterface spec. Each run reads the host's NICs, logs what changed, and writes this node's
// HostInterface (server-side apply) when the list differs from what it last wrote. Until the first run the NICs
// come from the HostInterface as the watch sees it (what an earlier run of the agent wrote).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { HostNic } from '@multinic/crd-types';
import { APPLY_PATCH, RESOURCES, objectPath } from '@multinic/kube';
import type { Informer, KubeClient } from '@multinic/kube';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import { diffNics } from '../discovery/nics.js';
import { readNics } from '../discovery/reader.js';
import type { HostOps } from '../host.js';
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
  readonly metrics: AgentMetrics;
  readonly log: Logger;
}

export class HostReporter {
  readonly #o: HostReporterOptions;
  #nics: HostNic[] | undefined;
  #applied: string | undefined;

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
    const changes = diffNics(this.#nics ?? [], result.nics);
    if (this.#nics === undefined || changes.added.length + changes.removed.length + changes.changed.length > 0) {
      log.info(
        { ...changes, nics: result.nics.map((n) => `${n.interfaceName}=${n.hostIP || '-'}`), skipped: result.skipped },
        'NICs discovered',
      );
      if (changes.removed.length > 0)
        log.warn({ removed: changes.removed }, 'NICs disappeared; removing them from the HostInterface');
    }
    this.#nics = result.nics;
    this.#o.metrics.nics.set(result.nics.length);
    const text = JSON.stringify(result.nics);
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
        spec: { hostName: node, interfaces: result.nics },
      },
    });
    this.#applied = text;
    log.info({ nics: result.nics.length }, 'HostInterface written');
  }
}
