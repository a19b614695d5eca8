// The `select` call: which of this host's NICs a pod gets on a network. The decision is @multinic/policy's; this
// module only turns the wire request into policy input and the policy's answer into the wire response.
import type { HostNic, MultiNicNetwork, NicClassSpec, SelectRequest, SelectResponse } from '@multinic/crd-types';
import { AGENT_ERROR_CODES, CniErrorCode, usesMultiNicIpam } from '@multinic/crd-types';
import { WHOLE_NIC_TYPES, podInterfaceName } from '@multinic/netconf';
import type { PodNicRequest } from '@multinic/policy';
import { podNicRequest, selectNics } from '@multinic/policy';
import type { Outcome } from './errors.js';
import { failed, failure, okValue } from './errors.js';

/** The longest Linux interface name (IFNAMSIZ is 16 with the terminating NUL). */
const IFNAMSIZ_CHARS = 15;

/** Multus `cni-args` and device-plugin ids → policy's PodNicRequest; an unreadable cni-arg is a 400 naming it. */
function requestOf(req: SelectRequest): Outcome<PodNicRequest> {
  const r = podNicRequest(req.cniArgs, req.deviceIDs);
  if (r.ok) return okValue(r.value);
  return failed(
    failure({
      status: 400,
      code: AGENT_ERROR_CODES.invalidConfig,
      field: `cniArgs.${r.error.field}`,
      msg: r.error.message,
    }),
  );
}

export interface InvalidNetwork {
  readonly problems: readonly string[];
}

/**
 * Whether the network's delegate takes a whole NIC (netconf's WHOLE_NIC_TYPES), so one NIC serves one attachment at
 * a time; an unknown or invalid network does not.
 */
export function takesWholeNic(network: MultiNicNetwork | InvalidNetwork | undefined): boolean {
  return (
    network !== undefined &&
    !('problems' in network) &&
    WHOLE_NIC_TYPES.some((type) => type === network.spec.plugin.type)
  );
}

/** Someone holding an address on a NIC (from the agent's allocations). */
export interface NicHolder {
  /** namespace/name */
  readonly pod: string;
  readonly network: string;
  /** The holder's network takes the whole NIC (host-device). */
  readonly wholeNic: boolean;
  /** The holder is the attachment asking (a repeated ADD). */
  readonly self: boolean;
}

export interface SelectContext {
  readonly hostNics: readonly HostNic[];
  /** The network, undefined when it does not exist, or the reasons it does not parse. */
  readonly network: MultiNicNetwork | InvalidNetwork | undefined;
  /** Interface names of the NICs that have an IPPool of this network on this node. */
  readonly pooledNics: ReadonlySet<string>;
  readonly nicClass: (name: string) => NicClassSpec | undefined;
  /** Who holds addresses on a NIC (default: nobody). */
  readonly holders?: (interfaceName: string) => readonly NicHolder[];
}

/**
 * Why a NIC cannot be given to this attachment although it is on a master network, or undefined: it is lent to a
 * pod (moved into that pod's network namespace), or a whole-NIC delegate (this network's or a holder's) would
 * have to share it. A NIC this very attachment already holds stays available (a repeated ADD).
 */
function busyReason(nic: HostNic, wholeNic: boolean, holders: readonly NicHolder[]): string | undefined {
  if (holders.some((h) => h.self)) return undefined;
  if (nic.lentTo !== undefined) return `lent to pod ${nic.lentTo} (moved into its network namespace)`;
  const other = holders.find((h) => wholeNic || h.wholeNic);
  if (other === undefined) return undefined;
  return other.wholeNic
    ? `in use by pod ${other.pod} (network ${other.network} takes the whole NIC)`
    : `in use by pod ${other.pod} (network ${other.network}); this network's delegate takes the whole NIC`;
}

/**
 * The NICs the policy may choose: those with an IPPool of the network on this node. A network whose delegates run
 * their own IPAM (multiNICIPAM: false) needs no pool: any NIC will do (the policy keeps those on a master network).
 */
function candidates(
  spec: MultiNicNetwork['spec'],
  ctx: SelectContext,
): { usable: readonly HostNic[]; unpooled: readonly HostNic[] } {
  const pooled = (n: HostNic) => !usesMultiNicIpam(spec) || ctx.pooledNics.has(n.interfaceName);
  return { usable: ctx.hostNics.filter(pooled), unpooled: ctx.hostNics.filter((n) => !pooled(n)) };
}

interface BusyNic {
  readonly interfaceName: string;
  readonly reason: string;
}

/** The candidates a pod may take now, and the others with the reason (lent, or a whole NIC someone holds). */
function freeNics(
  candidates: readonly HostNic[],
  wholeNic: boolean,
  ctx: SelectContext,
): { usable: HostNic[]; busy: BusyNic[] } {
  const usable: HostNic[] = [];
  const busy: BusyNic[] = [];
  for (const nic of candidates) {
    const reason = busyReason(nic, wholeNic, ctx.holders?.(nic.interfaceName) ?? []);
    if (reason === undefined) usable.push(nic);
    else busy.push({ interfaceName: nic.interfaceName, reason });
  }
  return { usable, busy };
}

const describeBusy = (busy: readonly BusyNic[]): string => busy.map((b) => `${b.interfaceName} ${b.reason}`).join('; ');

/** Every candidate NIC is held: "try again" (the kubelet retries the ADD), naming each NIC and its holder. */
function noFreeNic(network: string, busy: readonly BusyNic[]): ReturnType<typeof failure> {
  return failure({
    status: 409,
    code: AGENT_ERROR_CODES.tryAgain,
    field: 'network',
    msg: `no free NIC for network ${network} on this node: ${describeBusy(busy)}; the pod can start once one is released (or give the node another NIC)`,
    details: 'no-free-nic',
  });
}

type SelectDecision = SelectResponse['decisions'][number];

/** The NICs the policy never saw, as decisions. */
function notCandidates(network: string, busy: readonly BusyNic[], unpooled: readonly HostNic[]): SelectDecision[] {
  return [
    ...busy.map((b) => ({ interfaceName: b.interfaceName, selected: false, reason: b.reason })),
    ...unpooled.map((n) => ({
      interfaceName: n.interfaceName,
      selected: false,
      reason: `no IPPool of network ${network} for this NIC on this node yet`,
    })),
  ];
}

/** What a refused request should also know: the NICs the policy never saw. */
function whyNot(network: string, busy: readonly BusyNic[], unpooled: readonly HostNic[]): string {
  const names = unpooled.map((n) => n.interfaceName).join(', ');
  return (
    (unpooled.length === 0 ? '' : ` (NICs without an IPPool of ${network} on this node: ${names})`) +
    (busy.length === 0 ? '' : ` (NICs not free: ${describeBusy(busy)})`)
  );
}

/** Runs the attach policy for one pod attachment. */
export function selectForPod(req: SelectRequest, ctx: SelectContext): Outcome<SelectResponse> {
  if (ctx.network === undefined) {
    return failed(
      failure({
        status: 404,
        code: AGENT_ERROR_CODES.invalidConfig,
        field: 'network',
        msg: `MultiNicNetwork ${req.network} does not exist (or the agent has not seen it yet); check the NetworkAttachmentDefinition's network name`,
      }),
    );
  }
  if ('problems' in ctx.network) {
    return failed(
      failure({
        status: 422,
        code: AGENT_ERROR_CODES.invalidConfig,
        field: 'network',
        msg: `MultiNicNetwork ${req.network} is invalid: ${ctx.network.problems.join('; ')}; fix the network`,
      }),
    );
  }
  const request = requestOf(req);
  if (!request.ok) return request;
  const spec = ctx.network.spec;
  const { usable: pooled, unpooled } = candidates(spec, ctx);
  const { usable, busy } = freeNics(pooled, takesWholeNic(ctx.network), ctx);
  if (usable.length === 0 && busy.length > 0) return failed(noFreeNic(req.network, busy));
  const result = selectNics({
    hostNics: usable,
    network: {
      ...(spec.masterNets === undefined ? {} : { masterNets: spec.masterNets }),
      ...(spec.attachPolicy === undefined ? {} : { attachPolicy: spec.attachPolicy }),
    },
    request: request.value,
    nicClasses: ctx.nicClass,
  });
  if (!result.ok) {
    return failed(
      failure({
        status: 422,
        code: AGENT_ERROR_CODES.invalidConfig,
        field: 'cniArgs',
        msg: `${result.error.message}${whyNot(req.network, busy, unpooled)}`,
        details: result.error.code,
      }),
    );
  }
  const { chosen, notChosen, strategy } = result.value;
  const longest = podInterfaceName(req.ifname, chosen.length - 1);
  if (chosen.length > 0 && longest.length > IFNAMSIZ_CHARS) {
    // The kernel refuses longer link names; answering one would also break the agent's own response schema.
    const room = IFNAMSIZ_CHARS - (longest.length - req.ifname.length);
    return failed(
      failure({
        status: 400,
        code: CniErrorCode.InvalidEnvironment,
        field: 'CNI_IFNAME',
        msg: `CNI_IFNAME ${JSON.stringify(req.ifname)} is too long for ${chosen.length} NIC(s): the pod's links are named <CNI_IFNAME>, <CNI_IFNAME>-1, … (the last one ${longest}, ${longest.length} characters) and Linux allows ${IFNAMSIZ_CHARS}; use an interface name of at most ${room} characters in the pod's network annotation`,
      }),
    );
  }
  const nics = chosen.map((nic, i) => ({
    interfaceName: nic.interfaceName,
    netAddress: nic.netAddress,
    ...(nic.hostIP === '' ? {} : { hostIP: nic.hostIP }),
    ...(nic.pciAddress === undefined ? {} : { pciAddress: nic.pciAddress }),
    podInterface: podInterfaceName(req.ifname, i),
  }));
  const decisions = [
    ...chosen.map((nic, i) => ({
      interfaceName: nic.interfaceName,
      selected: true,
      reason: `chosen #${i} by strategy ${strategy}`,
    })),
    ...notChosen.map((n) => ({ interfaceName: n.interfaceName, selected: false, reason: n.message })),
    ...notCandidates(req.network, busy, unpooled),
  ];
  return okValue({ network: req.network, nics, decisions });
}
