// Laws for large IPv6 prefixes: subnets from /32 to /120, /64 host blocks out of a /48, /56 interface blocks, and
// pools wider than /64 usable to their last address (Whereabouts' "only the first /65 of a wider IPv6 range is
// usable" must not hold here). Every size is exact bigint arithmetic; nothing enumerates the addresses of a block.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatAddress, formatPrefix, parsePrefix } from './address.js';
import type { IpAddress, IpPrefix } from './address.js';
import { RangeAllocator } from './allocator.js';
import { hostLocalRange } from './host-local.js';
import { prefixContains, prefixContainsAddress, prefixLast, prefixOf, prefixSize, subPrefix } from './prefix.js';
import { computePlan, NetworkPlanner } from './plan/planner.js';
import type { PlanConfig, PlanHost, PlanResult } from './plan/types.js';

const RUNS = { numRuns: 100 };

function prefix(text: string): IpPrefix {
  const parsed = parsePrefix(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const v6 = (value: bigint): IpAddress => ({ family: 6, value });
/** Any address of fd00::/8 (unique local addresses). */
const ula = fc.bigInt({ min: 0n, max: 2n ** 120n - 1n }).map((low) => (0xfdn << 120n) | low);
/** A block of the given lengths somewhere in fd00::/8, the boundaries /32 and /120 drawn often. */
const blockArb = (min: number, max: number): fc.Arbitrary<IpPrefix> =>
  fc
    .tuple(ula, fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max, 48, 56, 64, 65)))
    .map(([value, length]) => prefixOf(v6(value), Math.min(max, Math.max(min, length))));

/** Orders by base and checks that each block ends before the next one starts: pairwise disjoint in O(n log n). */
function expectDisjoint(blocks: readonly IpPrefix[]): void {
  const sorted = [...blocks].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  for (let i = 1; i < sorted.length; i++)
    expect(prefixLast(sorted[i - 1] as IpPrefix).value < (sorted[i] as IpPrefix).base).toBe(true);
}

// ------------------------------------------------------------------------------------------------
// The plan

const NETS = ['fd10:1::/64', 'fd10:2::/64', 'fd10:3::/64'];

function hosts(count: number, nets: readonly number[] = [0, 1]): PlanHost[] {
  return Array.from({ length: count }, (_, n) => ({
    hostName: `node-${String(n).padStart(4, '0')}`,
    interfaces: nets.map((net) => ({
      interfaceName: `eth${net}`,
      netAddress: NETS[net] as string,
      hostIP: `fd10:${net + 1}::${(n + 1).toString(16)}`,
    })),
  }));
}

interface Sizes {
  readonly subnet: IpPrefix;
  readonly interfaceBlock: number;
  readonly hostBlock: number;
}

/** Subnet /32../120, interface and host bits up to 24 each (the CRD allows 32), pod blocks at most /127. */
const sizesArb: fc.Arbitrary<Sizes> = fc.oneof(
  blockArb(32, 120).chain((subnet) => {
    const room = 127 - subnet.length;
    return fc.integer({ min: 0, max: Math.min(24, room) }).chain((interfaceBlock) =>
      fc.record({
        subnet: fc.constant(subnet),
        interfaceBlock: fc.constant(interfaceBlock),
        hostBlock: fc.integer({ min: 0, max: Math.min(24, room - interfaceBlock) }),
      }),
    );
  }),
  // The sizes the issue names: /64 host blocks of a /48, /56 interface blocks, a /32 with 24 bits of blocks.
  fc.constantFrom(
    { subnet: prefix('fd00:1234:5678::/48'), interfaceBlock: 8, hostBlock: 8 },
    { subnet: prefix('fd00:1234:5678::/48'), interfaceBlock: 0, hostBlock: 16 },
    { subnet: prefix('fd00:1234::/32'), interfaceBlock: 24, hostBlock: 0 },
    { subnet: prefix('fd00:1234::/32'), interfaceBlock: 8, hostBlock: 16 },
    { subnet: prefix('fd00:1234::/32'), interfaceBlock: 2, hostBlock: 22 },
    { subnet: prefix('fd00::ab00/120'), interfaceBlock: 4, hostBlock: 3 },
  ),
);

function planOf(sizes: Sizes, hostList: readonly PlanHost[]): PlanResult {
  const config: PlanConfig = {
    subnet: formatPrefix(sizes.subnet),
    interfaceBlock: sizes.interfaceBlock,
    hostBlock: sizes.hostBlock,
    masterNets: [],
    excludeCIDRs: [],
  };
  return computePlan({ networkName: 'big', config, hosts: hostList });
}

describe('plan laws for IPv6 subnets from /32 to /120', () => {
  it('each pod block is the hostIndex-th block of its vlan block, the vlan block the interfaceIndex-th of the subnet; sizes exact, all disjoint', () => {
    fc.assert(
      fc.property(sizesArb, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 3 }), (sizes, n, netCount) => {
        const nets = [0, 1, 2].slice(0, netCount);
        const result = planOf(sizes, hosts(n, nets));
        const { subnet, interfaceBlock, hostBlock } = sizes;
        const vlanLength = subnet.length + interfaceBlock;
        const podLength = vlanLength + hostBlock;
        const networks = n === 0 ? 0 : Math.min(netCount, 2 ** interfaceBlock);
        const perNetwork = Math.min(n, 2 ** hostBlock);
        expect(result.plan.cidr).toHaveLength(networks);
        const pods: IpPrefix[] = [];
        for (const entry of result.plan.cidr) {
          const vlan = prefix(entry.vlanCIDR);
          expect(subPrefix(subnet, interfaceBlock, entry.interfaceIndex)).toEqual({ ok: true, value: vlan });
          expect(vlan.length).toBe(vlanLength);
          expect(entry.hosts).toHaveLength(perNetwork);
          for (const host of entry.hosts) {
            const pod = prefix(host.podCIDR);
            expect(subPrefix(vlan, hostBlock, host.hostIndex)).toEqual({ ok: true, value: pod });
            expect(prefixContains(vlan, pod) && prefixContains(subnet, vlan)).toBe(true);
            expect(prefixSize(pod)).toBe(1n << BigInt(128 - podLength));
            pods.push(pod);
          }
        }
        expectDisjoint(result.plan.cidr.map((e) => prefix(e.vlanCIDR)));
        expectDisjoint(pods);
        // Only capacity problems, exactly as many as the block bits leave out.
        const count = (code: string): number => result.problems.filter((p) => p.code === code).length;
        expect(count('NO_INTERFACE_INDEX')).toBe(n === 0 ? 0 : netCount - networks);
        expect(count('NO_HOST_INDEX')).toBe(networks * (n - perNetwork));
        expect(result.problems).toHaveLength(count('NO_INTERFACE_INDEX') + count('NO_HOST_INDEX'));
      }),
      RUNS,
    );
  });

  it('every pool is usable to its last address, by the allocator and by host-local, with exact counts', () => {
    fc.assert(
      fc.property(sizesArb, fc.integer({ min: 1, max: 5 }), (sizes, n) => {
        const result = planOf(sizes, hosts(n));
        expect(result.ippools.length).toBeGreaterThan(0);
        for (const pool of result.ippools) {
          const block = prefix(pool.podCIDR);
          const last = prefixLast(block);
          const allocator = RangeAllocator.fromPool(pool);
          if (!allocator.ok) throw new Error(allocator.error);
          expect(allocator.value.freeCount).toBe(prefixSize(block) - 1n); // all but the network address
          expect(allocator.value.allocateSpecific(last)).toEqual({ ok: true, value: last });
          expect(allocator.value.freeCount).toBe(prefixSize(block) - 2n);
          const range = hostLocalRange({ pool });
          if (!range.ok) throw new Error(range.error);
          expect(range.value.rangeStart).toBe(formatAddress(v6(block.base + 1n)));
          expect(range.value.rangeEnd).toBe(formatAddress(last));
          expect(range.value.subnet).toBe(pool.vlanCIDR);
        }
      }),
      RUNS,
    );
  });

  it('1,000 hosts on a /48 with /64 pod blocks plan without enumerating addresses, and incrementally the same', () => {
    const config: PlanConfig = {
      subnet: 'fd00:1234:5678::/48',
      interfaceBlock: 4,
      hostBlock: 12,
      masterNets: [],
      excludeCIDRs: ['fd00:1234:5678:10::/60', 'fd00:1234:5678:1ff:8000::/65'],
    };
    const all = hosts(1000);
    const result = computePlan({ networkName: 'big', config, hosts: all });
    expect(result.problems).toEqual([]);
    expect(result.plan.cidr.map((e) => e.vlanCIDR)).toEqual(['fd00:1234:5678::/52', 'fd00:1234:5678:1000::/52']);
    expect(result.ippools).toHaveLength(2000);
    const pods = result.ippools.map((p) => prefix(p.podCIDR));
    expect(pods.every((p) => p.length === 64)).toBe(true);
    expectDisjoint(pods);
    // The /60 exclude takes 16 whole host slots (indexes 16..31); the /65 is listed in the pool it lies in.
    const eth0 = result.plan.cidr[0]?.hosts ?? [];
    expect(eth0.map((h) => h.hostIndex).filter((i) => i >= 16 && i < 32)).toEqual([]);
    expect(eth0.at(-1)?.hostIndex).toBe(1015);
    const holder = result.ippools.find((p) => p.podCIDR === 'fd00:1234:5678:1ff::/64');
    expect(holder?.excludes).toEqual(['fd00:1234:5678:1ff:8000::/65']);
    const routes = result.routes['node-0000'] ?? [];
    expect(routes).toHaveLength(2 * 999);

    const planner = new NetworkPlanner({ networkName: 'big', config, hosts: all.slice(0, 999) });
    const incremental = planner.setHost(all[999] as PlanHost);
    expect(incremental.plan).toEqual(result.plan);
    expect(incremental.ippools).toEqual(result.ippools);
  });

  it('1,000 hosts on a /48 split 8 + 8 bits: 256 hosts per network get /64 blocks, the rest a problem naming the fix', () => {
    const config: PlanConfig = {
      subnet: 'fd00:1234:5678::/48',
      interfaceBlock: 8,
      hostBlock: 8,
      masterNets: [],
      excludeCIDRs: [],
    };
    const result = computePlan({ networkName: 'big', config, hosts: hosts(1000) });
    expect(result.plan.cidr.map((e) => [e.vlanCIDR, e.hosts.length, e.hosts.at(-1)?.podCIDR])).toEqual([
      ['fd00:1234:5678::/56', 256, 'fd00:1234:5678:ff::/64'],
      ['fd00:1234:5678:100::/56', 256, 'fd00:1234:5678:1ff::/64'],
    ]);
    expect(result.problems).toHaveLength(2 * 744);
    expect(result.problems[0]).toMatchObject({ code: 'NO_HOST_INDEX', network: 'fd10:1::/64' });
    expect(result.problems[0]?.reason).toContain('hostBlock 8 allows 256 hosts');
    expect(result.problems[0]?.reason).toContain('raise hostBlock');
  });
});

// ------------------------------------------------------------------------------------------------
// The allocator on wide pools

type Op =
  | { readonly kind: 'allocate' }
  | { readonly kind: 'specific'; readonly fromEnd: boolean; readonly offset: bigint }
  | { readonly kind: 'release'; readonly pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'allocate' as const }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('specific' as const),
      fromEnd: fc.boolean(),
      offset: fc.bigInt({ min: 0n, max: 40n }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }), weight: 1 },
);

/** A pool of /32../120 with up to 4 excludes inside it (some at its very end). */
const poolArb = blockArb(32, 120).chain((block) =>
  fc.record({
    block: fc.constant(block),
    excludes: fc.array(
      fc
        .tuple(
          fc.oneof(
            fc.bigInt({ min: 0n, max: 40n }),
            fc.bigInt({ min: prefixSize(block) - 41n, max: prefixSize(block) - 1n }),
            fc.bigInt({ min: 0n, max: prefixSize(block) - 1n }),
          ),
          fc.oneof(fc.integer({ min: block.length + 1, max: 128 }), fc.integer({ min: 124, max: 128 })),
        )
        .map(([offset, length]) => prefixOf(v6(block.base + offset), length)),
      { maxLength: 4 },
    ),
  }),
);

/** Number of usable addresses (all but the network address) inside the union of the excludes. */
function excludedUsable(block: IpPrefix, excludes: readonly IpPrefix[]): bigint {
  const ranges = excludes
    .map((e) => [e.base, prefixLast(e).value] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let total = 0n;
  let next = block.base + 1n;
  for (const [lo, hi] of ranges) {
    const from = lo > next ? lo : next;
    if (from > hi) continue;
    total += hi - from + 1n;
    next = hi + 1n;
  }
  return total;
}

describe('RangeAllocator laws for pools from /32 to /120', () => {
  it('hands out distinct addresses of the pool, never the network address or an excluded one; counts are exact', () => {
    fc.assert(
      fc.property(poolArb, fc.array(opArb, { maxLength: 60 }), ({ block, excludes }, ops) => {
        const allocator = new RangeAllocator({ block, excludes });
        const last = prefixLast(block).value;
        const usable = prefixSize(block) - 1n - excludedUsable(block, excludes);
        const excluded = (value: bigint): boolean => excludes.some((e) => prefixContainsAddress(e, v6(value)));
        const held = new Set<bigint>();
        for (const op of ops) {
          if (op.kind === 'allocate') {
            const got = allocator.allocate();
            if (!got.ok) {
              expect(BigInt(held.size)).toBe(usable);
              continue;
            }
            const value = got.value.value;
            expect(prefixContainsAddress(block, got.value) && value !== block.base && !excluded(value)).toBe(true);
            expect(held.has(value)).toBe(false);
            held.add(value);
          } else if (op.kind === 'specific') {
            const value = op.fromEnd ? last - op.offset : block.base + op.offset;
            const got = allocator.allocateSpecific(v6(value));
            const expected = value === block.base || excluded(value) || held.has(value) ? false : true;
            expect(got.ok).toBe(expected);
            if (got.ok) held.add(value);
          } else {
            const values = [...held];
            const value = values[op.pick % Math.max(1, values.length)];
            if (value === undefined) continue;
            expect(allocator.release(v6(value))).toBe(true);
            expect(allocator.release(v6(value))).toBe(false);
            held.delete(value);
            expect(allocator.allocateSpecific(v6(value)).ok).toBe(true); // a released address can be reused
            expect(allocator.release(v6(value))).toBe(true);
          }
          expect(allocator.allocatedCount).toBe(BigInt(held.size));
          expect(allocator.freeCount).toBe(usable - BigInt(held.size));
        }
        expect([...allocator.allocations()].map((a) => a.value)).toEqual([...held].sort((a, b) => (a < b ? -1 : 1)));
      }),
      RUNS,
    );
  });

  it('reaches the last address of the pool after a hint, then wraps to the lowest free address', () => {
    fc.assert(
      fc.property(blockArb(32, 120), fc.integer({ min: 1, max: 16 }), (block, tail) => {
        const last = prefixLast(block).value;
        const allocator = new RangeAllocator({ block, lastAllocated: v6(last - BigInt(tail)) });
        const got = Array.from({ length: tail }, () => allocator.allocate());
        expect(got.map((r) => (r.ok ? r.value.value : undefined))).toEqual(
          Array.from({ length: tail }, (_, i) => last - BigInt(tail) + 1n + BigInt(i)),
        );
        expect(allocator.allocate()).toEqual({ ok: true, value: v6(block.base + 1n) });
        expect(allocator.freeCount).toBe(prefixSize(block) - 2n - BigInt(tail));
      }),
      RUNS,
    );
  });

  it('exhausts a small tail of a wide pool (last address included), then reuses what is released', () => {
    fc.assert(
      fc.property(blockArb(32, 120), fc.integer({ min: 1, max: 16 }), fc.nat(), (block, tail, pick) => {
        const last = prefixLast(block).value;
        const allocator = new RangeAllocator({ block });
        allocator.reserve({ first: v6(block.base), last: v6(last - BigInt(tail)) });
        expect(allocator.freeCount).toBe(BigInt(tail));
        const got: bigint[] = [];
        for (let r = allocator.allocate(); r.ok; r = allocator.allocate()) got.push(r.value.value);
        expect(got).toEqual(Array.from({ length: tail }, (_, i) => last - BigInt(tail) + 1n + BigInt(i)));
        expect(allocator.allocate()).toMatchObject({ ok: false, code: 'EXHAUSTED' });
        expect(allocator.freeCount).toBe(0n);
        const back = got[pick % got.length] as bigint;
        expect(allocator.release(v6(back))).toBe(true);
        expect(allocator.freeCount).toBe(1n);
        expect(allocator.allocate()).toEqual({ ok: true, value: v6(back) });
      }),
      RUNS,
    );
  });

  it('skips a huge exclude in one step: the next address after a /49 exclude of a /48', () => {
    const block = prefix('fd00:1:2::/48');
    const allocator = new RangeAllocator({
      block,
      excludes: [prefix('fd00:1:2::/49')],
      lastAllocated: v6(block.base),
    });
    expect(allocator.allocate()).toEqual({ ok: true, value: v6(prefix('fd00:1:2:8000::/128').base) });
    expect(allocator.freeCount).toBe(2n ** 79n - 1n);
    expect(allocator.freeCount.toString()).toBe('604462909807314587353087');
  });
});

// ------------------------------------------------------------------------------------------------
// host-local ranges of wide pools

describe('hostLocalRange laws for pools from /32 to /120', () => {
  it('the range set covers exactly the usable addresses outside the excludes, to the last address of the pool', () => {
    fc.assert(
      fc.property(poolArb, ({ block, excludes }) => {
        const vlan = prefixOf(v6(block.base), Math.max(0, block.length - 8));
        const pool = {
          podCIDR: formatPrefix(block),
          vlanCIDR: formatPrefix(vlan),
          excludes: excludes.map(formatPrefix),
        };
        const usable = prefixSize(block) - 1n - excludedUsable(block, excludes);
        const result = hostLocalRange({ pool });
        if (usable === 0n) {
          expect(result).toMatchObject({ ok: false, code: 'ALL_EXCLUDED' });
          return;
        }
        if (!result.ok) throw new Error(result.error);
        const last = prefixLast(block);
        expect(result.value.rangeEnd).toBe(formatAddress(last));
        const ranges = result.value.rangeSet.map((r) => [prefix(`${r.rangeStart}/128`), prefix(`${r.rangeEnd}/128`)]);
        let total = 0n;
        let previous = block.base;
        for (const [start, end] of ranges as [IpPrefix, IpPrefix][]) {
          expect(start.base > previous && start.base <= end.base && end.base <= last.value).toBe(true);
          for (const edge of [start.base, end.base])
            expect(excludes.some((e) => prefixContainsAddress(e, v6(edge)))).toBe(false);
          total += end.base - start.base + 1n;
          previous = end.base + 1n;
        }
        expect(total).toBe(usable);
        const lastExcluded = excludes.some((e) => prefixContainsAddress(e, last));
        expect(ranges.at(-1)?.[1]?.base === last.value).toBe(!lastExcluded);
      }),
      RUNS,
    );
  });
});
