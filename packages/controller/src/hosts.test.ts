import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { computeFamilyPlans, computePlan, type NetworkPlan, type PlanHost } from '@multinic/cidr-core';
import { liveHosts, planHostOf, retainDeparted, type PoolState } from './hosts.js';
import type { KubeObject } from './objects.js';

const config = {
  subnet: '192.168.0.0/16',
  interfaceBlock: 2,
  hostBlock: 6,
  masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
  excludeCIDRs: [],
};

function host(name: string, i: number, nics = ['eth1', 'eth2']): PlanHost {
  return {
    hostName: name,
    interfaces: nics.map((nic) => ({
      interfaceName: nic,
      netAddress: `10.0.${nic.slice(3)}.0/24`,
      hostIP: `10.0.${nic.slice(3)}.${i}`,
    })),
  };
}

function planFor(hosts: PlanHost[]): NetworkPlan {
  return computePlan({ networkName: 'n', config, hosts }).plan;
}

const ippoolOf = (plan: NetworkPlan, hostName: string, nic: string): string =>
  plan.cidr.flatMap((e) => e.hosts).find((h) => h.hostName === hostName && h.interfaceName === nic)?.ippool ?? '';

describe('planHostOf and liveHosts', () => {
  const hi = (name: string, interfaces: unknown[]): KubeObject => ({
    metadata: { name },
    spec: { hostName: name, interfaces },
  });

  it('keeps the NICs that have an address', () => {
    const obj = hi('a', [
      { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1', mtu: 9000 },
      { interfaceName: 'eth2', netAddress: '', hostIP: '' },
      { interfaceName: 'eth3' },
    ]);
    expect(planHostOf(obj)).toEqual({
      hostName: 'a',
      interfaces: [{ interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1' }],
    });
  });

  it('counts a host only while its Node exists', () => {
    const objs = [hi('a', []), hi('b', [])];
    expect(liveHosts(objs, new Set(['b', 'c'])).map((h) => h.hostName)).toEqual(['b']);
  });
});

describe('retainDeparted', () => {
  const hosts = [host('a', 1), host('b', 2), host('c', 3)];
  const plan = planFor(hosts);
  const now = 1_000_000;
  const graceMs = 60_000;

  it.each([
    { case: 'no IPPool', pool: undefined, kept: false },
    { case: 'an empty IPPool', pool: { hasAllocations: false, departedAt: undefined }, kept: false },
    { case: 'allocations, just departed', pool: { hasAllocations: true, departedAt: undefined }, kept: true },
    {
      case: 'allocations, within the grace period',
      pool: { hasAllocations: true, departedAt: now - graceMs + 1 },
      kept: true,
    },
    { case: 'allocations, grace period over', pool: { hasAllocations: true, departedAt: now - graceMs }, kept: false },
  ])('a departed NIC with $case is kept: $kept', ({ pool, kept }) => {
    const live = [hosts[0] as PlanHost, hosts[2] as PlanHost];
    const b1 = ippoolOf(plan, 'b', 'eth1');
    const result = retainDeparted({
      previous: plan,
      live,
      pool: (name) => (name === b1 ? pool : undefined),
      now,
      graceMs,
    });
    const b = result.hosts.find((h) => h.hostName === 'b');
    expect(b?.interfaces.map((n) => n.interfaceName)).toEqual(kept ? ['eth1'] : undefined);
    expect(result.retained.length).toBe(kept ? 1 : 0);
    if (kept) {
      const since = pool?.departedAt ?? now;
      expect(result.retained[0]).toEqual({
        hostName: 'b',
        interfaceName: 'eth1',
        ippool: b1,
        since,
        until: since + graceMs,
        isNew: pool?.departedAt === undefined,
        hostPresent: false,
      });
      expect(result.nextCheckMs).toBe(since + graceMs - now);
    } else expect(result.nextCheckMs).toBeUndefined();
  });

  it('keeps a removed NIC of a live host next to its live NICs', () => {
    const live = [host('a', 1), host('b', 2, ['eth1']), host('c', 3)];
    const b2 = ippoolOf(plan, 'b', 'eth2');
    const allocated: PoolState = { hasAllocations: true, departedAt: undefined };
    const result = retainDeparted({
      previous: plan,
      live,
      pool: (name) => (name === b2 ? allocated : undefined),
      now,
      graceMs,
    });
    expect(result.hosts.find((h) => h.hostName === 'b')?.interfaces.map((n) => n.interfaceName)).toEqual([
      'eth1',
      'eth2',
    ]);
    const next = computePlan({ networkName: 'n', config, hosts: result.hosts, previous: plan }).plan;
    expect(next).toEqual(plan);
  });

  it.each([
    { case: 'allocations, just gone', pool: { hasAllocations: true, departedAt: undefined }, kept: true },
    {
      case: 'allocations, gone long before the grace period (no grace for a present host)',
      pool: { hasAllocations: true, departedAt: undefined, nicGoneAt: now - 100 * graceMs },
      kept: true,
    },
    { case: 'no allocations any more', pool: { hasAllocations: false, departedAt: undefined }, kept: false },
  ])('a NIC gone from a present host with $case is kept: $kept, with no end and its gateway', ({ pool, kept }) => {
    const live = [host('a', 1), host('b', 2, ['eth1']), host('c', 3)];
    const b2 = ippoolOf(plan, 'b', 'eth2');
    const result = retainDeparted({
      previous: plan,
      live,
      pool: (name) => (name === b2 ? { ...pool, gateway: '10.0.2.254' } : undefined),
      now,
      graceMs,
    });
    const since = pool.nicGoneAt ?? now;
    expect(result.retained).toEqual(
      kept
        ? [
            {
              hostName: 'b',
              interfaceName: 'eth2',
              ippool: b2,
              since,
              until: undefined,
              isNew: pool.nicGoneAt === undefined,
              hostPresent: true,
            },
          ]
        : [],
    );
    expect(result.nextCheckMs).toBeUndefined();
    const eth2 = result.hosts.find((h) => h.hostName === 'b')?.interfaces.find((n) => n.interfaceName === 'eth2');
    expect(eth2).toEqual(
      kept
        ? { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.2', gateway: '10.0.2.254' }
        : undefined,
    );
  });

  it('never moves a live host and never keeps what is not in the previous plan', () => {
    fc.assert(
      fc.property(fc.subarray([0, 1, 2, 3, 4, 5]), fc.subarray([0, 1, 2, 3, 4, 5]), (liveIdx, allocatedIdx) => {
        const all = [0, 1, 2, 3, 4, 5].map((i) => host(`h${i}`, i + 1));
        const previous = planFor(all);
        const live = liveIdx.map((i) => all[i] as PlanHost);
        const allocated = new Set(
          allocatedIdx.flatMap((i) => ['eth1', 'eth2'].map((nic) => ippoolOf(previous, `h${i}`, nic))),
        );
        const result = retainDeparted({
          previous,
          live,
          pool: (name) => ({ hasAllocations: allocated.has(name), departedAt: undefined }),
          now,
          graceMs,
        });
        for (const h of live) expect(result.hosts.find((x) => x.hostName === h.hostName)).toEqual(h);
        const kept = result.hosts
          .filter((h) => !liveIdx.some((i) => `h${i}` === h.hostName))
          .map((h) => h.hostName)
          .sort();
        const expected = allocatedIdx
          .filter((i) => !liveIdx.includes(i))
          .map((i) => `h${i}`)
          .sort();
        expect(kept).toEqual(expected);
        const next = computePlan({ networkName: 'n', config, hosts: result.hosts, previous }).plan;
        const index = (p: NetworkPlan) =>
          new Map(p.cidr.flatMap((e) => e.hosts.map((h) => [`${e.netAddress}/${h.hostName}`, h.hostIndex])));
        for (const [key, i] of index(next)) expect(index(previous).get(key)).toBe(i);
      }),
      { numRuns: 50 },
    );
  });
});

describe('retainDeparted of a dual-stack network', () => {
  it("keeps a departed NIC in both families: the first family's address, the other's in addresses", () => {
    const dual = (name: string, i: number): PlanHost => ({
      hostName: name,
      interfaces: [
        {
          interfaceName: 'eth1',
          netAddress: '10.0.1.0/24',
          hostIP: `10.0.1.${i}`,
          addresses: [`10.0.1.${i}/24`, `fd00:1::${i}/64`],
        },
      ],
    });
    const v6 = { ...config, subnet: 'fd00:10::/48', interfaceBlock: 8, hostBlock: 8, masterNets: ['10.0.1.0/24'] };
    const { results } = computeFamilyPlans({
      networkName: 'n',
      configs: [{ ...config, masterNets: ['10.0.1.0/24'] }, v6],
      hosts: [dual('a', 1), dual('b', 2)],
    });
    const [first, other] = results.map((r) => r.plan) as [NetworkPlan, NetworkPlan];
    const busy = new Set([ippoolOf(first, 'b', 'eth1'), ippoolOf(other, 'b', 'eth1')]);
    const result = retainDeparted({
      previous: { ...first, otherFamily: other },
      live: [dual('a', 1)],
      pool: (name) => (busy.has(name) ? { hasAllocations: true, departedAt: undefined } : undefined),
      now: 1_000,
      graceMs: 60_000,
    });
    expect(result.retained.map((r) => r.ippool).sort()).toEqual([...busy].sort());
    expect(result.hosts.find((h) => h.hostName === 'b')?.interfaces).toEqual([
      { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.2', addresses: ['fd00:1::2/64'] },
    ]);
    // Planned again with the kept NIC, both families keep b's blocks.
    const again = computeFamilyPlans({
      networkName: 'n',
      configs: [{ ...config, masterNets: ['10.0.1.0/24'] }, v6],
      hosts: result.hosts,
      previous: [first, other],
    });
    expect(again.problems).toEqual([]);
    expect(again.results.map((r) => r.ippools.filter((p) => p.hostName === 'b').map((p) => p.name))).toEqual([
      [ippoolOf(first, 'b', 'eth1')],
      [ippoolOf(other, 'b', 'eth1')],
    ]);
  });
});
