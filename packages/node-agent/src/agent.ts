// The node agent: wires discovery, the allocation state (checkpoint + IPPool mirror), the local API, pod GC and
// route programming together, and owns their lifecycle.
import * as path from 'node:path';
import type { KubeConfig, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { NetworkPlan } from '@multinic/cidr-core';
import type { HostNic, HostRouteStatus, MultiNicNetwork, NicClassSpec } from '@multinic/crd-types';
import { CidrSpecSchema, IPPoolAllocationSchema, IPPoolSpecSchema, MultiNicNetworkSchema, NicClassSpecSchema, formatProblem, parseWith } from '@multinic/crd-types';
import { APPLY_PATCH, Informer, KubeClient, RESOURCES, collectionPath, hostSelector, nameSelector, objectPath, podsOnNodeSelector } from '@multinic/kube';
import type { InformerOptions, Resource } from '@multinic/kube';
import { needsHostRoutes } from '@multinic/netconf';
import type { Logger } from 'pino';
import type { AgentConfig } from './config.js';
import { diffNics } from './discovery/nics.js';
import { readNics } from './discovery/reader.js';
import type { HostOps } from './host.js';
import { localHost } from './host.js';
import { CheckpointWriter, loadCheckpoint } from './ipam/checkpoint/index.js';
import type { CheckpointMeta } from './ipam/checkpoint/index.js';
import type { PoolObject } from './ipam/mirror.js';
import { PoolMirror } from './ipam/mirror.js';
import type { AllocationRecord, PoolSpec } from './ipam/store.js';
import { AllocationStore } from './ipam/store.js';
import type { MetricsServer } from './metrics.js';
import { AgentMetrics, serveMetrics } from './metrics.js';
import { RouteProgrammer } from './routes/programmer.js';
import type { InvalidNetwork } from './select.js';
import { Periodic } from './serial.js';
import { podGcPredicate } from './pod-gc.js';
import { apiRoutes } from './server/api.js';
import type { SocketServer } from './server/socket.js';
import { serveSocket } from './server/socket.js';

export const FIELD_MANAGER = 'multinic-agent';

export interface AgentOptions {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly kubeConfig: KubeConfig;
  /** The host to discover and program (default: this machine). */
  readonly host?: HostOps;
  /** Milliseconds since the epoch (default Date.now). */
  readonly clock?: () => number;
  readonly metrics?: AgentMetrics;
}

interface Obj<S = unknown, T = unknown> extends KubernetesObject {
  spec?: S;
  status?: T;
}

function poolSpecOf(obj: Obj): PoolSpec | undefined {
  const spec = parseWith(IPPoolSpecSchema, obj.spec);
  const name = obj.metadata?.name;
  if (!spec.ok || name === undefined) return undefined;
  const s = spec.value;
  return { name, network: s.network, interfaceName: s.interfaceName, podCIDR: s.podCIDR, vlanCIDR: s.vlanCIDR, excludes: s.excludes };
}

export class Agent {
  readonly store = new AllocationStore();
  readonly metrics: AgentMetrics;
  readonly #cfg: AgentConfig;
  readonly #log: Logger;
  readonly #host: HostOps;
  readonly #clock: () => number;
  readonly #client: KubeClient;
  readonly #checkpoint: CheckpointWriter;
  readonly #mirror: PoolMirror;
  readonly #pools: Informer<Obj>;
  readonly #networks: Informer<Obj>;
  readonly #nicClasses: Informer<Obj>;
  readonly #self: Informer<Obj<{ interfaces?: HostNic[] }>>;
  readonly #pods: Informer<V1Pod> | undefined;
  readonly #cidrs: Informer<Obj> | undefined;
  readonly #loops: Periodic[] = [];
  #discovery: Periodic | undefined;
  #routes: Periodic | undefined;
  #gc: Periodic | undefined;
  #routeTables: Record<string, number> = {};
  #routeStatus = '';
  #checkpointError: string | undefined;
  /** True once this agent serves the socket: only then may it write the checkpoint. */
  #owner = false;
  #nics: HostNic[] | undefined;
  #appliedNics: string | undefined;
  /** Pools the checkpoint knew; undefined when there was no checkpoint (then every IPPool status is adopted). */
  #checkpointPools: Set<string> | undefined;
  #poolsApplied = false;
  #socket: SocketServer | undefined;
  #metricsServer: MetricsServer | undefined;
  readonly #networkCache = new Map<string, { rv: string; value: MultiNicNetwork | InvalidNetwork }>();

  private constructor(options: AgentOptions) {
    this.#cfg = options.config;
    this.#log = options.log;
    this.#host = options.host ?? localHost();
    this.#clock = options.clock ?? Date.now;
    this.metrics = options.metrics ?? new AgentMetrics();
    this.#client = new KubeClient(options.kubeConfig, { timeoutMs: this.#cfg.kubeTimeoutMs, maxSockets: 8 });
    const meta = (): CheckpointMeta => ({ version: 1, nodeName: this.#cfg.nodeName, pools: this.store.pools(), routeTables: this.#routeTables });
    this.#checkpoint = new CheckpointWriter({
      file: this.checkpointFile,
      snapshot: () => ({ ...meta(), allocations: this.store.records() }),
      journal: { changes: () => this.store.takeChanges(), meta },
      observe: (s) => this.metrics.checkpointSeconds.observe(s),
    });
    this.#mirror = new PoolMirror({
      client: this.#client,
      desired: (pool) => (this.store.poolSpec(pool) === undefined ? undefined : this.store.poolRecords(pool)),
      log: this.#log,
      batchMs: this.#cfg.mirror.batchMs,
      retryMs: this.#cfg.mirror.retryMs,
      cached: (pool) => this.#pools.get(pool) as PoolObject | undefined,
      onWrite: (outcome) => {
        this.metrics.mirrorWrites.inc({ outcome });
        this.metrics.mirrorPending.set(this.#mirror.pending);
      },
    });
    const node = this.#cfg.nodeName;
    const watch = <T extends KubernetesObject>(resource: Resource, selectors: { labelSelector?: string; fieldSelector?: string } = {}): Informer<T> =>
      new Informer<T>({ client: this.#client, resource, log: this.#log, backoff: { baseMs: 1_000, maxMs: 30_000 }, ...selectors } satisfies InformerOptions<T>);
    // This node's IPPools and pods only: the API server filters, so other nodes' objects never reach this process.
    this.#pools = watch(RESOURCES.ippools, { labelSelector: hostSelector(node) });
    this.#networks = watch(RESOURCES.networks);
    this.#nicClasses = watch(RESOURCES.nicClasses);
    this.#self = watch(RESOURCES.hostInterfaces, { fieldSelector: nameSelector(node) });
    this.#pods = this.#cfg.gc.enabled ? watch<V1Pod>(RESOURCES.pods, { fieldSelector: podsOnNodeSelector(node) }) : undefined;
    this.#cidrs = this.#cfg.routes.enabled ? watch(RESOURCES.cidrs) : undefined;
  }

  get checkpointFile(): string {
    return path.join(this.#cfg.stateDir, 'allocations.json');
  }

  /** Starts everything; the socket serves as soon as the checkpoint is loaded (the API server may be down). */
  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    try {
      await agent.#start();
    } catch (err) {
      await agent.stop();
      throw err;
    }
    return agent;
  }

  async #start(): Promise<void> {
    this.#restore();
    // The socket first: it fails when another agent serves it, and then this one must not touch the shared state.
    this.#socket = await serveSocket({
      socketPath: this.#cfg.socketPath,
      routes: apiRoutes(this.#apiContext()),
      observe: (call, status, seconds) => this.metrics.requests.observe({ call, status: String(status) }, seconds),
      onError: (err) => this.#log.error({ err }, 'request failed'),
      onAborted: (err) => this.#log.debug({ err: String(err) }, 'a client went away before its answer'),
    });
    this.#owner = true;
    this.#pools.onChange(() => this.#applyPools());
    for (const w of [this.#pools, this.#networks, this.#nicClasses, this.#self]) w.start();
    this.#metricsServer = await serveMetrics({ host: this.#cfg.metrics.host, port: this.#cfg.metrics.port, metrics: this.metrics, healthy: () => this.#unhealthy() });
    this.#startLoops();
    this.#log.info({ node: this.#cfg.nodeName, socket: this.#cfg.socketPath, metricsPort: this.#metricsServer.port, pools: this.store.pools().length, allocations: this.store.records().length }, 'agent started');
  }

  /** Why the agent is unhealthy (/healthz 503), or undefined. */
  #unhealthy(): string | undefined {
    if (this.#socket === undefined) return 'the unix socket is not serving';
    if (this.#checkpointError !== undefined) return `the last checkpoint write failed: ${this.#checkpointError}`;
    return undefined;
  }

  /** Writes the checkpoint and remembers whether the last write failed (for /healthz). */
  async #persist(): Promise<void> {
    try {
      await this.#checkpoint.persist();
      this.#checkpointError = undefined;
    } catch (err) {
      this.#checkpointError = (err as Error).message;
      throw err;
    }
  }

  #startLoops(): void {
    const loop = (name: string, task: () => Promise<void>, intervalMs: number): Periodic => {
      const p = new Periodic({ task, intervalMs, onError: (err) => this.#log.warn({ err: String(err), loop: name }, `${name} failed; will retry`) });
      this.#loops.push(p);
      p.start();
      return p;
    };
    if (this.#cfg.discovery.enabled) this.#discovery = loop('discovery', () => this.#discover(), this.#cfg.discovery.pollMs);
    if (this.#pods !== undefined) {
      this.#pods.start();
      this.#gc = loop('pod-gc', () => this.#podGc(), this.#cfg.gc.intervalMs);
    }
    if (this.#cidrs !== undefined) {
      this.#cidrs.start();
      const routes = loop('routes', () => this.#syncRoutes(), this.#cfg.routes.resyncMs);
      this.#routes = routes;
      // A plan change, or a network change (its mode decides whether it is routed), re-programs the routes.
      this.#cidrs.onChange(() => void routes.trigger().catch(() => undefined));
      this.#networks.onChange(() => void routes.trigger().catch(() => undefined));
    }
  }

  // ------------------------------------------------------------ state: checkpoint + IPPools

  #restore(): void {
    const loaded = loadCheckpoint(this.checkpointFile, this.#clock(), {
      onReplay: (replay) => this.#log.warn(replay, replay.stale ? 'the checkpoint log belongs to an older snapshot (a compaction was interrupted); ignored it' : 'the checkpoint log ends in a torn or corrupt record (a write cut short); discarded it'),
    });
    if (loaded.kind === 'corrupt') {
      this.#log.error({ error: loaded.error, movedTo: loaded.movedTo }, 'the checkpoint does not parse; moved it aside and rebuilding from IPPool status');
      return;
    }
    if (loaded.kind === 'none') {
      this.#log.info({ file: this.checkpointFile }, 'no checkpoint yet; allocations will be rebuilt from IPPool status');
      return;
    }
    const cp = loaded.checkpoint;
    this.#checkpointPools = new Set(cp.pools.map((p) => p.name));
    this.#routeTables = { ...cp.routeTables };
    const change = this.store.setPools(cp.pools);
    for (const problem of change.problems) this.#log.warn({ problem }, 'checkpointed pool unusable');
    const restored = this.store.restore(cp.allocations);
    for (const { record, reason } of restored.rejected) this.#log.warn({ record, reason }, 'checkpointed allocation not restored');
    this.#log.info({ pools: cp.pools.length, allocations: restored.restored }, 'state restored from the checkpoint');
  }

  #applyPools(): void {
    if (!this.#pools.hasSynced) return;
    const mine = this.#pools.list().filter((o) => (o.spec as { hostName?: unknown } | undefined)?.hostName === this.#cfg.nodeName);
    const specs = mine.map(poolSpecOf).filter((s): s is PoolSpec => s !== undefined);
    const change = this.store.setPools(specs);
    for (const problem of change.problems) this.#log.warn({ problem }, 'IPPool unusable');
    if (change.dropped.length > 0) {
      this.metrics.releases.inc({ cause: 'pool' }, change.dropped.length);
      this.#log.warn({ dropped: change.dropped.map((r) => `${r.pool}/${r.address}`) }, 'allocations dropped: their IPPool went away or no longer contains them');
    }
    const first = !this.#poolsApplied;
    if (first) {
      this.#poolsApplied = true;
      this.#adopt(mine);
    }
    if (first || change.changed.length > 0 || change.dropped.length > 0) {
      this.#persist().catch((err: unknown) => this.#log.error({ err: String(err) }, 'checkpoint write failed'));
      this.#mirror.markDirty(first ? this.store.pools().map((p) => p.name) : change.changed);
    }
    this.#updateGauges();
  }

  /** First sync: takes over the allocations in IPPool status that the checkpoint cannot know about. */
  #adopt(objs: readonly Obj[]): void {
    const now = this.#clock();
    const records: AllocationRecord[] = [];
    for (const obj of objs) {
      const spec = poolSpecOf(obj);
      if (spec === undefined || this.#checkpointPools?.has(spec.name) === true) continue;
      const list = (obj.status as { allocations?: unknown[] } | undefined)?.allocations ?? [];
      for (const item of list) {
        const a = parseWith(IPPoolAllocationSchema, item);
        if (!a.ok) continue;
        const v = a.value;
        records.push({ pool: spec.name, address: v.address, network: spec.network, containerID: v.containerID, ifname: v.interface, interfaceName: spec.interfaceName, podInterface: '', podName: v.podName, podNamespace: v.podNamespace, podUID: v.podUID, createdAt: now });
      }
    }
    if (records.length === 0) return;
    const result = this.store.restore(records);
    this.#log.info({ adopted: result.restored, rejected: result.rejected.length }, 'adopted allocations from IPPool status');
  }

  #updateGauges(): void {
    this.metrics.allocated.reset();
    for (const [pool, n] of this.store.counts()) this.metrics.allocated.set({ pool }, n);
    this.metrics.mirrorPending.set(this.#mirror.pending);
  }

  #changed(pools: Iterable<string>): void {
    this.#mirror.markDirty(pools);
    this.metrics.mirrorPending.set(this.#mirror.pending);
  }

  // ------------------------------------------------------------ the local API

  #apiContext(): Parameters<typeof apiRoutes>[0] {
    return {
      store: this.store,
      persist: () => this.#persist(),
      changed: (pools) => this.#changed(pools),
      clock: this.#clock,
      metrics: this.metrics,
      log: this.#log,
      hostNics: () => this.#nics ?? this.#self.get(this.#cfg.nodeName)?.spec?.interfaces ?? [],
      network: (name) => this.#network(name),
      nicClass: (name) => this.#nicClass(name),
      notReady: () => (this.store.pools().length > 0 || this.#poolsApplied ? undefined : 'the agent has no IPPools yet: it has no checkpoint and has not reached the API server'),
    };
  }

  #network(name: string): MultiNicNetwork | InvalidNetwork | undefined {
    const obj = this.#networks.get(name);
    if (obj === undefined) return undefined;
    const rv = obj.metadata?.resourceVersion ?? '';
    const cached = this.#networkCache.get(name);
    if (cached !== undefined && cached.rv === rv) return cached.value;
    const parsed = parseWith(MultiNicNetworkSchema, obj);
    if (!parsed.ok) this.#log.warn({ network: name, problems: parsed.problems }, 'MultiNicNetwork does not parse; select refuses it');
    const value = parsed.ok ? parsed.value : { problems: parsed.problems.map(formatProblem) };
    this.#networkCache.set(name, { rv, value });
    return value;
  }

  #nicClass(name: string): NicClassSpec | undefined {
    const parsed = parseWith(NicClassSpecSchema, this.#nicClasses.get(name)?.spec);
    return parsed.ok ? parsed.value : undefined;
  }

  // ------------------------------------------------------------ discovery → HostInterface

  async #discover(): Promise<void> {
    const result = await readNics(this.#host, {
      excludeNames: this.#cfg.discovery.excludeNames.map((s) => new RegExp(s)),
      excludeKinds: this.#cfg.discovery.excludeKinds,
      includeDefaultRoute: this.#cfg.discovery.includeDefaultRoute,
      includeDown: this.#cfg.discovery.includeDown,
      includeUnaddressed: this.#cfg.discovery.includeUnaddressed,
    });
    const changes = diffNics(this.#nics ?? [], result.nics);
    if (this.#nics === undefined || changes.added.length + changes.removed.length + changes.changed.length > 0) {
      this.#log.info({ ...changes, nics: result.nics.map((n) => `${n.interfaceName}=${n.hostIP || '-'}`), skipped: result.skipped }, 'NICs discovered');
      if (changes.removed.length > 0) this.#log.warn({ removed: changes.removed }, 'NICs disappeared; removing them from the HostInterface');
    }
    this.#nics = result.nics;
    this.metrics.nics.set(result.nics.length);
    const text = JSON.stringify(result.nics);
    if (text === this.#appliedNics) return;
    await this.#client.request({
      method: 'PATCH',
      path: objectPath(RESOURCES.hostInterfaces, this.#cfg.nodeName),
      query: { fieldManager: FIELD_MANAGER, force: 'true' },
      contentType: APPLY_PATCH,
      body: { apiVersion: 'multinic.dev/v1', kind: 'HostInterface', metadata: { name: this.#cfg.nodeName }, spec: { hostName: this.#cfg.nodeName, interfaces: result.nics } },
    });
    this.#appliedNics = text;
    this.#log.info({ nics: result.nics.length }, 'HostInterface written');
  }

  // ------------------------------------------------------------ pod GC

  async #podGc(): Promise<void> {
    const pods = this.#pods;
    if (pods === undefined || !pods.healthy) return;
    let doomed: ((r: AllocationRecord) => boolean) | undefined;
    try {
      doomed = await podGcPredicate({
        records: this.store.records(),
        watched: new Set(pods.list().map((p) => p.metadata?.uid)),
        now: this.#clock(),
        graceMs: this.#cfg.gc.graceMs,
        listLive: () => this.#listPodUids(),
      });
    } catch (err) {
      this.#log.warn({ err }, 'pod GC: could not list this node\'s pods to confirm what the watch shows gone; nothing freed this time');
      return;
    }
    if (doomed === undefined) return;
    const freed = this.store.releaseWhere(doomed);
    if (freed.length === 0) return;
    this.metrics.gcFreed.inc(freed.length);
    this.metrics.releases.inc({ cause: 'pod-gc' }, freed.length);
    this.#log.info({ freed: freed.map((r) => `${r.podNamespace}/${r.podName} ${r.address}`) }, 'freed the addresses of pods that no longer exist');
    this.#changed(freed.map((r) => r.pool));
    this.#updateGauges();
    await this.#persist();
  }

  /** UIDs of this node's pods, listed from the API server now (not from the watch's copy). */
  async #listPodUids(): Promise<Set<string | undefined>> {
    const list = await this.#client.request<{ items?: V1Pod[] }>({ method: 'GET', path: collectionPath(RESOURCES.pods), query: { fieldSelector: podsOnNodeSelector(this.#cfg.nodeName) } });
    return new Set((list.items ?? []).map((p) => p.metadata?.uid));
  }

  // ------------------------------------------------------------ routes

  /**
   * The plans whose routes this node programs: networks whose pods route at L3 (ipvlan l3/l3s). A CIDR that does
   * not parse, or whose network is invalid, is left alone (neither programmed nor removed).
   */
  #plans(): { plans: Map<string, NetworkPlan>; untouched: Set<string> } {
    const plans = new Map<string, NetworkPlan>();
    const untouched = new Set<string>();
    for (const obj of this.#cidrs?.list() ?? []) {
      const name = obj.metadata?.name;
      if (name === undefined) continue;
      const parsed = parseWith(CidrSpecSchema, obj.spec);
      const network = this.#network(name);
      if (!parsed.ok || (network !== undefined && 'problems' in network)) {
        this.#log.warn({ network: name }, 'CIDR or MultiNicNetwork does not parse; its routes are left as they are');
        untouched.add(name);
        continue;
      }
      if (network !== undefined && needsHostRoutes(network)) plans.set(name, parsed.value as NetworkPlan);
    }
    return { plans, untouched };
  }

  async #syncRoutes(): Promise<void> {
    if (this.#cidrs === undefined || !this.#cidrs.hasSynced || !this.#networks.hasSynced) return;
    const programmer = new RouteProgrammer({
      host: this.#host,
      nodeName: this.#cfg.nodeName,
      tableBase: this.#cfg.routes.tableBase,
      rulePriority: this.#cfg.routes.rulePriority,
      rtTablesDir: this.#cfg.routes.rtTablesDir,
      log: this.#log,
      onError: (network) => this.metrics.routeErrors.inc({ network }),
    });
    const { plans, untouched } = this.#plans();
    const result = await programmer.sync({ plans, untouched, remembered: this.#routeTables });
    if (JSON.stringify(result.tables) !== JSON.stringify(this.#routeTables)) {
      this.#routeTables = result.tables;
      await this.#persist();
    }
    await this.#reportRoutes(result.statuses);
  }

  async #reportRoutes(statuses: readonly HostRouteStatus[]): Promise<void> {
    const text = JSON.stringify(statuses);
    if (text === this.#routeStatus) return;
    await this.#client.request({
      method: 'PATCH',
      path: `${objectPath(RESOURCES.hostInterfaces, this.#cfg.nodeName)}/status`,
      query: { fieldManager: FIELD_MANAGER, force: 'true' },
      contentType: APPLY_PATCH,
      body: { apiVersion: 'multinic.dev/v1', kind: 'HostInterface', metadata: { name: this.#cfg.nodeName }, status: { routes: statuses } },
    });
    this.#routeStatus = text;
  }

  // ------------------------------------------------------------ for tests, the bench and the entry point

  /** Runs discovery now (and writes the HostInterface when it changed). */
  discoverNow(): Promise<void> {
    return this.#discovery?.trigger() ?? this.#discover();
  }

  /** Programs routes now. */
  syncRoutesNow(): Promise<void> {
    return this.#routes?.trigger() ?? this.#syncRoutes();
  }

  /** Runs pod GC now. */
  gcNow(): Promise<void> {
    return this.#gc?.trigger() ?? this.#podGc();
  }

  /** Resolves when the IPPool status mirror has nothing left to write. */
  mirrorIdle(): Promise<void> {
    return this.#mirror.idle();
  }

  /** Resolves once the IPPool informer has listed and the pools were applied. */
  async poolsSynced(): Promise<void> {
    await this.#pools.synced();
  }

  /** What the API server sent this agent: the names in its IPPool and pod caches (for tests and debugging). */
  watched(): { readonly pools: string[]; readonly pods: string[] } {
    return {
      pools: this.#pools.list().map((o) => o.metadata?.name ?? ''),
      pods: (this.#pods?.list() ?? []).map((p) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`),
    };
  }

  get metricsPort(): number | undefined {
    return this.#metricsServer?.port;
  }

  routeTables(): Readonly<Record<string, number>> {
    return { ...this.#routeTables };
  }

  /** Graceful: stop serving, finish the loops, flush checkpoint and (briefly) the mirror, stop watching. */
  async stop(): Promise<void> {
    await this.#socket?.close();
    this.#socket = undefined;
    await Promise.all(this.#loops.map((l) => l.stop()));
    if (this.#owner) await this.#checkpoint.persist().catch((err: unknown) => this.#log.error({ err: String(err) }, 'final checkpoint write failed'));
    await this.#checkpoint.close();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.#cfg.shutdownTimeoutMs).unref());
    // The pending status now, not after the batch delay: a controller deciding whether this node's pools are still
    // in use reads it.
    await Promise.race([this.#mirror.flushNow(), timeout]);
    this.#mirror.stop();
    const watched = [this.#pools, this.#networks, this.#nicClasses, this.#self, this.#pods, this.#cidrs];
    await Promise.all(watched.map((w) => w?.stop()));
    await this.#metricsServer?.close();
    this.#metricsServer = undefined;
    this.#client.close();
    this.#log.info('agent stopped');
  }
}
