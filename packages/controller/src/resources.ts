// The API resources the controller reads and writes, and their URL paths.
import { API_GROUP, API_VERSION } from '@multinic/crd-types';

export interface Resource {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

const multinic = (plural: string, kind: string): Resource => ({ group: API_GROUP, version: API_VERSION, plural, kind, namespaced: false });

export const RESOURCES = {
  networks: multinic('multinicnetworks', 'MultiNicNetwork'),
  hostInterfaces: multinic('hostinterfaces', 'HostInterface'),
  cidrs: multinic('cidrs', 'CIDR'),
  ippools: multinic('ippools', 'IPPool'),
  nads: { group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions', kind: 'NetworkAttachmentDefinition', namespaced: true },
  nodes: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  events: { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
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
