import type { Result } from '@multinic/cidr-core';
import type { CniSpecVersion, Plugin } from '@multinic/crd-types';
import { CNI_SPEC_VERSIONS } from '@multinic/crd-types';
import { canonicalJson } from './json.js';
import type { Json, JsonObject } from './json.js';

/** The delegate plugin types netconf generates configurations for. */
export const PLUGIN_TYPES = ['ipvlan', 'macvlan', 'host-device', 'sriov', 'aws-ipvlan'] as const;
export type PluginType = (typeof PLUGIN_TYPES)[number];

export const IPVLAN_MODES = ['l2', 'l3', 'l3s'] as const;
export const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru'] as const;
export const ON_OFF = ['on', 'off'] as const;
export const LINK_STATES = ['auto', 'enable', 'disable'] as const;
export const VLAN_PROTOCOLS = ['802.1q', '802.1ad'] as const;

interface Common {
  readonly cniVersion: CniSpecVersion;
  /** `plugin.capabilities`, passed to every delegate. */
  readonly capabilities?: Readonly<Record<string, boolean>>;
  /** `plugin.dns`, put into every delegate's static IPAM. */
  readonly dns?: JsonObject;
}

export interface IpvlanPlugin extends Common {
  readonly type: 'ipvlan' | 'aws-ipvlan';
  readonly mode: (typeof IPVLAN_MODES)[number];
  readonly mtu?: number;
}

export interface MacvlanPlugin extends Common {
  readonly type: 'macvlan';
  readonly mode: (typeof MACVLAN_MODES)[number];
  readonly mtu?: number;
}

export interface HostDevicePlugin extends Common {
  readonly type: 'host-device';
  /** Move the NIC by PCI address (`pciBusID`) instead of by name (`device`). */
  readonly pciBusID?: boolean;
  /** Device-plugin resource (NAD annotation `k8s.v1.cni.cncf.io/resourceName`). */
  readonly resourceName?: string;
}

/** SR-IOV VF settings, with the reference sriov-cni's field names. */
export interface SriovPlugin extends Common {
  readonly type: 'sriov';
  readonly resourceName: string;
  readonly vlan?: number;
  readonly vlanQoS?: number;
  readonly vlanProto?: (typeof VLAN_PROTOCOLS)[number];
  readonly spoofchk?: (typeof ON_OFF)[number];
  readonly trust?: (typeof ON_OFF)[number];
  readonly link_state?: (typeof LINK_STATES)[number];
  readonly min_tx_rate?: number;
  readonly max_tx_rate?: number;
}

/** A validated delegate plugin: what every selected NIC is attached with. */
export type PluginConfig = IpvlanPlugin | MacvlanPlugin | HostDevicePlugin | SriovPlugin;

type Args = Readonly<Record<string, unknown>>;

/** One plugin argument: its accepted spellings (first = canonical) and how to read it. */
interface ArgSpec {
  readonly names: readonly string[];
  readonly read: (value: unknown) => Result<Json>;
}

function intIn(min: number, max: number, what: string): (value: unknown) => Result<Json> {
  return (value) => {
    const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return { ok: true, value: n };
    return { ok: false, error: `must be ${what}: an integer from ${min} to ${max}, not ${JSON.stringify(value)}` };
  };
}

function oneOf(values: readonly string[]): (value: unknown) => Result<Json> {
  return (value) =>
    typeof value === 'string' && values.includes(value)
      ? { ok: true, value }
      : {
          ok: false,
          error: `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(value)}`,
        };
}

/** `on`/`off`, also accepting booleans and "true"/"false" (SriovNetwork writes booleans). */
function onOff(value: unknown): Result<Json> {
  if (value === true || value === 'true' || value === 'on') return { ok: true, value: 'on' };
  if (value === false || value === 'false' || value === 'off') return { ok: true, value: 'off' };
  return { ok: false, error: `must be "on" or "off" (or true/false), not ${JSON.stringify(value)}` };
}

function bool(value: unknown): Result<Json> {
  if (value === true || value === 'true') return { ok: true, value: true };
  if (value === false || value === 'false') return { ok: true, value: false };
  return { ok: false, error: `must be true or false, not ${JSON.stringify(value)}` };
}

function text(value: unknown): Result<Json> {
  return typeof value === 'string' && value.trim() !== ''
    ? { ok: true, value: value.trim() }
    : { ok: false, error: `must be a non-empty string, not ${JSON.stringify(value)}` };
}

const MTU: ArgSpec = { names: ['mtu'], read: intIn(68, 65535, 'an MTU') };

const ARGS: Readonly<Record<PluginType, readonly ArgSpec[]>> = {
  ipvlan: [{ names: ['mode'], read: oneOf(IPVLAN_MODES) }, MTU],
  'aws-ipvlan': [{ names: ['mode'], read: oneOf(IPVLAN_MODES) }, MTU],
  macvlan: [{ names: ['mode'], read: oneOf(MACVLAN_MODES) }, MTU],
  'host-device': [
    { names: ['pciBusID'], read: bool },
    { names: ['resourceName'], read: text },
  ],
  sriov: [
    { names: ['resourceName'], read: text },
    { names: ['vlan'], read: intIn(0, 4094, 'a VLAN id (0 = none)') },
    { names: ['vlanQoS'], read: intIn(0, 7, 'a VLAN QoS (802.1p priority)') },
    { names: ['vlanProto'], read: oneOf(VLAN_PROTOCOLS) },
    { names: ['spoofchk', 'spoofChk'], read: onOff },
    { names: ['trust'], read: onOff },
    { names: ['link_state', 'linkState'], read: oneOf(LINK_STATES) },
    { names: ['min_tx_rate', 'minTxRate'], read: intIn(0, 1_000_000, 'a rate in Mbit/s') },
    { names: ['max_tx_rate', 'maxTxRate'], read: intIn(0, 1_000_000, 'a rate in Mbit/s') },
  ],
};

function isPluginType(type: string): type is PluginType {
  return (PLUGIN_TYPES as readonly string[]).includes(type);
}

/** Reads every argument by its spec; unknown or doubly-spelled arguments are errors (nothing is silently dropped). */
function readArgs(type: PluginType, args: Args): Result<Record<string, Json>> {
  const specs = ARGS[type];
  const out: Record<string, Json> = {};
  const known = new Set(specs.flatMap((s) => s.names));
  const unknown = Object.keys(args)
    .filter((k) => !known.has(k) && args[k] !== undefined)
    .sort();
  if (unknown.length > 0) {
    const allowed = specs.map((s) => s.names.join('|')).join(', ');
    return {
      ok: false,
      error: `plugin.args: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a ${type} setting: use ${allowed}`,
    };
  }
  for (const spec of specs) {
    const given = spec.names.filter((n) => args[n] !== undefined);
    if (given.length > 1)
      return { ok: false, error: `plugin.args: ${given.join(' and ')} are the same setting: give it once` };
    const [name] = given;
    if (name === undefined) continue;
    const value = spec.read(args[name]);
    if (!value.ok) return { ok: false, error: `plugin.args.${name} ${value.error}` };
    out[spec.names[0] ?? name] = value.value;
  }
  return { ok: true, value: out };
}

export interface ParsePluginOptions {
  /** Default ipvlan/aws-ipvlan mode when `args.mode` is absent (the network's `ipam.vlanMode`). Default `l2`. */
  readonly defaultVlanMode?: (typeof IPVLAN_MODES)[number];
}

function isBooleanRecord(value: unknown): value is Record<string, boolean> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'boolean')
  );
}

function common(plugin: Plugin): Result<Common> {
  if (!(CNI_SPEC_VERSIONS as readonly string[]).includes(plugin.cniVersion)) {
    return {
      ok: false,
      error: `plugin.cniVersion ${JSON.stringify(plugin.cniVersion)} is not supported: use one of ${CNI_SPEC_VERSIONS.join(', ')}`,
    };
  }
  const capabilities: unknown = plugin.capabilities;
  if (capabilities !== undefined && !isBooleanRecord(capabilities)) {
    return { ok: false, error: 'plugin.capabilities must map capability names to true or false, e.g. {"mac": true}' };
  }
  const dns = plugin.dns === undefined ? undefined : canonicalJson(plugin.dns, 'plugin.dns');
  if (dns !== undefined && !dns.ok) return dns;
  return {
    ok: true,
    value: {
      cniVersion: plugin.cniVersion,
      ...(plugin.capabilities === undefined ? {} : { capabilities: plugin.capabilities }),
      ...(dns === undefined ? {} : { dns: dns.value as JsonObject }),
    },
  };
}

/**
 * Validates a MultiNicNetwork's `plugin` (type and args) into a typed delegate plugin. Args may be strings
 * (multi-nic-cni wrote every arg as a string) or JSON values; camelCase SriovNetwork spellings (`spoofChk`,
 * `minTxRate`, …) are accepted for sriov. Unknown args and unsupported types are errors.
 */
export function parsePlugin(plugin: Plugin, options: ParsePluginOptions = {}): Result<PluginConfig> {
  if (!isPluginType(plugin.type)) {
    return {
      ok: false,
      error: `plugin.type ${JSON.stringify(plugin.type)} is not supported: use one of ${PLUGIN_TYPES.join(', ')}`,
    };
  }
  const base = common(plugin);
  if (!base.ok) return base;
  const args = readArgs(plugin.type, plugin.args ?? {});
  if (!args.ok) return args;
  const a = args.value;
  switch (plugin.type) {
    case 'ipvlan':
    case 'aws-ipvlan':
      return {
        ok: true,
        value: {
          ...base.value,
          ...a,
          type: plugin.type,
          mode: (a['mode'] as IpvlanPlugin['mode'] | undefined) ?? options.defaultVlanMode ?? 'l2',
        } as IpvlanPlugin,
      };
    case 'macvlan':
      return {
        ok: true,
        value: {
          ...base.value,
          ...a,
          type: 'macvlan',
          mode: (a['mode'] as MacvlanPlugin['mode'] | undefined) ?? 'bridge',
        } as MacvlanPlugin,
      };
    case 'host-device':
      return { ok: true, value: { ...base.value, ...a, type: 'host-device' } as HostDevicePlugin };
    case 'sriov':
      return sriov(base.value, a);
  }
}

function sriov(base: Common, a: Record<string, Json>): Result<PluginConfig> {
  if (a['resourceName'] === undefined) {
    return {
      ok: false,
      error:
        'plugin.args.resourceName is required for sriov: the device-plugin resource of the VFs, e.g. "openshift.io/mlnxnics"',
    };
  }
  const min = a['min_tx_rate'];
  const max = a['max_tx_rate'];
  if (typeof min === 'number' && typeof max === 'number' && max !== 0 && min > max) {
    return { ok: false, error: `plugin.args: min_tx_rate ${min} is above max_tx_rate ${max}` };
  }
  if (a['vlanQoS'] !== undefined && (a['vlan'] === undefined || a['vlan'] === 0)) {
    return { ok: false, error: 'plugin.args.vlanQoS needs a vlan other than 0' };
  }
  return { ok: true, value: { ...base, ...a, type: 'sriov' } as SriovPlugin };
}

/** The `plugin` object of the NetworkAttachmentDefinition config, in a fixed key order. */
export function pluginJson(plugin: PluginConfig): JsonObject {
  const { cniVersion, type, capabilities, dns, ...rest } = plugin;
  const args = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Record<string, Json>;
  const ordered: Record<string, Json> = { cniVersion, type };
  for (const spec of ARGS[type]) {
    const key = spec.names[0] ?? '';
    if (key in args) ordered[key] = args[key] ?? null;
  }
  if (capabilities !== undefined) ordered['capabilities'] = canonicalCapabilities(capabilities);
  if (dns !== undefined) ordered['dns'] = dns;
  return ordered;
}

function canonicalCapabilities(capabilities: Readonly<Record<string, boolean>>): JsonObject {
  return Object.fromEntries(
    Object.keys(capabilities)
      .sort()
      .map((k) => [k, capabilities[k] ?? false]),
  );
}

/**
 * Reads the `plugin` object back from a NetworkAttachmentDefinition config (what the multi-nic CNI receives on
 * stdin): the inverse of `pluginJson`.
 */
export function pluginFromJson(value: unknown): Result<PluginConfig> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'plugin must be an object with cniVersion and type' };
  }
  const { cniVersion, type, capabilities, dns, ...args } = value as Record<string, unknown>;
  if (typeof cniVersion !== 'string' || typeof type !== 'string')
    return { ok: false, error: 'plugin needs cniVersion and type strings' };
  const plugin = {
    cniVersion,
    type,
    args,
    ...(capabilities === undefined ? {} : { capabilities }),
    ...(dns === undefined ? {} : { dns }),
  } as Plugin;
  return parsePlugin(plugin);
}
