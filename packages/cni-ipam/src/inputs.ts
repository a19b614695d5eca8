// What a pod asks for, as Multus hands it to a delegate: the pod in CNI_ARGS, `runtimeConfig` (ips, mac, deviceID:
// the capabilities the NAD declares), the device a device plugin allocated to this attachment (Multus also writes it
// into the config's top-level `deviceID`/`pciBusID`, declared or not), and `args.cni` (the attachment's cni-args:
// nics, masters, target, class, …). CNI_ARGS `IP`/`MAC` only when runtimeConfig has none (a NAD without capabilities).
import type { PodRef } from '@multinic/crd-types';
import { invalidConfig, invalidEnvironment } from '@multinic/cni-skel';
import type { JsonObject } from '@multinic/cni-skel';
import { podNicRequest } from '@multinic/policy';

/** The pod of the attachment, from CNI_ARGS; a `CniFailure` (code 4) naming what is missing. */
export function podOf(args: Readonly<Record<string, string>>): PodRef {
  const keys = ['K8S_POD_NAME', 'K8S_POD_NAMESPACE', 'K8S_POD_UID'] as const;
  const missing = keys.filter((k) => (args[k] ?? '') === '');
  if (missing.length > 0) {
    throw invalidEnvironment(
      `CNI_ARGS lacks ${missing.join(', ')}: multinic needs the pod's name, namespace and UID (Multus and the container runtime pass them)`,
    );
  }
  return {
    name: args['K8S_POD_NAME'] ?? '',
    namespace: args['K8S_POD_NAMESPACE'] ?? '',
    uid: args['K8S_POD_UID'] ?? '',
  };
}

export interface PodRequest {
  /** Addresses the pod asked for (`runtimeConfig.ips`, else CNI_ARGS `IP`). */
  readonly ips?: readonly string[];
  /** MAC address the pod asked for (`runtimeConfig.mac`, else CNI_ARGS `MAC`). */
  readonly mac?: string;
  /**
   * Devices a device plugin allocated, PCI addresses: `runtimeConfig.deviceID`, else the config's top-level `deviceID`,
   * else its `pciBusID` (comma-separated allowed).
   */
  readonly deviceIDs?: readonly string[];
  /** `args.cni`: the attachment's cni-args, for the attach policy. */
  readonly cniArgs?: Readonly<Record<string, unknown>>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function ipsOf(runtime: Record<string, unknown>, args: Readonly<Record<string, string>>): string[] | undefined {
  const ips = runtime['ips'];
  if (ips !== undefined) {
    if (!Array.isArray(ips) || !ips.every((ip) => typeof ip === 'string'))
      throw invalidConfig('runtimeConfig.ips must be a list of addresses, e.g. ["192.168.0.9/18"]');
    return ips.length === 0 ? undefined : ips;
  }
  const fromArgs = splitList(args['IP'] ?? '');
  return fromArgs.length === 0 ? undefined : fromArgs;
}

function stringOf(runtime: Record<string, unknown>, key: string, fallback: string | undefined): string | undefined {
  const value = runtime[key];
  if (value === undefined || value === '') return fallback === '' ? undefined : fallback;
  if (typeof value !== 'string')
    throw invalidConfig(`runtimeConfig.${key} must be a string, not ${JSON.stringify(value)}`);
  return value;
}

/** The allocated device: runtimeConfig's (declared capability), else what Multus wrote at the top level. */
function deviceIdOf(config: JsonObject, runtime: Record<string, unknown>): string | undefined {
  const fromRuntime = stringOf(runtime, 'deviceID', undefined);
  if (fromRuntime !== undefined) return fromRuntime;
  for (const key of ['deviceID', 'pciBusID'] as const) {
    const value = config[key];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string')
      throw invalidConfig(`${key} must be a string (the allocated device's PCI address), not ${JSON.stringify(value)}`);
    return value;
  }
  return undefined;
}

function cniArgsOf(config: JsonObject): Record<string, unknown> | undefined {
  const args = config['args'];
  if (args === undefined) return undefined;
  if (!isObject(args))
    throw invalidConfig("args must be an object (Multus puts the attachment's cni-args under args.cni)");
  const cni = args['cni'];
  if (cni === undefined) return undefined;
  if (!isObject(cni))
    throw invalidConfig('args.cni must be an object: the cni-args of the network selection, e.g. {"nics": 2}');
  return cni;
}

/** The pod's requests for this attachment; malformed ones are a `CniFailure` (code 7) naming the field. */
export function podRequestOf(config: JsonObject, args: Readonly<Record<string, string>>): PodRequest {
  const runtime = config['runtimeConfig'] ?? {};
  if (!isObject(runtime)) throw invalidConfig('runtimeConfig must be an object');
  const ips = ipsOf(runtime, args);
  const mac = stringOf(runtime, 'mac', args['MAC']);
  const deviceID = deviceIdOf(config, runtime);
  const cniArgs = cniArgsOf(config);
  // The agent reads the cni-args with this same function; reading them here as well makes a bad one code 7 before any
  // I/O, whatever the agent's state.
  const read = podNicRequest(cniArgs, undefined);
  if (!read.ok) throw invalidConfig(`args.cni.${read.error.field} ${read.error.message}`);
  return {
    ...(ips === undefined ? {} : { ips }),
    ...(mac === undefined ? {} : { mac }),
    ...(deviceID === undefined ? {} : { deviceIDs: splitList(deviceID) }),
    ...(cniArgs === undefined ? {} : { cniArgs }),
  };
}
