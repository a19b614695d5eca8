import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { AllocateFailureCode, AllocateInput, PoolSpec } from './store.js';
import { AllocationStore, recordsByNic } from './store.js';

const eth1: PoolSpec = {
  name: 'net-a-node1-eth1',
  network: 'net-a',
  interfaceName: 'eth1',
  podCIDR: '10.0.0.0/29',
  vlanCIDR: '10.0.0.0/24',
  excludes: ['10.0.0.1/32'],
};
const eth2: PoolSpec = {
  name: 'net-a-node1-eth2',
  network: 'net-a',
  interfaceName: 'eth2',
  podCIDR: '10.0.1.0/29',
  vlanCIDR: '10.0.1.0/24',
  excludes: [],
};

function request(containerID: string, extra: Partial<AllocateInput> = {}): AllocateInput {
  return {
    network: 'net-a',
    containerID,
    ifname: 'net1',
    pod: { name: `pod-${containerID}`, namespace: 'default', uid: `uid-${containerID}` },
    nics: [
      { interfaceName: 'eth1', podInterface: 'net1-0' },
      { interfaceName: 'eth2', podInterface: 'net1-1' },
    ],
    ...extra,
  };
}

function store(): AllocationStore {
  const s = new AllocationStore();
  expect(s.setPools([eth1, eth2]).problems).toEqual([]);
  return s;
}

function addresses(s: AllocationStore, pool: string): string[] {
  return s.poolRecords(pool).map((r) => r.address);
}

describe('AllocationStore.allocate', () => {
  it('gives one address per NIC from that NIC pool, skipping network, broadcast and excluded addresses', () => {
    const s = store();
    const out = s.allocate(request('c1'), 1000);
    expect(out.ok && out.value.records.map((r) => [r.interfaceName, r.podInterface, r.address, r.createdAt])).toEqual([
      ['eth1', 'net1-0', '10.0.0.2', 1000],
      ['eth2', 'net1-1', '10.0.1.1', 1000],
    ]);
  });

  it('is idempotent on (network, containerID, ifname): a repeated ADD gets the same addresses', () => {
    const s = store();
    const first = s.allocate(request('c1'), 1);
    const again = s.allocate(request('c1'), 2);
    expect(again.ok && again.value.created).toBe(false);
    expect(again.ok && again.value.records.map((r) => r.address)).toEqual(
      first.ok ? first.value.records.map((r) => r.address) : [],
    );
    expect(s.records()).toHaveLength(2);
  });

  it('is all or nothing: when one NIC pool is exhausted, the others give back what they took', () => {
    const s = store();
    // eth1 has 10.0.0.2-6 usable (5 addresses); eth2 has 6.
    for (let i = 0; i < 5; i++) expect(s.allocate(request(`c${i}`), 0).ok).toBe(true);
    const before = addresses(s, eth2.name);
    const out = s.allocate(request('c-full'), 0);
    expect(out.ok).toBe(false);
    expect(!out.ok && out).toMatchObject({ code: 'EXHAUSTED', field: 'nics[0].interfaceName' });
    expect(addresses(s, eth2.name)).toEqual(before);
    expect(s.attachment('net-a', 'c-full', 'net1')).toBeUndefined();
  });

  it.each([
    { case: 'requested addresses honoured', ips: ['10.0.1.5', '10.0.0.6/24'], expected: ['10.0.0.6', '10.0.1.5'] },
  ])('$case', ({ ips, expected }) => {
    const s = store();
    const out = s.allocate(request('c1', { ips }), 0);
    expect(out.ok && out.value.records.map((r) => r.address)).toEqual(expected);
  });

  it.each<{ case: string; ips: string[]; code: AllocateFailureCode; field: string; msg: RegExp }>([
    {
      case: 'not an address',
      ips: ['10.0.0.x'],
      code: 'INVALID_ADDRESS',
      field: 'ips[0]',
      msg: /is not an IP address/,
    },
    {
      case: 'outside every selected NIC',
      ips: ['10.0.5.5'],
      code: 'OUT_OF_BLOCK',
      field: 'ips[0]',
      msg: /in none of the selected NICs' pod blocks/,
    },
    {
      case: 'two in one NIC',
      ips: ['10.0.0.2', '10.0.0.3'],
      code: 'ONE_ADDRESS_PER_NIC',
      field: 'ips[1]',
      msg: /both fall in the pod block of NIC eth1/,
    },
    {
      case: 'excluded',
      ips: ['10.0.1.2', '10.0.0.1'],
      code: 'ADDRESS_UNAVAILABLE',
      field: 'ips[1]',
      msg: /excluded or reserved/,
    },
    { case: 'broadcast', ips: ['10.0.0.7'], code: 'ADDRESS_UNAVAILABLE', field: 'ips[0]', msg: /broadcast address/ },
  ])('a requested address that cannot be given fails clearly and takes nothing: $case', ({ ips, code, field, msg }) => {
    const s = store();
    const out = s.allocate(request('c1', { ips }), 0);
    expect(!out.ok && out).toMatchObject({ code, field });
    expect(!out.ok && out.message).toMatch(msg);
    expect(s.records()).toEqual([]);
  });

  it('a requested address held by another container fails; a repeated ADD must ask for what it holds', () => {
    const s = store();
    expect(s.allocate(request('c1', { ips: ['10.0.0.3'] }), 0).ok).toBe(true);
    const taken = s.allocate(request('c2', { ips: ['10.0.0.3'] }), 0);
    expect(!taken.ok && [taken.code, taken.message]).toEqual([
      'ADDRESS_UNAVAILABLE',
      expect.stringMatching(/already allocated/),
    ]);
    const repeatOther = s.allocate(request('c1', { ips: ['10.0.0.4'] }), 0);
    expect(!repeatOther.ok && repeatOther).toMatchObject({ code: 'ADDRESS_MISMATCH', field: 'ips[0]' });
  });

  it('a repeated ADD with a different set of NICs is a conflict naming the NIC', () => {
    const s = store();
    s.allocate(request('c1'), 0);
    const out = s.allocate(request('c1', { nics: [{ interfaceName: 'eth2', podInterface: 'net1-0' }] }), 0);
    expect(!out.ok && out).toMatchObject({ code: 'CONFLICT', field: 'nics[0].interfaceName' });
  });

  it('a NIC without an IPPool is "try again later" (the controller may not have planned it yet)', () => {
    const s = store();
    const out = s.allocate(request('c1', { nics: [{ interfaceName: 'eth9', podInterface: 'net1-0' }] }), 0);
    expect(!out.ok && out).toMatchObject({ code: 'NOT_READY', field: 'nics[0].interfaceName' });
  });
});

describe('release, gc, restore and pool changes', () => {
  it('release is idempotent and frees the addresses for reuse', () => {
    const s = store();
    s.allocate(request('c1'), 0);
    expect(s.release('net-a', 'c1', 'net1').map((r) => r.address)).toEqual(['10.0.0.2', '10.0.1.1']);
    expect(s.release('net-a', 'c1', 'net1')).toEqual([]);
    expect(s.records()).toEqual([]);
  });

  it('CNI GC releases every attachment of the network that is not listed as valid', () => {
    const s = store();
    for (const c of ['c1', 'c2', 'c3']) s.allocate(request(c), 0);
    const out = s.gc('net-a', [{ containerID: 'c2', ifname: 'net1' }]);
    expect(out.released.map((r) => r.containerID).sort()).toEqual(['c1', 'c1', 'c3', 'c3']);
    expect(out.kept).toBe(2);
  });

  it('restore puts records back, and refuses unknown pools, foreign holders and addresses outside the block', () => {
    const s = store();
    const held = s.allocate(request('c1'), 0);
    const records = held.ok ? held.value.records : [];
    const fresh = store();
    const first = records[0];
    if (first === undefined) throw new Error('no record');
    const result = fresh.restore([
      ...records,
      { ...first, containerID: 'other' },
      { ...first, pool: 'nope' },
      { ...first, address: '10.9.9.9', containerID: 'c9' },
    ]);
    expect(result.restored).toBe(2);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'held by container c1',
      "IPPool nope is not one of this node's pools",
      'outside pod block 10.0.0.0/29',
    ]);
    expect(
      fresh.allocate(request('c1'), 5).ok &&
        fresh
          .records()
          .map((r) => r.address)
          .sort(),
    ).toEqual(['10.0.0.2', '10.0.1.1']);
    expect(fresh.allocate(request('c2'), 5).ok && addresses(fresh, eth1.name)).toEqual(['10.0.0.2', '10.0.0.3']);
  });

  it('restore keeps a holder of an address excluded since (forced), but never the network or broadcast address', () => {
    const s = store();
    const base = {
      pool: eth1.name,
      network: 'net-a',
      ifname: 'net1',
      interfaceName: 'eth1',
      podInterface: 'net1-0',
      podName: 'p',
      podNamespace: 'default',
      podUID: 'u',
      createdAt: 0,
    };
    const result = s.restore([
      { ...base, address: '10.0.0.1', containerID: 'excluded' },
      { ...base, address: '10.0.0.0', containerID: 'network' },
      { ...base, address: '10.0.0.7', containerID: 'broadcast' },
    ]);
    expect(result.restored).toBe(1);
    expect(s.attachment('net-a', 'excluded', 'net1')?.map((r) => r.address)).toEqual(['10.0.0.1']);
    expect(result.rejected.map((r) => [r.record.containerID, r.reason])).toEqual([
      ['network', expect.stringMatching(/network address/)],
      ['broadcast', expect.stringMatching(/broadcast address/)],
    ]);
  });

  it('a pool that goes away drops its records; a new exclude keeps a holder until it is released', () => {
    const s = store();
    s.allocate(request('c1'), 0);
    const change = s.setPools([{ ...eth1, excludes: ['10.0.0.0/30'] }]);
    expect(change.dropped.map((r) => r.address)).toEqual(['10.0.1.1']);
    expect(s.attachment('net-a', 'c1', 'net1')?.map((r) => r.address)).toEqual(['10.0.0.2']);
    s.release('net-a', 'c1', 'net1');
    const next = s.allocate(request('c2', { nics: [{ interfaceName: 'eth1', podInterface: 'net1-0' }] }), 0);
    expect(next.ok && next.value.records[0]?.address).toBe('10.0.0.4');
  });

  it('an unusable pool spec is a problem naming the field, not a crash', () => {
    const s = new AllocationStore();
    expect(s.setPools([{ ...eth1, podCIDR: '10.0.0.1/29' }]).problems[0]).toMatch(/spec\.podCIDR 10\.0\.0\.1\/29/);
  });
});

describe('laws', () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('alloc' as const),
      c: fc.integer({ min: 0, max: 15 }),
      ip: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
    }),
    fc.record({ kind: fc.constant('release' as const), c: fc.integer({ min: 0, max: 15 }) }),
    fc.record({ kind: fc.constant('gc' as const), keep: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 4 }) }),
  );

  it('no address is ever held twice, records and allocator agree, and a restore of the records is the same state', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const s = store();
        for (const o of ops) {
          if (o.kind === 'alloc')
            s.allocate(request(`c${o.c}`, o.ip === undefined ? {} : { ips: [`10.0.0.${o.ip}`] }), 0);
          else if (o.kind === 'release') s.release('net-a', `c${o.c}`, 'net1');
          else
            s.gc(
              'net-a',
              o.keep.map((k) => ({ containerID: `c${k}`, ifname: 'net1' })),
            );
          const all = s.records().map((r) => `${r.pool}/${r.address}`);
          expect(new Set(all).size).toBe(all.length);
          const perContainer = new Map<string, number>();
          for (const r of s.records()) perContainer.set(r.containerID, (perContainer.get(r.containerID) ?? 0) + 1);
          for (const n of perContainer.values()) expect(n).toBe(2);
        }
        const copy = store();
        expect(copy.restore(s.records()).rejected).toEqual([]);
        expect(
          copy
            .records()
            .map((r) => r.address)
            .sort(),
        ).toEqual(
          s
            .records()
            .map((r) => r.address)
            .sort(),
        );
      }),
    );
  });
});

describe('AllocationStore: one address, one holder, per NIC (defence in depth, issue 23 finding 1)', () => {
  // Two networks whose pools overlap on the same NIC: the controller refuses such networks, but if the pools reach
  // the agent anyway (an older controller, a hand-made IPPool) it never hands out an address the other one holds.
  const wide: PoolSpec = {
    name: 'net-a-node1-eth1',
    network: 'net-a',
    interfaceName: 'eth1',
    podCIDR: '10.0.0.0/29',
    vlanCIDR: '10.0.0.0/24',
    excludes: [],
  };
  const narrow: PoolSpec = {
    name: 'net-b-node1-eth1',
    network: 'net-b',
    interfaceName: 'eth1',
    podCIDR: '10.0.0.0/30',
    vlanCIDR: '10.0.0.0/25',
    excludes: [],
  };
  const elsewhere: PoolSpec = {
    name: 'net-c-node1-eth2',
    network: 'net-c',
    interfaceName: 'eth2',
    podCIDR: '10.0.0.0/30',
    vlanCIDR: '10.0.0.0/25',
    excludes: [],
  };
  const one = (network: string, containerID: string, nic = 'eth1', ips?: string[]): AllocateInput => ({
    network,
    containerID,
    ifname: 'net1',
    pod: { name: `pod-${containerID}`, namespace: 'default', uid: `uid-${containerID}` },
    nics: [{ interfaceName: nic, podInterface: 'net1-0' }],
    ...(ips === undefined ? {} : { ips }),
  });

  it('skips what the overlapping pool holds, refuses a request for it, and is exhausted when all is held', () => {
    const s = new AllocationStore();
    expect(s.setPools([wide, narrow, elsewhere]).problems).toEqual([]);
    const a = s.allocate(one('net-a', 'a1'), 0);
    expect(a.ok && a.value.records.map((r) => r.address)).toEqual(['10.0.0.1']);
    const b = s.allocate(one('net-b', 'b1'), 0);
    expect(b.ok && b.value.records.map((r) => r.address)).toEqual(['10.0.0.2']);
    const asked = s.allocate(one('net-b', 'b2', 'eth1', ['10.0.0.1/25']), 0);
    expect(!asked.ok && asked).toMatchObject({ code: 'ADDRESS_UNAVAILABLE', field: 'ips[0]' });
    expect(!asked.ok && asked.message).toMatch(
      /10\.0\.0\.1 is held on NIC eth1 by pod default\/pod-a1 of network net-a/,
    );
    // The pool on another NIC is another L2 domain: the same address is fine there.
    const c = s.allocate(one('net-c', 'c1', 'eth2'), 0);
    expect(c.ok && c.value.records.map((r) => r.address)).toEqual(['10.0.0.1']);
    // net-b's /30 has 10.0.0.1 and .2 usable: .1 is net-a's, .2 its own, so it is exhausted.
    const full = s.allocate(one('net-b', 'b3'), 0);
    expect(!full.ok && full.code).toBe('EXHAUSTED');
    // What net-b skipped is still free for net-b once net-a lets it go.
    expect(s.release('net-a', 'a1', 'net1').map((r) => r.address)).toEqual(['10.0.0.1']);
    const again = s.allocate(one('net-b', 'b4'), 0);
    expect(again.ok && again.value.records.map((r) => r.address)).toEqual(['10.0.0.1']);
  });

  it('property: across overlapping pools on one NIC no address is ever held twice', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('net-a', 'net-b'), fc.boolean()), { maxLength: 40 }), (steps) => {
        const s = new AllocationStore();
        s.setPools([wide, narrow]);
        const live: { network: string; id: string }[] = [];
        steps.forEach(([network, release], i) => {
          const victim = live[0];
          if (release && victim !== undefined) {
            s.release(victim.network, victim.id, 'net1');
            live.shift();
          } else if (s.allocate(one(network, `x${i}`), 0).ok) live.push({ network, id: `x${i}` });
          const held = s.records().map((r) => r.address);
          expect(new Set(held).size).toBe(held.length);
        });
      }),
    );
  });
});

describe('AllocationStore: whole-NIC attachments (host-device)', () => {
  const one = (containerID: string, nic: string, extra: Partial<AllocateInput> = {}): AllocateInput =>
    request(containerID, { nics: [{ interfaceName: nic, podInterface: 'net1' }], exclusive: true, ...extra });

  it('refuses a NIC another attachment holds (NIC_IN_USE, naming the holder); a repeated ADD and a free NIC are fine', () => {
    const s = store();
    expect(s.allocate(one('a', 'eth1'), 0).ok).toBe(true);
    const b = s.allocate(one('b', 'eth1'), 0);
    expect(b).toMatchObject({ ok: false, code: 'NIC_IN_USE', field: 'nics[0].interfaceName' });
    expect(!b.ok && b.message).toMatch(/NIC eth1 is in use by pod default\/pod-a \(network net-a\)/);
    expect(s.allocate(one('a', 'eth1'), 0)).toMatchObject({ ok: true, value: { created: false } });
    expect(s.allocate(one('b', 'eth2'), 0).ok).toBe(true);
    expect(s.holdersOf('eth1').map((r) => r.containerID)).toEqual(['a']);
    expect([...s.heldNics()].map(([nic, records]) => [nic, records.map((r) => r.containerID)])).toEqual([
      ['eth1', ['a']],
      ['eth2', ['b']],
    ]);
    s.release('net-a', 'a', 'net1');
    expect(s.allocate(one('b2', 'eth1'), 0).ok).toBe(true);
  });

  it('a NIC shared by a non-exclusive attachment is not free for a whole-NIC one; without exclusive it is shared', () => {
    const s = store();
    expect(s.allocate(one('mv', 'eth1', { exclusive: false }), 0).ok).toBe(true);
    expect(s.allocate(one('mv2', 'eth1', { exclusive: false }), 0).ok).toBe(true);
    expect(s.allocate(one('hd', 'eth1'), 0)).toMatchObject({ ok: false, code: 'NIC_IN_USE' });
  });
});

describe('AllocationStore: dual-stack networks (ADR 0006 decisions 4 and 5)', () => {
  const v6 = (nic: string, n: number, podLength = 125): PoolSpec => ({
    name: `net-a-node1-${nic}-v6`,
    network: 'net-a',
    interfaceName: nic,
    podCIDR: `fd00:${n}::/${podLength}`,
    vlanCIDR: `fd00:${n}::/64`,
    excludes: [],
    gateway: `fd00:${n}::1`,
  });
  const eth1v6 = v6('eth1', 1);
  const eth2v6 = v6('eth2', 2);

  function dual(): AllocationStore {
    const s = new AllocationStore();
    expect(s.setPools([eth1v6, eth1, eth2, eth2v6]).problems).toEqual([]);
    return s;
  }

  it('a network with pools of both families is dual-stack; only NICs with a pool of each are usable', () => {
    const s = new AllocationStore();
    s.setPools([eth1, eth2, eth1v6]);
    expect(s.families('net-a')).toEqual([4, 6]);
    expect([...s.usableNics('net-a')]).toEqual(['eth1']);
    s.setPools([eth1v6]);
    expect(s.families('net-a')).toEqual([6]);
    expect([...s.usableNics('net-a')]).toEqual(['eth1']);
  });

  it('gives every NIC one address of each family under the same attachment and pod, IPv4 first', () => {
    const s = dual();
    const out = s.allocate(request('c1'), 7);
    expect(out.ok && out.value.records.map((r) => [r.interfaceName, r.podInterface, r.address, r.podUID])).toEqual([
      ['eth1', 'net1-0', '10.0.0.2', 'uid-c1'],
      ['eth1', 'net1-0', 'fd00:1::1', 'uid-c1'],
      ['eth2', 'net1-1', '10.0.1.1', 'uid-c1'],
      ['eth2', 'net1-1', 'fd00:2::1', 'uid-c1'],
    ]);
    expect(
      recordsByNic(s.attachment('net-a', 'c1', 'net1') ?? []).map((n) => [n.first.address, n.other?.address]),
    ).toEqual([
      ['10.0.0.2', 'fd00:1::1'],
      ['10.0.1.1', 'fd00:2::1'],
    ]);
    // A network whose subnets[0] is IPv6 answers IPv6 in `address`, IPv4 in `otherFamily`.
    expect(
      recordsByNic(s.attachment('net-a', 'c1', 'net1') ?? [], 6).map((n) => [n.first.address, n.other?.address]),
    ).toEqual([
      ['fd00:1::1', '10.0.0.2'],
      ['fd00:2::1', '10.0.1.1'],
    ]);
    const again = s.allocate(request('c1'), 8);
    expect(again.ok && [again.value.created, again.value.records.map((r) => r.address)]).toEqual([
      false,
      ['10.0.0.2', 'fd00:1::1', '10.0.1.1', 'fd00:2::1'],
    ]);
  });

  it('is all or nothing across families: an exhausted IPv6 pool fails the allocation and leaves the IPv4 pools unchanged', () => {
    const s = new AllocationStore();
    // fd00:1::/126: three addresses (::1 to ::3; the subnet-router anycast ::0 is never given).
    s.setPools([eth1, { ...eth1v6, podCIDR: 'fd00:1::/126' }]);
    const one = { nics: [{ interfaceName: 'eth1', podInterface: 'net1' }] };
    for (const c of ['c0', 'c1', 'c2']) expect(s.allocate(request(c, one), 0).ok).toBe(true);
    const before = addresses(s, eth1.name);
    const out = s.allocate(request('c3', one), 0);
    expect(!out.ok && out).toMatchObject({ code: 'EXHAUSTED', field: 'nics[0].interfaceName' });
    expect(!out.ok && out.message).toMatch(/no free address on NIC eth1 \(IPv6 IPPool net-a-node1-eth1-v6\)/);
    expect(addresses(s, eth1.name)).toEqual(before);
    expect(s.attachment('net-a', 'c3', 'net1')).toBeUndefined();
    // After a release the pair is whole again (the allocator is next-fit: 10.0.0.5, taken for a moment and given
    // back, is behind its cursor).
    s.release('net-a', 'c2', 'net1');
    const next = s.allocate(request('c4', one), 0);
    expect(next.ok && next.value.records.map((r) => r.address)).toEqual(['10.0.0.6', 'fd00:1::3']);
    expect(addresses(s, eth1.name)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.6']);
  });

  it('a NIC with a pool of one family only, on a dual-stack network, is not ready (nothing taken)', () => {
    const s = new AllocationStore();
    s.setPools([eth1, eth1v6, eth2]);
    const out = s.allocate(request('c1'), 0);
    expect(!out.ok && out).toMatchObject({ code: 'NOT_READY', field: 'nics[1].interfaceName' });
    expect(!out.ok && out.message).toMatch(/NIC eth2 has no IPv6 IPPool/);
    expect(s.records()).toEqual([]);
  });

  it('requested addresses of both families land in their NIC and family; two of one family on one NIC fail', () => {
    const s = dual();
    const out = s.allocate(request('c1', { ips: ['fd00:2::5', '10.0.0.4', 'fd00:1::3/64'] }), 0);
    expect(out.ok && out.value.records.map((r) => r.address)).toEqual([
      '10.0.0.4',
      'fd00:1::3',
      '10.0.1.1',
      'fd00:2::5',
    ]);
    const two = s.allocate(request('c2', { ips: ['fd00:1::4', 'fd00:1::5'] }), 0);
    expect(!two.ok && two).toMatchObject({ code: 'ONE_ADDRESS_PER_NIC', field: 'ips[1]' });
  });

  it("release, GC and restore treat both addresses as the attachment's", () => {
    const s = dual();
    const out = s.allocate(request('c1'), 0);
    const records = out.ok ? out.value.records : [];
    expect(
      s
        .release('net-a', 'c1', 'net1')
        .map((r) => r.address)
        .sort(),
    ).toEqual(['10.0.0.2', '10.0.1.1', 'fd00:1::1', 'fd00:2::1'].sort());
    expect(s.records()).toEqual([]);
    const t = dual();
    expect(t.restore(records)).toEqual({ restored: 4, rejected: [] });
    expect(t.attachment('net-a', 'c1', 'net1')).toHaveLength(4);
    expect(t.gc('net-a', []).released).toHaveLength(4);
    expect(t.records()).toEqual([]);
  });
});
