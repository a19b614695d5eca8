// The objects a network should have, built from the plan (cidr-core) and the NetConf (netconf); and the test
// of whether an object in the cluster already says what the controller would write.
import type { IPPoolPlan, NetworkPlan, Result } from '@multinic/cidr-core';
import { GROUP_VERSION, HOST_LABEL, INTERFACE_LABEL, NETWORK_LABEL, type MultiNicNetwork } from '@multinic/crd-types';
import { buildNetworkAttachmentDefinition, type NadOptions } from '@multinic/netconf';
import { rfc3339 } from './clock.js';
import { DEPARTED_ANNOTATION, NIC_GONE_ANNOTATION } from './hosts.js';
import { isControlledBy, jsonEqual, type KubeObject, type OwnerReference } from './objects.js';

/** The field manager of every write. */
export const FIELD_MANAGER = 'multinic-controller';
/** The labels the controller writes (defined in crd-types, next to the API group). */
export { HOST_LABEL, INTERFACE_LABEL, NETWORK_LABEL };

export interface NetworkRef {
  readonly name: string;
  readonly uid: string;
}

export function ownerReference(network: NetworkRef): OwnerReference {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'MultiNicNetwork',
    name: network.name,
    uid: network.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The CIDR of a network: its first family's plan, and a dual-stack network's second family's as `otherFamily`. */
export function desiredCidr(network: NetworkRef, plan: NetworkPlan, otherFamily?: NetworkPlan): KubeObject {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'CIDR',
    metadata: {
      name: network.name,
      labels: { [NETWORK_LABEL]: network.name },
      ownerReferences: [ownerReference(network)],
    },
    spec: otherFamily === undefined ? plan : { ...plan, otherFamily },
  };
}

/** When (ms) the NIC of a pool kept for its allocations was first seen gone: with its host, or alone from a present host. */
export interface PoolMarks {
  readonly departedAt?: number | undefined;
  readonly nicGoneAt?: number | undefined;
}

function markAnnotations(marks: PoolMarks): Record<string, string> | undefined {
  const annotations: Record<string, string> = {};
  if (marks.departedAt !== undefined) annotations[DEPARTED_ANNOTATION] = rfc3339(marks.departedAt);
  if (marks.nicGoneAt !== undefined) annotations[NIC_GONE_ANNOTATION] = rfc3339(marks.nicGoneAt);
  return Object.keys(annotations).length === 0 ? undefined : annotations;
}

/** The IPPool of a planned pool (with its gateway, if the plan gives one); `marks` say since when a kept pool's NIC is gone. */
export function desiredIPPool(network: NetworkRef, pool: IPPoolPlan, marks: PoolMarks = {}): KubeObject {
  const annotations = markAnnotations(marks);
  return {
    apiVersion: GROUP_VERSION,
    kind: 'IPPool',
    metadata: {
      name: pool.name,
      labels: { [NETWORK_LABEL]: network.name, [HOST_LABEL]: pool.hostName, [INTERFACE_LABEL]: pool.interfaceName },
      ...(annotations === undefined ? {} : { annotations }),
      ownerReferences: [ownerReference(network)],
    },
    spec: {
      network: network.name,
      hostName: pool.hostName,
      interfaceName: pool.interfaceName,
      podCIDR: pool.podCIDR,
      vlanCIDR: pool.vlanCIDR,
      excludes: [...pool.excludes],
      // Host-subnet mode: the gateway the host's agent discovered on this NIC, the pods' gateway there.
      ...(pool.gateway === undefined ? {} : { gateway: pool.gateway }),
    },
  };
}

/** The network's NetworkAttachmentDefinition in each namespace (netconf builds it; the controller adds the owner). */
export function desiredNads(
  network: MultiNicNetwork & { metadata: { uid: string } },
  namespaces: readonly string[],
  options: NadOptions,
): Result<KubeObject[]> {
  const owner = ownerReference({ name: network.metadata.name, uid: network.metadata.uid });
  const out: KubeObject[] = [];
  for (const namespace of namespaces) {
    const nad = buildNetworkAttachmentDefinition(network, namespace, options);
    if (!nad.ok) return nad;
    const { metadata, ...rest } = nad.value as unknown as KubeObject;
    out.push({ ...rest, metadata: { ...metadata, ownerReferences: [owner] } });
  }
  return { ok: true, value: out };
}

function includes(actual: Record<string, string> | undefined, wanted: Record<string, string> | undefined): boolean {
  return Object.entries(wanted ?? {}).every(([key, value]) => actual?.[key] === value);
}

/**
 * Whether `actual` already says everything `desired` says: its labels and annotations (others may add more),
 * no departed-at mark the controller no longer wants, a controller reference to the same owner, an equal spec.
 */
export function upToDate(desired: KubeObject, actual: KubeObject | undefined): boolean {
  if (actual === undefined || actual.metadata.deletionTimestamp !== undefined) return false;
  const owner = desired.metadata.ownerReferences?.[0];
  return (
    (owner === undefined || isControlledBy(actual, owner.uid)) &&
    includes(actual.metadata.labels, desired.metadata.labels) &&
    includes(actual.metadata.annotations, desired.metadata.annotations) &&
    [DEPARTED_ANNOTATION, NIC_GONE_ANNOTATION].every(
      (mark) => actual.metadata.annotations?.[mark] === desired.metadata.annotations?.[mark],
    ) &&
    jsonEqual(actual.spec, desired.spec)
  );
}
