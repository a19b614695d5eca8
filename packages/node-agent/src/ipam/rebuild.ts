// What an agent without a checkpoint (a new disk, a lost state directory) takes back: the allocations of its IPPools'
// status *and* the addresses the pods on this node actually use, as Multus recorded them in each pod's
// `k8s.v1.cni.cncf.io/network-status` annotation. The status alone may have been emptied or damaged while the agent
// was away (issue 23); adopting it alone would hand a live pod's address to the next pod. Pure: the caller lists the
// pools, the status and the pods.
//
// The rules:
// - an address a live pod's network-status shows inside one of this node's pod blocks of that network is held for that
//   pod. When the status names the same pod for it, the status record is kept (it has the real containerID and CNI
//   ifname); when the status lacks it, a record is rebuilt from the annotation (see rebuiltContainerID);
// - when the status gives such an address to another pod, the live pod wins (its annotation is what the kernel has):
//   the status record is dropped and reported as a conflict; two live pods showing one address are reported too, and
//   the one the status names (else the first by namespace/name) keeps it;
// - a status record whose pod is not on the node any more is kept (reported as an orphan): pod GC frees it after its
//   grace period, after confirming with a fresh list, as it frees any other allocation of a vanished pod;
// - pods that ended (phase Succeeded or Failed) have no sandbox any more: their annotation claims nothing.
import { NetworkStatusEntrySchema, REBUILT_CONTAINER_PREFIX, parseWith } from '@multinic/crd-types';
import { parseAddress, parsePrefix, prefixContainsAddress, formatAddress } from '@multinic/cidr-core';
import type { IpPrefix } from '@multinic/cidr-core';
import type { AllocationRecord, PoolSpec } from './store.js';

/**
 * The containerID of a record rebuilt from a pod's network-status (the annotation does not carry the sandbox's
 * container ID): crd-types' REBUILT_CONTAINER_PREFIX and the pod's UID, so the pod's CNI DEL still releases it
 * (rebuiltRecordMatches).
 */
export { REBUILT_CONTAINER_PREFIX };

export function rebuiltContainerID(podUID: string): string {
  return `${REBUILT_CONTAINER_PREFIX}${podUID}`;
}

export function isRebuilt(record: Pick<AllocationRecord, 'containerID'>): boolean {
  return record.containerID.startsWith(REBUILT_CONTAINER_PREFIX);
}

/**
 * Whether a CNI DEL of (network, ifname, podUID) releases this rebuilt record. A rebuilt record's ifname is the pod
 * link name from the annotation: the CNI_IFNAME itself (multi-nic-ipam under another plugin) or `<CNI_IFNAME>-<i>`
 * (multi-nic, one link per NIC).
 */
export function rebuiltRecordMatches(
  record: AllocationRecord,
  del: { readonly network: string; readonly ifname: string; readonly podUID: string },
): boolean {
  if (!isRebuilt(record) || record.network !== del.network || record.containerID !== rebuiltContainerID(del.podUID)) {
    return false;
  }
  if (record.ifname === del.ifname) return true;
  return record.ifname.startsWith(`${del.ifname}-`) && /^\d+$/.test(record.ifname.slice(del.ifname.length + 1));
}

/** A pod on this node, as the API server lists it. */
export interface LivePod {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** status.phase: Succeeded and Failed pods claim no address. */
  readonly phase?: string | undefined;
  /** The raw `k8s.v1.cni.cncf.io/network-status` annotation, if any. */
  readonly networkStatus?: string | undefined;
}

export interface RebuildInput {
  /** This node's pools. */
  readonly pools: readonly PoolSpec[];
  /** The allocations in those pools' IPPool status. */
  readonly status: readonly AllocationRecord[];
  /** Every pod on this node (a fresh, complete list). */
  readonly pods: readonly LivePod[];
  /** createdAt of rebuilt records (pod GC's grace counts from it). */
  readonly now: number;
}

/** A status record dropped because a live pod's network-status shows its address, or a second live claimant. */
export interface RebuildConflict {
  readonly pool: string;
  readonly address: string;
  /** `namespace/name` of the pod that keeps the address. */
  readonly keptFor: string;
  readonly reason: string;
}

export interface RebuildResult {
  /** The allocations to restore: kept status records and records rebuilt from the pods. */
  readonly records: AllocationRecord[];
  /** The records rebuilt from network-status (the status lacked them); also in `records`. */
  readonly fromPods: AllocationRecord[];
  /** Status records of pods that are gone: kept, for pod GC to free. */
  readonly orphans: AllocationRecord[];
  readonly conflicts: RebuildConflict[];
  /** Annotations that do not parse, entries without a usable interface name, addresses in none of the pools. */
  readonly problems: string[];
}

interface Claim {
  readonly pod: LivePod;
  readonly pool: PoolSpec;
  readonly address: string;
  readonly podInterface: string;
}

const ENDED = new Set(['Succeeded', 'Failed']);
const LINK_NAME = /^[^\s/:]{1,15}$/;

const podName = (p: { readonly namespace: string; readonly name: string }): string => `${p.namespace}/${p.name}`;
const slot = (pool: string, address: string): string => `${pool}\u0000${address}`;

/** The NetworkAttachmentDefinition name of a network-status entry (`<namespace>/<name>` or `<name>`): the network. */
function networkOf(entryName: string): string {
  const i = entryName.indexOf('/');
  return i < 0 ? entryName : entryName.slice(i + 1);
}

function blocksOf(pools: readonly PoolSpec[]): Blocks {
  const out: { spec: PoolSpec; block: IpPrefix }[] = [];
  for (const spec of [...pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const block = parsePrefix(spec.podCIDR);
    if (block.ok) out.push({ spec, block: block.value });
  }
  return out;
}

/** The entries of a pod's network-status, or [] (with a problem) when the annotation does not parse. */
function entriesOf(pod: LivePod, problems: string[]): unknown[] {
  if (pod.networkStatus === undefined || ENDED.has(pod.phase ?? '')) return [];
  let list: unknown;
  try {
    list = JSON.parse(pod.networkStatus);
  } catch {
    list = undefined;
  }
  if (Array.isArray(list)) return list;
  problems.push(
    `pod ${podName(pod)}: its network-status annotation is not a JSON list; none of its addresses were rebuilt`,
  );
  return [];
}

type Blocks = readonly { readonly spec: PoolSpec; readonly block: IpPrefix }[];

/** The addresses of one network-status entry inside this node's pools of its network. */
function claimsOfEntry(options: {
  pod: LivePod;
  item: unknown;
  i: number;
  pools: Blocks;
  problems: string[];
}): Claim[] {
  const { pod, item, i, problems } = options;
  const entry = parseWith(NetworkStatusEntrySchema, item);
  if (!entry.ok) {
    problems.push(`pod ${podName(pod)}: network-status entry ${i} does not parse; its addresses were not rebuilt`);
    return [];
  }
  const network = networkOf(entry.value.name);
  const mine = options.pools.filter((p) => p.spec.network === network);
  const link = entry.value.interface;
  const claims: Claim[] = [];
  for (const text of mine.length === 0 ? [] : (entry.value.ips ?? [])) {
    const ip = parseAddress(text);
    const pool = ip.ok ? mine.find((p) => prefixContainsAddress(p.block, ip.value)) : undefined;
    if (!ip.ok || pool === undefined) {
      problems.push(`pod ${podName(pod)}: ${text} of network ${network} is in none of this node's pod blocks of it`);
    } else if (link === undefined || !LINK_NAME.test(link) || link === '.' || link === '..') {
      problems.push(`pod ${podName(pod)}: ${text} of network ${network} has no usable interface name; not rebuilt`);
    } else claims.push({ pod, pool: pool.spec, address: formatAddress(ip.value), podInterface: link });
  }
  return claims;
}

/** Live claims by pool slot, pods in a fixed order (namespace/name, uid); one pod counts once per slot. */
function claimsBySlot(input: RebuildInput, problems: string[]): Map<string, Claim[]> {
  const pools = blocksOf(input.pools);
  const key = (p: LivePod): string => `${podName(p)}\u0000${p.uid}`;
  const pods = [...input.pods].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const claims = new Map<string, Claim[]>();
  for (const pod of pods) {
    for (const [i, item] of entriesOf(pod, problems).entries()) {
      for (const claim of claimsOfEntry({ pod, item, i, pools, problems })) {
        const list = claims.get(slot(claim.pool.name, claim.address)) ?? [];
        if (!list.some((c) => c.pod.uid === pod.uid)) list.push(claim);
        claims.set(slot(claim.pool.name, claim.address), list);
      }
    }
  }
  return claims;
}

/** The status records by pool slot (the first holder of an address listed twice). */
function statusBySlot(status: readonly AllocationRecord[], problems: string[]): Map<string, AllocationRecord> {
  const out = new Map<string, AllocationRecord>();
  for (const r of status) {
    const key = slot(r.pool, r.address);
    if (!out.has(key)) out.set(key, r);
    else problems.push(`IPPool ${r.pool}: the status lists ${r.address} twice; kept the first holder`);
  }
  return out;
}

function rebuiltRecord(claim: Claim, now: number): AllocationRecord {
  return {
    pool: claim.pool.name,
    address: claim.address,
    network: claim.pool.network,
    containerID: rebuiltContainerID(claim.pod.uid),
    ifname: claim.podInterface,
    interfaceName: claim.pool.interfaceName,
    podInterface: claim.podInterface,
    podName: claim.pod.name,
    podNamespace: claim.pod.namespace,
    podUID: claim.pod.uid,
    createdAt: now,
  };
}

/** The allocations an agent without a checkpoint restores (see the rules at the top of this file). */
export function rebuildAllocations(input: RebuildInput): RebuildResult {
  const problems: string[] = [];
  const claims = claimsBySlot(input, problems);
  const status = statusBySlot(input.status, problems);
  const live = new Set(input.pods.map((p) => p.uid));
  const out: RebuildResult = { records: [], fromPods: [], orphans: [], conflicts: [], problems };
  for (const [key, r] of status) {
    if (claims.has(key)) continue;
    out.records.push(r);
    if (!live.has(r.podUID)) out.orphans.push(r);
  }
  for (const [key, list] of claims) resolve({ list, held: status.get(key), now: input.now, out });
  return out;
}

/** One address live pods show: who keeps it, and what is dropped or reported. */
function resolve(options: {
  list: readonly Claim[];
  held: AllocationRecord | undefined;
  now: number;
  out: RebuildResult;
}): void {
  const { list, held, out } = options;
  const winner = list.find((c) => c.pod.uid === held?.podUID) ?? list[0];
  if (winner === undefined) return;
  const keptFor = podName(winner.pod);
  const { pool, address } = winner;
  if (held !== undefined && held.podUID === winner.pod.uid) out.records.push(held);
  else {
    const r = rebuiltRecord(winner, options.now);
    out.records.push(r);
    out.fromPods.push(r);
    if (held !== undefined) {
      const holder = podName({ namespace: held.podNamespace, name: held.podName });
      out.conflicts.push({
        pool: pool.name,
        address,
        keptFor,
        reason: `the IPPool status gave ${address} to pod ${holder} (uid ${held.podUID}), but live pod ${keptFor}'s network-status shows it: the live pod keeps it`,
      });
    }
  }
  for (const other of list) {
    if (other === winner) continue;
    out.conflicts.push({
      pool: pool.name,
      address,
      keptFor,
      reason: `live pods ${keptFor} and ${podName(other.pod)} both show ${address} in their network-status: ${keptFor} keeps it; check pod ${podName(other.pod)}`,
    });
  }
}
