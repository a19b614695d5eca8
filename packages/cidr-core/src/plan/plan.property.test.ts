// Laws of the network plan, checked on random networks for IPv4 and IPv6.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatAddress, parseAddress, parsePrefix } from '../address.js';
import type { Family, IpPrefix } from '../address.js';
import { RangeAllocator } from '../allocator.js';
import { prefixContains, prefixContainsAddress, prefixesOverlap, prefixLast, subPrefix } from '../prefix.js';
import { computePlan, NetworkPlanner } from './planner.js';
import type { PlanConfig, PlanHost, PlanResult } from './types.js';

const RUNS = { numRuns: 150 };

function prefix(text: string): IpPrefix {
  const parsed = parsePrefix(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

interface Family6 {
  subnet: string;
  nets: string[];
  ip: (net: number, n: number) => string;
  excludes: string[];
  /** Excludes inside the NIC networks (host-subnet mode). */
  netExcludes: string[];
}

const FAMILIES: Record<Family, Family6> = {
  4: {
    subnet: '10.0.0.0/22',
    nets: ['192.168.1.0/24', '192.168.2.0/24', '192.168.3.0/24'],
    ip: (net, n) => `192.168.${net + 1}.${n}`,
    excludes: ['10.0.0.0/24', '10.0.1.32/27', '10.0.2.5/32', '10.0.3.0/25', '10.0.1.64/26', '172.16.0.0/12'],
    netExcludes: ['192.168.1.128/25', '192.168.2.7/32', '192.168.3.64/26', '192.168.2.0/23'],
  },
  6: {
    subnet: 'fd00::/118',
    nets: ['fd10:1::/64', 'fd10:2::/64', 'fd10:3::/64'],
    ip: (net, n) => `fd10:${net + 1}::${n.toString(16)}`,
    excludes: ['fd00::/120', 'fd00::120/123', 'fd00::205/128', 'fd00::300/121', 'fd00::140/122', 'fe80::/10'],
    netExcludes: ['fd10:1:0:0:8000::/65', 'fd10:2::7/128', 'fd10:3:0:0:4000::/66', 'fd10:2::/63'],
  },
};

interface Scenario {
  family: Family;
  config: PlanConfig & { hostBlock: number };
  hosts: PlanHost[];
}

const NAMES = Array.from({ length: 12 }, (_, i) => `host-${String.fromCharCode(97 + ((i * 7) % 12))}${i}`);

function hostArb(family: Family): fc.Arbitrary<PlanHost[]> {
  const nicsOf = fc.array(fc.record({ net: fc.integer({ min: 0, max: 2 }), twin: fc.boolean() }), { maxLength: 3 });
  return fc
    .uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), nics: nicsOf }), {
      selector: (h) => h.name,
      maxLength: 10,
    })
    .map((hosts) =>
      hosts.map(({ name, nics }) => {
        const n = NAMES.indexOf(name) + 1;
        const interfaces = [...new Map(nics.map((nic) => [nic.net, nic])).values()].flatMap(({ net, twin }) => {
          const netAddress = FAMILIES[family].nets[net] as string;
          const nic = { interfaceName: `eth${net}`, netAddress, hostIP: FAMILIES[family].ip(net, n) };
          return twin
            ? [nic, { interfaceName: `eth${net}b`, netAddress, hostIP: FAMILIES[family].ip(net, n + 100) }]
            : [nic];
        });
        return { hostName: name, interfaces };
      }),
    );
}

function scenarioArb(
  family: Family,
  options: { hostSubnet?: boolean; maxHostBlock?: number } = {},
): fc.Arbitrary<Scenario> {
  const f = FAMILIES[family];
  const hostSubnet = options.hostSubnet ?? false;
  return fc
    .record({
      interfaceBlock: fc.integer({ min: 0, max: 2 }),
      hostBlock: fc.integer({ min: 1, max: options.maxHostBlock ?? 3 }),
      masterNets: fc.oneof(fc.constant([] as string[]), fc.shuffledSubarray(f.nets, { minLength: 1 })),
      excludeCIDRs: fc.subarray(hostSubnet ? f.netExcludes : f.excludes),
      hosts: hostArb(family),
    })
    .map(({ hosts, ...rest }) => ({ family, hosts, config: { subnet: hostSubnet ? '' : f.subnet, ...rest } }));
}

function run(scenario: Scenario, hosts = scenario.hosts, previous?: PlanResult): PlanResult {
  return computePlan({
    networkName: 'p',
    config: scenario.config,
    hosts,
    ...(previous ? { previous: previous.plan } : {}),
  });
}

/** Everything a result says, with the lazy route and rule records read out. */
function materialize(result: PlanResult): unknown {
  return {
    plan: result.plan,
    ippools: result.ippools,
    problems: result.problems,
    routes: { ...result.routes },
    rules: { ...result.rules },
  };
}

function entries(result: PlanResult): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of result.plan.cidr)
    for (const h of e.hosts) map.set(`${e.netAddress} ${h.hostName} ${h.interfaceName}`, h.podCIDR);
  return map;
}

/**
 * An exclude that overlaps a pool is smaller than the pool and listed in its excludes; the pool's allocator
 * refuses the exclude's first and last address and never hands out an excluded one.
 */
function checkExcludes(result: PlanResult, excludeCIDRs: readonly string[]): void {
  const excludes = excludeCIDRs.map(prefix);
  for (const pool of result.ippools) {
    const block = prefix(pool.podCIDR);
    const allocator = RangeAllocator.fromPool(pool);
    if (!allocator.ok) throw new Error(allocator.error);
    for (const exclude of excludes.filter((e) => prefixesOverlap(block, e))) {
      expect(exclude.length).toBeGreaterThan(block.length);
      expect(pool.excludes.map(prefix).some((listed) => prefixContains(listed, exclude))).toBe(true);
      expect(allocator.value.allocateSpecific({ family: exclude.family, value: exclude.base }).ok).toBe(false);
      expect(allocator.value.allocateSpecific(prefixLast(exclude)).ok).toBe(false);
    }
    for (let i = 0, next = allocator.value.allocate(); next.ok && i < 16; i++, next = allocator.value.allocate()) {
      const address = next.value;
      expect(excludes.some((e) => prefixContainsAddress(e, address))).toBe(false);
    }
  }
}

const both = [4, 6] as const;

describe.each(both)('plan laws (IPv%s)', (family) => {
  it('no two pod blocks overlap, each lies in its vlan block, vlan blocks in the subnet', () => {
    fc.assert(
      fc.property(scenarioArb(family), (scenario) => {
        const result = run(scenario);
        const subnet = prefix(scenario.config.subnet);
        const vlans = result.plan.cidr.map((e) => prefix(e.vlanCIDR));
        const blocks = result.plan.cidr.flatMap((e) => e.hosts.map((h) => prefix(h.podCIDR)));
        vlans.forEach((vlan, i) => {
          expect(prefixContains(subnet, vlan)).toBe(true);
          vlans.slice(i + 1).forEach((other) => expect(prefixesOverlap(vlan, other)).toBe(false));
        });
        result.plan.cidr.forEach((e) =>
          e.hosts.forEach((h) => expect(prefixContains(prefix(e.vlanCIDR), prefix(h.podCIDR))).toBe(true)),
        );
        blocks.forEach((block, i) =>
          blocks.slice(i + 1).forEach((other) => expect(prefixesOverlap(block, other)).toBe(false)),
        );
      }),
      RUNS,
    );
  });

  it('no handed-out block or address intersects an exclude', () => {
    fc.assert(
      fc.property(scenarioArb(family), (scenario) => checkExcludes(run(scenario), scenario.config.excludeCIDRs)),
      RUNS,
    );
  });

  it('does not depend on the order hosts (or their NICs) are listed in', () => {
    fc.assert(
      fc.property(
        scenarioArb(family).chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.shuffledSubarray(s.hosts, { minLength: s.hosts.length, maxLength: s.hosts.length }),
          ),
        ),
        ([scenario, shuffled]) => {
          const reversedNics = shuffled.map((h) => ({ ...h, interfaces: [...h.interfaces].reverse() }));
          expect(materialize(run(scenario, reversedNics))).toEqual(materialize(run(scenario)));
        },
      ),
      RUNS,
    );
  });

  it('adding or removing a host never moves another host', () => {
    fc.assert(
      fc.property(scenarioArb(family), fc.nat(), (scenario, pick) => {
        fc.pre(scenario.hosts.length > 0);
        const chosen = scenario.hosts[pick % scenario.hosts.length] as PlanHost;
        const others = scenario.hosts.filter((h) => h !== chosen);
        const without = run(scenario, others);
        const withIt = run(scenario, scenario.hosts, without);
        const againWithout = run(scenario, others, withIt);
        for (const [key, pod] of entries(without)) expect(entries(withIt).get(key)).toBe(pod);
        for (const [key, pod] of entries(withIt))
          if (!key.includes(` ${chosen.hostName} `)) expect(entries(againWithout).get(key)).toBe(pod);
      }),
      RUNS,
    );
  });

  it('reuses a freed host index only when no never-used index is left', () => {
    fc.assert(
      fc.property(scenarioArb(family), fc.nat(), (scenario, pick) => {
        fc.pre(scenario.hosts.length > 1);
        const leaving = scenario.hosts[pick % scenario.hosts.length] as PlanHost;
        const before = run(scenario);
        const after = run(
          scenario,
          scenario.hosts.filter((h) => h !== leaving),
          before,
        );
        const joining: PlanHost = { ...leaving, hostName: 'zz-new' };
        const joined = run(scenario, [...scenario.hosts.filter((h) => h !== leaving), joining], after);
        const excludes = scenario.config.excludeCIDRs.map(prefix);
        for (const entry of joined.plan.cidr) {
          const previous = after.plan.cidr.find((e) => e.netAddress === entry.netAddress);
          const highWater = previous?.highWater ?? 0;
          const capacity = 2 ** scenario.config.hostBlock;
          const used = new Set(entry.hosts.map((h) => h.hostIndex));
          for (const h of entry.hosts.filter((x) => x.hostName === 'zz-new' && x.hostIndex < highWater)) {
            for (let i = highWater; i < capacity; i++) {
              const slot = subPrefix(prefix(entry.vlanCIDR), scenario.config.hostBlock, i);
              const blocked = slot.ok && excludes.some((e) => prefixContains(e, slot.value));
              expect(used.has(i) || blocked).toBe(true);
            }
            expect(h.hostIndex).toBeLessThan(capacity);
          }
        }
      }),
      RUNS,
    );
  });

  it('NetworkPlanner: every join and leave gives exactly what a full computation with the previous plan gives', () => {
    const step = fc.record({ leave: fc.boolean(), pick: fc.nat() });
    fc.assert(
      fc.property(
        scenarioArb(family, { maxHostBlock: 4 }),
        hostArb(family),
        fc.array(step, { maxLength: 12 }),
        (scenario, extra, steps) => {
          const planner = new NetworkPlanner({ networkName: 'p', config: scenario.config, hosts: scenario.hosts });
          expect(materialize(planner.result)).toEqual(materialize(run(scenario)));
          let hosts = scenario.hosts;
          const joining = extra.map((h) => ({ ...h, hostName: `new-${h.hostName}` }));
          for (const { leave, pick } of steps) {
            const previous = planner.result;
            let actual: PlanResult;
            if (leave && hosts.length > 0) {
              const leaving = hosts[pick % hosts.length] as PlanHost;
              hosts = hosts.filter((h) => h !== leaving);
              actual = planner.removeHost(leaving.hostName);
            } else {
              const next = joining.shift();
              if (next === undefined) continue;
              hosts = [...hosts, next];
              actual = planner.setHost(next);
            }
            expect(materialize(actual)).toEqual(materialize(run(scenario, hosts, previous)));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('routes: every host reaches every other host pod block on each shared network, via that host, out of its own NIC', () => {
    fc.assert(
      fc.property(scenarioArb(family), (scenario) => {
        const result = run(scenario);
        for (const [hostName, routes] of Object.entries(result.routes)) {
          const expected = result.plan.cidr.flatMap((e) => {
            const local = e.hosts
              .filter((h) => h.hostName === hostName)
              .map((h) => h.interfaceName)
              .sort();
            if (local.length === 0) return [];
            return e.hosts
              .filter((h) => h.hostName !== hostName)
              .map((h) => ({ dst: h.podCIDR, via: h.hostIP, dev: local[0], table: 1000 }));
          });
          expect(routes).toEqual(expected);
          // One table per network suffices: no two routes of a host (across its interface networks) share a destination.
          expect(new Set(routes.map((r) => r.dst)).size).toBe(routes.length);
          for (const route of routes) {
            const entry = result.plan.cidr.find((e) => e.hosts.some((h) => h.podCIDR === route.dst));
            const via = parseAddress(route.via);
            expect(entry !== undefined && via.ok && prefixContainsAddress(prefix(entry.netAddress), via.value)).toBe(
              true,
            );
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe.each(both)('host-subnet mode laws (IPv%s)', (family) => {
  it('pod blocks lie in their NIC network, never contain a host address or the network address, and respect excludes', () => {
    fc.assert(
      fc.property(scenarioArb(family, { hostSubnet: true }), (scenario) => {
        const result = run(scenario);
        const addresses = scenario.hosts.flatMap((h) => h.interfaces.map((n) => n.hostIP));
        const blocks = result.plan.cidr.flatMap((e) => e.hosts.map((h) => ({ e, h, block: prefix(h.podCIDR) })));
        for (const { e, h, block } of blocks) {
          const net = prefix(e.netAddress);
          expect(e.vlanCIDR).toBe(e.netAddress);
          expect(prefixContains(net, block)).toBe(true);
          expect(block.base).not.toBe(net.base);
          expect(
            prefixContainsAddress(block, { family, value: prefix(`${h.hostIP}/${family === 4 ? 32 : 128}`).base }),
          ).toBe(false);
          const pool = result.ippools.find((p) => p.podCIDR === h.podCIDR);
          for (const ip of addresses) {
            const value = prefix(`${ip}/${family === 4 ? 32 : 128}`);
            if (prefixContains(block, value))
              expect(pool?.excludes).toContain(
                `${formatAddress({ family, value: value.base })}/${family === 4 ? 32 : 128}`,
              );
          }
        }
        blocks.forEach((a, i) =>
          blocks.slice(i + 1).forEach((b) => expect(prefixesOverlap(a.block, b.block)).toBe(false)),
        );
        checkExcludes(result, scenario.config.excludeCIDRs);
      }),
      RUNS,
    );
  });
});

/** A host-subnet scenario whose NICs may report a gateway, and whose hostBlock may be left to the default. */
function gatewayScenarioArb(family: Family): fc.Arbitrary<{ config: PlanConfig; hosts: PlanHost[] }> {
  return scenarioArb(family, { hostSubnet: true }).chain((scenario) =>
    fc
      .record({
        defaultBlock: fc.boolean(),
        gateways: fc.array(fc.constantFrom(undefined, 1, 254, 17, 200), { minLength: 30, maxLength: 30 }),
      })
      .map(({ defaultBlock, gateways }) => {
        let i = 0;
        const hosts = scenario.hosts.map((h) => ({
          ...h,
          interfaces: h.interfaces.map((nic) => {
            const pick = gateways[i++ % gateways.length];
            if (pick === undefined) return nic;
            const net = FAMILIES[family].nets.indexOf(nic.netAddress);
            return { ...nic, gateway: FAMILIES[family].ip(net, pick) };
          }),
        }));
        const { hostBlock, ...rest } = scenario.config;
        return { config: defaultBlock ? { ...rest, hostBlock: undefined } : { ...rest, hostBlock }, hosts };
      }),
  );
}

describe.each(both)('host-subnet mode: what a pool never hands out (IPv%s)', (family) => {
  it('no pool allocator ever returns a host address, a gateway, the network or broadcast address or an exclude; a pool carries its own NIC gateway', () => {
    const bits = family === 4 ? 32 : 128;
    fc.assert(
      fc.property(gatewayScenarioArb(family), ({ config, hosts }) => {
        const result = computePlan({ networkName: 'p', config, hosts });
        const nics = hosts.flatMap((h) => h.interfaces.map((n) => ({ ...n, hostName: h.hostName })));
        const address = (text: string): bigint => prefix(`${text}/${bits}`).base;
        const forbidden = [...nics.map((n) => n.hostIP), ...nics.flatMap((n) => (n.gateway ? [n.gateway] : []))];
        const excludes = config.excludeCIDRs.map(prefix);
        for (const pool of result.ippools) {
          const net = prefix(pool.vlanCIDR);
          const nic = nics.find((n) => n.hostName === pool.hostName && n.interfaceName === pool.interfaceName);
          expect(pool.gateway).toBe(
            nic?.gateway === undefined ? undefined : formatAddress(parseAddressOk(nic.gateway)),
          );
          const allocator = RangeAllocator.fromPool(pool);
          if (!allocator.ok) throw new Error(allocator.error);
          const refused = [...forbidden.map(address), net.base, ...(family === 4 ? [prefixLast(net).value] : [])];
          for (const value of refused) expect(allocator.value.allocateSpecific({ family, value }).ok).toBe(false);
          for (
            let i = 0, next = allocator.value.allocate();
            next.ok && i < 64;
            i++, next = allocator.value.allocate()
          ) {
            const got = next.value;
            expect(refused).not.toContain(got.value);
            expect(excludes.some((e) => prefixContainsAddress(e, got))).toBe(false);
            expect(prefixContainsAddress(net, got)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });
});

function parseAddressOk(text: string): ReturnType<typeof prefixLast> {
  const parsed = parseAddress(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}
