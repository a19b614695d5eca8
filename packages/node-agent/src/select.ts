// The `select` call: which of this host's NICs a pod gets on a network. The decision is @multinic/policy's; this
// module only turns the wire request into policy input and the policy's answer into the wire response.
import type { HostNic, MultiNicNetwork, NicClassSpec, SelectRequest, SelectResponse } from '@multinic/crd-types';
import { AGENT_ERROR_CODES } from '@multinic/crd-types';
import { podInterfaceName } from '@multinic/netconf';
import type { PodNicRequest } from '@multinic/policy';
import { selectNics } from '@multinic/policy';
import type { Outcome } from './errors.js';
import { failed, failure, okValue } from './errors.js';

type MutableRequest = { -readonly [K in keyof PodNicRequest]: PodNicRequest[K] };

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  return undefined;
}

function badArg(field: string, msg: string): Outcome<never> {
  return failed(failure({ status: 400, code: AGENT_ERROR_CODES.invalidConfig, field: `cniArgs.${field}`, msg }));
}

function nicsArg(value: unknown): Outcome<number | undefined> {
  if (value === undefined) return okValue(undefined);
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return badArg('nics', `must be a positive whole number of NICs, got ${JSON.stringify(value)}`);
  return okValue(n);
}

/** Multus `cni-args` (`nics`, `masters`/`master`, `target`, `class`) and device-plugin ids → policy's PodNicRequest. */
export function podNicRequest(cniArgs: Readonly<Record<string, unknown>> | undefined, deviceIDs: readonly string[] | undefined): Outcome<PodNicRequest> {
  const args = cniArgs ?? {};
  const out: MutableRequest = {};
  const nics = nicsArg(args['nics']);
  if (!nics.ok) return nics;
  if (nics.value !== undefined) out.nics = nics.value;
  const mastersValue = args['masters'] ?? args['master'];
  if (mastersValue !== undefined) {
    const masters = stringList(mastersValue);
    if (masters === undefined) return badArg('masters', `must be a list of interface names or a comma-separated string, got ${JSON.stringify(mastersValue)}`);
    out.masters = masters;
  }
  for (const key of ['target', 'class'] as const) {
    const value = args[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') return badArg(key, `must be a string, got ${JSON.stringify(value)}`);
    out[key] = value;
  }
  if (deviceIDs !== undefined && deviceIDs.length > 0) out.allocatedPciAddresses = deviceIDs;
  return okValue(out);
}

export interface InvalidNetwork {
  readonly problems: readonly string[];
}

export interface SelectContext {
  readonly hostNics: readonly HostNic[];
  /** The network, undefined when it does not exist, or the reasons it does not parse. */
  readonly network: MultiNicNetwork | InvalidNetwork | undefined;
  /** Interface names of the NICs that have an IPPool of this network on this node. */
  readonly pooledNics: ReadonlySet<string>;
  readonly nicClass: (name: string) => NicClassSpec | undefined;
}

/** Runs the attach policy for one pod attachment. */
export function selectForPod(req: SelectRequest, ctx: SelectContext): Outcome<SelectResponse> {
  if (ctx.network === undefined) {
    return failed(failure({ status: 404, code: AGENT_ERROR_CODES.invalidConfig, field: 'network', msg: `MultiNicNetwork ${req.network} does not exist (or the agent has not seen it yet); check the NetworkAttachmentDefinition's network name` }));
  }
  if ('problems' in ctx.network) {
    return failed(failure({ status: 422, code: AGENT_ERROR_CODES.invalidConfig, field: 'network', msg: `MultiNicNetwork ${req.network} is invalid: ${ctx.network.problems.join('; ')}; fix the network` }));
  }
  const request = podNicRequest(req.cniArgs, req.deviceIDs);
  if (!request.ok) return request;
  const usable = ctx.hostNics.filter((n) => ctx.pooledNics.has(n.interfaceName));
  const unpooled = ctx.hostNics.filter((n) => !ctx.pooledNics.has(n.interfaceName));
  const spec = ctx.network.spec;
  const result = selectNics({
    hostNics: usable,
    network: { ...(spec.masterNets === undefined ? {} : { masterNets: spec.masterNets }), ...(spec.attachPolicy === undefined ? {} : { attachPolicy: spec.attachPolicy }) },
    request: request.value,
    nicClasses: ctx.nicClass,
  });
  if (!result.ok) {
    const why = unpooled.length === 0 ? '' : ` (NICs without an IPPool of ${req.network} on this node: ${unpooled.map((n) => n.interfaceName).join(', ')})`;
    return failed(failure({ status: 422, code: AGENT_ERROR_CODES.invalidConfig, field: 'cniArgs', msg: `${result.error.message}${why}`, details: result.error.code }));
  }
  const { chosen, notChosen, strategy } = result.value;
  const nics = chosen.map((nic, i) => ({
    interfaceName: nic.interfaceName,
    netAddress: nic.netAddress,
    ...(nic.hostIP === '' ? {} : { hostIP: nic.hostIP }),
    ...(nic.pciAddress === undefined ? {} : { pciAddress: nic.pciAddress }),
    podInterface: podInterfaceName(req.ifname, i),
  }));
  const decisions = [
    ...chosen.map((nic, i) => ({ interfaceName: nic.interfaceName, selected: true, reason: `chosen #${i} by strategy ${strategy}` })),
    ...notChosen.map((n) => ({ interfaceName: n.interfaceName, selected: false, reason: n.message })),
    ...unpooled.map((n) => ({ interfaceName: n.interfaceName, selected: false, reason: `no IPPool of network ${req.network} for this NIC on this node yet` })),
  ];
  return okValue({ network: req.network, nics, decisions });
}
