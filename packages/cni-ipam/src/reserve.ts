// One pod attachment's addresses from the node agent: select the NICs (the attach policy runs in the agent), then
// allocate one address per NIC, all or nothing. Shared by multi-nic (main plugin) and multi-nic-ipam.
import type { AllocateResponse, PodRef, SelectResponse } from '@multinic/crd-types';
import type { Logger } from '@multinic/cni-skel';
import type { AgentClient } from './agent-client.js';
import type { PodRequest } from './inputs.js';

export interface Attachment {
  readonly network: string;
  readonly containerId: string;
  readonly ifname: string;
}

export interface ReserveInput extends Attachment {
  readonly client: AgentClient;
  readonly netns?: string;
  readonly pod: PodRef;
  readonly request: PodRequest;
  readonly log: Logger;
}

export interface Reservation {
  readonly selected: SelectResponse;
  readonly allocated: AllocateResponse;
}

/**
 * What DEL says when CNI_ARGS has no K8S_POD_UID: the agent releases an attachment only for the pod that holds it,
 * and its pod garbage collector frees the addresses once that pod is gone.
 */
export const NO_POD_UID =
  'DEL without K8S_POD_UID in CNI_ARGS: the agent releases an attachment only for its own pod, so nothing is released now; its pod garbage collector frees the addresses once the pod is gone';

/**
 * What DEL logs (warn) when the agent cannot be asked to release, and then succeeds: the pod's interfaces are its
 * only state on the node and are gone, and the agent's pod garbage collector frees every allocation whose pod no
 * longer exists on the node (confirmed by a fresh list of the node's pods), so the addresses come back once the pod
 * is deleted — which a failing DEL would hold up (the kubelet keeps the pod Terminating).
 */
export const RELEASE_LEFT_TO_POD_GC =
  "DEL: the node agent is not reachable to release this attachment's addresses; nothing is left to undo on this node, and the agent's pod garbage collector will release the addresses once the pod is gone";

/** Releases an attachment's addresses; failures are logged, never thrown (used while undoing a failed ADD). */
export async function releaseQuietly(
  client: AgentClient,
  attachment: Attachment & { readonly podUID: string; readonly log: Logger },
): Promise<void> {
  try {
    await client.release({
      network: attachment.network,
      containerID: attachment.containerId,
      ifname: attachment.ifname,
      podUID: attachment.podUID,
    });
  } catch (err) {
    attachment.log.error('could not release the addresses of a failed ADD; the agent garbage-collects them', { err });
  }
}

/**
 * Asks the agent which NICs the attachment gets (its attach policy), nothing more: the agent holds nothing for it
 * afterwards. `reserve` allocates next; a network whose delegates keep their own IPAM (`multiNICIPAM: false`) only
 * selects.
 */
export async function selectNics(input: Omit<ReserveInput, 'netns'>): Promise<SelectResponse> {
  const { client, network, containerId, ifname, pod, request } = input;
  const selected = await client.select({
    network,
    containerID: containerId,
    ifname,
    pod,
    ...(request.cniArgs === undefined ? {} : { cniArgs: { ...request.cniArgs } }),
    ...(request.deviceIDs === undefined ? {} : { deviceIDs: [...request.deviceIDs] }),
  });
  input.log.debug('agent selected NICs', {
    nics: selected.nics.map((n) => n.interfaceName),
    decisions: selected.decisions,
  });
  return selected;
}

/**
 * Selects NICs and allocates their addresses. If allocation fails in any way — including a lost answer, after
 * which the agent may hold addresses — the attachment is released before the error is passed on.
 */
export async function reserve(input: ReserveInput): Promise<Reservation> {
  const { client, network, containerId, ifname, pod, request } = input;
  const selected = await selectNics(input);
  try {
    const allocated = await client.allocate({
      network,
      containerID: containerId,
      ifname,
      ...(input.netns === undefined || input.netns === '' ? {} : { netns: input.netns }),
      pod,
      nics: selected.nics,
      ...(request.ips === undefined ? {} : { ips: [...request.ips] }),
    });
    input.log.debug('agent allocated', { addresses: allocated.allocations.map((a) => a.address) });
    return { selected, allocated };
  } catch (err) {
    await releaseQuietly(client, { network, containerId, ifname, podUID: pod.uid, log: input.log });
    throw err;
  }
}
