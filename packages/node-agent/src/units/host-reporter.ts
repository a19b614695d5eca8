// NIC discovery → HostInterface spec. Each run reads the host's NICs, logs what changed, and writes this node's
// HostInterface (server-side apply) when the list differs from what it last wrote. Until the first run the NICs
// come from the HostInterface as the watch sees it (what an earlier run of the agent wrote).
//
// A NIC that leaves the host while a pod holds an address on it was lent to that pod (a host-device delegate moved
// it into the pod's network namespace): it stays in the HostInterface with its last-known addressing and `lentTo`,
// so the controller keeps its plan and IPPool, and select gives it to no other pod. The last-known record is what
// this agent last reported, else (after a restart) the HostInterface itself: the API server keeps it, so a NIC
// lent before the restart keeps its addressing; the checkpoint keeps the allocations that say who holds it.
//
// And the agent gives back what it lent (lent-nics.ts): once no pod holds a lent NIC and it is back on the host
// (host-device's DEL moved it back, down and without its addresses), the agent brings it up, re-adds its recorded
// addresses and routes, logs it with an Event on the HostInterface, and reports it as a plain NIC again. A NIC the
// agent never lent, or one a pod holds, is never touched.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { HostNic } from '@multinic/crd-types';
import { compareInterfaceNames } from '@multinic/policy';
import { APPLY_PATCH, RESOURCES, apiVersionOf, collectionPath, objectPath } from '@multinic/kube';
import type { Informer, KubeClient } from '@multinic/kube';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import { diffNics } from '../discovery/nics.js';
import { readNics } from '../discovery/reader.js';
import type { HostReading } from '../discovery/reader.js';
import type { RecordedRoute } from '../discovery/restore.js';
import { restorePlan, routesThrough } from '../discovery/restore.js';
import type { HostOps } from '../host.js';
import type { AllocationRecord } from '../ipam/store.js';
import type { AgentMetrics } from '../metrics.js';
import type { GiveBackOutcome, LentNicRecords } from './lent-nics.js';
import { giveBack, recordOf } from './lent-nics.js';

export const FIELD_MANAGER = 'multinic-agent';
/** Where the Events about this node's HostInterface go (it is cluster-scoped). */
const EVENT_NAMESPACE = 'default';

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
  /** The NICs this agent lent (persisted in the state directory). */
  readonly records: LentNicRecords;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  /** How long a lent NIC released by its last holder may stay away before its record is dropped. */
  readonly returnWaitMs: number;
  /** Whether a network's delegate takes the whole NIC (host-device): its allocations lend the NIC to the pod. */
  readonly wholeNic: (network: string) => boolean;
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
  /** The main-table routes through each NIC as last discovered (what a NIC lent next will get back). */
  readonly #routes = new Map<string, RecordedRoute[]>();
  /** When a recorded NIC was first seen released and still away (its wait for the NIC to come back). */
  readonly #awaySince = new Map<string, number>();
  /** Recorded NICs whose incomplete give-back was already announced (conflicts repeat at every run). */
  readonly #incomplete = new Set<string>();
  /** The HostInterface's lentTo entries were adopted as records (once, after a restart that lost the file). */
  #adopted = false;

  constructor(options: HostReporterOptions) {
    this.#o = options;
  }

  /** The host's NICs: as last discovered, else as the HostInterface says. */
  nics(): readonly HostNic[] {
    return this.#nics ?? this.#o.self.get(this.#o.nodeName)?.spec?.interfaces ?? [];
  }

  /** Discovers the NICs and writes the HostInterface when they changed. */
  async run(): Promise<void> {
    const { log } = this.#o;
    let result = await this.#read();
    this.recordHeld();
    this.#adoptReported();
    const returned = await this.#giveBackReturned(result);
    if (returned.length > 0) result = await this.#rereadUntilSeen(returned);
    this.#settleRecords(result);
    const lent = await this.#lent(result.nics);
    const away = this.#recordedAway(result, lent.nics);
    const nics = [...result.nics, ...lent.nics, ...away].sort((a, b) =>
      compareInterfaceNames(a.interfaceName, b.interfaceName),
    );
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
    log.info({ nics: nics.length, lent: [...lent.nics, ...away].map((n) => n.interfaceName) }, 'HostInterface written');
  }

  /**
   * Records each NIC a whole-NIC (host-device) attachment holds that has no record yet, as last discovered: called
   * after every allocation, before the delegate moves the NIC away (a pod may come and go between two discovery
   * runs, and the NIC must still be given back).
   */
  recordHeld(): void {
    const known = new Map(this.nics().map((n) => [n.interfaceName, n]));
    for (const [name, holders] of this.#o.held()) {
      if (this.#o.records.get(name) !== undefined) continue;
      const pod = lentTo(holders.filter((r) => this.#o.wholeNic(r.network)));
      const last = known.get(name);
      if (pod === undefined || last === undefined || last.hostIP === '') continue;
      try {
        this.#o.records.set(name, recordOf(last, this.#routes.get(name) ?? [], pod));
      } catch (err) {
        this.#o.log.error(
          { interfaceName: name, file: this.#o.records.file, err: String(err) },
          'could not record a NIC lent to a pod; the agent cannot give it back unless it sees it leave',
        );
      }
    }
  }

  async #read(): Promise<HostReading> {
    const { discovery } = this.#o;
    const reading = await readNics(this.#o.host, {
      excludeNames: discovery.excludeNames.map((s) => new RegExp(s)),
      excludeKinds: discovery.excludeKinds,
      includeDefaultRoute: discovery.includeDefaultRoute,
      includeDown: discovery.includeDown,
      includeUnaddressed: discovery.includeUnaddressed,
    });
    for (const nic of reading.nics) {
      const name = nic.interfaceName;
      this.#routes.set(name, [
        ...routesThrough(name, 4, reading.routes.v4),
        ...routesThrough(name, 6, reading.routes.v6),
      ]);
    }
    return reading;
  }

  /** After a restart that lost the records: the HostInterface's lentTo NICs become records (routes unknown). */
  #adoptReported(): void {
    if (this.#adopted || !this.#o.self.hasSynced) return;
    this.#adopted = true;
    const records = this.#o.records;
    for (const nic of this.#o.self.get(this.#o.nodeName)?.spec?.interfaces ?? [])
      if (nic.lentTo !== undefined && records.get(nic.interfaceName) === undefined)
        records.set(nic.interfaceName, recordOf(nic, [], nic.lentTo));
  }

  /** Whether a recorded NIC is here as it was before it left: discovered, up, every recorded address on it. */
  #isBack(name: string, reading: HostReading): boolean {
    const record = this.#o.records.get(name);
    if (record === undefined || !reading.nics.some((n) => n.interfaceName === name)) return false;
    const plan = restorePlan(record, reading.links);
    return plan.touch && !plan.up && plan.add.length === 0;
  }

  /** Gives back each recorded NIC no pod holds that is on the host but not as it was; the names it touched. */
  async #giveBackReturned(reading: HostReading): Promise<string[]> {
    const held = this.#o.held();
    const touched: string[] = [];
    for (const record of this.#o.records.entries()) {
      const name = record.nic.interfaceName;
      if (held.has(name) || this.#isBack(name, reading)) continue;
      if (!reading.links.some((l) => l.ifname === name)) continue;
      const outcome = await giveBack(this.#o.host, record, reading.links);
      if (this.#announce(record.lentTo, name, outcome)) touched.push(name);
    }
    return touched;
  }

  /** Logs a give-back and records its Event; true when it changed the NIC. */
  #announce(pod: string, name: string, outcome: GiveBackOutcome): boolean {
    const log = this.#o.log;
    if (outcome.untouched !== undefined) {
      if (!this.#incomplete.has(name)) log.warn({ interfaceName: name }, outcome.untouched);
      this.#incomplete.add(name);
      return false;
    }
    const changed = outcome.broughtUp || outcome.added.length + outcome.routesAdded.length > 0;
    const problems = [
      ...outcome.conflicts.map((c) => `address ${c} not re-added: another interface has it`),
      ...outcome.failed,
    ];
    if (!changed && (problems.length === 0 || this.#incomplete.has(name))) return false;
    const what = [
      ...(outcome.broughtUp ? ['brought it up'] : []),
      ...(outcome.added.length > 0 ? [`re-added ${outcome.added.join(', ')}`] : []),
      ...(outcome.routesAdded.length > 0 ? [`re-added the routes ${outcome.routesAdded.join('; ')}`] : []),
    ];
    const message = `NIC ${name} came back from pod ${pod} (host-device gives it back down and without addresses): ${
      what.length > 0 ? what.join(', ') : 'nothing re-added'
    }${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`;
    if (problems.length > 0) {
      this.#incomplete.add(name);
      log.warn({ interfaceName: name, lentTo: pod, ...outcome }, message);
    } else log.info({ interfaceName: name, lentTo: pod, ...outcome }, message);
    void this.#event(
      problems.length > 0 ? 'Warning' : 'Normal',
      problems.length > 0 ? 'NicReturnIncomplete' : 'NicReturned',
      message,
    );
    return changed;
  }

  /** Reads again until every given-back NIC is discovered as it was (the kernel reports a link up a moment later). */
  async #rereadUntilSeen(names: readonly string[]): Promise<HostReading> {
    for (let attempt = 0; ; attempt++) {
      const reading = await this.#read();
      if (attempt >= 10 || names.every((n) => this.#isBack(n, reading))) return reading;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Ends the records of NICs back as they were; updates the holder of held ones. */
  #settleRecords(reading: HostReading): void {
    const { records, log } = this.#o;
    const held = this.#o.held();
    for (const record of records.entries()) {
      const name = record.nic.interfaceName;
      const holders = held.get(name);
      if (holders !== undefined) {
        const pod = lentTo(holders);
        if (pod !== undefined && pod !== record.lentTo) records.set(name, { ...record, lentTo: pod });
        this.#awaySince.delete(name);
      } else if (this.#isBack(name, reading)) {
        records.set(name, undefined);
        this.#awaySince.delete(name);
        this.#incomplete.delete(name);
        log.info({ interfaceName: name, lentTo: record.lentTo }, 'a NIC lent to a pod is back: a plain NIC again');
      }
    }
  }

  /**
   * The recorded NICs no pod holds that are not back as they were: reported as lent (last-known addressing) while
   * they may still come back, so their plan and IPPool stay; a NIC away longer than returnWaitMs is dropped.
   */
  #recordedAway(reading: HostReading, lent: readonly HostNic[]): HostNic[] {
    const { records, log } = this.#o;
    const held = this.#o.held();
    const reported = new Set([...reading.nics, ...lent].map((n) => n.interfaceName));
    const out: HostNic[] = [];
    for (const record of records.entries()) {
      const name = record.nic.interfaceName;
      if (held.has(name) || reported.has(name)) continue;
      const now = this.#o.clock();
      const since = this.#awaySince.get(name) ?? now;
      this.#awaySince.set(name, since);
      if (now - since > this.#o.returnWaitMs) {
        records.set(name, undefined);
        this.#awaySince.delete(name);
        this.#incomplete.delete(name);
        const message = `NIC ${name}, lent to pod ${record.lentTo}, was not back as it was within ${this.#o.returnWaitMs} ms of its release; the agent stops reporting it as lent and leaves it as discovery finds it`;
        log.warn({ interfaceName: name }, message);
        void this.#event('Warning', 'NicNotReturned', message);
        continue;
      }
      out.push({ ...record.nic, lentTo: record.lentTo });
    }
    return out;
  }

  /** An Event on this node's HostInterface (namespace default: the HostInterface is cluster-scoped). */
  async #event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const node = this.#o.nodeName;
    const self = this.#o.self.get(node);
    const now = new Date(this.#o.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      await this.#o.client.request({
        method: 'POST',
        path: collectionPath(RESOURCES.events, EVENT_NAMESPACE),
        body: {
          apiVersion: apiVersionOf(RESOURCES.events),
          kind: 'Event',
          metadata: { generateName: `${node}.`, namespace: EVENT_NAMESPACE },
          involvedObject: {
            apiVersion: apiVersionOf(RESOURCES.hostInterfaces),
            kind: RESOURCES.hostInterfaces.kind,
            name: node,
            ...(self?.metadata?.uid === undefined ? {} : { uid: self.metadata.uid }),
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: FIELD_MANAGER, host: node },
          reportingComponent: FIELD_MANAGER,
          reportingInstance: node,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.#o.log.warn({ reason, err: String(err) }, 'could not record an Event on the HostInterface');
    }
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
      if (last !== undefined && pod !== undefined) {
        nics.push({ ...last, lentTo: pod });
        // Recorded before the HostInterface says lentTo: what to give back once no pod holds it.
        const record = this.#o.records.get(name);
        if (record === undefined) this.#o.records.set(name, recordOf(last, this.#routes.get(name) ?? [], pod));
      } else if (!self.hasSynced) unknown.push(name);
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
