// Validation and normalisation of the hosts' NICs: sorted by host name then interface name (code-unit
// order, the same on every machine), canonical text, grouped by network.
import { formatAddress, formatPrefix, parseAddress, parsePrefix, scanV4 } from '../address.js';
import type { IpPrefix } from '../address.js';
import { prefixContainsAddress } from '../prefix.js';
import type { PlanHost, PlanNic, PlanProblem } from './types.js';

/**
 * A valid NIC being planned. It becomes the plan's PlanHostEntry (the same object, filled in) once it has a
 * host index: at 10,000 hosts x 8 networks one object less per NIC is a visible share of the time.
 */
export interface DraftEntry {
  hostIndex: number;
  hostName: string;
  interfaceName: string;
  /** Canonical hostIP. */
  hostIP: string;
  podCIDR: string;
  ippool: string;
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Hosts sorted by name, hosts listed twice merged into one. */
export function mergeHosts(hosts: readonly PlanHost[]): PlanHost[] {
  const byName = new Map<string, PlanHost>();
  for (const host of hosts) {
    const seen = byName.get(host.hostName);
    const interfaces = Array.isArray(host.interfaces) ? host.interfaces : [];
    byName.set(host.hostName, {
      hostName: host.hostName,
      interfaces: seen ? [...seen.interfaces, ...interfaces] : interfaces,
    });
  }
  return [...byName.values()].sort((a, b) => compareText(a.hostName, b.hostName));
}

/** One NIC network seen in the input, with its valid NICs in host then interface order. */
export interface NetRecord {
  readonly key: string;
  readonly prefix: IpPrefix;
  /** IPv4 only: first and one-past-last address as numbers (hot path, no bigint). */
  readonly first: number;
  readonly end: number;
  /** Valid NICs on this network, in host then interface order. */
  readonly nics: DraftEntry[];
  /** Kept only when the parser keeps addresses (host-subnet mode): each NIC's address, parallel to nics. */
  readonly addresses: bigint[];
  /** Kept only when the parser keeps addresses: the gateways NICs report on this network. */
  readonly gateways: bigint[];
  /** Kept only when the parser keeps addresses: the canonical gateway each NIC reported, by its entry. */
  readonly gatewayOf: Map<DraftEntry, string>;
}

/** Per-computation context: parses each distinct netAddress text once and groups NICs by network. */
export class NetParser {
  readonly #byText = new Map<string, NetRecord | string>();
  /** Networks by canonical netAddress. */
  readonly networks = new Map<string, NetRecord>();
  /** Keep each NIC's address as a bigint (host-subnet mode). */
  readonly keepAddresses: boolean;

  constructor(keepAddresses: boolean) {
    this.keepAddresses = keepAddresses;
  }

  /** The network of a netAddress text, or why it is not one. */
  parse(text: string): NetRecord | string {
    let record = this.#byText.get(text);
    if (record === undefined) {
      const parsed = parsePrefix(text);
      record = parsed.ok ? this.#record(parsed.value) : parsed.error;
      this.#byText.set(text, record);
    }
    return record;
  }

  #record(prefix: IpPrefix): NetRecord {
    const key = formatPrefix(prefix);
    let record = this.networks.get(key);
    if (record === undefined) {
      const first = prefix.family === 4 ? Number(prefix.base) : 0;
      const end = prefix.family === 4 ? first + 2 ** (32 - prefix.length) : 0;
      record = { key, prefix, first, end, nics: [], addresses: [], gateways: [], gatewayOf: new Map() };
      this.networks.set(key, record);
    }
    return record;
  }
}

/** The host address as a bigint when it lies in `net`; a reason otherwise. IPv4 avoids bigint until the end. */
function hostAddress(net: NetRecord, text: string, keep: boolean): bigint | string {
  if (net.prefix.family === 4) {
    const value = scanV4(text);
    if (value >= net.first && value < net.end) return keep ? BigInt(value) : 0n;
  }
  const ip = parseAddress(text);
  if (!ip.ok) return `hostIP ${ip.error}`;
  return prefixContainsAddress(net.prefix, ip.value)
    ? ip.value.value
    : `hostIP ${text} is not in its network ${net.key}`;
}

function gatewayOf(net: IpPrefix, text: string | undefined): bigint | undefined | string {
  if (text === undefined || text === '') return undefined;
  const parsed = parseAddress(text);
  if (!parsed.ok || !prefixContainsAddress(net, parsed.value))
    return `gateway ${text} is not an address in ${formatPrefix(net)}`;
  return parsed.value.value;
}

function whereOf(hostName: string, nic: PlanNic): string {
  return `host ${hostName} interface ${nic.interfaceName}`;
}

/** Adds a valid NIC to its network's record, or says what is wrong with it. */
function checkNic(hostName: string, nic: PlanNic, nets: NetParser): PlanProblem | undefined {
  const network = String(nic.netAddress);
  const net = nets.parse(network);
  if (typeof net === 'string')
    return { code: 'INVALID_NIC', host: hostName, network, reason: `${whereOf(hostName, nic)}: netAddress ${net}` };
  const ip = hostAddress(net, String(nic.hostIP), nets.keepAddresses);
  if (typeof ip === 'string')
    return { code: 'INVALID_NIC', host: hostName, network, reason: `${whereOf(hostName, nic)}: ${ip}` };
  const gateway = gatewayOf(net.prefix, nic.gateway);
  if (typeof gateway === 'string')
    return { code: 'INVALID_NIC', host: hostName, network, reason: `${whereOf(hostName, nic)}: ${gateway}` };
  const family = net.prefix.family;
  const hostIP = family === 4 ? nic.hostIP : formatAddress({ family, value: ip });
  const draft = { hostIndex: -1, hostName, interfaceName: nic.interfaceName, hostIP, podCIDR: '', ippool: '' };
  net.nics.push(draft);
  if (nets.keepAddresses) {
    net.addresses.push(ip);
    if (gateway !== undefined) {
      net.gateways.push(gateway);
      net.gatewayOf.set(draft, formatAddress({ family, value: gateway }));
    }
  }
  return undefined;
}

function isStrictlySorted(nics: readonly PlanNic[]): boolean {
  for (let i = 1; i < nics.length; i++)
    if (!((nics[i - 1] as PlanNic).interfaceName < (nics[i] as PlanNic).interfaceName)) return false;
  return true;
}

function sortedNics(host: PlanHost, problems: PlanProblem[]): readonly PlanNic[] {
  if (isStrictlySorted(host.interfaces)) return host.interfaces;
  const nics = [...host.interfaces].sort((a, b) => compareText(a.interfaceName, b.interfaceName));
  return nics.filter((nic, i) => {
    const repeated =
      nics[i - 1]?.interfaceName === nic.interfaceName || nics[i + 1]?.interfaceName === nic.interfaceName;
    if (repeated && nics[i - 1]?.interfaceName !== nic.interfaceName) {
      problems.push({
        code: 'DUPLICATE_INTERFACE',
        host: host.hostName,
        reason: `host ${host.hostName} lists interface ${nic.interfaceName} more than once; all of them were ignored (report each NIC once)`,
      });
    }
    return !repeated;
  });
}

/** Adds the valid NICs of hosts (sorted and merged by `mergeHosts`) to their networks' records in `nets`. */
export function collectNics(hosts: readonly PlanHost[], nets: NetParser, problems: PlanProblem[]): void {
  for (const host of hosts) {
    if (typeof host.hostName !== 'string' || host.hostName === '') {
      problems.push({ code: 'EMPTY_HOST_NAME', reason: 'a host has an empty hostName; it was ignored' });
      continue;
    }
    for (const nic of sortedNics(host, problems)) {
      const problem = checkNic(host.hostName, nic, nets);
      if (problem !== undefined) problems.push(problem);
    }
  }
}
