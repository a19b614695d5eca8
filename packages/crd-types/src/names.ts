// The names of the API: group, labels, annotations, CNI versions, the agent's socket and paths. Plain constants,
// kept apart from the schemas so that a program that needs only a name (a CNI plugin) does not build every schema
// of the module that defines it (the bundler drops a module none of whose exports is used, not a part of one).

export const API_GROUP = 'multinic.dev';
export const API_VERSION = 'v1';
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}` as const;

/** Label on every object the controller generates for a network (CIDR, IPPools, NADs), naming the MultiNicNetwork. */
export const NETWORK_LABEL = `${API_GROUP}/network` as const;
/** Label on every IPPool naming the node it belongs to. */
export const HOST_LABEL = `${API_GROUP}/host` as const;
/** Label on every IPPool naming the host interface it belongs to. */
export const INTERFACE_LABEL = `${API_GROUP}/interface` as const;

export const CNI_SPEC_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniSpecVersion = (typeof CNI_SPEC_VERSIONS)[number];

/**
 * The containerID prefix (then the pod's UID) of an allocation the node agent did not make through a CNI ADD: one
 * rebuilt from a pod's network-status, or one `multinic migrate` converted from multi-nic-cni. The pod's CNI DEL (its
 * UID and CNI_IFNAME) releases it; CNI GC, which cannot name it, leaves it to pod GC.
 */
export const REBUILT_CONTAINER_PREFIX = 'rebuilt-from-pod:';

/** The IPAM type multinic's own node agent serves (multi-nic-cni's name, kept for compatibility). */
export const MULTI_NIC_IPAM = 'multi-nic-ipam';

export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';
export const RESOURCE_NAME_ANNOTATION = 'k8s.v1.cni.cncf.io/resourceName';
export const NAD_API_VERSION = 'k8s.cni.cncf.io/v1';

export const AGENT_SOCKET_PATH = '/run/multinic/agent.sock';
/** POST paths of the agent API; bodies and answers are the schemas of agent.ts. */
export const AGENT_PATHS = {
  select: '/v1/select',
  allocate: '/v1/allocate',
  release: '/v1/release',
  gc: '/v1/gc',
  status: '/v1/status',
  lookup: '/v1/lookup',
} as const;
