// Is an IPPool's observed status someone else's write that the mirror must undo? The agent's store (backed by its
// checkpoint) is the truth for its pools' allocations; the status is its mirror. A status that differs from the
// store is foreign unless the mirror can account for it: the echo of its own write (the watch delivers every write
// the mirror makes, possibly after the store has moved on), an older object (a stale watch or cache copy), or the
// mirror's last body under a newer resourceVersion (someone changed the spec or labels, not the allocations).
import type { IPPoolAllocation } from '@multinic/crd-types';

/** A status body the mirror wrote (or read back as equal to the store), newest last. */
export interface WrittenStatus {
  /** The resourceVersion the API server gave the write; undefined when the write's answer never came (timeout). */
  readonly resourceVersion: string | undefined;
  readonly allocations: readonly IPPoolAllocation[];
}

export interface ObservedStatus {
  readonly resourceVersion: string | undefined;
  readonly allocations: readonly IPPoolAllocation[];
}

export interface StatusJudgement {
  /** What the store holds for the pool (`toPoolAllocation` of its records); undefined when the pool is not ours. */
  readonly desired: readonly IPPoolAllocation[] | undefined;
  /** The mirror's recent writes of this pool, oldest first; empty before its first write or confirmation. */
  readonly written: readonly WrittenStatus[];
  readonly observed: ObservedStatus;
}

export interface StatusDiff {
  /** Held by the store, absent from the status. */
  readonly missing: readonly string[];
  /** In the status, not held by the store (or listed twice). */
  readonly extra: readonly string[];
  /** Same address, another holder (containerID, interface or pod) than the store's. */
  readonly changed: readonly string[];
}

export type Verdict =
  | { readonly repair: false; readonly why: 'not-ours' | 'no-baseline' | 'in-sync' | 'own-write' | 'stale' }
  | { readonly repair: true; readonly diff: StatusDiff; readonly message: string };

function allocationKey(a: IPPoolAllocation): string {
  return `${a.address}|${a.containerID}|${a.interface}|${a.podName}|${a.podNamespace}|${a.podUID}`;
}

/** The same allocations, in any order. */
export function sameAllocations(a: readonly IPPoolAllocation[], b: readonly IPPoolAllocation[]): boolean {
  if (a.length !== b.length) return false;
  const left = a.map(allocationKey).sort();
  const right = b.map(allocationKey).sort();
  return left.every((k, i) => k === right[i]);
}

/** resourceVersions are etcd revisions in practice; only compared when both are decimal integers. */
function olderThan(rv: string | undefined, than: string | undefined): boolean {
  if (rv === undefined || than === undefined || !/^\d+$/.test(rv) || !/^\d+$/.test(than)) return false;
  return BigInt(rv) < BigInt(than);
}

export function diffAllocations(
  desired: readonly IPPoolAllocation[],
  observed: readonly IPPoolAllocation[],
): StatusDiff {
  const want = new Map(desired.map((a) => [a.address, allocationKey(a)]));
  const seen = new Set<string>();
  const extra: string[] = [];
  const changed: string[] = [];
  for (const a of observed) {
    const key = want.get(a.address);
    if (key === undefined || seen.has(a.address)) extra.push(a.address);
    else if (key !== allocationKey(a)) changed.push(a.address);
    seen.add(a.address);
  }
  const missing = desired.filter((a) => !seen.has(a.address)).map((a) => a.address);
  return { missing, extra, changed };
}

const SHOWN = 5;

function some(label: string, addresses: readonly string[]): string | undefined {
  if (addresses.length === 0) return undefined;
  const shown = addresses.slice(0, SHOWN).join(', ');
  return `${addresses.length} ${label} (${shown}${addresses.length > SHOWN ? ', …' : ''})`;
}

/** The Event message: what the foreign status had that the store does not, and what it lacked. */
export function describeRepair(diff: StatusDiff, restored: number): string {
  const parts = [
    some('missing', diff.missing),
    some('extra', diff.extra),
    some('with another holder', diff.changed),
  ].filter((p) => p !== undefined);
  return `status.allocations was written by someone other than this node's agent and differed from its checkpoint: ${parts.join('; ')}. Rewrote the ${restored} allocations the agent holds.`;
}

/** Nothing to do, or a repair with what it overwrites. */
export function judgeStatus(j: StatusJudgement): Verdict {
  const { desired, written, observed } = j;
  if (desired === undefined) return { repair: false, why: 'not-ours' };
  // Before the mirror's first write the status may lag the checkpoint (a restart): the first flush brings it in line.
  const newest = written.at(-1);
  if (newest === undefined) return { repair: false, why: 'no-baseline' };
  if (sameAllocations(observed.allocations, desired)) return { repair: false, why: 'in-sync' };
  if (observed.resourceVersion !== undefined && written.some((w) => w.resourceVersion === observed.resourceVersion))
    return { repair: false, why: 'own-write' };
  const newestRv = written.findLast((w) => w.resourceVersion !== undefined)?.resourceVersion;
  if (olderThan(observed.resourceVersion, newestRv)) return { repair: false, why: 'stale' };
  // The last body the mirror wrote, under a newer resourceVersion (a spec or label change), or a write whose answer
  // never came: the mirror's own allocations; a store that moved on since has its write pending.
  if (sameAllocations(observed.allocations, newest.allocations)) return { repair: false, why: 'own-write' };
  if (written.some((w) => w.resourceVersion === undefined && sameAllocations(observed.allocations, w.allocations)))
    return { repair: false, why: 'own-write' };
  const diff = diffAllocations(desired, observed.allocations);
  return { repair: true, diff, message: describeRepair(diff, desired.length) };
}
