// The controller: caches (informers) → a de-duplicated work queue of network names → NetworkReconciler.
// Workers run only on the leader and only after every cache has synced.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Backoff, Informer, KubeClient, stripManagedFields, type InformerHandlers } from '@multinic/kube';
import { systemClock, type Clock } from './clock.js';
import type { ControllerConfig } from './config.js';
import { FIELD_MANAGER, NETWORK_LABEL } from './desired.js';
import { isErrorCode } from './errors.js';
import { LeaderElector } from './leader.js';
import { ControllerMetrics } from './metrics.js';
import { objectKey, type KubeObject } from './objects.js';
import { RecentWrites } from './recent.js';
import { NetworkReconciler, type Recents, type Stores } from './reconcile.js';
import { RESOURCES, type Resource } from './resources.js';
import { WorkQueue } from './queue.js';
import { Writer } from './writer.js';

export interface ControllerOptions {
  readonly kubeConfig: KubeConfig;
  readonly config: ControllerConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly metrics?: ControllerMetrics;
}

export interface ControllerStats {
  readonly synced: boolean;
  readonly leader: boolean;
  readonly reconciles: number;
  readonly failures: number;
  readonly queueDepth: number;
  readonly processing: number;
}

const KIND = 'MultiNicNetwork';

type CacheName = keyof Stores;

/** Keeps a fingerprint per object and says whether an update changed what the controller cares about. */
class Fingerprints {
  readonly #seen = new Map<string, string>();

  changed(key: string, print: string): boolean {
    if (this.#seen.get(key) === print) return false;
    this.#seen.set(key, print);
    return true;
  }

  forget(key: string): void {
    this.#seen.delete(key);
  }
}

/** What a Node, Namespace, HostInterface or IPPool contributes to a reconcile. */
const PRINTS: Partial<Record<CacheName, (obj: KubeObject) => string>> = {
  nodes: (o) => String(o.metadata.deletionTimestamp !== undefined),
  namespaces: (o) =>
    `${o.metadata.deletionTimestamp !== undefined}/${(o.status as { phase?: string } | undefined)?.phase ?? ''}`,
  hostInterfaces: (o) => JSON.stringify([o.spec, (o.status as { routes?: unknown } | undefined)?.routes]),
  ippools: (o) => {
    const allocations = (o.status as { allocations?: unknown[] } | undefined)?.allocations;
    return JSON.stringify([
      o.spec,
      o.metadata.labels,
      o.metadata.annotations,
      o.metadata.ownerReferences,
      o.metadata.deletionTimestamp,
      Array.isArray(allocations) && allocations.length > 0,
    ]);
  },
};

/** Nodes are cached by name only: their spec and status (large on real nodes) are never read. */
function slimNode(obj: KubeObject): void {
  stripManagedFields(obj);
  delete obj.metadata.annotations;
  delete obj.metadata.labels;
  delete obj.spec;
  delete obj.status;
}

/** Of a Namespace only its name and phase are read. */
function slimNamespace(obj: KubeObject): void {
  stripManagedFields(obj);
  delete obj.metadata.annotations;
  delete obj.spec;
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  obj.status = phase === undefined ? {} : { phase };
}

export class Controller {
  readonly metrics: ControllerMetrics;
  readonly #o: ControllerOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #rest: KubeClient;
  readonly #caches: Record<CacheName, Informer<KubeObject>>;
  readonly #recent: Recents = { cidrs: new RecentWrites(), ippools: new RecentWrites(), nads: new RecentWrites() };
  readonly #reconciler: NetworkReconciler;
  readonly #elector: LeaderElector | undefined;
  #queue: WorkQueue<string> | undefined;
  #workers: Promise<void>[] = [];
  #leading = false;
  #synced = false;
  #stopped = false;
  #reconciles = 0;
  #failures = 0;

  private constructor(options: ControllerOptions, rest: KubeClient) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#rest = rest;
    this.metrics = options.metrics ?? new ControllerMetrics();
    this.#caches = this.#makeCaches();
    const { config } = options;
    const writer = new Writer({
      rest,
      metrics: this.metrics,
      fieldManager: FIELD_MANAGER,
      canWrite: () => this.#leading && !this.#stopped,
      eventNamespace: config.eventNamespace,
      identity: config.identity,
      now: () => this.#clock.now(),
      logger: this.#logger,
    });
    this.#reconciler = new NetworkReconciler({
      stores: this.#caches,
      recent: this.#recent,
      writer,
      clock: this.#clock,
      logger: this.#logger,
      metrics: this.metrics,
      config,
    });
    this.#elector = config.leaderElect ? this.#makeElector(config) : undefined;
  }

  /** A controller that has not started yet (throws CONFIG when the kubeconfig names no cluster). */
  static async create(options: ControllerOptions): Promise<Controller> {
    const rest = new KubeClient(options.kubeConfig, { maxSockets: Math.max(8, options.config.writeConcurrency * 2) });
    return Promise.resolve(new Controller(options, rest));
  }

  /** create() and start(). */
  static async start(options: ControllerOptions): Promise<Controller> {
    const controller = await Controller.create(options);
    await controller.start();
    return controller;
  }

  get synced(): boolean {
    return this.#synced;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** Requests sent to the API server so far (reads and writes). */
  get requests(): number {
    return this.#rest.requests;
  }

  stats(): ControllerStats {
    return {
      synced: this.#synced,
      leader: this.#leading,
      reconciles: this.#reconciles,
      failures: this.#failures,
      queueDepth: this.#queue?.depth ?? 0,
      processing: this.#queue?.processing ?? 0,
    };
  }

  /** Stops working and campaigning (releasing the lease), then stops the caches. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#elector?.stop();
    await this.#stopWorking();
    await Promise.all(Object.values(this.#caches).map((c) => c.stop()));
    this.#rest.close();
    this.#logger.info('controller stopped');
  }

  /**
   * Fills the caches, waits until every one has synced (retrying lists that fail), then campaigns for the lease
   * (or starts working, without leader election). Resolves once synced, or when stop() is called first.
   */
  async start(): Promise<void> {
    for (const cache of Object.values(this.#caches)) cache.start();
    await this.#waitForSync();
    if (this.#stopped) return;
    this.#synced = true;
    this.#logger.info(
      { networks: this.#caches.networks.list().length, hosts: this.#caches.hostInterfaces.list().length },
      'caches synced',
    );
    if (this.#elector === undefined) this.#startWorking();
    else this.#elector.start();
  }

  async #waitForSync(): Promise<void> {
    while (!this.#stopped && !Object.values(this.#caches).every((c) => c.hasSynced)) {
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, 50));
    }
  }

  #makeElector(config: ControllerConfig): LeaderElector {
    return new LeaderElector({
      rest: this.#rest,
      clock: this.#clock,
      logger: this.#logger,
      name: config.leaseName,
      namespace: config.leaseNamespace,
      identity: config.identity,
      leaseDurationMs: config.leaseDurationSeconds * 1_000,
      renewDeadlineMs: config.renewDeadlineSeconds * 1_000,
      retryPeriodMs: config.retryPeriodSeconds * 1_000,
      onStartedLeading: () => this.#startWorking(),
      onStoppedLeading: () => void this.#stopWorking(),
    });
  }

  #startWorking(): void {
    if (this.#stopped || this.#queue !== undefined) return;
    this.#leading = true;
    this.metrics.leader.set(1);
    const queue = new WorkQueue<string>({
      clock: this.#clock,
      backoff: new Backoff({ baseMs: this.#o.config.backoffBaseMs, maxMs: this.#o.config.backoffMaxMs }),
      onDepth: (depth) => this.metrics.queueDepth.set(depth),
      onRetry: () => this.metrics.retries.inc({ kind: KIND }),
    });
    this.#queue = queue;
    for (const network of this.#caches.networks.list()) queue.add(network.metadata.name);
    this.#workers = Array.from({ length: this.#o.config.workers }, () => this.#work(queue));
  }

  async #stopWorking(): Promise<void> {
    this.#leading = false;
    this.metrics.leader.set(0);
    const queue = this.#queue;
    this.#queue = undefined;
    queue?.shutDown();
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  async #work(queue: WorkQueue<string>): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const end = this.metrics.reconcileSeconds.startTimer({ kind: KIND });
      const started = this.#clock.now();
      try {
        const outcome = await this.#reconciler.reconcile(key);
        this.#logger.debug({ network: key, ms: this.#clock.now() - started }, 'reconciled');
        queue.forget(key);
        if (outcome.requeueAfterMs !== undefined) queue.addAfter(key, outcome.requeueAfterMs);
        this.metrics.reconciles.inc({ kind: KIND, result: 'success' });
      } catch (err) {
        this.#failed(queue, key, err);
      } finally {
        this.#reconciles++;
        end();
        queue.done(key);
      }
    }
  }

  #failed(queue: WorkQueue<string>, key: string, err: unknown): void {
    this.#failures++;
    this.metrics.reconciles.inc({ kind: KIND, result: 'error' });
    if (isErrorCode(err, 'NOT_LEADER')) return;
    const retryInMs = queue.addRateLimited(key);
    const level = isErrorCode(err, 'CONFLICT') ? 'info' : 'warn';
    this.#logger[level](
      { network: key, err: String(err), retries: queue.retries(key), retryInMs },
      'reconcile failed; will retry',
    );
  }

  #enqueue(name: string | undefined): void {
    if (name !== undefined && name !== '') this.#queue?.add(name);
  }

  #enqueueAll(): void {
    for (const network of this.#caches.networks.list()) this.#enqueue(network.metadata.name);
  }

  #makeCaches(): Record<CacheName, Informer<KubeObject>> {
    const make = (
      resource: Resource,
      handlers: InformerHandlers<KubeObject>,
      extra: { labelSelector?: string; transform?: (o: KubeObject) => void } = {},
    ) =>
      new Informer<KubeObject>({
        client: this.#rest,
        resource,
        log: this.#logger,
        clock: this.#clock,
        backoff: { baseMs: 500, maxMs: 30_000 },
        handlers,
        ...extra,
      });
    const networkOf = {
      cidrs: (o: KubeObject) => o.metadata.name,
      ippools: (o: KubeObject) => (o.spec as { network?: string } | undefined)?.network,
      nads: (o: KubeObject) => o.metadata.labels?.[NETWORK_LABEL],
    };
    return {
      networks: make(RESOURCES.networks, this.#networkHandlers()),
      hostInterfaces: make(RESOURCES.hostInterfaces, this.#fanOut('hostInterfaces')),
      nodes: make(RESOURCES.nodes, this.#fanOut('nodes'), { transform: slimNode }),
      namespaces: make(RESOURCES.namespaces, this.#fanOut('namespaces'), { transform: slimNamespace }),
      cidrs: make(RESOURCES.cidrs, this.#owned('cidrs', networkOf.cidrs)),
      ippools: make(RESOURCES.ippools, this.#owned('ippools', networkOf.ippools)),
      nads: make(RESOURCES.nads, this.#owned('nads', networkOf.nads), { labelSelector: NETWORK_LABEL }),
    };
  }

  /**
   * Networks decide each other's conflicts (overlapping pod ranges on a shared NIC network): a network that comes,
   * goes or changes its spec enqueues every network, so one refused for a conflict is planned once the other goes.
   * A status-only update enqueues just that network.
   */
  #networkHandlers(): InformerHandlers<KubeObject> {
    const prints = new Fingerprints();
    const print = (o: KubeObject): string =>
      JSON.stringify([o.spec, o.metadata.creationTimestamp, o.metadata.deletionTimestamp]);
    return {
      onAdd: (o) => {
        prints.changed(objectKey(o), print(o));
        this.#enqueueAll();
        this.#enqueue(o.metadata.name);
      },
      onUpdate: (o) => {
        if (prints.changed(objectKey(o), print(o))) this.#enqueueAll();
        this.#enqueue(o.metadata.name);
      },
      onDelete: (o) => {
        prints.forget(objectKey(o));
        this.#enqueueAll();
        this.#enqueue(o.metadata.name);
      },
    };
  }

  /**
   * Objects every network depends on: a relevant change enqueues every network. A Node and its HostInterface
   * count only together, so an event of one whose partner is not cached changes nothing and is skipped (a joining
   * node then costs one reconcile, not two).
   */
  #fanOut(name: CacheName): InformerHandlers<KubeObject> {
    const prints = new Fingerprints();
    const print = PRINTS[name];
    const partner = name === 'nodes' ? 'hostInterfaces' : name === 'hostInterfaces' ? 'nodes' : undefined;
    const matters = (o: KubeObject): boolean =>
      partner === undefined || this.#caches[partner].get(o.metadata.name) !== undefined;
    return {
      onAdd: (o) => {
        if (print !== undefined) prints.changed(objectKey(o), print(o));
        if (matters(o)) this.#enqueueAll();
      },
      onUpdate: (o) => {
        if ((print === undefined || prints.changed(objectKey(o), print(o))) && matters(o)) this.#enqueueAll();
      },
      onDelete: (o) => {
        prints.forget(objectKey(o));
        if (matters(o)) this.#enqueueAll();
      },
    };
  }

  /** Objects the controller generates: a relevant change enqueues their network; writes it awaits are settled. */
  #owned(
    name: 'cidrs' | 'ippools' | 'nads',
    networkOf: (o: KubeObject) => string | undefined,
  ): InformerHandlers<KubeObject> {
    const prints = new Fingerprints();
    const print = PRINTS[name];
    const recent = this.#recent[name];
    return {
      onAdd: (o) => {
        recent.observed(objectKey(o), o);
        if (print !== undefined) prints.changed(objectKey(o), print(o));
        this.#enqueue(networkOf(o));
      },
      onUpdate: (o) => {
        recent.observed(objectKey(o), o);
        if (print === undefined || prints.changed(objectKey(o), print(o))) this.#enqueue(networkOf(o));
      },
      onDelete: (o) => {
        recent.forget(objectKey(o));
        prints.forget(objectKey(o));
        this.#enqueue(networkOf(o));
      },
      onRelist: () => recent.clear(),
    };
  }
}
