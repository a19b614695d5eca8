// The local cluster's topology as data: the NIC networks (one Linux bridge each in the switch namespace) and, per
// host, its NICs (name, network, address, and an IPv6 address when the network has an IPv6 prefix too).
// `Cluster.start({ topology })` builds exactly this; the demo prints it.
import { formatAddress, parseAddress, parsePrefix, prefixContainsAddress } from '@multinic/cidr-core';

/** A NIC network of the topology: one bridge in the switch namespace joins every host NIC on it. */
export interface TopologyNetwork {
  /** The NIC network, e.g. 10.10.1.0/24 (what a MultiNicNetwork's `masterNets` names). */
  readonly cidr: string;
  /**
   * The network's IPv6 prefix beside `cidr`, e.g. fd10:10:1::/64: every NIC on it has an address there too (added
   * with `nodad`, so it is usable at once), and `masterNets` may name the network by it.
   */
  readonly ipv6?: string;
  /** The bridge in the switch namespace (br1, br2, …). */
  readonly bridge: string;
  /** How many NICs each host has on this network (host-device pods take a whole NIC each). */
  readonly nicsPerHost: number;
  /** An address/prefix the switch namespace holds on the bridge (a stand-in gateway); none by default. */
  readonly gateway?: string;
}

/** One NIC of one host: a veth whose peer is on its network's bridge. */
export interface TopologyNic {
  /** The interface name in the host namespace (eth1, eth2, …). */
  readonly name: string;
  /** The NIC network's CIDR (one of the topology's networks). */
  readonly network: string;
  /** The host's address on it, address/prefix, e.g. 10.10.1.1/24. */
  readonly address: string;
  /** The network's IPv6 prefix (TopologyNetwork.ipv6), when it has one. */
  readonly network6?: string;
  /** The host's IPv6 address on it, e.g. fd10:10:1::1/64 (same host part as the IPv4 address, written in hex). */
  readonly address6?: string;
}

export interface Topology {
  readonly networks: readonly TopologyNetwork[];
  /** hosts[i] are the NICs of host-(i+1). A host added later (`addHost(n)`) gets `hostNics(networks, n)`. */
  readonly hosts: readonly (readonly TopologyNic[])[];
}

/** A network as a topology option: its CIDR, and optionally NICs per host (default 1) and a switch address. */
export interface NetworkOption {
  readonly cidr: string;
  readonly ipv6?: string;
  readonly nicsPerHost?: number;
  readonly gateway?: string;
}

/**
 * What the e2e tests have always had: two NICs per host, eth1 on 10.10.1.0/24 and eth2 on 10.10.2.0/24; each NIC also
 * has an IPv6 address, on fd10:10:1::/64 and fd10:10:2::/64.
 */
export const DEFAULT_NETWORKS: readonly NetworkOption[] = [
  { cidr: '10.10.1.0/24', ipv6: 'fd10:10:1::/64' },
  { cidr: '10.10.2.0/24', ipv6: 'fd10:10:2::/64' },
];

/**
 * The demo's topology and the one the examples name: the two networks above, and 10.10.3.0/24 with two NICs per host
 * for host-device pods (each takes a whole NIC). The spare NICs stay IPv4-only: host-device moves a NIC into a pod
 * and back, and what the host gets back is its IPv4 addressing.
 */
export const DEMO_NETWORKS: readonly NetworkOption[] = [...DEFAULT_NETWORKS, { cidr: '10.10.3.0/24', nicsPerHost: 2 }];

function ipv4(text: string): number {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${text}`);
  return parts.reduce((acc, octet) => acc * 256 + octet, 0);
}

function dotted(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/**
 * The IPv6 address of host part `offset` on `prefix`: the offset's decimal digits read as hex (host-1's NIC 2 on
 * fd10:10:3::/64 is fd10:10:3::101, like 10.10.3.101), so the two families look alike. Throws when outside.
 */
export function ipv6HostAddress(prefix: string, offset: number): string {
  const net = parsePrefix(prefix);
  if (!net.ok || net.value.family !== 6) throw new Error(`not an IPv6 prefix: ${prefix}`);
  const value = net.value.base + BigInt(`0x${offset}`);
  const address = parseAddress(formatAddress({ family: 6, value }));
  if (!address.ok || !prefixContainsAddress(net.value, address.value) || value === net.value.base)
    throw new Error(`no host address ${offset} on ${prefix}`);
  return `${formatAddress(address.value)}/${net.value.length}`;
}

/**
 * Host `index`'s NICs: named eth1, eth2, … in the order of the networks; the k-th NIC (from 0) of a host on a network
 * has the network's address + 100·k + index (10.10.3.1 and 10.10.3.101 for host-1), and on a network with an IPv6
 * prefix the IPv6 address with the same digits (fd10:10:1::1). Throws when that is not a host address of the network.
 */
export function hostNics(networks: readonly TopologyNetwork[], index: number): TopologyNic[] {
  const nics: TopologyNic[] = [];
  for (const net of networks) {
    const [base, bits] = net.cidr.split('/');
    const prefix = Number(bits);
    const size = 2 ** (32 - prefix);
    for (let k = 0; k < net.nicsPerHost; k++) {
      const offset = 100 * k + index;
      if (offset <= 0 || offset >= size - 1)
        throw new Error(`host ${index} has no address for NIC ${k + 1} on ${net.cidr} (offset ${offset})`);
      nics.push({
        name: `eth${nics.length + 1}`,
        network: net.cidr,
        address: `${dotted(ipv4(base ?? '') + offset)}/${prefix}`,
        ...(net.ipv6 === undefined ? {} : { network6: net.ipv6, address6: ipv6HostAddress(net.ipv6, offset) }),
      });
    }
  }
  return nics;
}

/** A topology of `hosts` hosts over `networks` (default DEFAULT_NETWORKS); bridges br1, br2, … in network order. */
export function makeTopology(options: { hosts: number; networks?: readonly NetworkOption[] }): Topology {
  const networks = (options.networks ?? DEFAULT_NETWORKS).map((n, i): TopologyNetwork => ({
    cidr: n.cidr,
    bridge: `br${i + 1}`,
    nicsPerHost: n.nicsPerHost ?? 1,
    ...(n.ipv6 === undefined ? {} : { ipv6: n.ipv6 }),
    ...(n.gateway === undefined ? {} : { gateway: n.gateway }),
  }));
  return { networks, hosts: Array.from({ length: options.hosts }, (_, i) => hostNics(networks, i + 1)) };
}

/**
 * Lines describing the topology, e.g. `10.10.3.0/24 (br3): eth3, eth4 on each host (host-1 10.10.3.1, 10.10.3.101)`,
 * and for a network with an IPv6 prefix a second line with its IPv6 addresses.
 */
export function describeTopology(topology: Topology): string[] {
  return topology.networks.flatMap((net) => {
    const names = [
      ...new Set(topology.hosts.flatMap((h) => h.filter((n) => n.network === net.cidr).map((n) => n.name))),
    ];
    const addresses = topology.hosts.map(
      (h, i) =>
        `host-${i + 1} ${h
          .filter((n) => n.network === net.cidr)
          .map((n) => n.address.split('/')[0] ?? '')
          .join(', ')}`,
    );
    const gw = net.gateway === undefined ? '' : `; switch ${net.gateway}`;
    const line = `${net.cidr} (${net.bridge}): ${names.join(', ')} on each host (${addresses.join('; ')})${gw}`;
    if (net.ipv6 === undefined) return [line];
    const addresses6 = topology.hosts.map(
      (h, i) =>
        `host-${i + 1} ${h
          .filter((n) => n.network === net.cidr)
          .map((n) => n.address6?.split('/')[0] ?? '')
          .join(', ')}`,
    );
    return [line, `  and ${net.ipv6} on the same NICs (${addresses6.join('; ')})`];
  });
}
