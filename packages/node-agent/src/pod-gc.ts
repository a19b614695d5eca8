// What pod garbage collection may free. The agent learns about its node's pods from a watch, and a watch can lag
// behind the API server (a busy node, a reconnect, an API server slow to send events): a pod created moments ago may
// not be in the watch's copy yet. Freeing its addresses would hand them to the next pod while the first still uses
// them, so whatever the watch calls gone is confirmed with a fresh list before anything is freed.
import type { AllocationRecord } from './ipam/store.js';

export interface PodGcInput {
  readonly records: readonly AllocationRecord[];
  /** UIDs of this node's pods in the watch's copy. */
  readonly watched: ReadonlySet<string | undefined>;
  /** The agent's clock, and how long an allocation is kept whatever the pods say (pods still being created). */
  readonly now: number;
  readonly graceMs: number;
  /** UIDs of this node's pods, listed from the API server now. */
  readonly listLive: () => Promise<ReadonlySet<string | undefined>>;
}

/**
 * Which allocations pod GC frees: older than the grace period, and their pod neither in the watch's copy nor in a
 * fresh list. Undefined when the watch alone shows nothing to free (then nothing is listed); a failed list throws
 * (and nothing is freed).
 */
export async function podGcPredicate(input: PodGcInput): Promise<((r: AllocationRecord) => boolean) | undefined> {
  const stale = (live: ReadonlySet<string | undefined>) => (r: AllocationRecord) =>
    !live.has(r.podUID) && input.now - r.createdAt >= input.graceMs;
  if (!input.records.some(stale(input.watched))) return undefined;
  const listed = await input.listLive();
  return stale(new Set([...input.watched, ...listed]));
}
