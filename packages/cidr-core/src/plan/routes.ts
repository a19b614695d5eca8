// The L3 route plan: for each host and each interface network it is on, a route to every other host's
// pod block on that network via that host's address there, out of the local NIC, all in the network's one
// table, which an `ip rule from <vlanCIDR>` per interface network selects (ADR 0002, amendment 1: the node agent
// gives each routed network the lowest table id >= its base that is free on that node, named `mn-<network>`).
import type { NetworkPlan, PlannedRoute, PlannedRule, PlanInterfaceEntry } from './types.js';

/**
 * The name of a network's routing table on every node, `mn-<network>` (the node agent writes `<id> <name>` to
 * rt_tables.d/multinic.conf, so `ip route show table mn-<network>` works there): characters other than letters,
 * digits, `_`, `.`, `-` become `_`, at most 63 characters.
 */
export function routeTableName(network: string): string {
  return `mn-${network}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 63);
}

/** The local NIC of a host on one network: with several NICs there, the first by name. */
function localDevice(entry: PlanInterfaceEntry, hostName: string): string | undefined {
  let dev: string | undefined;
  for (const host of entry.hosts) {
    if (host.hostName === hostName && (dev === undefined || host.interfaceName < dev)) dev = host.interfaceName;
  }
  return dev;
}

/**
 * Routes one host needs, all in `table` (the network's table), ordered by interface index then by the remote host
 * index. The destinations of different interface networks are disjoint (each pod block lies in its own vlanCIDR),
 * so one table holds them all.
 */
export function routesForHost(plan: NetworkPlan, hostName: string, table: number): PlannedRoute[] {
  const routes: PlannedRoute[] = [];
  for (const entry of plan.cidr) {
    const dev = localDevice(entry, hostName);
    if (dev === undefined) continue;
    for (const remote of entry.hosts) {
      if (remote.hostName !== hostName) routes.push({ dst: remote.podCIDR, via: remote.hostIP, dev, table });
    }
  }
  return routes;
}

/** Policy rules one host needs: one per interface network it is on, each selecting the network's `table`. */
export function rulesForHost(plan: NetworkPlan, hostName: string, table: number): PlannedRule[] {
  return plan.cidr
    .filter((entry) => entry.hosts.some((host) => host.hostName === hostName))
    .map((entry) => ({ from: entry.vlanCIDR, table }));
}

function hostNamesOf(plan: NetworkPlan): string[] {
  const names = new Set<string>();
  for (const entry of plan.cidr) for (const host of entry.hosts) names.add(host.hostName);
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A read-only record whose keys are the plan's host names and whose values are computed on first
 * access (and then kept). Building it costs nothing; a full route table can be hosts^2 long. It is a
 * Proxy: spread it (`{ ...routes }`) or JSON it for a plain copy (structuredClone refuses proxies).
 */
export function lazyHostRecord<T>(plan: NetworkPlan, compute: (hostName: string) => T): Readonly<Record<string, T>> {
  let keys: string[] | undefined;
  let keySet: Set<string> | undefined;
  const values = new Map<string, T>();
  const isKey = (key: string | symbol): key is string => {
    keys ??= hostNamesOf(plan);
    keySet ??= new Set(keys);
    return typeof key === 'string' && keySet.has(key);
  };
  const valueOf = (key: string): T => {
    if (!values.has(key)) values.set(key, compute(key));
    return values.get(key) as T;
  };
  const target = {} as Record<string, T>;
  // util.inspect (console.log) looks at a proxy's target, not through it: show the values instead of {}.
  Object.defineProperty(target, Symbol.for('nodejs.util.inspect.custom'), {
    value: () => Object.fromEntries((keys ??= hostNamesOf(plan)).map((key) => [key, valueOf(key)])),
    configurable: true,
  });
  return new Proxy(target, {
    get: (target, key, receiver) => (isKey(key) ? valueOf(key) : Reflect.get(target, key, receiver)),
    has: (target, key) => isKey(key) || Reflect.has(target, key),
    ownKeys: () => {
      keys ??= hostNamesOf(plan);
      return [...keys];
    },
    getOwnPropertyDescriptor: (_target, key) =>
      isKey(key) ? { value: valueOf(key), writable: false, enumerable: true, configurable: true } : undefined,
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
