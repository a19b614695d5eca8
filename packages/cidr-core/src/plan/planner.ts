// computePlan and NetworkPlanner: the same plan, computed in full or kept up to date one host at a time.
import { collectNics, mergeHosts, NetParser } from './hosts.js';
import type { DraftEntry } from './hosts.js';
import { lazyHostRecord, routesForHost, rulesForHost } from './routes.js';
import { computeState, makeEntry, makePool, planOf } from './state.js';
import type { NetState, PlanState } from './state.js';
import type { IPPoolPlan, PlanHost, PlanInput, PlanProblem, PlanResult } from './types.js';

function resultOf(state: PlanState): PlanResult {
  const plan = planOf(state);
  const base = state.routeTableBase;
  return {
    plan,
    ippools: ([] as IPPoolPlan[]).concat(...state.nets.map((net) => net.pools)),
    routes: lazyHostRecord(plan, (host) => routesForHost(plan, host, base)),
    rules: lazyHostRecord(plan, (host) => rulesForHost(plan, host, base)),
    problems: [...state.problems],
  };
}

/**
 * The network plan: a pure function of (config, hosts with their NICs, previous plan). Same input, same
 * output, whatever the order of hosts. Interface indexes follow masterNets order when the plan is created
 * and take the lowest free index later; host indexes are kept while the host exists, new hosts are placed
 * in host-name order on the lowest never-used index, and a freed index is reused only when no never-used
 * index is left. Capacity and input problems are reported in `problems`, never thrown.
 */
export function computePlan(input: PlanInput): PlanResult {
  return resultOf(computeState(input));
}

function upperBound(entries: readonly { hostIndex: number }[], index: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((entries[mid] as { hostIndex: number }).hostIndex <= index) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Keeps a plan up to date as hosts come and go. Each call returns exactly what `computePlan` returns for
 * the current hosts with the last plan as `previous`; a host joining or leaving a healthy plan costs
 * O(hosts on its networks) instead of a full recomputation. Anything else (a host's NICs changing,
 * host-subnet mode, a plan with problems, a network appearing or vanishing) recomputes in full.
 */
export class NetworkPlanner {
  readonly #input: Omit<PlanInput, 'hosts' | 'previous'>;
  readonly #hosts: Map<string, PlanHost>;
  #state: PlanState;
  #result: PlanResult;

  constructor(input: PlanInput) {
    this.#input = {
      networkName: input.networkName,
      config: input.config,
      ...(input.routeTableBase === undefined ? {} : { routeTableBase: input.routeTableBase }),
    };
    this.#state = computeState(input);
    this.#hosts = new Map(this.#state.hosts.map((host) => [host.hostName, host]));
    this.#result = resultOf(this.#state);
  }

  get result(): PlanResult {
    return this.#result;
  }

  /** Adds a host, or replaces the host of the same name. */
  setHost(host: PlanHost): PlanResult {
    if (!this.#tryJoin(host)) {
      const merged = mergeHosts([host])[0] as PlanHost;
      this.#hosts.set(host.hostName, merged);
      this.#recompute();
    }
    return this.#result;
  }

  removeHost(hostName: string): PlanResult {
    if (!this.#hosts.has(hostName)) return this.#result;
    if (!this.#tryLeave(hostName)) {
      this.#hosts.delete(hostName);
      this.#recompute();
    }
    return this.#result;
  }

  #recompute(): void {
    const hosts = [...this.#hosts.values()];
    this.#state = computeState({ ...this.#input, hosts, previous: this.#result.plan });
    this.#result = resultOf(this.#state);
  }

  #healthy(): boolean {
    return this.#state.problems.length === 0 && this.#state.config?.subnet !== undefined;
  }

  /** The host's valid NICs on planned networks, or undefined when a full recomputation is needed. */
  #joinable(host: PlanHost): [NetState, DraftEntry][] | undefined {
    if (!this.#healthy() || this.#hosts.has(host.hostName)) return undefined;
    const problems: PlanProblem[] = [];
    const nets = new NetParser(false);
    collectNics(mergeHosts([host]), nets, problems);
    if (problems.length > 0) return undefined;
    const everyNetwork = this.#state.config?.masterNets.length === 0;
    const placed: [NetState, DraftEntry][] = [];
    for (const record of nets.networks.values()) {
      const net = this.#state.netsByKey.get(record.key);
      if (net !== undefined) placed.push(...record.nics.map((nic): [NetState, DraftEntry] => [net, nic]));
      else if (everyNetwork) return undefined;
    }
    return placed;
  }

  #tryJoin(host: PlanHost): boolean {
    const placed = this.#joinable(host);
    if (placed === undefined) return false;
    const checkpoints = new Map(placed.map(([net]) => [net, net.pool.checkpoint()]));
    const taken: [NetState, DraftEntry, number][] = [];
    for (const [net, nic] of placed) {
      const index = net.pool.take();
      if (index === undefined) {
        for (const [n, checkpoint] of checkpoints)
          n.pool.rollback(
            checkpoint,
            taken.filter(([t]) => t === n).map(([, , i]) => i),
          );
        return false;
      }
      taken.push([net, nic, index]);
    }
    for (const [net, nic, index] of taken) {
      const entry = makeEntry(this.#state, net, nic, index);
      const at = upperBound(net.entries, index);
      net.entries.splice(at, 0, entry);
      net.pools.splice(at, 0, makePool(net, entry));
      net.snapshot = undefined;
    }
    this.#hosts.set(host.hostName, mergeHosts([host])[0] as PlanHost);
    this.#result = resultOf(this.#state);
    return true;
  }

  #tryLeave(hostName: string): boolean {
    if (!this.#healthy()) return false;
    const everyNetwork = this.#state.config?.masterNets.length === 0;
    const touched = this.#state.nets.filter((net) => net.entries.some((entry) => entry.hostName === hostName));
    if (everyNetwork && touched.some((net) => net.entries.every((entry) => entry.hostName === hostName))) return false;
    for (const net of touched) {
      for (let i = net.entries.length - 1; i >= 0; i--) {
        const entry = net.entries[i];
        if (entry?.hostName !== hostName) continue;
        net.pool.free(entry.hostIndex);
        net.entries.splice(i, 1);
        net.pools.splice(i, 1);
      }
      net.snapshot = undefined;
    }
    this.#hosts.delete(hostName);
    this.#result = resultOf(this.#state);
    return true;
  }
}
