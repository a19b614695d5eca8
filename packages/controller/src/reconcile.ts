// The reconcile of one MultiNicNetwork, level-triggered: read the current state from the caches, compute what
// should exist (cidr-core for the plan, netconf for the NADs), write only what differs, report status.
import {
  computeFamilyPlans,
  networkConflicts,
  type NetworkClaim,
  type NetworkConflict,
  type NetworkPlan,
  type PlanConfig,
  type PlanResult,
} from '@multinic/cidr-core';
import {
  CidrSpecSchema,
  formatProblem,
  GROUP_VERSION,
  MultiNicNetworkSchema,
  parseWith,
  planConfigsOf,
  type CidrSpec,
  type HostRouteStatus,
  type MultiNicNetwork,
  type MultiNicNetworkStatus,
  type ParseResult,
  usesMultiNicIpam,
} from '@multinic/crd-types';
import { checkNetworkSpec, needsHostRoutes, type NetworkSpecCheck } from '@multinic/netconf';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { ControllerConfig } from './config.js';
import { desiredCidr, desiredIPPool, desiredNads, NETWORK_LABEL, upToDate, type NetworkRef } from './desired.js';
import {
  DEPARTED_ANNOTATION,
  liveHosts,
  NIC_GONE_ANNOTATION,
  retainDeparted,
  type PoolState,
  type Retention,
} from './hosts.js';
import type { ControllerMetrics } from './metrics.js';
import { controllerUid, objectKey, type KubeObject } from './objects.js';
import type { RecentWrites } from './recent.js';
import { RESOURCES } from './resources.js';
import {
  networkStatus,
  newProblems,
  plannedHosts,
  problemOfPlan,
  statusEqual,
  type PlanInForce,
  type Problem,
} from './status.js';
import { forEachLimit, type Writer } from './writer.js';

/** Read access to a cache. */
export interface ObjectStore<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
}

export interface Stores {
  readonly networks: ObjectStore<KubeObject>;
  readonly hostInterfaces: ObjectStore<KubeObject>;
  readonly nodes: ObjectStore<KubeObject>;
  readonly namespaces: ObjectStore<KubeObject>;
  readonly cidrs: ObjectStore<KubeObject>;
  readonly ippools: ObjectStore<KubeObject>;
  readonly nads: ObjectStore<KubeObject>;
}

export interface Recents {
  readonly cidrs: RecentWrites<KubeObject>;
  readonly ippools: RecentWrites<KubeObject>;
  readonly nads: RecentWrites<KubeObject>;
}

export interface ReconcilerDeps {
  readonly stores: Stores;
  readonly recent: Recents;
  readonly writer: Writer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ControllerMetrics;
  readonly config: Pick<ControllerConfig, 'hostGracePeriodSeconds' | 'writeConcurrency' | 'agentSocket'>;
}

const KIND = 'MultiNicNetwork';

export interface ReconcileOutcome {
  /** Reconcile again after this long even if nothing changes (a grace period ends then). */
  readonly requeueAfterMs?: number;
}

interface NetworkContext {
  readonly ref: NetworkRef;
  readonly raw: KubeObject;
  readonly generation: number;
  readonly previousStatus: MultiNicNetworkStatus | undefined;
}

interface Outcome {
  readonly plan: PlanInForce | undefined;
  readonly planApplied: boolean;
  readonly problems: readonly Problem[];
  readonly namespaces?: readonly string[];
  readonly missingNamespaces?: readonly string[];
  readonly retained?: number;
  /** The agents program host routes only in L3 modes. */
  readonly routed?: boolean;
  /** The IPAM type of a network whose delegates run their own IPAM (multiNICIPAM: false). */
  readonly ownIpam?: string | undefined;
}

/** The blocks of a network in use never change: a changed subnet/interfaceBlock/hostBlock is reported, not applied. */
export function effectiveConfig(
  wanted: PlanConfig,
  previous: NetworkPlan | undefined,
): { config: PlanConfig; problem?: Problem } {
  const inUse = previous?.config;
  if (inUse === undefined || previous?.cidr.every((e) => e.hosts.length === 0)) return { config: wanted };
  const changed = (['subnet', 'interfaceBlock', 'hostBlock'] as const).filter((k) => wanted[k] !== inUse[k]);
  if (changed.length === 0) return { config: wanted };
  const what = changed.map((k) => `${k} ${JSON.stringify(inUse[k])} → ${JSON.stringify(wanted[k])}`).join(', ');
  return {
    config: { ...wanted, subnet: inUse.subnet, interfaceBlock: inUse.interfaceBlock, hostBlock: inUse.hostBlock },
    problem: {
      reason: 'BlocksChanged',
      message:
        `spec changed ${what} while the network is in use; the controller keeps planning with the blocks in force ` +
        `(subnet ${JSON.stringify(inUse.subnet)}, interfaceBlock ${inUse.interfaceBlock}, hostBlock ${inUse.hostBlock}) so no pod block moves: ` +
        'revert the change, or create a new MultiNicNetwork for the new layout',
    },
  };
}

/** The namespaces that get the network's NAD: the listed ones that exist, or every active namespace. */
export function selectNamespaces(
  listed: readonly string[],
  namespaces: readonly KubeObject[],
): { selected: string[]; missing: string[] } {
  const active = new Set(
    namespaces
      .filter(
        (ns) =>
          ns.metadata.deletionTimestamp === undefined &&
          (ns.status as { phase?: string } | undefined)?.phase !== 'Terminating',
      )
      .map((ns) => ns.metadata.name),
  );
  if (listed.length === 0) return { selected: [...active].sort(), missing: [] };
  const unique = [...new Set(listed)].sort();
  return { selected: unique.filter((n) => active.has(n)), missing: unique.filter((n) => !active.has(n)) };
}

/** The network as the NADs describe it: with the blocks in force when a change of them was refused. */
function inForce(network: MultiNicNetwork, config: PlanConfig): MultiNicNetwork {
  const { subnet: _subnet, ...spec } = network.spec;
  const ipam = { ...spec.ipam, interfaceBlock: config.interfaceBlock, hostBlock: config.hostBlock };
  // A dual-stack network keeps its (immutable) subnets; only ipam's blocks can have changed.
  if (spec.subnets !== undefined) return { ...network, spec: { ...spec, ipam } };
  return { ...network, spec: { ...spec, ipam, ...(config.subnet === '' ? {} : { subnet: config.subnet }) } };
}

/** The plan config in force of each family: a network in use keeps its blocks (effectiveConfig per family). */
function configsInForce(
  network: MultiNicNetwork,
  previous: CidrSpec | undefined,
): { configs: PlanConfig[]; problems: Problem[] } {
  const plans = [previous, previous?.otherFamily];
  const configs: PlanConfig[] = [];
  const problems: Problem[] = [];
  planConfigsOf(network).forEach((wanted, i) => {
    const { config, problem } = effectiveConfig(wanted, plans[i]);
    configs.push(config);
    if (problem !== undefined) problems.push(problem);
  });
  return { configs, problems };
}

/** The time an IPPool annotation records (RFC 3339), or undefined. */
function markOf(pool: KubeObject, annotation: string): number | undefined {
  const mark = pool.metadata.annotations?.[annotation];
  const at = mark === undefined ? Number.NaN : Date.parse(mark);
  return Number.isNaN(at) ? undefined : at;
}

function poolState(pool: KubeObject | undefined): PoolState | undefined {
  if (pool === undefined) return undefined;
  const allocations = (pool.status as { allocations?: unknown[] } | undefined)?.allocations;
  const gateway = (pool.spec as { gateway?: unknown } | undefined)?.gateway;
  return {
    hasAllocations: Array.isArray(allocations) && allocations.length > 0,
    departedAt: markOf(pool, DEPARTED_ANNOTATION),
    nicGoneAt: markOf(pool, NIC_GONE_ANNOTATION),
    ...(typeof gateway === 'string' ? { gateway } : {}),
  };
}

/** `current` with the spec, labels and controller reference of `wanted`; what others added is kept. */
function replacement(current: KubeObject, wanted: KubeObject): KubeObject {
  const { managedFields: _managed, ...metadata } = current.metadata;
  const owner = wanted.metadata.ownerReferences ?? [];
  const others = (metadata.ownerReferences ?? []).filter(
    (ref) => ref.controller !== true && !owner.some((o) => o.uid === ref.uid),
  );
  return {
    apiVersion: GROUP_VERSION,
    kind: 'CIDR',
    metadata: {
      ...metadata,
      labels: { ...metadata.labels, ...wanted.metadata.labels },
      ownerReferences: [...others, ...owner],
    },
    spec: wanted.spec,
  };
}

export class NetworkReconciler {
  readonly #d: ReconcilerDeps;
  /** Parsed CIDR specs by cached object (a new version is a new object): a 4,000-entry plan takes ~50 ms to parse. */
  readonly #parsedCidrs = new WeakMap<KubeObject, ParseResult<CidrSpec>>();
  /** Parsed networks by cached object: every reconcile checks the network against all the others. */
  readonly #parsedNetworks = new WeakMap<KubeObject, ParseResult<MultiNicNetwork>>();
  readonly #checkedNetworks = new WeakMap<KubeObject, NetworkSpecCheck>();

  constructor(deps: ReconcilerDeps) {
    this.#d = deps;
  }

  async reconcile(name: string): Promise<ReconcileOutcome> {
    const raw = this.#d.stores.networks.get(name);
    if (raw === undefined || raw.metadata.deletionTimestamp !== undefined || raw.metadata.uid === undefined) {
      this.#d.metrics.forgetNetwork(name);
      return {};
    }
    const ctx: NetworkContext = {
      ref: { name, uid: raw.metadata.uid },
      raw,
      generation: raw.metadata.generation ?? 0,
      previousStatus: raw.status as MultiNicNetworkStatus | undefined,
    };
    const cidr = this.#d.recent.cidrs.view(name, this.#d.stores.cidrs.get(name));
    const owner = cidr === undefined ? undefined : controllerUid(cidr);
    if (owner !== undefined && owner !== ctx.ref.uid) {
      this.#d.logger.info(
        { network: name },
        'the CIDR belongs to an earlier network of this name; waiting for the garbage collector',
      );
      return { requeueAfterMs: 1_000 };
    }
    // The same check as `multinic validate` (netconf's checkNetworkSpec): an invalid spec writes nothing.
    const parsed = this.#checkNetwork(raw);
    if (!parsed.ok) {
      const problems = parsed.problems.map((message): Problem => ({ reason: 'InvalidSpec', message }));
      await this.#finish(ctx, { plan: cidr?.spec as NetworkPlan | undefined, planApplied: false, problems });
      return {};
    }
    const previous = cidr === undefined ? undefined : this.#parseCidr(cidr);
    const conflict = this.#conflicts().get(name);
    if (conflict !== undefined) {
      // Nothing is written for a refused network: no CIDR, no IPPools, no NADs (what an earlier version wrote stays).
      const plan = previous?.ok === true ? previous.value : undefined;
      await this.#finish(ctx, {
        plan,
        planApplied: false,
        problems: [{ reason: 'Conflict', message: conflict.message }],
      });
      return {};
    }
    if (previous !== undefined && !previous.ok) {
      const message = `CIDR ${name} cannot be read, so the plan in force is unknown and nothing was written: ${previous.problems.map(formatProblem).join('; ')}; delete the CIDR only if no pod uses the network`;
      await this.#finish(ctx, { plan: undefined, planApplied: false, problems: [{ reason: 'InvalidCIDR', message }] });
      return {};
    }
    return this.#plan(ctx, { network: parsed.value, cidr, previous: previous?.value });
  }

  /** The networks refused because their pod range overlaps another's on a shared NIC network (cidr-core decides). */
  #conflicts(): Map<string, NetworkConflict> {
    const claims: NetworkClaim[] = [];
    for (const raw of this.#d.stores.networks.list()) {
      if (raw.metadata.deletionTimestamp !== undefined) continue;
      const parsed = this.#parseNetwork(raw);
      // A network whose delegates run their own IPAM (multiNICIPAM: false) hands out no addresses of ours.
      if (!parsed.ok || !usesMultiNicIpam(parsed.value.spec)) continue;
      const name = raw.metadata.name;
      const cidr = this.#d.recent.cidrs.view(name, this.#d.stores.cidrs.get(name));
      const previous = cidr === undefined ? undefined : this.#parseCidr(cidr);
      const plan = previous?.ok === true ? previous.value : undefined;
      // The subnet in force: a network in use keeps its blocks when its spec changes them (effectiveConfig). A
      // dual-stack network claims each family's subnet (they never overlap each other).
      const inUse = [...(plan?.cidr ?? []), ...(plan?.otherFamily?.cidr ?? [])].some((e) => e.hosts.length > 0);
      for (const { subnet, masterNets } of configsInForce(parsed.value, plan).configs)
        claims.push({ name, subnet, masterNets, inUse, createdAt: raw.metadata.creationTimestamp ?? '' });
    }
    return networkConflicts(claims);
  }

  #checkNetwork(raw: KubeObject): NetworkSpecCheck {
    let checked = this.#checkedNetworks.get(raw);
    if (checked === undefined) this.#checkedNetworks.set(raw, (checked = checkNetworkSpec(raw)));
    return checked;
  }

  /**
   * The schema alone: what a network claims in the conflict check (a network in use whose spec turned invalid in
   * another way still holds its pods' addresses).
   */
  #parseNetwork(raw: KubeObject): ParseResult<MultiNicNetwork> {
    let parsed = this.#parsedNetworks.get(raw);
    if (parsed === undefined) this.#parsedNetworks.set(raw, (parsed = parseWith(MultiNicNetworkSchema, raw)));
    return parsed;
  }

  #parseCidr(cidr: KubeObject): ParseResult<CidrSpec> {
    let parsed = this.#parsedCidrs.get(cidr);
    if (parsed === undefined) this.#parsedCidrs.set(cidr, (parsed = parseWith(CidrSpecSchema, cidr.spec)));
    return parsed;
  }

  async #plan(
    ctx: NetworkContext,
    input: { network: MultiNicNetwork; cidr: KubeObject | undefined; previous: CidrSpec | undefined },
  ): Promise<ReconcileOutcome> {
    const { stores } = this.#d;
    const { configs, problems: blocksProblems } = configsInForce(input.network, input.previous);
    const retention = this.#retention(input.previous);
    // One plan per pod subnet (ADR 0006), in full each time: a dual-stack network is computePlan per family over the
    // same NIC networks; a single-family network is exactly computePlan.
    const planned = computeFamilyPlans({
      networkName: ctx.ref.name,
      configs,
      // No pools for a network whose delegates run their own IPAM: it only needs its NADs (an empty CIDR records that).
      hosts: usesMultiNicIpam(input.network.spec) ? retention.hosts : [],
      previous: [input.previous, input.previous?.otherFamily],
    });
    const [result, other] = planned.results as [PlanResult, ...PlanResult[]];
    const problems: Problem[] = [...blocksProblems, ...planned.problems.map(problemOfPlan)];
    const blocksProblem = blocksProblems[0];
    const config = configs[0] as PlanConfig;
    const { selected, missing } = selectNamespaces(input.network.spec.namespaces ?? [], stores.namespaces.list());
    const withUid = { ...input.network, metadata: { ...input.network.metadata, uid: ctx.ref.uid } };
    const network = blocksProblem === undefined ? withUid : inForce(withUid, config);
    const nads = desiredNads(network as MultiNicNetwork & { metadata: { uid: string } }, selected, {
      agentSocket: this.#d.config.agentSocket,
    });
    if (!nads.ok) problems.push({ reason: 'InvalidSpec', message: nads.error });
    const configBroken = planned.problems.some((p) => p.host === undefined && p.network === undefined);
    const inForcePlan: PlanInForce = other === undefined ? result.plan : { ...result.plan, otherFamily: other.plan };
    if (!configBroken) {
      await this.#applyPlan(ctx, { results: planned.results, cidr: input.cidr, retention });
      if (nads.ok) await this.#applyNads(ctx, nads.value);
    }
    await this.#departureEvents(ctx, retention);
    await this.#finish(ctx, {
      plan: configBroken ? input.previous : inForcePlan,
      planApplied: !configBroken && nads.ok,
      problems,
      namespaces: selected,
      missingNamespaces: missing,
      retained: retention.retained.length,
      routed: needsHostRoutes(input.network),
      ownIpam: usesMultiNicIpam(input.network.spec) ? undefined : input.network.spec.ipam.type,
    });
    this.#d.metrics.planHosts.set({ network: ctx.ref.name }, plannedHosts(inForcePlan).length);
    this.#d.metrics.planPools.set(
      { network: ctx.ref.name },
      planned.results.reduce((n, r) => n + r.ippools.length, 0),
    );
    return retention.nextCheckMs === undefined ? {} : { requeueAfterMs: retention.nextCheckMs + 1 };
  }

  #retention(previous: PlanInForce | undefined): Retention {
    const { stores, recent, clock, config } = this.#d;
    const nodes = new Set(stores.nodes.list().map((n) => n.metadata.name));
    return retainDeparted({
      previous,
      live: liveHosts(stores.hostInterfaces.list(), nodes),
      pool: (name) => poolState(recent.ippools.view(name, stores.ippools.get(name))),
      now: clock.now(),
      graceMs: config.hostGracePeriodSeconds * 1_000,
    });
  }

  /** CIDR first (it is the record of every index), then the IPPools, then the IPPools no longer planned. */
  async #applyPlan(
    ctx: NetworkContext,
    input: { results: readonly PlanResult[]; cidr: KubeObject | undefined; retention: Retention },
  ): Promise<void> {
    const { writer, recent, stores } = this.#d;
    const { results, cidr } = input;
    const [result, other] = results as [PlanResult, ...PlanResult[]];
    const wantedCidr = desiredCidr(ctx.ref, result.plan, other?.plan);
    if (!upToDate(wantedCidr, cidr)) {
      // Read-modify-write on the resourceVersion the plan was computed from: a CIDR changed meanwhile (another
      // replica, a person) fails with CONFLICT and the reconcile starts over from the newer plan.
      const written =
        cidr === undefined
          ? await writer.create<KubeObject>(RESOURCES.cidrs, wantedCidr)
          : await writer.update<KubeObject>(RESOURCES.cidrs, replacement(cidr, wantedCidr));
      recent.cidrs.record(ctx.ref.name, written, stores.cidrs.get(ctx.ref.name));
    }
    const marks = new Map(
      input.retention.retained.map((r) => [r.ippool, r.hostPresent ? { nicGoneAt: r.since } : { departedAt: r.since }]),
    );
    // IPPools of every family: one per (network, host, NIC, family), named by their pod block (ADR 0006 decision 4).
    const wanted = results.flatMap((r) => r.ippools.map((pool) => desiredIPPool(ctx.ref, pool, marks.get(pool.name))));
    const stale = wanted.filter(
      (pool) => !upToDate(pool, recent.ippools.view(pool.metadata.name, stores.ippools.get(pool.metadata.name))),
    );
    await forEachLimit(stale, this.#d.config.writeConcurrency, async (pool) => {
      const written = await writer.apply<KubeObject>(RESOURCES.ippools, pool);
      recent.ippools.record(pool.metadata.name, written, stores.ippools.get(pool.metadata.name));
    });
    const names = new Set(wanted.map((p) => p.metadata.name));
    const orphans = stores.ippools
      .list()
      .filter(
        (p) => (p.spec as { network?: string } | undefined)?.network === ctx.ref.name && !names.has(p.metadata.name),
      );
    await forEachLimit(orphans, this.#d.config.writeConcurrency, async (pool) => {
      await writer.remove(RESOURCES.ippools, { name: pool.metadata.name, uid: pool.metadata.uid });
      recent.ippools.forget(pool.metadata.name);
    });
  }

  async #applyNads(ctx: NetworkContext, wanted: readonly KubeObject[]): Promise<void> {
    const { writer, recent, stores } = this.#d;
    const cached = (nad: KubeObject): KubeObject | undefined =>
      stores.nads.get(nad.metadata.name, nad.metadata.namespace);
    const stale = wanted.filter((nad) => !upToDate(nad, recent.nads.view(objectKey(nad), cached(nad))));
    await forEachLimit(stale, this.#d.config.writeConcurrency, async (nad) => {
      const written = await writer.apply<KubeObject>(RESOURCES.nads, nad);
      recent.nads.record(objectKey(nad), written, cached(nad));
    });
    const keys = new Set(wanted.map(objectKey));
    const orphans = stores.nads
      .list()
      .filter((nad) => nad.metadata.labels?.[NETWORK_LABEL] === ctx.ref.name && !keys.has(objectKey(nad)));
    await forEachLimit(orphans, this.#d.config.writeConcurrency, async (nad) => {
      await writer.remove(RESOURCES.nads, {
        name: nad.metadata.name,
        namespace: nad.metadata.namespace,
        uid: nad.metadata.uid,
      });
      recent.nads.forget(objectKey(nad));
    });
  }

  #routeReport(network: string): (host: string) => HostRouteStatus | undefined {
    return (host) => {
      const status = this.#d.stores.hostInterfaces.get(host)?.status as { routes?: HostRouteStatus[] } | undefined;
      return status?.routes?.find((r) => r.network === network);
    };
  }

  async #finish(ctx: NetworkContext, outcome: Outcome): Promise<void> {
    const status = networkStatus({
      generation: ctx.generation,
      plan: outcome.plan,
      planApplied: outcome.planApplied,
      problems: outcome.problems,
      routeReport: outcome.routed === false ? undefined : this.#routeReport(ctx.ref.name),
      namespaces: outcome.namespaces ?? [],
      missingNamespaces: outcome.missingNamespaces ?? [],
      retained: outcome.retained ?? 0,
      ownIpam: outcome.ownIpam,
      previous: ctx.previousStatus,
      now: this.#d.clock.now(),
    });
    this.#d.metrics.problems.set({ network: ctx.ref.name }, outcome.problems.length);
    for (const problem of newProblems(outcome.problems, ctx.previousStatus)) {
      this.#d.logger.warn({ network: ctx.ref.name, reason: problem.reason }, problem.message);
      await this.#event(ctx, { type: 'Warning', reason: problem.reason, message: problem.message });
    }
    if (statusEqual(status, ctx.previousStatus)) return;
    const body: KubeObject = { apiVersion: GROUP_VERSION, kind: KIND, metadata: { name: ctx.ref.name }, status };
    await this.#d.writer.apply(RESOURCES.networks, body, { status: true });
  }

  async #departureEvents(ctx: NetworkContext, retention: Retention): Promise<void> {
    const fresh = retention.retained.filter((r) => r.isNew);
    for (const host of [...new Set(fresh.map((r) => r.hostName))].sort()) {
      const departed = fresh.filter((r) => r.hostName === host && r.until !== undefined);
      if (departed.length > 0) {
        const until = new Date(Math.min(...departed.map((r) => r.until ?? Infinity))).toISOString();
        const message = `host ${host} left; the blocks of ${[...new Set(departed.map((r) => r.interfaceName))].join(', ')} are kept until their IPPools are empty or until ${until}`;
        await this.#event(ctx, { type: 'Normal', reason: 'HostDeparted', message });
      }
      for (const nic of fresh.filter((r) => r.hostName === host && r.until === undefined)) {
        const message = `NIC ${nic.interfaceName} is gone from host ${host}'s HostInterface, but IPPool ${nic.ippool} still holds pods' addresses: the pool and its block are kept until those are released (an agent that reports lent NICs keeps a host-device pod's NIC listed)`;
        await this.#event(ctx, { type: 'Warning', reason: 'NicGoneInUse', message });
      }
    }
  }

  async #event(
    ctx: NetworkContext,
    event: { type: 'Normal' | 'Warning'; reason: string; message: string },
  ): Promise<void> {
    const regarding = { ...ctx.raw, apiVersion: GROUP_VERSION, kind: KIND };
    try {
      await this.#d.writer.event({ regarding, ...event });
    } catch (err) {
      this.#d.logger.warn({ network: ctx.ref.name, err: String(err) }, 'could not record an Event');
    }
  }
}
