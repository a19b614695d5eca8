// The plans of a network with one pod subnet per family (ADR 0006): computePlan once per subnet, with the same hosts
// and NIC networks. Each NIC is given to a family's plan with its address of that family (its netAddress/hostIP, or
// one of its `addresses`); the NIC networks are those of the first plan, named in each family by the addresses the
// NICs on them have, and they keep the first plan's interface index in every family.
import { formatAddress, formatPrefix, parseAddress, parsePrefix } from '../address.js';
import type { Family, IpPrefix } from '../address.js';
import { compareText } from './hosts.js';
import { computePlan } from './planner.js';
import type {
  NetworkPlan,
  PlanConfig,
  PlanHost,
  PlanInterfaceEntry,
  PlanNic,
  PlanProblem,
  PlanResult,
} from './types.js';

export interface FamilyPlansInput {
  /** The MultiNicNetwork name: prefixes IPPool names. */
  networkName: string;
  /**
   * One config per pod subnet, at most one per family, the first family first; the same masterNets in each (an
   * entry may name a NIC network by its IPv4 or its IPv6 prefix). One config plans exactly like `computePlan`
   * except that each NIC is planned with its address of the subnet's family.
   */
  configs: readonly PlanConfig[];
  hosts: readonly PlanHost[];
  /** The plans computed last time, parallel to `configs` (the CIDR's spec and its otherFamily). */
  previous?: readonly (NetworkPlan | undefined)[];
  routeTableBase?: number;
}

export interface FamilyPlansResult {
  /** Parallel to `configs`. */
  results: PlanResult[];
  /** Every family's problems, then the NICs and master networks without an address of a planned family. */
  problems: PlanProblem[];
}

/** A parsed address of a NIC: its network and its address in canonical text. */
interface NicAddress {
  readonly network: IpPrefix;
  readonly key: string;
  readonly hostIP: string;
}

function nicAddresses(nic: PlanNic): NicAddress[] {
  const out: NicAddress[] = [];
  const net = parsePrefix(String(nic.netAddress));
  const ip = parseAddress(String(nic.hostIP));
  if (net.ok && ip.ok) out.push({ network: net.value, key: formatPrefix(net.value), hostIP: formatAddress(ip.value) });
  for (const text of Array.isArray(nic.addresses) ? nic.addresses : []) {
    const slash = String(text).lastIndexOf('/');
    const address = parseAddress(String(text).slice(0, slash));
    const network = parsePrefix(String(text), { normalize: true });
    if (slash < 0 || !address.ok || !network.ok) continue;
    const key = formatPrefix(network.value);
    if (!out.some((a) => a.key === key))
      out.push({ network: network.value, key, hostIP: formatAddress(address.value) });
  }
  return out;
}

function familyOfText(text: string): Family | undefined {
  const parsed = parsePrefix(text);
  return parsed.ok ? parsed.value.family : undefined;
}

const familyName = (family: Family): string => `IPv${family}`;

/** The NIC as one plan sees it: its address of that family, or on one of `networks` (host-subnet mode). */
function nicView(nic: PlanNic, pick: (a: NicAddress) => boolean): PlanNic | undefined {
  const { addresses: _all, ...plain } = nic;
  const own = parsePrefix(String(nic.netAddress));
  if (own.ok && pick({ network: own.value, key: formatPrefix(own.value), hostIP: '' })) return plain;
  const other = nicAddresses(nic).find(pick);
  if (other === undefined) return undefined;
  return { interfaceName: nic.interfaceName, netAddress: other.key, hostIP: other.hostIP };
}

/** The hosts of one plan: each NIC with its address picked by `pick`, NICs without one left out. */
function hostsView(hosts: readonly PlanHost[], pick: (a: NicAddress) => boolean): PlanHost[] {
  return hosts.map((host) => ({
    hostName: host.hostName,
    interfaces: (Array.isArray(host.interfaces) ? host.interfaces : []).flatMap((nic) => {
      const view = nicView(nic, pick);
      return view === undefined ? [] : [view];
    }),
  }));
}

/** For each NIC network (any family): how many NICs on it have each network of the other families. */
class NetworkMap {
  readonly #counts = new Map<string, Map<string, number>>();

  constructor(hosts: readonly PlanHost[]) {
    for (const host of hosts)
      for (const nic of Array.isArray(host.interfaces) ? host.interfaces : []) this.#count(nicAddresses(nic));
  }

  #count(addresses: readonly NicAddress[]): void {
    for (const a of addresses)
      for (const b of addresses) {
        if (a.network.family === b.network.family) continue;
        const counts = this.#counts.get(a.key) ?? new Map<string, number>();
        counts.set(b.key, (counts.get(b.key) ?? 0) + 1);
        this.#counts.set(a.key, counts);
      }
  }

  /** The network of `family` most NICs on `key` have (ties: the lowest text), or undefined. */
  translate(key: string, family: Family): string | undefined {
    if (familyOfText(key) === family) return key;
    let best: [string, number] | undefined;
    for (const [other, count] of this.#counts.get(key) ?? []) {
      if (familyOfText(other) !== family) continue;
      if (best === undefined || count > best[1] || (count === best[1] && compareText(other, best[0]) < 0))
        best = [other, count];
    }
    return best?.[0];
  }
}

function canonical(text: string): string | undefined {
  const parsed = parsePrefix(text);
  return parsed.ok ? formatPrefix(parsed.value) : undefined;
}

interface FamilyRun {
  readonly config: PlanConfig;
  readonly family: Family | undefined;
  /** The masterNets this family plans with, in its own family. */
  readonly masterNets: string[];
  readonly previous: NetworkPlan | undefined;
  readonly problems: PlanProblem[];
  /** No NIC network is named in this family: plan none (an empty masterNets would mean every network). */
  readonly none: boolean;
}

/** The first plan: the config's masterNets named in its family (host-subnet mode: as written). */
function firstRun(input: FamilyPlansInput, map: NetworkMap, config: PlanConfig): FamilyRun {
  const family = familyOfText(config.subnet);
  const problems: PlanProblem[] = [];
  const masterNets: string[] = [];
  for (const text of Array.isArray(config.masterNets) ? config.masterNets : []) {
    const key = canonical(String(text));
    const named = key === undefined || family === undefined ? String(text) : map.translate(key, family);
    if (named !== undefined) masterNets.push(named);
    else problems.push(noFamilyNetwork(key as string, family as Family, config.subnet));
  }
  // Not a list: computePlan reports it as given.
  const given = Array.isArray(config.masterNets) ? masterNets : config.masterNets;
  const none = masterNets.length === 0 && problems.length > 0;
  return { config, family, masterNets: given, previous: input.previous?.[0], problems, none };
}

function noFamilyNetwork(network: string, family: Family, subnet: string): PlanProblem {
  return {
    code: 'NO_FAMILY_ADDRESS',
    network,
    reason:
      `master network ${network}: no NIC on it has an ${familyName(family)} address, so the ${familyName(family)} ` +
      `subnet ${subnet} gives it no blocks (an ${familyName(family)} master network on hosts without ` +
      `${familyName(family)}); give the NICs on it an ${familyName(family)} address, or drop the subnet`,
  };
}

/** A later family: the first plan's NIC networks named in this family, at the first plan's interface indexes. */
function laterRun(input: FamilyPlansInput, map: NetworkMap, first: NetworkPlan, k: number): FamilyRun {
  const config = input.configs[k] as PlanConfig;
  const family = familyOfText(config.subnet) as Family;
  const problems: PlanProblem[] = [];
  const byKey = new Map<string, PlanInterfaceEntry>();
  for (const entry of input.previous?.[k]?.cidr ?? []) {
    const key = canonical(entry.netAddress);
    if (key !== undefined && !byKey.has(key)) byKey.set(key, entry);
  }
  const masterNets: string[] = [];
  const cidr: PlanInterfaceEntry[] = [];
  for (const entry of first.cidr) {
    const key = map.translate(entry.netAddress, family);
    if (key === undefined) {
      problems.push(noFamilyNetwork(entry.netAddress, family, config.subnet));
      continue;
    }
    if (masterNets.includes(key)) continue;
    masterNets.push(key);
    const kept = byKey.get(key);
    cidr.push({ netAddress: key, vlanCIDR: '', hosts: [], ...kept, interfaceIndex: entry.interfaceIndex });
  }
  return { config, family, masterNets, previous: { config, cidr }, problems, none: masterNets.length === 0 };
}

function plan(input: FamilyPlansInput, run: FamilyRun): PlanResult {
  const family = run.family;
  const masterKeys = new Set(Array.isArray(run.masterNets) ? run.masterNets.map(canonical) : []);
  const pick =
    family !== undefined
      ? (a: NicAddress) => a.network.family === family
      : (a: NicAddress) => run.masterNets.length === 0 || masterKeys.has(a.key);
  const result = computePlan({
    networkName: input.networkName,
    config: { ...run.config, masterNets: run.masterNets },
    hosts: run.none ? [] : hostsView(input.hosts, pick),
    ...(run.previous === undefined ? {} : { previous: run.previous }),
    ...(input.routeTableBase === undefined ? {} : { routeTableBase: input.routeTableBase }),
  });
  // The recorded config is the one given (masterNets as the user named them).
  const masterNets = Array.isArray(run.config.masterNets) ? [...run.config.masterNets] : run.config.masterNets;
  return { ...result, plan: { ...result.plan, config: { ...result.plan.config, masterNets } } };
}

/** NICs on a planned network (named in any family) without an address of `family`. */
function missingAddresses(hosts: readonly PlanHost[], planned: ReadonlySet<string>, run: FamilyRun): PlanProblem[] {
  const family = run.family;
  if (family === undefined) return [];
  const problems: PlanProblem[] = [];
  for (const host of hosts)
    for (const nic of Array.isArray(host.interfaces) ? host.interfaces : []) {
      const addresses = nicAddresses(nic);
      const on = addresses.find((a) => planned.has(a.key));
      if (on === undefined || addresses.some((a) => a.network.family === family)) continue;
      problems.push({
        code: 'NO_FAMILY_ADDRESS',
        host: host.hostName,
        network: on.key,
        reason:
          `host ${host.hostName} interface ${nic.interfaceName} on ${on.key} has no ${familyName(family)} address, so ` +
          `the ${familyName(family)} subnet ${run.config.subnet} gives it no block and a pod of the network cannot ` +
          `use it; give the NIC an ${familyName(family)} address (an ${familyName(family)} master network on a host ` +
          `without ${familyName(family)})`,
      });
    }
  return problems;
}

/** Interface indexes a later family could not keep (its interfaceBlock is smaller, or an exclude blocks the index). */
function indexMismatches(first: NetworkPlan, result: PlanResult, run: FamilyRun, map: NetworkMap): PlanProblem[] {
  const family = run.family as Family;
  const indexOf = new Map(result.plan.cidr.map((e) => [e.netAddress, e.interfaceIndex]));
  const problems: PlanProblem[] = [];
  for (const entry of first.cidr) {
    const key = map.translate(entry.netAddress, family);
    const index = key === undefined ? undefined : indexOf.get(key);
    if (index === undefined || index === entry.interfaceIndex) continue;
    problems.push({
      code: 'NO_INTERFACE_INDEX',
      network: key as string,
      reason:
        `network ${key as string} has interface index ${entry.interfaceIndex} in the first subnet but ${index} in ` +
        `${run.config.subnet}: that index is out of its interfaceBlock ${run.config.interfaceBlock} or excluded; raise ` +
        'the interfaceBlock of this subnet or remove the exclude',
    });
  }
  return problems;
}

/**
 * The plans of a network with one pod subnet per family (ADR 0006): `computePlan` per config with the same hosts
 * and NIC networks. The first config plans the NIC networks its masterNets name (an entry of the other family names
 * the network of that family the NICs on it have); every later config plans the same NIC networks, named by the
 * NICs' addresses of its family, at the same interface indexes. Host indexes are per family. A NIC on a planned
 * network without an address of a planned family gets a `NO_FAMILY_ADDRESS` problem naming host, NIC and family.
 */
export function computeFamilyPlans(input: FamilyPlansInput): FamilyPlansResult {
  const [head, ...rest] = input.configs;
  if (head === undefined) return { results: [], problems: [] };
  const map = new NetworkMap(input.hosts);
  const run0 = firstRun(input, map, head);
  const first = plan(input, run0);
  const results = [first];
  const problems = [...first.problems, ...run0.problems];
  // The planned NIC networks, named in every family (a NIC on one lacking a planned family is reported).
  const planned = new Set<string>();
  const names = [
    ...first.plan.cidr.map((e) => e.netAddress),
    ...(Array.isArray(head.masterNets) ? head.masterNets.map(String) : []),
  ];
  for (const name of names) {
    const key = canonical(name);
    if (key === undefined) continue;
    planned.add(key);
    for (const family of [4, 6] as const) planned.add(map.translate(key, family) ?? key);
  }
  problems.push(...missingAddresses(input.hosts, planned, run0));
  rest.forEach((_, i) => {
    const run = laterRun(input, map, first.plan, i + 1);
    const result = plan(input, run);
    results.push(result);
    problems.push(...result.problems, ...run.problems, ...missingAddresses(input.hosts, planned, run));
    problems.push(...indexMismatches(first.plan, result, run, map));
  });
  return { results, problems };
}
