// The full plan computation, kept as mutable per-network state so NetworkPlanner can apply one host's
// change without recomputing everything (and still produce exactly what a full computation would).
import { familyBits, formatPrefix, formatV4, parsePrefix } from '../address.js';
import type { IpPrefix } from '../address.js';
import { comparePrefixes, nthSubPrefix, prefixContains, subPrefixIndex } from '../prefix.js';
import { defaultHostBlock, minPodBits, parseConfig } from './config.js';
import type { ParsedConfig } from './config.js';
import { collectNics, compareText, mergeHosts, NetParser } from './hosts.js';
import type { DraftEntry, NetRecord } from './hosts.js';
import { IndexPool, mergeRanges } from './indexes.js';
import type { NumberRanges } from './indexes.js';
import { DEFAULT_ROUTE_TABLE_BASE } from './types.js';
import type {
  IPPoolPlan,
  NetworkPlan,
  PlanHost,
  PlanHostEntry,
  PlanInput,
  PlanInterfaceEntry,
  PlanProblem,
} from './types.js';

export interface NetState {
  readonly key: string;
  readonly net: IpPrefix;
  readonly interfaceIndex: number;
  readonly vlan: IpPrefix;
  readonly vlanCIDR: string;
  /** Bits of the host index: the config's hostBlock, or in host-subnet mode without one `defaultHostBlock`. */
  readonly hostBits: number;
  readonly pool: IndexPool;
  /** Host index -> prefixes inside that pod block that must not be handed out. */
  readonly poolExcludes: ReadonlyMap<number, readonly IpPrefix[]>;
  /** Ordered by hostIndex; `pools` is parallel to it. */
  readonly entries: PlanHostEntry[];
  readonly pools: IPPoolPlan[];
  /** Host-subnet mode: the gateway each NIC reported (its pool's gateway), by plan entry. */
  readonly gatewayOf: ReadonlyMap<PlanHostEntry, string>;
  /** Cached output object; cleared whenever entries change. */
  snapshot: PlanInterfaceEntry | undefined;
}

export interface PlanState {
  readonly networkName: string;
  readonly config: ParsedConfig | undefined;
  readonly rawConfig: PlanInput['config'];
  readonly routeTableBase: number;
  /** Ordered by interface index. */
  readonly nets: NetState[];
  readonly netsByKey: Map<string, NetState>;
  readonly problems: PlanProblem[];
  /** Hosts as given (merged by name, sorted). */
  readonly hosts: PlanHost[];
}

/** IPPool name: `<network>-<podCIDR with "/" (and ":") as "-">`, as multi-nic-cni names them. */
export function poolName(networkName: string, podCIDR: string): string {
  const text = podCIDR.replaceAll(':', '-').replace('/', '-');
  return `${networkName}-${text}`;
}

/** Shared by every pool without excludes (most of them): results are read-only. */
const NO_EXCLUDES = Object.freeze([]) as unknown as string[];

/** Completes a NIC's entry at one host index. IPv4 stays in exact double arithmetic (no bigint): it is hot. */
export function makeEntry(state: PlanState, net: NetState, draft: DraftEntry, hostIndex: number): PlanHostEntry {
  const hostBits = net.hostBits;
  const podLength = net.vlan.length + hostBits;
  draft.hostIndex = hostIndex;
  if (net.vlan.family === 4) {
    const base = formatV4(Number(net.vlan.base) + hostIndex * 2 ** (32 - podLength));
    draft.podCIDR = `${base}/${podLength}`;
    draft.ippool = `${state.networkName}-${base}-${podLength}`;
  } else {
    draft.podCIDR = formatPrefix(nthSubPrefix(net.vlan, hostBits, BigInt(hostIndex)));
    draft.ippool = poolName(state.networkName, draft.podCIDR);
  }
  return draft;
}

/** The IPPool of a plan entry. */
export function makePool(net: NetState, entry: PlanHostEntry): IPPoolPlan {
  const excluded = net.poolExcludes.size === 0 ? undefined : net.poolExcludes.get(entry.hostIndex);
  const { hostName, interfaceName, podCIDR } = entry;
  const excludes = excluded === undefined ? NO_EXCLUDES : [...excluded].sort(comparePrefixes).map(formatPrefix);
  const gateway = net.gatewayOf.size === 0 ? undefined : net.gatewayOf.get(entry);
  const pool = { name: entry.ippool, hostName, interfaceName, podCIDR, vlanCIDR: net.vlanCIDR, excludes };
  return gateway === undefined ? pool : { ...pool, gateway };
}

// ------------------------------------------------------------------------------------------------
// Interface indexes

function selectNetworks(config: ParsedConfig, nets: NetParser): string[] {
  if (config.masterNets.length > 0) {
    for (const key of config.masterNets) nets.parse(key);
    return [...config.masterNets];
  }
  const records = [...nets.networks.values()].filter((record) => record.nics.length > 0);
  return records.sort((a, b) => comparePrefixes(a.prefix, b.prefix)).map((record) => record.key);
}

/** Interface indexes blocked by excludes that cover a whole vlan block. */
function blockedInterfaces(config: ParsedConfig): NumberRanges {
  const subnet = config.subnet;
  if (subnet === undefined) return [];
  const vlanLength = subnet.length + config.interfaceBits;
  const ranges: [number, number][] = [];
  for (const exclude of config.excludes) {
    if (prefixContains(exclude, subnet)) ranges.push([0, 2 ** config.interfaceBits - 1]);
    else if (prefixContains(subnet, exclude) && exclude.length <= vlanLength) {
      const first = Number(subPrefixIndex(subnet, config.interfaceBits, exclude.base));
      ranges.push([first, first + 2 ** (vlanLength - exclude.length) - 1]);
    }
  }
  return mergeRanges(ranges);
}

function assignInterfaces(
  config: ParsedConfig,
  keys: readonly string[],
  input: PlanInput,
  problems: PlanProblem[],
): Map<string, number> {
  const capacity = config.subnet === undefined ? Number.POSITIVE_INFINITY : 2 ** config.interfaceBits;
  const pool = new IndexPool({ capacity, blocked: blockedInterfaces(config), highWater: 0 });
  const wanted = new Set(keys);
  const assigned = new Map<string, number>();
  const previous = [...(input.previous?.cidr ?? [])].sort((a, b) => a.interfaceIndex - b.interfaceIndex);
  for (const entry of previous) {
    const key = canonicalKey(entry.netAddress);
    if (key !== undefined && wanted.has(key) && !assigned.has(key) && pool.claim(entry.interfaceIndex)) {
      assigned.set(key, entry.interfaceIndex);
    }
  }
  for (const key of keys) {
    if (assigned.has(key)) continue;
    const index = pool.takeLowest();
    if (index !== undefined) assigned.set(key, index);
    else problems.push({ code: 'NO_INTERFACE_INDEX', network: key, reason: noInterfaceReason(config, key, pool) });
  }
  return assigned;
}

function noInterfaceReason(config: ParsedConfig, key: string, pool: IndexPool): string {
  const blocked = pool.blocked.reduce((n, [lo, hi]) => n + Math.min(hi, pool.capacity - 1) - lo + 1, 0);
  const excluded = blocked > 0 ? ` (${blocked} of them excluded by excludeCIDRs)` : '';
  return (
    `network ${key} has no free interface index: interfaceBlock ${config.interfaceBits} allows ` +
    `${pool.capacity} networks${excluded} and all are in use; raise interfaceBlock or list fewer masterNets`
  );
}

function canonicalKey(text: string): string | undefined {
  const parsed = parsePrefix(text);
  return parsed.ok ? formatPrefix(parsed.value) : undefined;
}

// ------------------------------------------------------------------------------------------------
// Host slots of one network

interface SlotRules {
  /** Host indexes that can never hold a pod block. */
  readonly hard: NumberRanges;
  /** Host indexes not handed to new hosts (host-subnet mode: they contain some host's address). */
  readonly soft: NumberRanges;
  readonly poolExcludes: Map<number, IpPrefix[]>;
  /** Host-subnet mode: the slot of each address a pod block must not contain. */
  readonly slotOf: (value: bigint) => number;
}

function addExclude(map: Map<number, IpPrefix[]>, index: number, prefix: IpPrefix): void {
  const list = map.get(index);
  if (list === undefined) map.set(index, [prefix]);
  else if (!list.some((p) => prefixContains(p, prefix))) list.push(prefix);
}

/** What slot rules read of the config: the excludes, and the network's host bits. */
interface SlotConfig {
  readonly excludes: readonly IpPrefix[];
  readonly hostBits: number;
}

function slotRules(
  config: SlotConfig,
  vlan: IpPrefix,
  reserved: readonly bigint[],
  softReserved: readonly bigint[],
): SlotRules {
  const podLength = vlan.length + config.hostBits;
  const slotOf = (value: bigint): number => Number(subPrefixIndex(vlan, config.hostBits, value));
  const hard: [number, number][] = reserved.map((value) => [slotOf(value), slotOf(value)]);
  const poolExcludes = new Map<number, IpPrefix[]>();
  const sorted = [...config.excludes].sort(comparePrefixes);
  for (const exclude of sorted) {
    if (prefixContains(exclude, vlan)) hard.push([0, 2 ** config.hostBits - 1]);
    else if (!prefixContains(vlan, exclude)) continue;
    else if (exclude.length <= podLength) {
      const first = slotOf(exclude.base);
      hard.push([first, first + 2 ** (podLength - exclude.length) - 1]);
    } else addExclude(poolExcludes, slotOf(exclude.base), exclude);
  }
  const soft = softReserved.map((value): [number, number] => [slotOf(value), slotOf(value)]);
  for (const value of softReserved) {
    addExclude(poolExcludes, slotOf(value), { family: vlan.family, base: value, length: familyBits(vlan.family) });
  }
  return { hard: mergeRanges(hard), soft: mergeRanges([...hard, ...soft]), poolExcludes, slotOf };
}

const isIndex = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/** The previous high-water mark, at least one past every index the previous plan used. */
function highWaterOf(previous: PlanInterfaceEntry | undefined): number {
  let highWater = isIndex(previous?.highWater) ? previous.highWater : 0;
  for (const host of previous?.hosts ?? [])
    if (isIndex(host.hostIndex)) highWater = Math.max(highWater, host.hostIndex + 1);
  return highWater;
}

interface NetInput {
  readonly key: string;
  readonly net: IpPrefix;
  readonly interfaceIndex: number;
  /** The config's hostBlock, or in host-subnet mode without one `defaultHostBlock` of the network. */
  readonly hostBits: number;
  readonly record: NetRecord;
  readonly previous: PlanInterfaceEntry | undefined;
}

function vlanOf(config: ParsedConfig, input: NetInput): IpPrefix {
  return config.subnet === undefined
    ? input.net
    : nthSubPrefix(config.subnet, config.interfaceBits, BigInt(input.interfaceIndex));
}

function hostSubnetTooSmall(config: ParsedConfig, input: NetInput): PlanProblem | undefined {
  const podLength = input.net.length + input.hostBits;
  const max = familyBits(input.net.family) - minPodBits(input.net);
  if (config.subnet !== undefined || podLength <= max) return undefined;
  const fix =
    config.hostBits === undefined
      ? `the default hostBlock ${input.hostBits} (half the network's address bits) leaves no room: use a NIC ` +
        `network of at least /${max - 1} for host-subnet mode, or set a pod subnet`
      : input.net.length < max
        ? `lower hostBlock to at most ${max - input.net.length}, or leave it out for the default`
        : `use a larger NIC network, or set a pod subnet`;
  return {
    code: 'NETWORK_TOO_SMALL',
    network: input.key,
    reason:
      `network ${input.key} is too small for hostBlock ${input.hostBits} in host-subnet mode: pod blocks ` +
      `would be /${podLength} (at most /${max}); ${fix}`,
  };
}

function buildNet(state: PlanState, input: NetInput): NetState {
  const config = state.config as ParsedConfig;
  const vlan = vlanOf(config, input);
  const hostSubnet = config.subnet === undefined;
  const reserved: bigint[] = [];
  const hostAddresses: bigint[] = [];
  if (hostSubnet) {
    // A gateway is treated like a host address: no new host gets its slot, and a block kept from the previous plan
    // that later gains it keeps it and excludes it (a running pod's block never moves: its old slot would otherwise
    // go to another host one day while its pods still hold addresses in it).
    reserved.push(vlan.base);
    hostAddresses.push(...input.record.addresses, ...input.record.gateways);
  }
  const rules = slotRules({ excludes: config.excludes, hostBits: input.hostBits }, vlan, reserved, hostAddresses);
  const pool = new IndexPool({
    capacity: 2 ** input.hostBits,
    blocked: rules.soft,
    highWater: highWaterOf(input.previous),
  });
  const net: NetState = {
    key: input.key,
    net: input.net,
    interfaceIndex: input.interfaceIndex,
    vlan,
    vlanCIDR: formatPrefix(vlan),
    hostBits: input.hostBits,
    pool,
    poolExcludes: rules.poolExcludes,
    entries: [],
    pools: [],
    gatewayOf: input.record.gatewayOf,
    snapshot: undefined,
  };
  placeHosts(state, net, input, rules);
  return net;
}

function previousIndexes(previous: PlanInterfaceEntry | undefined): Map<string, Map<string, number>> {
  const byHost = new Map<string, Map<string, number>>();
  for (const host of previous?.hosts ?? []) {
    let nics = byHost.get(host.hostName);
    if (nics === undefined) byHost.set(host.hostName, (nics = new Map()));
    if (!nics.has(host.interfaceName)) nics.set(host.interfaceName, host.hostIndex);
  }
  return byHost;
}

function placeHosts(state: PlanState, net: NetState, input: NetInput, rules: SlotRules): void {
  const previous = previousIndexes(input.previous);
  const hostSubnet = state.config?.subnet === undefined;
  const { nics, addresses } = input.record;
  const indexes: number[] = [];
  const placed: DraftEntry[] = [];
  const fresh: DraftEntry[] = [];
  for (let i = 0; i < nics.length; i++) {
    const nic = nics[i] as DraftEntry;
    const index = previous.size === 0 ? undefined : previous.get(nic.hostName)?.get(nic.interfaceName);
    const keep =
      index !== undefined &&
      skipHard(rules, index) &&
      (!hostSubnet || rules.slotOf(addresses[i] as bigint) !== index) &&
      claimKept(net.pool, index);
    if (keep) {
      indexes.push(index);
      placed.push(nic);
    } else fresh.push(nic);
  }
  for (const nic of fresh) {
    const index = net.pool.take();
    if (index === undefined) state.problems.push(noHostIndexProblem(state, net, nic));
    else {
      indexes.push(index);
      placed.push(nic);
    }
  }
  for (const i of orderOf(indexes)) {
    const entry = makeEntry(state, net, placed[i] as DraftEntry, indexes[i] as number);
    net.entries.push(entry);
    net.pools.push(makePool(net, entry));
  }
}

/** Positions of `values` in ascending value order (no sort when already ascending). */
function orderOf(values: readonly number[]): number[] {
  const order = values.map((_, i) => i);
  for (let i = 1; i < values.length; i++) {
    if ((values[i - 1] as number) > (values[i] as number))
      return order.sort((a, b) => (values[a] as number) - (values[b] as number));
  }
  return order;
}

function skipHard(rules: SlotRules, index: number): boolean {
  return !rules.hard.some(([lo, hi]) => lo <= index && index <= hi);
}

/** Keeps a previous index even if a host address landed in it later (soft block): a block never moves for that. */
function claimKept(pool: IndexPool, index: number): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= pool.capacity || pool.used.has(index)) return false;
  pool.used.add(index);
  if (index >= pool.highWater) pool.highWater = index + 1;
  return true;
}

function noHostIndexProblem(state: PlanState, net: NetState, nic: DraftEntry): PlanProblem {
  const hostBits = net.hostBits;
  const blocked = net.pool.blocked.reduce((n, [lo, hi]) => n + Math.min(hi, net.pool.capacity - 1) - lo + 1, 0);
  const hostSubnet = state.config?.subnet === undefined;
  const why =
    blocked === 0
      ? ''
      : hostSubnet
        ? `, ${blocked} of them unusable (holding the network address, a gateway or a host's address, or excluded),`
        : `, ${blocked} of them unusable (excluded or holding a reserved address),`;
  const max = familyBits(net.net.family) - minPodBits(net.net) - net.net.length;
  const fix =
    hostSubnet && hostBits < max
      ? `raise hostBlock (at most ${max} on this network${state.config?.hostBits === undefined ? `, the default is ${hostBits}` : ''}) or free a host`
      : hostSubnet
        ? 'use a larger NIC network, or free a host'
        : 'raise hostBlock or free a host';
  return {
    code: 'NO_HOST_INDEX',
    host: nic.hostName,
    network: net.key,
    reason:
      `host ${nic.hostName} (${nic.interfaceName}) has no free host index on ${net.key}: hostBlock ${hostBits} ` +
      `allows ${2 ** hostBits} hosts${why} and all are in use; ${fix}`,
  };
}

// ------------------------------------------------------------------------------------------------

function copyConfig(config: PlanInput['config']): PlanInput['config'] {
  const list = (value: string[]): string[] => (Array.isArray(value) ? [...value] : value);
  return { ...config, masterNets: list(config.masterNets), excludeCIDRs: list(config.excludeCIDRs) };
}

function emptyState(input: PlanInput, config: ParsedConfig | undefined, problems: PlanProblem[]): PlanState {
  return {
    networkName: input.networkName,
    config,
    rawConfig: copyConfig(input.config),
    routeTableBase: input.routeTableBase ?? DEFAULT_ROUTE_TABLE_BASE,
    nets: [],
    netsByKey: new Map(),
    problems,
    hosts: mergeHosts(input.hosts),
  };
}

/** The full computation. */
export function computeState(input: PlanInput): PlanState {
  const { parsed, problems } = parseConfig(input.config);
  const state = emptyState(input, parsed, problems);
  if (parsed === undefined) return state;
  const nets = new NetParser(parsed.subnet === undefined);
  collectNics(state.hosts, nets, problems);
  const keys = selectNetworks(parsed, nets);
  const indexes = assignInterfaces(parsed, keys, input, problems);
  const previousByKey = new Map<string, PlanInterfaceEntry>();
  for (const entry of input.previous?.cidr ?? []) {
    const key = canonicalKey(entry.netAddress);
    if (key !== undefined && !previousByKey.has(key)) previousByKey.set(key, entry);
  }
  const ordered = [...indexes].sort((a, b) => a[1] - b[1] || compareText(a[0], b[0]));
  for (const [key, interfaceIndex] of ordered) {
    const record = nets.networks.get(key) as NetRecord;
    const hostBits = parsed.hostBits ?? defaultHostBlock(record.prefix);
    const previous = previousByKey.get(key);
    const netInput = { key, net: record.prefix, interfaceIndex, hostBits, record, previous };
    const tooSmall = hostSubnetTooSmall(parsed, netInput);
    if (tooSmall !== undefined) {
      problems.push(tooSmall);
      continue;
    }
    const net = buildNet(state, netInput);
    state.nets.push(net);
    state.netsByKey.set(key, net);
  }
  return state;
}

export function interfaceEntry(net: NetState): PlanInterfaceEntry {
  net.snapshot ??= {
    netAddress: net.key,
    interfaceIndex: net.interfaceIndex,
    vlanCIDR: net.vlanCIDR,
    hosts: net.entries.slice(),
    highWater: net.pool.highWater,
  };
  return net.snapshot;
}

export function planOf(state: PlanState): NetworkPlan {
  return { config: state.rawConfig, cidr: state.nets.map(interfaceEntry) };
}
