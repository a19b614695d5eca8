// Which of the host's links are secondary NICs, and what the node agent reports about them: a pure function of
// `ip -j -d link` / `ip -j addr` / default routes and sysfs readings, so it is tested with fixtures.
import {
  compareAddresses,
  formatAddress,
  formatPrefix,
  parseAddress,
  parsePrefix,
  prefixContainsAddress,
} from '@multinic/cidr-core';
import type { IpAddress, IpPrefix } from '@multinic/cidr-core';
import type { HostNic } from '@multinic/crd-types';
import { HostNicSchema, formatProblem, parseWith } from '@multinic/crd-types';
import { compareInterfaceNames } from '@multinic/policy';
import { z } from 'zod';

/** One entry of `ip -j addr show` → `addr_info`. */
const IpAddrInfoSchema = z.looseObject({
  family: z.string(),
  local: z.string(),
  prefixlen: z.number().int(),
  scope: z.string().optional(),
  /** IPv6 duplicate address detection has not finished: the kernel does not use the address yet. */
  tentative: z.boolean().optional(),
  /** Preferred lifetime over: the kernel keeps it for existing connections only. */
  deprecated: z.boolean().optional(),
  /** Duplicate address detection found another holder: the address is unusable. */
  dadfailed: z.boolean().optional(),
});
export type IpAddrInfo = z.output<typeof IpAddrInfoSchema>;

/** One entry of `ip -j -d link show` (and of `ip -j addr show`, which adds `addr_info`). */
export const IpLinkSchema = z.looseObject({
  ifindex: z.number().int().optional(),
  ifname: z.string(),
  flags: z.array(z.string()).default([]),
  mtu: z.number().int().optional(),
  operstate: z.string().optional(),
  link_type: z.string().optional(),
  address: z.string().optional(),
  master: z.string().optional(),
  linkinfo: z.looseObject({ info_kind: z.string().optional(), info_slave_kind: z.string().optional() }).optional(),
  addr_info: z.array(IpAddrInfoSchema).optional(),
});
export type IpLink = z.output<typeof IpLinkSchema>;
export const IpLinkListSchema = z.array(IpLinkSchema);

/** One next hop of a multipath route (`ip -j route show` → `nexthops`). */
const IpNextHopSchema = z.looseObject({ gateway: z.string().optional(), dev: z.string().optional() });

/** One entry of `ip -j route show` (main table, IPv4 or IPv6). */
export const IpRouteSchema = z.looseObject({
  dst: z.string().optional(),
  gateway: z.string().optional(),
  dev: z.string().optional(),
  nexthops: z.array(IpNextHopSchema).optional(),
});
export type IpRoute = z.output<typeof IpRouteSchema>;
export const IpRouteListSchema = z.array(IpRouteSchema);

/** The raw sysfs values of one link (`/sys/class/net/<if>/…`); absent when the file does not exist. */
export interface SysfsReadings {
  /** `speed` (Mbit/s; -1 or unreadable when unknown). */
  readonly speed?: string;
  /** `device/numa_node` (-1 when none). */
  readonly numaNode?: string;
  /** `device/vendor`, e.g. `0x15b3`. */
  readonly vendor?: string;
  /** `device/device`, e.g. `0x1017`. */
  readonly device?: string;
  /** `device/uevent` (DRIVER=…, PCI_SLOT_NAME=…). */
  readonly uevent?: string;
  /** `device/sriov_totalvfs`. */
  readonly sriovTotalVfs?: string;
  /** The target of the `device/physfn` link (an SR-IOV VF's PF), e.g. `../0000:3b:00.0`. */
  readonly physfn?: string;
}

export interface DiscoveryOptions {
  /** Interface names matching any of these are never reported (pod-side and virtual links we or others create). */
  readonly excludeNames: readonly RegExp[];
  /** Link kinds (`ip -d link` info_kind) never reported, e.g. bridge, vxlan, macvlan. */
  readonly excludeKinds: readonly string[];
  /** Report the NIC that carries the default route (default false). */
  readonly includeDefaultRoute: boolean;
  /** Report links that are down (default false). */
  readonly includeDown: boolean;
  /** Report NICs without a global address (netAddress and hostIP ""); default false. */
  readonly includeUnaddressed: boolean;
}

export const DEFAULT_EXCLUDE_NAMES: readonly string[] = [
  '^lo$',
  '^veth',
  '^cni',
  '^docker',
  '^cali',
  '^flannel',
  '^cilium',
  '^lxc',
  '^kube-',
  '^tunl',
  '^vxlan',
  '^genev',
  '^ovs-',
  '^br-',
  '^virbr',
];
export const DEFAULT_EXCLUDE_KINDS: readonly string[] = [
  'bridge',
  'macvlan',
  'macvtap',
  'ipvlan',
  'ipvtap',
  'vxlan',
  'geneve',
  'tun',
  'dummy',
  'vrf',
  'ifb',
  'ipip',
  'gre',
  'gretap',
  'sit',
  'wireguard',
  'openvswitch',
];

export interface DiscoveryInput {
  /** `ip -j -d addr show` (link fields plus addr_info) — or links and addresses merged by name. */
  readonly links: readonly IpLink[];
  /** Devices of the default routes (`ip -j route show default`, v4 and v6). */
  readonly defaultRouteDevices: readonly string[];
  /** The main table's routes (`ip -j route show`, v4 and v6): a NIC's gateway is a next hop through it. */
  readonly routes?: readonly IpRoute[];
  /** Sysfs readings by interface name. */
  readonly sysfs: Readonly<Record<string, SysfsReadings>>;
  readonly options: DiscoveryOptions;
}

export interface SkippedLink {
  readonly interfaceName: string;
  readonly reason: string;
}

export interface DiscoveryResult {
  /** Reported NICs in interface-name order. */
  readonly nics: HostNic[];
  /** Every other link, with the reason. */
  readonly skipped: SkippedLink[];
}

/** Why a link is not a NIC we report, or undefined when it is. */
function exclusion(link: IpLink, input: DiscoveryInput): string | undefined {
  const { options } = input;
  if (link.flags.includes('LOOPBACK') || link.link_type === 'loopback') return 'loopback';
  const pattern = options.excludeNames.find((re) => re.test(link.ifname));
  if (pattern !== undefined) return `name matches excluded pattern ${pattern.source}`;
  const kind = link.linkinfo?.info_kind;
  if (kind !== undefined && options.excludeKinds.includes(kind)) return `virtual link of kind ${kind}`;
  if (link.master !== undefined) return `enslaved to ${link.master}`;
  if (!options.includeDefaultRoute && input.defaultRouteDevices.includes(link.ifname))
    return 'carries the default route';
  const down = !link.flags.includes('UP') || link.operstate === 'DOWN' || link.operstate === 'LOWERLAYERDOWN';
  if (!options.includeDown && down) return `link is down (operstate ${link.operstate ?? 'unknown'})`;
  return undefined;
}

interface Addressing {
  readonly netAddress: string;
  readonly hostIP: string;
  readonly addresses: string[];
}

/**
 * Whether an address is one a pod network may be planned on: IPv4 or IPv6, global scope (link-local, host and site
 * scopes left out), and usable now — not tentative (IPv6 DAD still running: it appears at the next poll once DAD
 * is done), not deprecated (kept only for existing connections), not dadfailed (another host holds it).
 */
export function usableAddress(a: IpAddrInfo): boolean {
  if (a.family !== 'inet' && a.family !== 'inet6') return false;
  if ((a.scope ?? 'global') !== 'global') return false;
  return a.tentative !== true && a.deprecated !== true && a.dadfailed !== true;
}

/** IPv6 addresses by address, then prefix length (the kernel lists them newest first). */
function compareV6(a: IpAddrInfo, b: IpAddrInfo): number {
  const x = parseAddress(a.local);
  const y = parseAddress(b.local);
  const byAddress = x.ok && y.ok ? compareAddresses(x.value, y.value) : a.local.localeCompare(b.local);
  return byAddress || a.prefixlen - b.prefixlen;
}

/**
 * Every usable address (usableAddress) goes to `addresses`: the IPv4 ones as `ip` lists them (the primary first),
 * then the IPv6 ones in address order (IPv6 has no primary, and the kernel lists them newest first). netAddress and
 * hostIP are the first of them: the primary IPv4 address, else the lowest IPv6 one (an IPv6-only NIC reports its
 * IPv6 network).
 */
function addressing(info: readonly IpAddrInfo[]): Addressing {
  const usable = info.filter(usableAddress);
  const global = [
    ...usable.filter((a) => a.family === 'inet'),
    ...usable.filter((a) => a.family === 'inet6').sort(compareV6),
  ];
  const addresses = global.map((a) => `${a.local}/${a.prefixlen}`);
  const primary = global[0];
  if (primary === undefined) return { netAddress: '', hostIP: '', addresses };
  const prefix = parsePrefix(`${primary.local}/${primary.prefixlen}`, { normalize: true });
  const ip = parseAddress(primary.local);
  if (!prefix.ok || !ip.ok) return { netAddress: '', hostIP: '', addresses };
  return { netAddress: formatPrefix(prefix.value), hostIP: primary.local, addresses };
}

/** `0x15b3\n` → `15b3`; anything else → undefined. */
function pciId(text: string | undefined): string | undefined {
  const m = /^0x([0-9a-fA-F]{4})$/.exec((text ?? '').trim());
  return m?.[1]?.toLowerCase();
}

/** A non-negative integer from a sysfs file, or undefined (-1, empty, unreadable). */
function count(text: string | undefined): number | undefined {
  const t = (text ?? '').trim();
  if (!/^\d+$/.test(t)) return undefined;
  return Number(t);
}

function ueventValue(uevent: string | undefined, key: string): string | undefined {
  for (const line of (uevent ?? '').split('\n')) {
    const [k, ...rest] = line.trim().split('=');
    if (k === key && rest.length > 0) return rest.join('=');
  }
  return undefined;
}

type MutableNic = { -readonly [K in keyof HostNic]: HostNic[K] };

const isDefault = (dst: string | undefined): boolean => dst === 'default' || dst === '0.0.0.0/0' || dst === '::/0';

/**
 * The gateway of a NIC's network: a next hop of a main-table route through that NIC that lies inside its
 * netAddress. A default route's next hop wins; otherwise the lowest address, so the answer never depends on the
 * order `ip` lists routes in. undefined when no route through the NIC has such a next hop.
 */
export function gatewayOf(
  nic: { interfaceName: string; netAddress: string },
  routes: readonly IpRoute[],
): string | undefined {
  const net = parsePrefix(nic.netAddress);
  if (!net.ok) return undefined;
  const found: { address: IpAddress; preferred: boolean }[] = [];
  for (const route of routes) {
    const hops = route.nexthops ?? [{ gateway: route.gateway, dev: route.dev }];
    for (const hop of hops) {
      const address = hop.dev === nic.interfaceName ? nextHop(net.value, hop.gateway) : undefined;
      if (address !== undefined) found.push({ address, preferred: isDefault(route.dst) });
    }
  }
  found.sort((a, b) => Number(b.preferred) - Number(a.preferred) || compareAddresses(a.address, b.address));
  return found[0] === undefined ? undefined : formatAddress(found[0].address);
}

function nextHop(net: IpPrefix, gateway: string | undefined): IpAddress | undefined {
  if (gateway === undefined) return undefined;
  const address = parseAddress(gateway);
  return address.ok && prefixContainsAddress(net, address.value) ? address.value : undefined;
}

function hardware(nic: MutableNic, s: SysfsReadings): void {
  const speed = count(s.speed);
  if (speed !== undefined) nic.speedMbps = speed;
  const numa = count(s.numaNode);
  if (numa !== undefined) nic.numaNode = numa;
  const pci = ueventValue(s.uevent, 'PCI_SLOT_NAME')?.toLowerCase();
  if (pci !== undefined) nic.pciAddress = pci;
  const vendor = pciId(s.vendor);
  if (vendor !== undefined) nic.vendor = vendor;
  const product = pciId(s.device);
  if (product !== undefined) nic.product = product;
  const driver = ueventValue(s.uevent, 'DRIVER');
  if (driver !== undefined) nic.driver = driver;
  const vfs = count(s.sriovTotalVfs);
  if (vfs !== undefined) nic.totalVfs = vfs;
  const pf = s.physfn?.trim().split('/').pop();
  if (pf !== undefined && pf !== '') nic.pfPciAddress = pf.toLowerCase();
}

/** The HostNic of one link, validated against the CRD schema (a value the API server would reject is an error). */
export function nicOf(
  link: IpLink,
  sysfs: SysfsReadings,
  routes: readonly IpRoute[] = [],
): { ok: true; nic: HostNic } | { ok: false; reason: string } {
  const nic: MutableNic = { interfaceName: link.ifname, ...addressing(link.addr_info ?? []) };
  if (nic.addresses?.length === 0) delete nic.addresses;
  const gateway = nic.netAddress === '' ? undefined : gatewayOf(nic, routes);
  if (gateway !== undefined) nic.gateway = gateway;
  if (link.address !== undefined && link.address !== '') nic.mac = link.address;
  if (link.mtu !== undefined) nic.mtu = link.mtu;
  hardware(nic, sysfs);
  const parsed = parseWith(HostNicSchema, nic);
  if (!parsed.ok) return { ok: false, reason: `not reportable: ${parsed.problems.map(formatProblem).join('; ')}` };
  return { ok: true, nic: parsed.value };
}

/** The host's secondary NICs and why every other link is not one. Deterministic: output in interface-name order. */
export function discoverNics(input: DiscoveryInput): DiscoveryResult {
  const nics: HostNic[] = [];
  const skipped: SkippedLink[] = [];
  const links = [...input.links].sort((a, b) => compareInterfaceNames(a.ifname, b.ifname));
  for (const link of links) {
    const why = exclusion(link, input);
    if (why !== undefined) {
      skipped.push({ interfaceName: link.ifname, reason: why });
      continue;
    }
    const result = nicOf(link, input.sysfs[link.ifname] ?? {}, input.routes);
    if (!result.ok) skipped.push({ interfaceName: link.ifname, reason: result.reason });
    else if (result.nic.hostIP === '' && !input.options.includeUnaddressed)
      skipped.push({ interfaceName: link.ifname, reason: 'no global IPv4 or IPv6 address' });
    else nics.push(result.nic);
  }
  return { nics, skipped };
}

export interface NicChanges {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

/** What changed between two discoveries, by interface name. */
export function diffNics(before: readonly HostNic[], after: readonly HostNic[]): NicChanges {
  const old = new Map(before.map((n) => [n.interfaceName, JSON.stringify(n)]));
  const now = new Map(after.map((n) => [n.interfaceName, JSON.stringify(n)]));
  return {
    added: [...now.keys()].filter((k) => !old.has(k)),
    removed: [...old.keys()].filter((k) => !now.has(k)),
    changed: [...now.entries()].filter(([k, v]) => old.has(k) && old.get(k) !== v).map(([k]) => k),
  };
}
