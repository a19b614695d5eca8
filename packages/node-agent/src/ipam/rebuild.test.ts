import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { LivePod } from './rebuild.js';
import { isRebuilt, rebuildAllocations, rebuiltContainerID, rebuiltRecordMatches } from './rebuild.js';
import type { AllocationRecord, PoolSpec } from './store.js';

const NOW = 5_000;
const pool = (name: string, network: string, interfaceName: string, podCIDR: string): PoolSpec => ({
  name,
  network,
  interfaceName,
  podCIDR,
  vlanCIDR: podCIDR.replace(/\/\d+$/, '/16'),
  excludes: [],
});
const POOLS = [
  pool('net-a-eth1', 'net-a', 'eth1', '10.1.0.0/24'),
  pool('net-a-eth2', 'net-a', 'eth2', '10.2.0.0/24'),
  pool('net-b-eth1', 'net-b', 'eth1', '10.9.0.0/24'),
];

function held(poolName: string, address: string, uid: string, containerID = `c-${uid}`): AllocationRecord {
  return {
    pool: poolName,
    address,
    network: poolName.startsWith('net-a') ? 'net-a' : 'net-b',
    containerID,
    ifname: 'net1',
    interfaceName: poolName.endsWith('eth2') ? 'eth2' : 'eth1',
    podInterface: '',
    podName: `pod-${uid}`,
    podNamespace: 'default',
    podUID: uid,
    createdAt: 0,
  };
}

type Entry = { name: string; interface?: string; ips?: string[]; default?: boolean };
function livePod(uid: string, entries: Entry[] | string | undefined, phase = 'Running'): LivePod {
  const networkStatus =
    typeof entries === 'string' || entries === undefined
      ? entries
      : JSON.stringify([{ name: 'cluster', interface: 'eth0', ips: ['192.168.0.5'], default: true }, ...entries]);
  return { uid, namespace: 'default', name: `pod-${uid}`, phase, networkStatus };
}

/** `pool/address holder` with holder = the status containerID, or `rebuilt <uid> <ifname>`. */
function summary(records: readonly AllocationRecord[]): string[] {
  return records
    .map((r) => `${r.pool}/${r.address} ${isRebuilt(r) ? `rebuilt ${r.podUID} ${r.ifname}` : r.containerID}`)
    .sort();
}

describe('rebuildAllocations', () => {
  it.each<{
    case: string;
    status: AllocationRecord[];
    pods: LivePod[];
    records: string[];
    conflicts?: number;
    orphans?: string[];
    problems?: number;
  }>([
    {
      case: 'status and pods agree: the status records are kept as they are',
      status: [held('net-a-eth1', '10.1.0.2', 'u1'), held('net-a-eth2', '10.2.0.2', 'u1')],
      pods: [
        livePod('u1', [
          { name: 'default/net-a', interface: 'net1-0', ips: ['10.1.0.2'] },
          { name: 'default/net-a', interface: 'net1-1', ips: ['10.2.0.2'] },
        ]),
      ],
      records: ['net-a-eth1/10.1.0.2 c-u1', 'net-a-eth2/10.2.0.2 c-u1'],
    },
    {
      case: "an emptied status: every live pod's address is rebuilt from its network-status",
      status: [],
      pods: [
        livePod('u1', [
          { name: 'default/net-a', interface: 'net1-0', ips: ['10.1.0.2'] },
          { name: 'default/net-a', interface: 'net1-1', ips: ['10.2.0.2'] },
        ]),
        livePod('u2', [{ name: 'net-b', interface: 'net2', ips: ['10.9.0.7'] }]),
      ],
      records: [
        'net-a-eth1/10.1.0.2 rebuilt u1 net1-0',
        'net-a-eth2/10.2.0.2 rebuilt u1 net1-1',
        'net-b-eth1/10.9.0.7 rebuilt u2 net2',
      ],
    },
    {
      case: "the status gives a live pod's address to another pod: the live pod keeps it",
      status: [held('net-a-eth1', '10.1.0.2', 'intruder')],
      pods: [livePod('u1', [{ name: 'default/net-a', interface: 'net1-0', ips: ['10.1.0.2'] }])],
      records: ['net-a-eth1/10.1.0.2 rebuilt u1 net1-0'],
      conflicts: 1,
    },
    {
      case: 'a status record of a pod that is gone is kept for pod GC',
      status: [held('net-a-eth1', '10.1.0.3', 'gone')],
      pods: [],
      records: ['net-a-eth1/10.1.0.3 c-gone'],
      orphans: ['net-a-eth1/10.1.0.3 c-gone'],
    },
    {
      case: 'a live pod not yet in its annotation (ADD in flight) keeps its status record',
      status: [held('net-a-eth1', '10.1.0.4', 'u1')],
      pods: [livePod('u1', undefined, 'Pending')],
      records: ['net-a-eth1/10.1.0.4 c-u1'],
    },
    {
      case: "an ended pod's annotation claims nothing (its sandbox is gone)",
      status: [],
      pods: [livePod('done', [{ name: 'default/net-a', interface: 'net1-0', ips: ['10.1.0.9'] }], 'Succeeded')],
      records: [],
    },
    {
      case: "addresses of other networks, outside the blocks, or of the cluster network are not this node's",
      status: [],
      pods: [
        livePod('u1', [
          { name: 'default/other', interface: 'net1-0', ips: ['10.1.0.5'] },
          { name: 'default/net-a', interface: 'net1-0', ips: ['10.3.0.5'] },
        ]),
      ],
      records: [],
      problems: 1,
    },
    {
      case: 'two live pods show one address: the one the status names keeps it, the other is reported',
      status: [held('net-a-eth1', '10.1.0.6', 'u2')],
      pods: [
        livePod('u1', [{ name: 'default/net-a', interface: 'net1-0', ips: ['10.1.0.6'] }]),
        livePod('u2', [{ name: 'default/net-a', interface: 'net1-0', ips: ['10.1.0.6'] }]),
      ],
      records: ['net-a-eth1/10.1.0.6 c-u2'],
      conflicts: 1,
    },
    {
      case: 'an annotation that is not JSON is reported, the status kept',
      status: [held('net-a-eth1', '10.1.0.2', 'u1')],
      pods: [livePod('u1', '[{"name": ')],
      records: ['net-a-eth1/10.1.0.2 c-u1'],
      problems: 1,
    },
    {
      case: 'an address the status lists twice: the first holder is kept, the second reported',
      status: [held('net-a-eth1', '10.1.0.7', 'gone'), held('net-a-eth1', '10.1.0.7', 'gone2')],
      pods: [],
      records: ['net-a-eth1/10.1.0.7 c-gone'],
      orphans: ['net-a-eth1/10.1.0.7 c-gone'],
      problems: 1,
    },
    {
      case: 'IPv6 addresses are canonicalised',
      status: [],
      pods: [livePod('u6', [{ name: 'default/net-b', interface: 'net1-0', ips: ['fd00:0:0:0::5'] }])],
      records: ['net6/fd00::5 rebuilt u6 net1-0'],
    },
  ])('$case', ({ status, pods, records, conflicts = 0, orphans = [], problems = 0 }) => {
    const pools = [...POOLS, pool('net6', 'net-b', 'eth3', 'fd00::/120')];
    const result = rebuildAllocations({ pools, status, pods, now: NOW });
    expect(summary(result.records)).toEqual(records);
    expect(result.conflicts).toHaveLength(conflicts);
    expect(summary(result.orphans)).toEqual(orphans);
    expect(result.problems).toHaveLength(problems);
    for (const r of result.fromPods) expect(r.createdAt).toBe(NOW);
  });

  it('names what it dropped: the status holder, the live pod and what to do', () => {
    const result = rebuildAllocations({
      pools: POOLS,
      status: [held('net-a-eth1', '10.1.0.2', 'intruder')],
      pods: [livePod('u1', [{ name: 'default/net-a', interface: 'net1-0', ips: ['10.1.0.2'] }])],
      now: NOW,
    });
    expect(result.conflicts).toEqual([
      {
        pool: 'net-a-eth1',
        address: '10.1.0.2',
        keptFor: 'default/pod-u1',
        reason:
          "the IPPool status gave 10.1.0.2 to pod default/pod-intruder (uid intruder), but live pod default/pod-u1's network-status shows it: the live pod keeps it",
      },
    ]);
  });
});

describe("rebuiltRecordMatches: the pod's CNI DEL releases what was rebuilt for it", () => {
  const r = (ifname: string, uid = 'u1'): AllocationRecord => ({
    ...held('net-a-eth1', '10.1.0.2', uid, rebuiltContainerID(uid)),
    ifname,
  });
  it.each<{
    case: string;
    record: AllocationRecord;
    del: { network: string; ifname: string; podUID: string };
    matches: boolean;
  }>([
    {
      case: 'multi-nic link <ifname>-<i>',
      record: r('net1-0'),
      del: { network: 'net-a', ifname: 'net1', podUID: 'u1' },
      matches: true,
    },
    {
      case: 'multi-nic-ipam link = CNI_IFNAME',
      record: r('net1'),
      del: { network: 'net-a', ifname: 'net1', podUID: 'u1' },
      matches: true,
    },
    {
      case: 'another pod',
      record: r('net1-0'),
      del: { network: 'net-a', ifname: 'net1', podUID: 'u2' },
      matches: false,
    },
    {
      case: 'another network',
      record: r('net1-0'),
      del: { network: 'net-b', ifname: 'net1', podUID: 'u1' },
      matches: false,
    },
    {
      case: 'another ifname sharing a prefix',
      record: r('net10-0'),
      del: { network: 'net-a', ifname: 'net1', podUID: 'u1' },
      matches: false,
    },
    {
      case: 'not a rebuilt record',
      record: held('net-a-eth1', '10.1.0.2', 'u1'),
      del: { network: 'net-a', ifname: 'net1', podUID: 'u1' },
      matches: false,
    },
  ])('$case → $matches', ({ record, del, matches }) => {
    expect(rebuiltRecordMatches(record, del)).toBe(matches);
  });
});

describe('rebuildAllocations laws', () => {
  const addresses = ['10.1.0.2', '10.1.0.3', '10.1.0.4', '10.2.0.2', '10.2.0.3', '10.9.0.2'];
  const uids = ['u0', 'u1', 'u2', 'u3', 'u4'];
  const statusArb = fc.uniqueArray(
    fc.record({ address: fc.constantFrom(...addresses), uid: fc.constantFrom(...uids, 'gone1', 'gone2') }),
    { selector: (s) => s.address, maxLength: 6 },
  );
  const podsArb = fc.uniqueArray(
    fc.record({
      uid: fc.constantFrom(...uids),
      phase: fc.constantFrom('Running', 'Pending', 'Succeeded'),
      ips: fc.uniqueArray(fc.constantFrom(...addresses, '10.5.0.1'), { maxLength: 3 }),
    }),
    { selector: (p) => p.uid, maxLength: 5 },
  );
  const poolOf = (address: string): string =>
    address.startsWith('10.1.') ? 'net-a-eth1' : address.startsWith('10.2.') ? 'net-a-eth2' : 'net-b-eth1';
  const networkOf = (address: string): string => (address.startsWith('10.9.') ? 'net-b' : 'net-a');

  it("no address twice; every running pod's address in a pool is held for a running pod; every status record is kept or lost to a live pod", () => {
    fc.assert(
      fc.property(statusArb, podsArb, (statusSpec, podSpec) => {
        const status = statusSpec.map((s) => held(poolOf(s.address), s.address, s.uid));
        const pods = podSpec.map((p) =>
          livePod(
            p.uid,
            p.ips.map((ip, i) => ({ name: `default/${networkOf(ip)}`, interface: `net1-${i}`, ips: [ip] })),
            p.phase,
          ),
        );
        const result = rebuildAllocations({ pools: POOLS, status, pods, now: NOW });
        const slots = result.records.map((r) => `${r.pool}/${r.address}`);
        expect(new Set(slots).size).toBe(slots.length);
        const running = new Set(podSpec.filter((p) => p.phase !== 'Succeeded').map((p) => p.uid));
        for (const p of podSpec) {
          if (!running.has(p.uid)) continue;
          for (const ip of p.ips.filter((a) => a !== '10.5.0.1')) {
            const holder = result.records.find((r) => r.pool === poolOf(ip) && r.address === ip);
            expect(holder !== undefined && running.has(holder.podUID)).toBe(true);
          }
        }
        for (const s of status) {
          const holder = result.records.find((r) => r.pool === s.pool && r.address === s.address);
          expect(holder).toBeDefined();
          if (holder !== undefined && holder.podUID !== s.podUID) expect(running.has(holder.podUID)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('rebuildAllocations: dual-stack pods (ADR 0006)', () => {
  it("rebuilds both families of a pod link as one attachment, and that pod's DEL releases both", () => {
    const pools = [...POOLS, { ...pool('net-a-eth1-v6', 'net-a', 'eth1', 'fd00:1::/120'), vlanCIDR: 'fd00:1::/64' }];
    const result = rebuildAllocations({
      pools,
      status: [],
      pods: [livePod('u1', [{ name: 'default/net-a', interface: 'net1', ips: ['10.1.0.2', 'fd00:1::2'] }])],
      now: NOW,
    });
    expect(summary(result.records)).toEqual([
      'net-a-eth1-v6/fd00:1::2 rebuilt u1 net1',
      'net-a-eth1/10.1.0.2 rebuilt u1 net1',
    ]);
    const keys = new Set(result.records.map((r) => `${r.network} ${r.containerID} ${r.ifname}`));
    expect(keys.size).toBe(1);
    expect(
      result.records.every((r) => rebuiltRecordMatches(r, { network: 'net-a', ifname: 'net1', podUID: 'u1' })),
    ).toBe(true);
  });
});
