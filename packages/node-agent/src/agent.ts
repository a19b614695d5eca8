// The node agent as wiring: it builds the informers and the units (src/units/), starts them in order, stops them in
// the reverse order, and hands the local API what it reads. Behaviour lives in the units:
//   state.ts          the store, its checkpoint and the IPPool status mirror (restore, persist, changed)
//   pool-sync.ts      IPPool watch → the store's pools (dropped allocations, first-sync adoption)
//   catalog.ts        MultiNicNetworks and NicClasses, parsed for select and routes
//   host-reporter.ts  NIC discovery → HostInterface spec
//   pod-gc.ts         the pod GC loop around the pure rule in ../pod-gc.ts
//   route-sync.ts     CIDR + network → host routes and HostInterface route status
import type { KubeConfig, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { Informer, KubeClient, RESOURCES, hostSelector, nameSelector, podsOnNodeSelector } from '@multinic/kube';
import type { InformerOptions, Resource } from '@multinic/kube';
import type { Logger } from 'pino';
import type { AgentConfig } from './config.js';
import type { HostOps } from './host.js';
import { localHost } from './host.js';
import type { PoolObject } from './ipam/mirror.js';
import type { AllocationStore } from './ipam/store.js';
import type { MetricsServer } from './metrics.js';
import { AgentMetrics, serveMetrics } from './metrics.js';
import { takesWholeNic } from './select.js';
import { Periodic } from './serial.js';
import type { ApiContext } from './server/api.js';
import { apiRoutes } from './server/api.js';
import type { SocketServer } from './server/socket.js';
import { serveSocket } from './server/socket.js';
import { Catalog } from './units/catalog.js';
import type { CatalogObj } from './units/catalog.js';
import { HostReporter } from './units/host-reporter.js';
import { LentNicRecords } from './units/lent-nics.js';
import type { HostInterfaceObj } from './units/host-reporter.js';
import { PodGc } from './units/pod-gc.js';
import { PoolSync } from './units/pool-sync.js';
import type { PoolObj } from './units/pool-sync.js';
import { RouteSync } from './units/route-sync.js';
import { AgentState } from './units/state.js';

export { FIELD_MANAGER } from './units/host-reporter.js';

export interface AgentOptions {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly kubeConfig: KubeConfig;
  /** The host to discover and program (default: this machine; tests and benches pass a network namespace). */
  readonly host?: HostOps;
  /** Milliseconds since the epoch (default Date.now). */
  readonly clock?: () => number;
  readonly metrics?: AgentMetrics;
}

/** What tests, the bench and debugging drive or inspect directly; nothing else reaches into the units. */
export interface AgentHooks {
  /** Runs discovery now (and writes the HostInterface when it changed). */
  discoverNow(): Promise<void>;
  /** Programs routes now (nothing when routes are disabled). */
  syncRoutesNow(): Promise<void>;
  /** Runs pod GC now (nothing when pod GC is disabled). */
  gcNow(): Promise<void>;
  /** Resolves when the IPPool status mirror has nothing left to write. */
  mirrorIdle(): Promise<void>;
  /** Resolves once the IPPool informer has listed. */
  poolsSynced(): Promise<void>;
  /** What the API server sent this agent: the names in its IPPool and pod caches. */
  watched(): { readonly pools: string[]; readonly pods: string[] };
  /** The routing table of each routed network. */
  routeTables(): Readonly<Record<string, number>>;
}

interface Informers {
  readonly pools: Informer<PoolObj>;
  readonly networks: Informer<CatalogObj>;
  readonly nicClasses: Informer<CatalogObj>;
  readonly self: Informer<HostInterfaceObj>;
  /** Started for pod GC, and for the rebuild of an agent without a checkpoint. */
  readonly pods: Informer<V1Pod>;
  readonly cidrs: Informer<CatalogObj> | undefined;
}

function informers(client: KubeClient, config: AgentConfig, log: Logger): Informers {
  const node = config.nodeName;
  const watch = <T extends KubernetesObject>(
    resource: Resource,
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ): Informer<T> =>
    new Informer<T>({
      client,
      resource,
      log,
      backoff: { baseMs: 1_000, maxMs: 30_000 },
      ...selectors,
    } satisfies InformerOptions<T>);
  return {
    // This node's IPPools and pods only: the API server filters, so other nodes' objects never reach this process.
    pools: watch(RESOURCES.ippools, { labelSelector: hostSelector(node) }),
    networks: watch(RESOURCES.networks),
    nicClasses: watch(RESOURCES.nicClasses),
    self: watch(RESOURCES.hostInterfaces, { fieldSelector: nameSelector(node) }),
    pods: watch<V1Pod>(RESOURCES.pods, { fieldSelector: podsOnNodeSelector(node) }),
    cidrs: config.routes.enabled ? watch(RESOURCES.cidrs) : undefined,
  };
}

/** The records of the NICs lent to pods (an unreadable file is logged and taken as none: nothing is touched). */
function lentRecords(stateDir: string, log: Logger): LentNicRecords {
  const records = new LentNicRecords(stateDir);
  const { error } = records.load();
  if (error !== undefined)
    log.error({ file: records.file, err: error }, 'could not read the records of lent NICs; starting without them');
  return records;
}

export class Agent {
  readonly metrics: AgentMetrics;
  readonly hooks: AgentHooks;
  readonly #cfg: AgentConfig;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #client: KubeClient;
  readonly #watch: Informers;
  readonly #state: AgentState;
  readonly #catalog: Catalog;
  readonly #reporter: HostReporter;
  readonly #podGc: PodGc | undefined;
  readonly #routeSync: RouteSync | undefined;
  #poolSync: PoolSync | undefined;
  readonly #loops: Periodic[] = [];
  #discovery: Periodic | undefined;
  #routes: Periodic | undefined;
  #gc: Periodic | undefined;
  /** True once this agent serves the socket: only then may it write the checkpoint. */
  #owner = false;
  #socket: SocketServer | undefined;
  #metricsServer: MetricsServer | undefined;

  private constructor(options: AgentOptions) {
    const cfg = options.config;
    const log = options.log;
    const host = options.host ?? localHost();
    const metrics = options.metrics ?? new AgentMetrics();
    const node = cfg.nodeName;
    this.#cfg = cfg;
    this.#log = log;
    this.#clock = options.clock ?? Date.now;
    this.metrics = metrics;
    this.#client = new KubeClient(options.kubeConfig, { timeoutMs: cfg.kubeTimeoutMs, maxSockets: 8 });
    const client = this.#client;
    const watch = informers(client, cfg, log);
    this.#watch = watch;
    this.#state = new AgentState({
      nodeName: node,
      stateDir: cfg.stateDir,
      mirror: cfg.mirror,
      client,
      cachedPool: (pool) => watch.pools.get(pool) as PoolObject | undefined,
      metrics,
      log,
    });
    this.#catalog = new Catalog({ networks: watch.networks, nicClasses: watch.nicClasses, log });
    this.#reporter = new HostReporter({
      nodeName: node,
      discovery: cfg.discovery,
      host,
      client,
      self: watch.self,
      held: () => this.#state.store.heldNics(),
      records: lentRecords(cfg.stateDir, log),
      clock: this.#clock,
      returnWaitMs: cfg.discovery.returnWaitMs,
      wholeNic: (network) => takesWholeNic(this.#catalog.network(network)),
      metrics,
      log,
    });
    this.#podGc = cfg.gc.enabled
      ? new PodGc({
          nodeName: node,
          graceMs: cfg.gc.graceMs,
          pods: watch.pods,
          client,
          state: this.#state,
          clock: this.#clock,
          metrics,
          log,
        })
      : undefined;
    this.#routeSync =
      watch.cidrs === undefined
        ? undefined
        : new RouteSync({
            nodeName: node,
            routes: cfg.routes,
            host,
            client,
            cidrs: watch.cidrs,
            networks: watch.networks,
            catalog: this.#catalog,
            state: this.#state,
            metrics,
            log,
          });
    this.hooks = this.#hooks();
  }

  get store(): AllocationStore {
    return this.#state.store;
  }

  get checkpointFile(): string {
    return this.#state.file;
  }

  get metricsPort(): number | undefined {
    return this.#metricsServer?.port;
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
    const restored = this.#state.restore(this.#clock());
    const poolSync = new PoolSync({
      nodeName: this.#cfg.nodeName,
      pools: this.#watch.pools,
      state: this.#state,
      checkpointPools: restored.checkpointPools,
      pods: this.#watch.pods,
      clock: this.#clock,
      metrics: this.metrics,
      log: this.#log,
    });
    this.#poolSync = poolSync;
    // The socket first: it fails when another agent serves it, and then this one must not touch the shared state.
    this.#socket = await serveSocket({
      socketPath: this.#cfg.socketPath,
      routes: apiRoutes(this.#apiContext()),
      observe: (call, status, seconds) => this.metrics.requests.observe({ call, status: String(status) }, seconds),
      onError: (err) => this.#log.error({ err }, 'request failed'),
      onAborted: (err) => this.#log.debug({ err: String(err) }, 'a client went away before its answer'),
    });
    this.#owner = true;
    poolSync.start();
    const w = this.#watch;
    for (const informer of [w.pools, w.networks, w.nicClasses, w.self]) informer.start();
    // Without a checkpoint no pool is served until this node's pods are listed too (pool sync rebuilds from both).
    if (restored.checkpointPools === undefined) w.pods.start();
    this.#metricsServer = await serveMetrics({
      host: this.#cfg.metrics.host,
      port: this.#cfg.metrics.port,
      metrics: this.metrics,
      healthy: () => this.#unhealthy(),
    });
    this.#startLoops();
    this.#log.info(
      {
        node: this.#cfg.nodeName,
        socket: this.#cfg.socketPath,
        metricsPort: this.#metricsServer.port,
        pools: this.store.pools().length,
        allocations: this.store.records().length,
      },
      'agent started',
    );
  }

  /** Why the agent is unhealthy (/healthz 503), or undefined. */
  #unhealthy(): string | undefined {
    if (this.#socket === undefined) return 'the unix socket is not serving';
    const error = this.#state.checkpointError;
    if (error !== undefined) return `the last checkpoint write failed: ${error}`;
    return undefined;
  }

  #startLoops(): void {
    const loop = (name: string, task: () => Promise<void>, intervalMs: number): Periodic => {
      const p = new Periodic({
        task,
        intervalMs,
        onError: (err) => this.#log.warn({ err: String(err), loop: name }, `${name} failed; will retry`),
      });
      this.#loops.push(p);
      p.start();
      return p;
    };
    const { discovery, gc, routes } = this.#cfg;
    if (discovery.enabled) this.#discovery = loop('discovery', () => this.#reporter.run(), discovery.pollMs);
    const podGc = this.#podGc;
    if (podGc !== undefined) {
      this.#watch.pods.start();
      this.#gc = loop('pod-gc', () => podGc.run(), gc.intervalMs);
    }
    const routeSync = this.#routeSync;
    if (routeSync !== undefined) {
      this.#watch.cidrs?.start();
      const p = loop('routes', () => routeSync.run(), routes.resyncMs);
      this.#routes = p;
      routeSync.onInputChange(() => void p.trigger().catch(() => undefined));
    }
  }

  #apiContext(): ApiContext {
    const state = this.#state;
    return {
      store: state.store,
      persist: () => state.persist(),
      changed: (pools) => {
        state.changed(pools);
        // A whole-NIC allocation lends its NIC: recorded now, before host-device moves it away.
        this.#reporter.recordHeld();
      },
      clock: this.#clock,
      metrics: this.metrics,
      log: this.#log,
      hostNics: () => this.#reporter.nics(),
      network: (name) => this.#catalog.network(name),
      nicClass: (name) => this.#catalog.nicClass(name),
      notReady: () => {
        if (state.store.pools().length > 0 || this.#poolSync?.applied === true) return undefined;
        return this.#poolSync?.rebuilding === true && this.#watch.pools.hasSynced
          ? 'the agent has no checkpoint and is rebuilding its allocations from the IPPool status and the pods on this node; try again'
          : 'the agent has no IPPools yet: it has no checkpoint and has not reached the API server';
      },
    };
  }

  #hooks(): AgentHooks {
    return {
      discoverNow: () => this.#discovery?.trigger() ?? this.#reporter.run(),
      syncRoutesNow: () => this.#routes?.trigger() ?? this.#routeSync?.run() ?? Promise.resolve(),
      gcNow: () => this.#gc?.trigger() ?? this.#podGc?.run() ?? Promise.resolve(),
      mirrorIdle: () => this.#state.mirrorIdle(),
      poolsSynced: () => this.#watch.pools.synced(),
      watched: () => ({
        pools: this.#watch.pools.list().map((o) => o.metadata?.name ?? ''),
        pods: this.#podGc?.watched() ?? [],
      }),
      routeTables: () => ({ ...this.#state.routeTables }),
    };
  }

  /** Graceful: stop serving, finish the loops, flush checkpoint and (briefly) the mirror, stop watching. */
  async stop(): Promise<void> {
    await this.#socket?.close();
    this.#socket = undefined;
    await Promise.all(this.#loops.map((l) => l.stop()));
    await this.#state.close({ owner: this.#owner, timeoutMs: this.#cfg.shutdownTimeoutMs });
    const w = this.#watch;
    await Promise.all([w.pools, w.networks, w.nicClasses, w.self, w.pods, w.cidrs].map((i) => i?.stop()));
    await this.#metricsServer?.close();
    this.#metricsServer = undefined;
    this.#client.close();
    this.#log.info('agent stopped');
  }
}
