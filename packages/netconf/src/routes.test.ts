import { describe, expect, it } from '@jest/globals';
import { parseAddress, parsePrefix } from '@multinic/cidr-core';
import type { IpAddress, IpPrefix } from '@multinic/cidr-core';
import fc from 'fast-check';
import { placeTables, planPodRoutes, routeCommands } from './routes.js';
import type { NetworkRoute, PodNicAddressing, PodRoutePlan } from './routes.js';

const addr = (t: string): IpAddress => {
  const r = parseAddress(t);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const net = (t: string): IpPrefix => {
  const r = parsePrefix(t);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const nic = (ifName: string, address: string, vlan: string, gateway?: string): PodNicAddressing => ({
  ifName,
  address: addr(address),
  vlan: net(vlan),
  ...(gateway === undefined ? {} : { gateway: addr(gateway) }),
});

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

const two = [
  nic('net1-0', '192.168.0.1', '192.168.0.0/18', '192.168.0.254'),
  nic('net1-1', '192.168.64.1', '192.168.64.0/18', '192.168.64.254'),
];

function plan(nics: PodNicAddressing[], routes: NetworkRoute[], policyRouting?: false): PodRoutePlan {
  const r = planPodRoutes({ nics, routes, ...(policyRouting === undefined ? {} : { policyRouting }) });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('planPodRoutes', () => {
  it.each<{ case: string; routes: NetworkRoute[]; perNic: NetworkRoute[][]; multipath: unknown[] }>`
    case                                        | routes                                                                                     | perNic                                                | multipath
    ${'a gateway on one NIC: that delegate'}    | ${[{ dst: '10.9.0.0/16', gw: '192.168.64.7' }]}                                            | ${[[], [{ dst: '10.9.0.0/16', gw: '192.168.64.7' }]]} | ${[]}
    ${'two gateways, one dst: one multipath'}   | ${[{ dst: '10.9.0.0/16', gw: '192.168.0.7' }, { dst: '10.9.0.0/16', gw: '192.168.64.7' }]} | ${[[], []]}                                           | ${[{ dst: '10.9.0.0/16', nexthops: [{ via: '192.168.0.7', dev: 'net1-0' }, { via: '192.168.64.7', dev: 'net1-1' }] }]}
    ${'two gateways on one NIC: multipath too'} | ${[{ dst: '10.9.0.0/16', gw: '192.168.0.7' }, { dst: '10.9.0.0/16', gw: '192.168.0.8' }]}  | ${[[], []]}                                           | ${[{ dst: '10.9.0.0/16', nexthops: [{ via: '192.168.0.7', dev: 'net1-0' }, { via: '192.168.0.8', dev: 'net1-0' }] }]}
    ${'the same route twice counts once'}       | ${[{ dst: '10.9.0.0/16', gw: '192.168.0.7' }, { dst: '10.9.0.0/16', gw: '192.168.0.7' }]}  | ${[[{ dst: '10.9.0.0/16', gw: '192.168.0.7' }], []]}  | ${[]}
    ${'no gw: every NIC, via its gateway'}      | ${[{ dst: '10.8.0.0/16' }]}                                                                | ${[[], []]}                                           | ${[{ dst: '10.8.0.0/16', nexthops: [{ via: '192.168.0.254', dev: 'net1-0' }, { via: '192.168.64.254', dev: 'net1-1' }] }]}
  `('$case', ({ routes, perNic, multipath }) => {
    const p = plan(two, routes);
    expect(p.perNic).toEqual(perNic);
    expect(p.multipath).toEqual(multipath);
    expect(p.skipped).toEqual([]);
  });

  it.each<{ case: string; nics: PodNicAddressing[]; dst: string; multipath: unknown[]; perNic: NetworkRoute[][] }>`
    case                                                 | nics                                                          | dst              | multipath                                                                                                                  | perNic
    ${'every NIC has a gateway: ECMP over the gateways'} | ${two}                                                        | ${'0.0.0.0/0'}   | ${[{ dst: '0.0.0.0/0', nexthops: [{ via: '192.168.0.254', dev: 'net1-0' }, { via: '192.168.64.254', dev: 'net1-1' }] }]}   | ${[[], []]}
    ${'a network route too'}                             | ${two}                                                        | ${'10.9.0.0/16'} | ${[{ dst: '10.9.0.0/16', nexthops: [{ via: '192.168.0.254', dev: 'net1-0' }, { via: '192.168.64.254', dev: 'net1-1' }] }]} | ${[[], []]}
    ${'a NIC without a gateway: on-link there'}          | ${[two[0], nic('net1-1', '192.168.64.1', '192.168.64.0/18')]} | ${'10.9.0.0/16'} | ${[{ dst: '10.9.0.0/16', nexthops: [{ via: '192.168.0.254', dev: 'net1-0' }, { dev: 'net1-1' }] }]}                        | ${[[], []]}
    ${'one NIC with a gateway: its static IPAM route'}   | ${[two[0]]}                                                   | ${'10.9.0.0/16'} | ${[]}                                                                                                                      | ${[[{ dst: '10.9.0.0/16', gw: '192.168.0.254' }]]}
  `('a route without gateway goes through each NIC’s own gateway: $case', ({ nics, dst, multipath, perNic }) => {
    const p = plan(nics, [{ dst }]);
    expect(p.multipath).toEqual(multipath);
    expect(p.perNic).toEqual(perNic);
    const cmds = routeCommands(p).filter((c) => c.includes('nexthop'));
    expect(cmds).toEqual(
      multipath.length === 0
        ? []
        : [
            [
              '-4',
              'route',
              'replace',
              dst,
              ...(multipath[0] as { nexthops: { via?: string; dev: string }[] }).nexthops.flatMap((h) => [
                'nexthop',
                ...(h.via === undefined ? [] : ['via', h.via]),
                'dev',
                h.dev,
              ]),
            ],
          ],
    );
  });

  it('each NIC table routes the gateway-less route through that NIC’s gateway', () => {
    const p = plan(two, [{ dst: '10.9.0.0/16' }]);
    expect(p.tables.map((t) => t.routes.find((r) => r.dst === '10.9.0.0/16'))).toEqual([
      { dst: '10.9.0.0/16', via: '192.168.0.254', dev: 'net1-0' },
      { dst: '10.9.0.0/16', via: '192.168.64.254', dev: 'net1-1' },
    ]);
  });

  it('skips a route whose gateway is on none of the pod NICs, saying why', () => {
    const p = plan(two, [{ dst: '10.9.0.0/16', gw: '10.1.1.1' }]);
    expect(p.skipped).toEqual([
      {
        dst: '10.9.0.0/16',
        gw: '10.1.1.1',
        reason: "gateway 10.1.1.1 is on none of the pod's NIC networks (192.168.0.0/18, 192.168.64.0/18)",
      },
    ]);
  });

  it('one table per NIC: on-link block, routes through that NIC, default via its gateway; one rule per pod IP', () => {
    const p = plan(two, [
      { dst: '10.9.0.0/16', gw: '192.168.64.7' },
      { dst: '0.0.0.0/0', gw: '192.168.0.9' },
    ]);
    expect(p.rules).toEqual([
      { priority: 1000, from: '192.168.0.1/32', table: 100 },
      { priority: 1001, from: '192.168.64.1/32', table: 101 },
    ]);
    expect(p.tables).toEqual([
      {
        table: 100,
        dev: 'net1-0',
        routes: [
          { dst: '192.168.0.0/18', dev: 'net1-0', scope: 'link', src: '192.168.0.1' },
          { dst: '0.0.0.0/0', via: '192.168.0.254', dev: 'net1-0' },
        ],
      },
      {
        table: 101,
        dev: 'net1-1',
        routes: [
          { dst: '192.168.64.0/18', dev: 'net1-1', scope: 'link', src: '192.168.64.1' },
          { dst: '10.9.0.0/16', via: '192.168.64.7', dev: 'net1-1' },
          { dst: '0.0.0.0/0', via: '192.168.64.254', dev: 'net1-1' },
        ],
      },
    ]);
  });

  it('two NICs on one subnet keep separate tables', () => {
    const same = [
      nic('net1-0', '10.0.0.5', '10.0.0.0/24', '10.0.0.1'),
      nic('net1-1', '10.0.0.6', '10.0.0.0/24', '10.0.0.1'),
    ];
    const p = plan(same, [{ dst: '10.9.0.0/16', gw: '10.0.0.1' }]);
    expect(p.tables.map((t) => t.dev)).toEqual(['net1-0', 'net1-1']);
    expect(p.multipath).toEqual([
      {
        dst: '10.9.0.0/16',
        nexthops: [
          { via: '10.0.0.1', dev: 'net1-0' },
          { via: '10.0.0.1', dev: 'net1-1' },
        ],
      },
    ]);
  });

  it('IPv6', () => {
    const v6 = [nic('net1-0', 'fd00::5', 'fd00::/64', 'fd00::1')];
    const p = plan(v6, [{ dst: 'fd10::/48', gw: 'fd00::1' }, { dst: '10.9.0.0/16' }]);
    expect(p.perNic).toEqual([[{ dst: 'fd10::/48', gw: 'fd00::1' }]]);
    expect(p.skipped).toEqual([{ dst: '10.9.0.0/16', reason: 'the pod has no IPv4 NIC for this on-link route' }]);
    expect(routeCommands(p)).toEqual([
      ['-6', 'route', 'replace', 'fd00::/64', 'dev', 'net1-0', 'scope', 'link', 'src', 'fd00::5', 'table', '100'],
      ['-6', 'route', 'replace', 'fd10::/48', 'via', 'fd00::1', 'dev', 'net1-0', 'table', '100'],
      ['-6', 'route', 'replace', '::/0', 'via', 'fd00::1', 'dev', 'net1-0', 'table', '100'],
      ['-6', 'rule', 'add', 'from', 'fd00::5/128', 'lookup', '100', 'priority', '1000'],
    ]);
  });

  describe('placeTables: each attachment of a pod its own tables', () => {
    const placed = (used: number[], kept?: [string, number][]): PodRoutePlan => {
      const r = placeTables(plan(two, []), {
        used: new Set(used),
        ...(kept === undefined ? {} : { kept: new Map(kept) }),
      });
      if (!r.ok) throw new Error(r.error);
      return r.value;
    };

    it.each<{ case: string; used: number[]; kept?: [string, number][]; tables: number[]; priorities: number[] }>`
      case                                               | used                    | kept                          | tables        | priorities
      ${'an empty namespace: 100 and 101'}               | ${[254, 255]}           | ${undefined}                  | ${[100, 101]} | ${[1000, 1001]}
      ${'a first attachment holds 100, 101'}             | ${[100, 101, 254, 255]} | ${undefined}                  | ${[102, 103]} | ${[1002, 1003]}
      ${'gaps are filled from the lowest id'}            | ${[100, 102]}           | ${undefined}                  | ${[101, 103]} | ${[1001, 1003]}
      ${'a repeated ADD keeps the tables its rules use'} | ${[100, 101]}           | ${[['192.168.64.1/32', 107]]} | ${[102, 107]} | ${[1002, 1007]}
      ${'the reserved ids are skipped'}                  | ${range(100, 253)}      | ${undefined}                  | ${[256, 257]} | ${[1156, 1157]}
    `('$case', ({ used, kept, tables, priorities }) => {
      const p = placed(used, kept);
      expect(p.rules.map((r) => r.table)).toEqual(tables);
      expect(p.tables.map((t) => t.table)).toEqual(tables);
      expect(p.rules.map((r) => r.priority)).toEqual(priorities);
      expect(
        routeCommands(p)
          .filter((c) => c[1] === 'route')
          .every((c) => tables.includes(Number(c.at(-1)))),
      ).toBe(true);
    });

    it('law: two attachments placed one after the other never share a table, and none is in use before', () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 60 }), (taken) => {
          const used = new Set(taken);
          const first = placeTables(plan(two, []), { used });
          if (!first.ok) throw new Error(first.error);
          const afterFirst = new Set([...used, ...first.value.tables.map((t) => t.table)]);
          const second = placeTables(plan(two, []), { used: afterFirst });
          if (!second.ok) throw new Error(second.error);
          const all = [...first.value.tables, ...second.value.tables].map((t) => t.table);
          expect(new Set(all).size).toBe(4);
          for (const t of all) expect(used.has(t) || [0, 253, 254, 255].includes(t)).toBe(false);
        }),
      );
    });

    it('a table whose priority would pass the main rule (32766) is an error naming it', () => {
      const r = placeTables(plan(two, []), { used: new Set(), tableBase: 100, priorityBase: 32765 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain('no rule priority for table 101 of 192.168.64.1/32');
    });
  });

  it('policy routing can be turned off', () => {
    const p = plan(two, [], false);
    expect([p.rules, p.tables]).toEqual([[], []]);
  });

  it.each<{ case: string; nics: PodNicAddressing[]; routes: NetworkRoute[]; error: string }>`
    case                       | nics                                                                | routes                                     | error
    ${'gateway outside block'} | ${[nic('net1-0', '192.168.0.1', '192.168.0.0/18', '192.168.64.1')]} | ${[]}                                      | ${'net1-0: gateway 192.168.64.1 is not inside the interface network 192.168.0.0/18'}
    ${'address outside block'} | ${[nic('net1-0', '192.168.64.1', '192.168.0.0/18')]}                | ${[]}                                      | ${'net1-0: address 192.168.64.1 is not inside the interface network 192.168.0.0/18'}
    ${'bad route dst'}         | ${two}                                                              | ${[{ dst: '10.9.0.1/16' }]}                | ${'routes[0].dst: '}
    ${'bad route gw'}          | ${two}                                                              | ${[{ dst: '10.9.0.0/16', gw: 'x' }]}       | ${'routes[0].gw: '}
    ${'mixed families'}        | ${two}                                                              | ${[{ dst: '10.9.0.0/16', gw: 'fd00::1' }]} | ${'routes[0]: gateway fd00::1 and destination 10.9.0.0/16 are of different IP families'}
  `('error: $case', ({ nics, routes, error }) => {
    const r = planPodRoutes({ nics, routes });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(error);
  });

  it('law: every usable route ends up exactly once, either on one NIC or as one multipath route', () => {
    const gateways = ['192.168.0.7', '192.168.0.8', '192.168.64.7', '10.1.1.1'];
    const route = fc.record({
      dst: fc.constantFrom('10.9.0.0/16', '10.10.0.0/16', '0.0.0.0/0'),
      gw: fc.constantFrom(...gateways),
    });
    fc.assert(
      fc.property(fc.array(route, { maxLength: 8 }), (routes) => {
        const p = plan(two, routes);
        const usable = new Set(routes.filter((r) => r.gw !== '10.1.1.1').map((r) => r.dst));
        const placed = [...p.perNic.flat().map((r) => r.dst), ...p.multipath.map((m) => m.dst)];
        expect([...placed].sort()).toEqual([...usable].sort());
        for (const m of p.multipath) expect(m.nexthops.length).toBeGreaterThan(1);
      }),
    );
  });
});

describe('placeTables: a dual-stack NIC keeps one table for its two rules', () => {
  const dualPlan = plan(
    [
      {
        ...nic('net1', '192.168.1.5', '192.168.1.0/24'),
        other: { address: addr('fd00:1::5'), vlan: net('fd00:1::/64') },
      },
      {
        ...nic('net1-1', '192.168.2.5', '192.168.2.0/24'),
        other: { address: addr('fd00:2::5'), vlan: net('fd00:2::/64') },
      },
    ],
    [],
  );

  it.each<{ case: string; used: number[]; kept: [string, number][]; tables: number[] }>`
    case                                                      | used          | kept                        | tables
    ${'free namespace: 100 and 101, both families each'}      | ${[]}         | ${[]}                       | ${[100, 100, 101, 101]}
    ${'100 taken by another attachment'}                      | ${[100]}      | ${[]}                       | ${[101, 101, 102, 102]}
    ${'a repeated ADD: the IPv6 rule found in 107 keeps 107'} | ${[100, 101]} | ${[['fd00:1::5/128', 107]]} | ${[107, 107, 102, 102]}
  `('$case', ({ used, kept, tables }) => {
    const placed = placeTables(dualPlan, { used: new Set(used), kept: new Map(kept) });
    if (!placed.ok) throw new Error(placed.error);
    expect(placed.value.rules.map((r) => r.table)).toEqual(tables);
    expect(placed.value.tables.map((t) => t.table)).toEqual([...new Set(tables)]);
    expect(placed.value.rules.map((r) => r.priority)).toEqual(tables.map((t) => 1000 + t - 100));
  });

  it('routeCommands: each table gets both families (-4 and -6), a rule per address', () => {
    const commands = routeCommands(dualPlan).map((c) => c.join(' '));
    expect(commands.filter((c) => c.includes(' rule '))).toEqual([
      '-4 rule add from 192.168.1.5/32 lookup 100 priority 1000',
      '-6 rule add from fd00:1::5/128 lookup 100 priority 1000',
      '-4 rule add from 192.168.2.5/32 lookup 101 priority 1001',
      '-6 rule add from fd00:2::5/128 lookup 101 priority 1001',
    ]);
    expect(commands).toContain('-6 route replace fd00:2::/64 dev net1-1 scope link src fd00:2::5 table 101');
  });
});
