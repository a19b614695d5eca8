// multi-nic-ipam's host-local mode: no node agent. For this host and interface it generates the reference
// `host-local` IPAM configuration (subnet, range, gateway) from the network's planned pools or from hostConfigs,
// and delegates every command to Debian's / the containernetworking `host-local` found on CNI_PATH.
import { hostLocalRange } from '@multinic/cidr-core';
import type { HostLocalRange, HostLocalSettings } from '@multinic/cidr-core';
import { invalidConfig } from '@multinic/cni-skel';
import type { JsonObject } from '@multinic/cni-skel';

/** A planned pool (one IPPool of the CIDR plan): which addresses one host interface hands out. */
export interface HostLocalPool {
  readonly hostName: string;
  readonly interfaceName: string;
  readonly podCIDR: string;
  readonly vlanCIDR: string;
  readonly excludes?: readonly string[];
  readonly gateway?: string;
}

/**
 * `ipam` of `"mode": "host-local"`. `hostConfigs` (defaults → hosts[host] → hosts[host].interfaces[interface], the
 * first level naming a subnet wins) is used when it gives this host interface a subnet; otherwise the pool of
 * `pools` for this host and interface.
 */
export interface HostLocalConf {
  readonly hostName: string;
  readonly interfaceName: string;
  readonly pools: readonly HostLocalPool[];
  readonly hostConfigs?: HostLocalSettings;
  /** host-local's `dataDir` (default: host-local's own, /var/lib/cni/networks). */
  readonly dataDir?: string;
  /** host-local's `routes`, passed through. */
  readonly routes?: readonly JsonObject[];
}

/** The spec versions Debian's host-local (containernetworking-plugins 1.1.x) speaks; 1.1.0 configs go as 1.0.0. */
const HOST_LOCAL_MAX_VERSION = '1.0.0';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalidConfig(`${field} must be a string, not ${JSON.stringify(value)}`);
  return value;
}

function required(value: unknown, field: string): string {
  const got = text(value, field);
  if (got === undefined) throw invalidConfig(`${field} is required`);
  return got;
}

function poolOf(value: unknown, i: number): HostLocalPool {
  const field = `ipam.pools[${i}]`;
  if (!isObject(value))
    throw invalidConfig(`${field} must be an object with hostName, interfaceName, podCIDR and vlanCIDR`);
  const excludes = value['excludes'];
  if (excludes !== undefined && (!Array.isArray(excludes) || excludes.some((e) => typeof e !== 'string'))) {
    throw invalidConfig(`${field}.excludes must be a list of CIDR strings`);
  }
  const gateway = text(value['gateway'], `${field}.gateway`);
  return {
    hostName: required(value['hostName'], `${field}.hostName`),
    interfaceName: required(value['interfaceName'], `${field}.interfaceName`),
    podCIDR: required(value['podCIDR'], `${field}.podCIDR`),
    vlanCIDR: required(value['vlanCIDR'], `${field}.vlanCIDR`),
    ...(excludes === undefined ? {} : { excludes: excludes as string[] }),
    ...(gateway === undefined ? {} : { gateway }),
  };
}

/**
 * Reads a host-local mode `ipam` block. `defaultHostName` is this machine's name (the caller reads it); the
 * interface is `ipam.interfaceName`, else the main plugin's `master`.
 */
export function parseHostLocalConf(config: JsonObject, defaultHostName: string): HostLocalConf {
  const ipam = config['ipam'];
  if (!isObject(ipam)) throw invalidConfig('ipam must be an object');
  const interfaceName = text(ipam['interfaceName'], 'ipam.interfaceName') ?? text(config['master'], 'master');
  if (interfaceName === undefined)
    throw invalidConfig(
      'ipam.interfaceName is required in host-local mode (or a main plugin master): the host NIC whose range to use',
    );
  const pools = ipam['pools'] ?? [];
  if (!Array.isArray(pools)) throw invalidConfig('ipam.pools must be a list of planned pools');
  const hostConfigs = ipam['hostConfigs'];
  if (hostConfigs !== undefined && !isObject(hostConfigs))
    throw invalidConfig('ipam.hostConfigs must be an object with defaults and/or hosts');
  const dataDir = text(ipam['dataDir'], 'ipam.dataDir');
  const routes = ipam['routes'];
  if (routes !== undefined && (!Array.isArray(routes) || !routes.every(isObject)))
    throw invalidConfig('ipam.routes must be a list of route objects');
  return {
    hostName: text(ipam['hostName'], 'ipam.hostName') ?? defaultHostName,
    interfaceName,
    pools: pools.map(poolOf),
    ...(hostConfigs === undefined ? {} : { hostConfigs: hostConfigs as HostLocalSettings }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(routes === undefined ? {} : { routes: routes as JsonObject[] }),
  };
}

/** The range set for this host interface: hostConfigs when they give it a subnet, else its planned pool. */
export function hostLocalRanges(conf: HostLocalConf): HostLocalRange[] {
  const where = `host ${conf.hostName} interface ${conf.interfaceName}`;
  if (conf.hostConfigs !== undefined) {
    const fromSettings = hostLocalRange({
      hostName: conf.hostName,
      interfaceName: conf.interfaceName,
      settings: conf.hostConfigs,
    });
    if (fromSettings.ok) return fromSettings.value.rangeSet;
    if (fromSettings.code !== 'NO_SUBNET') throw invalidConfig(`ipam.hostConfigs: ${fromSettings.error}`);
  }
  const pool = conf.pools.find((p) => p.hostName === conf.hostName && p.interfaceName === conf.interfaceName);
  if (pool === undefined) {
    const known = conf.pools.map((p) => `${p.hostName}/${p.interfaceName}`).join(', ') || 'none';
    throw invalidConfig(
      `no host-local range for ${where}: ipam.pools has none for it (pools: ${known}) and ipam.hostConfigs gives it no subnet; add one, or set ipam.hostName if this node's name is not its host name`,
    );
  }
  const { gateway, hostName: _h, interfaceName: _i, ...planned } = pool;
  const range = hostLocalRange({ pool: planned, ...(gateway === undefined ? {} : { gateway }) });
  if (!range.ok) throw invalidConfig(`ipam.pools (${where}): ${range.error}`);
  return range.value.rangeSet;
}

/** The network configuration handed to `host-local` on stdin (an IPAM plugin reads its `ipam` block). */
export function hostLocalConfig(options: { conf: HostLocalConf; name: string; cniVersion: string }): JsonObject {
  const { conf } = options;
  const ranges = hostLocalRanges(conf).map((r) => ({ ...r }));
  return {
    cniVersion: options.cniVersion === '1.1.0' ? HOST_LOCAL_MAX_VERSION : options.cniVersion,
    name: options.name,
    ipam: {
      type: 'host-local',
      ranges: [ranges],
      ...(conf.dataDir === undefined ? {} : { dataDir: conf.dataDir }),
      ...(conf.routes === undefined ? {} : { routes: [...conf.routes] }),
    },
  };
}
