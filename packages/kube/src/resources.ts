// The API resources multinic reads and writes, their URL paths, and the selectors built from crd-types' labels.
import { API_GROUP, API_VERSION, HOST_LABEL, NAD_API_VERSION } from '@multinic/crd-types';

export interface Resource {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

const multinic = (plural: string, kind: string): Resource => ({
  group: API_GROUP,
  version: API_VERSION,
  plural,
  kind,
  namespaced: false,
});
const core = (plural: string, kind: string, namespaced: boolean): Resource => ({
  group: '',
  version: 'v1',
  plural,
  kind,
  namespaced,
});
const [NAD_GROUP = '', NAD_VERSION = ''] = NAD_API_VERSION.split('/');

export const RESOURCES = {
  networks: multinic('multinicnetworks', 'MultiNicNetwork'),
  hostInterfaces: multinic('hostinterfaces', 'HostInterface'),
  cidrs: multinic('cidrs', 'CIDR'),
  ippools: multinic('ippools', 'IPPool'),
  nicClasses: multinic('nicclasses', 'NicClass'),
  nads: {
    group: NAD_GROUP,
    version: NAD_VERSION,
    plural: 'network-attachment-definitions',
    kind: 'NetworkAttachmentDefinition',
    namespaced: true,
  },
  pods: core('pods', 'Pod', true),
  nodes: core('nodes', 'Node', false),
  namespaces: core('namespaces', 'Namespace', false),
  events: core('events', 'Event', true),
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
} as const satisfies Record<string, Resource>;

export function apiVersionOf(resource: Resource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** The collection URL: all namespaces when `namespace` is omitted for a namespaced resource. */
export function collectionPath(resource: Resource, namespace?: string): string {
  const prefix = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const ns = resource.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${prefix}${ns}/${resource.plural}`;
}

export function objectPath(resource: Resource, name: string, namespace?: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}

/** The label selector of one node's IPPools (the controller labels each IPPool with its node, HOST_LABEL). */
export function hostSelector(nodeName: string): string {
  return `${HOST_LABEL}=${nodeName}`;
}

/** The field selector of the pods scheduled to one node. */
export function podsOnNodeSelector(nodeName: string): string {
  return `spec.nodeName=${nodeName}`;
}

/** The field selector of one object by name (e.g. a node's own HostInterface). */
export function nameSelector(name: string): string {
  return `metadata.name=${name}`;
}
