import type { IpAddress, IpPrefix, Result } from '@multinic/cidr-core';
import type { Allocation, IpamRoute } from '@multinic/crd-types';
import { address, formatIp, prefix } from './address.js';
import { ordered } from './json.js';
import type { Json, JsonObject } from './json.js';
import type { PluginConfig } from './plugin.js';
import { pluginJson } from './plugin.js';
import { planPodRoutes } from './routes.js';
import type { NetworkRoute, PodNicAddressing, PodRoutePlan, PolicyRoutingOptions } from './routes.js';

/** One selected NIC with its allocation (the agent's `Allocation`, plus the NIC's PCI address for sriov/host-device). */
export type DelegateNic = Pick<Allocation, 'interfaceName' | 'podInterface' | 'address' | 'vlanCIDR'> &
  Partial<Pick<Allocation, 'gateway' | 'routes'>> & {
    /** PCI address of the NIC (sriov: the VF, from the device plugin). */
    readonly pciAddress?: string | undefined;
    /** A dual-stack NIC's address of the other family (the agent's `Allocation.otherFamily`, ADR 0006). */
    readonly otherFamily?: DelegateAddress | undefined;
  };

/** One address of a NIC: with the vlan block's prefix length (or none), the vlan block, the pods' gateway. */
export interface DelegateAddress {
  readonly address: string;
  readonly vlanCIDR: string;
  readonly gateway?: string | undefined;
}

export interface BuildDelegatesInput {
  readonly plugin: PluginConfig;
  /** In pod-interface order. */
  readonly nics: readonly DelegateNic[];
  /** The network's routes (`spec.ipam.routes`). */
  readonly routes?: readonly IpamRoute[];
  /** Source policy routing per NIC; `false` turns it off. */
  readonly policyRouting?: PolicyRoutingOptions | false;
}

export interface Delegate {
  /** Interface name inside the pod (the delegate's CNI_IFNAME), e.g. `net1` or `net1-1` (see podInterfaceName). */
  readonly podInterface: string;
  /** The host NIC it is attached to. */
  readonly hostInterface: string;
  /** The configuration to pass to the reference plugin on stdin. */
  readonly config: JsonObject;
}

export interface DelegatePlan {
  readonly delegates: readonly Delegate[];
  /** Routes beyond each delegate's static IPAM: multipath routes and source policy routing. */
  readonly routes: PodRoutePlan;
}

/**
 * The pod interface of the i-th selected NIC: the first is exactly `<ifname>` (CNI_IFNAME, the network selection's
 * `interface`), the others `<ifname>-<i>` (`net1`, `net1-1`, `net1-2`, …). A one-NIC attachment is named as the pod
 * asked, and Multus' `default-route` — which sets the default route on the link named CNI_IFNAME — acts on the first
 * NIC of a multi-NIC attachment; a name does not change when an attachment gets more NICs.
 */
export function podInterfaceName(ifname: string, index: number): string {
  return index === 0 ? ifname : `${ifname}-${index}`;
}

interface ParsedAddress {
  readonly address: IpAddress;
  readonly vlan: IpPrefix;
  readonly gateway?: IpAddress;
}

interface Addressed extends ParsedAddress {
  readonly nic: DelegateNic;
  readonly other?: ParsedAddress;
}

/** Parses one address of a NIC; an address with a prefix length must carry the vlan block's length. */
function parseAddressing(a: DelegateAddress, field: string): Result<ParsedAddress> {
  const vlan = prefix(a.vlanCIDR, `${field}.vlanCIDR`);
  if (!vlan.ok) return vlan;
  const [ipText = '', lengthText] = a.address.split('/');
  const ip = address(ipText, `${field}.address`);
  if (!ip.ok) return ip;
  if (lengthText !== undefined && Number(lengthText) !== vlan.value.length) {
    return {
      ok: false,
      error: `${field}.address ${a.address} must have the prefix length of vlanCIDR ${a.vlanCIDR} (/${vlan.value.length})`,
    };
  }
  if (a.gateway === undefined || a.gateway === '') return { ok: true, value: { address: ip.value, vlan: vlan.value } };
  const gateway = address(a.gateway, `${field}.gateway`);
  if (!gateway.ok) return gateway;
  return { ok: true, value: { address: ip.value, vlan: vlan.value, gateway: gateway.value } };
}

/** Parses one NIC's addressing: its address, and a dual-stack NIC's address of the other family. */
function addressed(nic: DelegateNic, i: number): Result<Addressed> {
  const field = `nics[${i}] (${nic.interfaceName})`;
  const first = parseAddressing(nic, field);
  if (!first.ok) return first;
  if (nic.otherFamily === undefined) return { ok: true, value: { nic, ...first.value } };
  const other = parseAddressing(nic.otherFamily, `${field}.otherFamily`);
  if (!other.ok) return other;
  if (other.value.address.family === first.value.address.family) {
    return {
      ok: false,
      error: `${field}.otherFamily.address ${nic.otherFamily.address} is of the same family as ${nic.address}: it must be the other IP family's`,
    };
  }
  return { ok: true, value: { nic, ...first.value, other: other.value } };
}

function routeJson(route: NetworkRoute): JsonObject {
  return ordered([
    ['dst', route.dst],
    ['gw', route.gw],
  ]);
}

function addressEntry(a: ParsedAddress): JsonObject {
  return ordered([
    ['address', `${formatIp(a.address)}/${a.vlan.length}`],
    ['gateway', a.gateway === undefined ? undefined : formatIp(a.gateway)],
  ]);
}

/**
 * Static IPAM: the pod address (both of a dual-stack NIC, the first family first) with the vlan block's prefix
 * length, its gateway, its single-path routes, DNS.
 */
function staticIpam(a: Addressed, routes: readonly NetworkRoute[], plugin: PluginConfig): JsonObject {
  return ordered([
    ['type', 'static'],
    ['addresses', a.other === undefined ? [addressEntry(a)] : [addressEntry(a), addressEntry(a.other)]],
    ['routes', routes.length === 0 ? undefined : routes.map(routeJson)],
    ['dns', plugin.dns],
  ]);
}

function attachment(
  plugin: PluginConfig,
  nic: Pick<DelegateNic, 'interfaceName' | 'pciAddress'>,
): Result<readonly (readonly [string, Json | undefined])[]> {
  switch (plugin.type) {
    case 'ipvlan':
    case 'aws-ipvlan':
    case 'macvlan':
      return { ok: true, value: [['master', nic.interfaceName]] };
    case 'host-device':
      if (plugin.pciBusID !== true) return { ok: true, value: [['device', nic.interfaceName]] };
      return nic.pciAddress === undefined
        ? {
            ok: false,
            error: `NIC ${nic.interfaceName} has no PCI address, but host-device is set to move NICs by pciBusID`,
          }
        : { ok: true, value: [['pciBusID', nic.pciAddress]] };
    case 'sriov':
      return nic.pciAddress === undefined
        ? {
            ok: false,
            error: `NIC ${nic.interfaceName} has no PCI address: sriov needs the VF's PCI address as deviceID (from the device plugin allocation)`,
          }
        : { ok: true, value: [['deviceID', nic.pciAddress]] };
  }
}

/** NAD `plugin` fields that are not delegate settings (they are placed explicitly or belong to the NAD). */
const NOT_IN_DELEGATE: ReadonlySet<string> = new Set([
  'cniVersion',
  'type',
  'capabilities',
  'dns',
  'resourceName',
  'pciBusID',
]);

/** The delegate configuration for one NIC, keys in a fixed order. */
function delegateConfig(plugin: PluginConfig, a: Addressed, routes: readonly NetworkRoute[]): Result<JsonObject> {
  const attach = attachment(plugin, a.nic);
  if (!attach.ok) return attach;
  const json = pluginJson(plugin);
  const settings = Object.entries(json).filter(([key]) => !NOT_IN_DELEGATE.has(key));
  return {
    ok: true,
    value: ordered([
      ['cniVersion', plugin.cniVersion],
      ['name', a.nic.podInterface],
      ['type', plugin.type],
      ...attach.value,
      ...settings,
      ['capabilities', json['capabilities']],
      ['ipam', staticIpam(a, routes, plugin)],
    ]),
  };
}

function mergeRoutes(planned: readonly NetworkRoute[], extra: DelegateNic['routes']): NetworkRoute[] {
  const out = [...planned];
  for (const route of extra ?? []) {
    if (!out.some((r) => r.dst === route.dst))
      out.push(route.gw === undefined ? { dst: route.dst } : { dst: route.dst, gw: route.gw });
  }
  return out;
}

/**
 * The per-NIC delegate configurations a pod's ADD executes (`name` = the pod interface, `podInterfaceName`,
 * `master`/`device`/`deviceID` = the chosen NIC, IPAM `static` with the allocated address at the vlan block's
 * prefix length so the whole interface network is on-link), and the pod routes that do not fit into one
 * delegate (multipath, source policy routing).
 */
export function buildDelegates(input: BuildDelegatesInput): Result<DelegatePlan> {
  const parsed: Addressed[] = [];
  for (const [i, nic] of input.nics.entries()) {
    const a = addressed(nic, i);
    if (!a.ok) return a;
    parsed.push(a.value);
  }
  const pods: PodNicAddressing[] = parsed.map((a) => ({
    ifName: a.nic.podInterface,
    address: a.address,
    vlan: a.vlan,
    ...(a.gateway === undefined ? {} : { gateway: a.gateway }),
    ...(a.other === undefined ? {} : { other: a.other }),
  }));
  const plan = planPodRoutes({
    nics: pods,
    ...(input.routes === undefined ? {} : { routes: input.routes }),
    ...(input.policyRouting === undefined ? {} : { policyRouting: input.policyRouting }),
  });
  if (!plan.ok) return plan;
  const delegates: Delegate[] = [];
  for (const [i, a] of parsed.entries()) {
    const config = delegateConfig(input.plugin, a, mergeRoutes(plan.value.perNic[i] ?? [], a.nic.routes));
    if (!config.ok) return config;
    delegates.push({ podInterface: a.nic.podInterface, hostInterface: a.nic.interfaceName, config: config.value });
  }
  return { ok: true, value: { delegates, routes: plan.value } };
}

/** One selected NIC of a network whose delegates keep their own IPAM (`multiNICIPAM: false`): no address of ours. */
export type PassThroughNic = Pick<DelegateNic, 'interfaceName' | 'podInterface' | 'pciAddress'>;

export interface BuildPassThroughDelegatesInput {
  readonly plugin: PluginConfig;
  /** In pod-interface order. */
  readonly nics: readonly PassThroughNic[];
  /** The network's name: the delegates' `name`, so the IPAM keeps its state per network (host-local's data dir). */
  readonly network: string;
  /** The network's `ipam` as written: every delegate gets exactly this object. */
  readonly ipam: JsonObject;
}

/**
 * The per-NIC delegate configurations of a network with `multiNICIPAM: false` (multi-nic-cni's single-NIC IPAM):
 * as `buildDelegates`, but each delegate runs the network's own IPAM (host-local, whereabouts, …) unchanged, once per
 * NIC (its `name` is the network's, as for a single-NIC network, so host-local keeps one store per network), and the
 * pod gets no routes of ours (no addresses are known before the delegates run; the IPAM's own routes apply).
 */
export function buildPassThroughDelegates(input: BuildPassThroughDelegatesInput): Result<DelegatePlan> {
  const json = pluginJson(input.plugin);
  const settings = Object.entries(json).filter(([key]) => !NOT_IN_DELEGATE.has(key));
  const delegates: Delegate[] = [];
  for (const nic of input.nics) {
    const attach = attachment(input.plugin, nic);
    if (!attach.ok) return attach;
    const config = ordered([
      ['cniVersion', input.plugin.cniVersion],
      ['name', input.network],
      ['type', input.plugin.type],
      ...attach.value,
      ...settings,
      ['capabilities', json['capabilities']],
      ['ipam', input.ipam],
    ]);
    delegates.push({ podInterface: nic.podInterface, hostInterface: nic.interfaceName, config });
  }
  const routes = planPodRoutes({ nics: [], policyRouting: false });
  if (!routes.ok) return routes;
  return { ok: true, value: { delegates, routes: routes.value } };
}
