// The agent-backed parts of CHECK, GC and STATUS, the same for multi-nic and multi-nic-ipam.
import { CniErrorCode } from '@multinic/crd-types';
import type { Allocation, CniAttachment, CniResult } from '@multinic/crd-types';
import { CNI_OTHER_ERROR, CniFailure } from '@multinic/cni-skel';
import type { Logger } from '@multinic/cni-skel';
import { AgentUnreachableError } from './agent-client.js';
import type { AgentClient } from './agent-client.js';
import type { Attachment } from './reserve.js';

/** STATUS: the agent is reachable and ready for ADDs of `network`; otherwise code 50 with the agent's reason. */
export async function agentStatus(client: AgentClient, network: string): Promise<void> {
  let status;
  try {
    status = await client.status({ network });
  } catch (err) {
    if (err instanceof AgentUnreachableError)
      throw new CniFailure({ code: CniErrorCode.PluginNotAvailable, msg: err.message, cause: err.cause });
    throw err;
  }
  if (!status.ready) {
    const why = [status.reason, status.message].filter((s) => s !== undefined && s !== '').join(': ');
    throw new CniFailure({
      code: CniErrorCode.PluginNotAvailable,
      msg: `the multinic node agent is not ready for network ${network}${why === '' ? '' : `: ${why}`}`,
    });
  }
}

/** GC: the agent releases every address of `network` on this node that no valid attachment holds. */
export async function agentGc(
  client: AgentClient,
  input: { network: string; validAttachments: readonly CniAttachment[]; log: Logger },
): Promise<void> {
  const answer = await client.gc({
    network: input.network,
    validAttachments: input.validAttachments.map((a) => ({ containerID: a.containerID, ifname: a.ifname })),
  });
  input.log.info('GC done', { network: input.network, released: answer.released, kept: answer.kept });
}

/** CHECK, agent side: what the agent holds for the attachment; a `CniFailure` when it holds nothing. */
export async function heldAllocations(client: AgentClient, attachment: Attachment): Promise<readonly Allocation[]> {
  const { allocations } = await client.lookup({
    network: attachment.network,
    containerID: attachment.containerId,
    ifname: attachment.ifname,
  });
  if (allocations.length === 0) {
    throw new CniFailure({
      code: CNI_OTHER_ERROR,
      msg: `the node agent holds no addresses of network ${attachment.network} for container ${attachment.containerId} interface ${attachment.ifname}`,
    });
  }
  return allocations;
}

function hostPart(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

/** CHECK: every address the agent holds appears in prevResult, and prevResult has no address the agent does not hold. */
export function compareWithPrevResult(allocations: readonly Allocation[], prevResult: CniResult): void {
  const previous = (prevResult.ips ?? []).map((ip) => hostPart(ip.address));
  // Both addresses of a dual-stack NIC (ADR 0006): CHECK verifies every family.
  const held = allocations.flatMap((a) =>
    a.otherFamily === undefined ? [hostPart(a.address)] : [hostPart(a.address), hostPart(a.otherFamily.address)],
  );
  const lost = held.filter((ip) => !previous.includes(ip));
  const extra = previous.filter((ip) => !held.includes(ip));
  if (lost.length > 0 || extra.length > 0) {
    const parts = [
      lost.length === 0 ? '' : `held by the agent but not in prevResult: ${lost.join(', ')}`,
      extra.length === 0 ? '' : `in prevResult but not held by the agent: ${extra.join(', ')}`,
    ].filter((p) => p !== '');
    throw new CniFailure({
      code: CNI_OTHER_ERROR,
      msg: `addresses differ between the node agent and prevResult (${parts.join('; ')})`,
    });
  }
}
