// What the plugins run while their startup snapshot is built (CniPlugin.warmUp): one 2-NIC attachment reserved,
// looked up, checked and released through the real AgentClient and its answer schemas, against canned answers
// instead of the socket. Nothing here touches the network, files or the environment.
import { AGENT_PATHS } from '@multinic/crd-types';
import type { Allocation, CniResult } from '@multinic/crd-types';
import { createLogger } from '@multinic/cni-skel';
import type { JsonObject, Logger } from '@multinic/cni-skel';
import { AgentClient } from './agent-client.js';
import { podOf, podRequestOf } from './inputs.js';
import { reserve } from './reserve.js';
import type { Reservation } from './reserve.js';
import { compareWithPrevResult, heldAllocations } from './verbs.js';

export const WARM_UP = {
  network: 'warm-up',
  containerId: 'warm-up',
  ifname: 'net1',
  netns: '/run/netns/warm-up',
} as const;

/** CNI_ARGS of the warm-up pod, as kubelet passes them. */
export const WARM_UP_ARGS: Readonly<Record<string, string>> = {
  IgnoreUnknown: '1',
  K8S_POD_NAMESPACE: 'default',
  K8S_POD_NAME: 'warm-up',
  K8S_POD_INFRA_CONTAINER_ID: 'warm-up',
  K8S_POD_UID: '00000000-0000-0000-0000-000000000000',
};

const NICS = [
  { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.2', podInterface: 'net1-0' },
  { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.2', podInterface: 'net1-1' },
];

const WARM_UP_ALLOCATIONS: readonly Allocation[] = NICS.map((nic, i) => ({
  interfaceName: nic.interfaceName,
  podInterface: nic.podInterface,
  address: `192.168.${i * 64}.2/18`,
  podCIDR: `192.168.${i * 64}.0/26`,
  vlanCIDR: `192.168.${i * 64}.0/18`,
  ippool: `warm-up-node-${nic.interfaceName}`,
}));

const ANSWERS: Readonly<Record<string, unknown>> = {
  [AGENT_PATHS.select]: {
    network: WARM_UP.network,
    nics: NICS,
    decisions: NICS.map((n) => ({ interfaceName: n.interfaceName, selected: true, reason: 'warm-up' })),
  },
  [AGENT_PATHS.allocate]: {
    network: WARM_UP.network,
    containerID: WARM_UP.containerId,
    ifname: WARM_UP.ifname,
    allocations: WARM_UP_ALLOCATIONS,
  },
  [AGENT_PATHS.lookup]: { allocations: WARM_UP_ALLOCATIONS },
  [AGENT_PATHS.release]: {
    released: WARM_UP_ALLOCATIONS.map((a) => ({ interfaceName: a.interfaceName, address: a.address.split('/')[0] })),
  },
  [AGENT_PATHS.status]: { ready: true },
};

/** A client whose every call gets the canned answer for its path. */
function warmUpClient(): AgentClient {
  return new AgentClient({
    socketPath: '/warm-up/agent.sock',
    transport: (path) => Promise.resolve({ status: 200, body: JSON.stringify(ANSWERS[path] ?? {}) }),
  });
}

function warmUpLogger(): Logger {
  return createLogger({ level: 'error', write: () => undefined, now: () => new Date(0) });
}

/**
 * ADD's, CHECK's and DEL's agent calls for one 2-NIC attachment of `config`, through the real client; `resultOf`
 * is the plugin's own result building from the reservation (CHECK then compares the agent's record with it).
 */
export async function warmUpAgentCalls(
  config: JsonObject,
  resultOf: (reservation: Reservation) => CniResult,
): Promise<void> {
  const client = warmUpClient();
  const log = warmUpLogger();
  const attachment = { network: WARM_UP.network, containerId: WARM_UP.containerId, ifname: WARM_UP.ifname };
  const reservation = await reserve({
    client,
    ...attachment,
    netns: WARM_UP.netns,
    pod: podOf(WARM_UP_ARGS),
    request: podRequestOf(config, WARM_UP_ARGS),
    log,
  });
  compareWithPrevResult(await heldAllocations(client, attachment), resultOf(reservation));
  await client.release({
    network: WARM_UP.network,
    containerID: WARM_UP.containerId,
    ifname: WARM_UP.ifname,
    podUID: WARM_UP_ARGS['K8S_POD_UID'] ?? '',
  });
  await client.status({ network: WARM_UP.network });
}
