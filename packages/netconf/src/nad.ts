import type { Result } from '@multinic/cidr-core';
import type { CniSpecVersion, IpamRoute, MultiNicNetwork, NetworkAttachmentDefinition } from '@multinic/crd-types';
import {
  AGENT_SOCKET_PATH,
  CNI_SPEC_VERSIONS,
  MULTI_NIC_IPAM,
  NAD_API_VERSION,
  NETWORK_LABEL,
  RESOURCE_NAME_ANNOTATION,
} from '@multinic/crd-types';
import { prefix } from './address.js';
import { canonicalJson, ordered } from './json.js';
import type { JsonObject } from './json.js';
import { parsePlugin, pluginFromJson, pluginJson } from './plugin.js';
import type { PluginConfig } from './plugin.js';
import { planPodRoutes } from './routes.js';

/** The CNI type of every multinic NetworkAttachmentDefinition: the multi-NIC main plugin. */
export const MULTI_NIC_CNI_TYPE = 'multi-nic';
/** Label on every generated NetworkAttachmentDefinition naming its MultiNicNetwork (crd-types' constant). */
export { NETWORK_LABEL };

/** The NetworkAttachmentDefinition config, as the multi-nic CNI reads it from stdin. */
export interface MultiNicNetConf {
  readonly cniVersion: CniSpecVersion;
  readonly name: string;
  readonly type: typeof MULTI_NIC_CNI_TYPE;
  /** The pod subnet; empty = host-subnet mode. */
  readonly subnet: string;
  readonly masterNets: readonly string[];
  /** True when the node agent allocates addresses (`multi-nic-ipam`). */
  readonly multiNICIPAM: boolean;
  /** Where the node agent listens. */
  readonly agentSocket: string;
  readonly plugin: PluginConfig;
  /** The network's IPAM settings, as written (keys sorted). */
  readonly ipam: JsonObject;
  /** The network's routes (from `ipam.routes`). */
  readonly routes: readonly IpamRoute[];
}

export interface NadOptions {
  /** Node-agent socket path written into the config. Default `/run/multinic/agent.sock`. */
  readonly agentSocket?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The validated delegate plugin of a network (`spec.plugin`; ipvlan's mode defaults to `spec.ipam.vlanMode`). */
export function networkPlugin(network: MultiNicNetwork): Result<PluginConfig> {
  const vlanMode = network.spec.ipam.vlanMode;
  return parsePlugin(network.spec.plugin, vlanMode === undefined ? {} : { defaultVlanMode: vlanMode });
}

/**
 * Whether a network's pods route at L3 through the host (ipvlan/aws-ipvlan in l3 or l3s mode, the mode coming from
 * `plugin.args.mode` or else `ipam.vlanMode`, as networkPlugin resolves it): only those need host routes. A plugin
 * that does not parse needs none.
 */
export function needsHostRoutes(network: MultiNicNetwork): boolean {
  const plugin = networkPlugin(network);
  if (!plugin.ok) return false;
  const p = plugin.value;
  return (p.type === 'ipvlan' || p.type === 'aws-ipvlan') && (p.mode === 'l3' || p.mode === 'l3s');
}

/** Delegate types that take a whole host NIC (host-device moves the link into the pod): one NIC, one attachment. */
export const WHOLE_NIC_TYPES: readonly PluginConfig['type'][] = ['host-device'];

/** Delegate types whose pod interface can take a MAC the pod asks for (`mac` in its network selection). */
export const MAC_CAPABLE_TYPES: readonly PluginConfig['type'][] = ['macvlan', 'sriov'];

/**
 * The `capabilities` a generated NAD declares: the runtimeConfig keys the multi-nic plugin honours, so that libcni
 * (inside Multus) passes them in `runtimeConfig` — `ips` (the selection's `ips`), `deviceID` (the device a device plugin
 * allocated for the NAD's `k8s.v1.cni.cncf.io/resourceName`, or the selection's `deviceID`) and, for plugin types
 * whose interface can take a chosen MAC, `mac`. Not declared: `portMappings`/`bandwidth` (no chained plugin of ours
 * acts on them), `infinibandGUID` (no InfiniBand delegate), `CNIDeviceInfoFile` (no delegate of ours writes device info).
 */
export function nadCapabilities(plugin: Pick<PluginConfig, 'type'>): JsonObject {
  return MAC_CAPABLE_TYPES.includes(plugin.type)
    ? { deviceID: true, ips: true, mac: true }
    : { deviceID: true, ips: true };
}

/** The NetworkAttachmentDefinition `spec.config` object for a network (keys in a fixed order). */
export function nadConfig(network: MultiNicNetwork, options: NadOptions = {}): Result<JsonObject> {
  const plugin = networkPlugin(network);
  if (!plugin.ok) return { ok: false, error: `spec.${plugin.error}` };
  const ipam = canonicalJson(network.spec.ipam, 'spec.ipam');
  if (!ipam.ok) return ipam;
  const spec = network.spec;
  return {
    ok: true,
    value: ordered([
      ['cniVersion', spec.plugin.cniVersion],
      ['name', network.metadata.name],
      ['type', MULTI_NIC_CNI_TYPE],
      ['capabilities', nadCapabilities(plugin.value)],
      // A dual-stack network's NAD names its first family's subnet (the NetConf is informational, one per network).
      ['subnet', spec.subnet ?? spec.subnets?.[0]?.cidr ?? ''],
      ['masterNets', [...(spec.masterNets ?? [])]],
      ['multiNICIPAM', spec.multiNICIPAM ?? spec.ipam.type === MULTI_NIC_IPAM],
      ['agentSocket', options.agentSocket ?? AGENT_SOCKET_PATH],
      ['plugin', pluginJson(plugin.value)],
      ['ipam', ipam.value],
    ]),
  };
}

/** The device-plugin resource a plugin needs (sriov always, host-device when configured). */
function resourceName(plugin: PluginConfig): string | undefined {
  return plugin.type === 'sriov' || plugin.type === 'host-device' ? plugin.resourceName : undefined;
}

/** The NetworkAttachmentDefinition of a network in one namespace. */
export function buildNetworkAttachmentDefinition(
  network: MultiNicNetwork,
  namespace: string,
  options: NadOptions = {},
): Result<NetworkAttachmentDefinition> {
  const name = network.metadata.name;
  if (!DNS_LABEL.test(name) || name.length > 63) {
    return {
      ok: false,
      error: `metadata.name ${JSON.stringify(name)} cannot name a NetworkAttachmentDefinition: it must be a DNS-1123 label (lower-case letters, digits, '-', at most 63)`,
    };
  }
  if (!DNS_LABEL.test(namespace) || namespace.length > 63)
    return { ok: false, error: `namespace ${JSON.stringify(namespace)} is not a DNS-1123 label` };
  const config = nadConfig(network, options);
  if (!config.ok) return config;
  const plugin = networkPlugin(network);
  const resource = plugin.ok ? resourceName(plugin.value) : undefined;
  const metadata = {
    name,
    namespace,
    labels: { [NETWORK_LABEL]: name },
    ...(resource === undefined ? {} : { annotations: { [RESOURCE_NAME_ANNOTATION]: resource } }),
  };
  return {
    ok: true,
    value: {
      apiVersion: NAD_API_VERSION,
      kind: 'NetworkAttachmentDefinition',
      metadata,
      spec: { config: JSON.stringify(config.value) },
    },
  };
}

/**
 * One NetworkAttachmentDefinition per selected namespace: `spec.namespaces` when the network lists them, else
 * `namespaces` (the cluster's namespaces, passed in by the caller). Sorted by namespace, duplicates removed.
 */
export function buildNetworkAttachmentDefinitions(
  network: MultiNicNetwork,
  options: NadOptions & { readonly namespaces?: readonly string[] } = {},
): Result<NetworkAttachmentDefinition[]> {
  const listed = network.spec.namespaces ?? [];
  const namespaces = [...new Set(listed.length > 0 ? listed : (options.namespaces ?? []))].sort();
  if (namespaces.length === 0) {
    return {
      ok: false,
      error:
        'no namespace to create the NetworkAttachmentDefinition in: set spec.namespaces, or pass the cluster namespaces',
    };
  }
  const out: NetworkAttachmentDefinition[] = [];
  for (const namespace of namespaces) {
    const nad = buildNetworkAttachmentDefinition(network, namespace, options);
    if (!nad.ok) return nad;
    out.push(nad.value);
  }
  return { ok: true, value: out };
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `capabilities` absent, or a map of capability names to booleans (as libcni reads it). */
function capabilitiesValid(value: unknown): boolean {
  return value === undefined || (isObject(value) && Object.values(value).every((v) => typeof v === 'boolean'));
}

/** The first problem with the top-level fields of a multi-nic config, if any. */
function headerProblem(conf: Record<string, unknown>): string | undefined {
  if (conf['type'] !== MULTI_NIC_CNI_TYPE)
    return `type must be "${MULTI_NIC_CNI_TYPE}", not ${JSON.stringify(conf['type'])}`;
  if (!(CNI_SPEC_VERSIONS as readonly unknown[]).includes(conf['cniVersion'])) {
    return `cniVersion ${JSON.stringify(conf['cniVersion'])} is not supported: use one of ${CNI_SPEC_VERSIONS.join(', ')}`;
  }
  if (!isString(conf['name']) || conf['name'] === '') return 'name must be the network name';
  if (!isObject(conf['ipam'])) return 'ipam must be an object';
  const masterNets = conf['masterNets'];
  if (masterNets !== undefined && !(Array.isArray(masterNets) && masterNets.every(isString)))
    return 'masterNets must be a list of prefixes';
  for (const key of ['subnet', 'agentSocket'] as const)
    if (conf[key] !== undefined && !isString(conf[key])) return `${key} must be a string`;
  if (!capabilitiesValid(conf['capabilities'])) return 'capabilities must map capability names to true or false';
  if (conf['multiNICIPAM'] !== undefined && typeof conf['multiNICIPAM'] !== 'boolean')
    return 'multiNICIPAM must be true or false';
  return undefined;
}

function routesOf(ipam: Record<string, unknown>): Result<IpamRoute[]> {
  const routes = ipam['routes'] ?? [];
  if (!Array.isArray(routes)) return { ok: false, error: 'ipam.routes must be a list of {dst, gw}' };
  const out: IpamRoute[] = [];
  for (const [i, r] of routes.entries()) {
    if (!isObject(r) || !isString(r['dst']) || (r['gw'] !== undefined && !isString(r['gw']))) {
      return { ok: false, error: `ipam.routes[${i}] must be {dst, gw?} with string values` };
    }
    out.push(isString(r['gw']) ? { dst: r['dst'], gw: r['gw'] } : { dst: r['dst'] });
  }
  return { ok: true, value: out };
}

/**
 * What no answer of the agent can make valid: the subnet and master networks as prefixes, and the routes (each
 * parsed as the pod route plan will parse it; planned against no NIC, a route is only checked, never placed). So a
 * plugin refuses such a config before any I/O, whatever the agent's state.
 */
function staticProblem(conf: Record<string, unknown>, routes: readonly IpamRoute[]): string | undefined {
  const subnet = conf['subnet'];
  if (isString(subnet) && subnet !== '') {
    const parsed = prefix(subnet, 'subnet');
    if (!parsed.ok) return parsed.error;
  }
  for (const [i, net] of ((conf['masterNets'] as string[] | undefined) ?? []).entries()) {
    const parsed = prefix(net, `masterNets[${i}]`);
    if (!parsed.ok) return parsed.error;
  }
  const planned = planPodRoutes({ nics: [], routes });
  return planned.ok ? undefined : `ipam.${planned.error}`;
}

/**
 * Reads a multinic NetworkAttachmentDefinition config (the JSON the multi-nic CNI gets on stdin): the inverse of
 * `nadConfig`. Every problem is an error naming the field.
 */
export function parseMultiNicNetConf(value: unknown): Result<MultiNicNetConf> {
  const fail = (error: string): Result<MultiNicNetConf> => ({ ok: false, error: `network config: ${error}` });
  if (!isObject(value)) return fail('must be a JSON object');
  const problem = headerProblem(value);
  if (problem !== undefined) return fail(problem);
  const plugin = pluginFromJson(value['plugin']);
  if (!plugin.ok) return fail(plugin.error);
  const ipam = canonicalJson(value['ipam'], 'ipam');
  if (!ipam.ok) return fail(ipam.error);
  const routes = routesOf(value['ipam'] as Record<string, unknown>);
  if (!routes.ok) return fail(routes.error);
  const invalid = staticProblem(value, routes.value);
  if (invalid !== undefined) return fail(invalid);
  const socket = value['agentSocket'];
  return {
    ok: true,
    value: {
      cniVersion: value['cniVersion'] as CniSpecVersion,
      name: value['name'] as string,
      type: MULTI_NIC_CNI_TYPE,
      subnet: isString(value['subnet']) ? value['subnet'] : '',
      masterNets: (value['masterNets'] as string[] | undefined) ?? [],
      multiNICIPAM: value['multiNICIPAM'] === true,
      agentSocket: isString(socket) && socket !== '' ? socket : AGENT_SOCKET_PATH,
      plugin: plugin.value,
      ipam: ipam.value as JsonObject,
      routes: routes.value,
    },
  };
}
