// The `select` call: which of this host's NICs a pod gets on a network. The decision is @multinic/policy's; this
// module only turns the wire request into policy input and the policy's answer into the wire response.
import type { HostNic, MultiNicNetwork, NicClassSpec, SelectRequest, SelectResponse } from '@multinic/crd-types';
import { AGENT_ERROR_CODES, CniErrorCode, usesMultiNicIpam } from '@multinic/crd-types';
import { podInterfaceName } from '@multinic/netconf';
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

export interface SelectContext {
  readonly hostNics: readonly HostNic[];
  /** The network, undefined when it does not exist, or the reasons it does not parse. */
  readonly network: MultiNicNetwork | InvalidNetwork | undefined;
  /** Interface names of the NICs that have an IPPool of this network on this node. */
  readonly pooledNics: ReadonlySet<string>;
  readonly nicClass: (name: string) => NicClassSpec | undefined;
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
  const { usable, unpooled } = candidates(spec, ctx);
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
    const why =
      unpooled.length === 0
        ? ''
        : ` (NICs without an IPPool of ${req.network} on this node: ${unpooled.map((n) => n.interfaceName).join(', ')})`;
    return failed(
      failure({
        status: 422,
        code: AGENT_ERROR_CODES.invalidConfig,
        field: 'cniArgs',
        msg: `${result.error.message}${why}`,
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
    ...unpooled.map((n) => ({
      interfaceName: n.interfaceName,
      selected: false,
      reason: `no IPPool of network ${req.network} for this NIC on this node yet`,
    })),
  ];
  return okValue({ network: req.network, nics, decisions });
}
