import { describe, expect, it } from '@jest/globals';
import type { AllocationRecord } from './ipam/store.js';
import { podGcPredicate } from './pod-gc.js';

const GRACE = 60_000;
const NOW = 1_000_000;

function record(containerID: string, podUID: string, ageMs: number): AllocationRecord {
  return {
    pool: 'net-a-node-1-eth1',
    address: `10.0.0.${containerID.length}`,
    network: 'net-a',
    containerID,
    ifname: 'net1',
    interfaceName: 'eth1',
    podInterface: 'net1-0',
    podName: containerID,
    podNamespace: 'default',
    podUID,
    createdAt: NOW - ageMs,
  };
}

/** The records the predicate frees, and how often the API server was listed. */
async function freed(
  records: AllocationRecord[],
  watched: string[],
  listed: string[],
): Promise<{ freed: string[]; lists: number }> {
  let lists = 0;
  const predicate = await podGcPredicate({
    records,
    watched: new Set(watched),
    now: NOW,
    graceMs: GRACE,
    listLive: () => {
      lists += 1;
      return Promise.resolve(new Set(listed));
    },
  });
  return { freed: records.filter((r) => predicate?.(r) === true).map((r) => r.containerID), lists };
}

describe('podGcPredicate', () => {
  it('frees an allocation whose pod is gone from the watch and from a fresh list, once older than the grace period', async () => {
    expect(
      await freed(
        [record('gone', 'uid-gone', GRACE), record('live', 'uid-live', GRACE * 10)],
        ['uid-live'],
        ['uid-live'],
      ),
    ).toEqual({ freed: ['gone'], lists: 1 });
  });

  it('keeps the allocation of a pod the watch has not seen yet but the API server lists (the watch lags)', async () => {
    expect(await freed([record('new-pod', 'uid-new', GRACE + 1)], [], ['uid-new'])).toEqual({ freed: [], lists: 1 });
  });

  it('keeps every allocation younger than the grace period, and lists nothing when the watch shows nothing to free', async () => {
    expect(
      await freed([record('young', 'uid-young', GRACE - 1), record('live', 'uid-live', GRACE * 2)], ['uid-live'], []),
    ).toEqual({ freed: [], lists: 0 });
  });

  it('a failed list frees nothing (the caller tries again at the next interval)', async () => {
    const input = {
      records: [record('gone', 'uid-gone', GRACE)],
      watched: new Set<string>(),
      now: NOW,
      graceMs: GRACE,
      listLive: () => Promise.reject(new Error('connection refused')),
    };
    await expect(podGcPredicate(input)).rejects.toThrow('connection refused');
  });
});
