import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_ROUTE_TABLE_BASE,
  computeFamilyPlans,
  computePlan,
  routesForHost,
  rulesForHost,
} from '@multinic/cidr-core';
import { AgentConfigSchema } from '../config.js';
import fc from 'fast-check';
import type { CurrentState, IpRoute, IpRule } from './plan.js';
import {
  assignTables,
  canonicalPrefix,
  desiredRoutes,
  familyPlans,
  linesByFamily,
  planIncludesHost,
  removalBatch,
  routeBatch,
  tableName,
  tablesFromNames,
  tablesInUse,
} from './plan.js';

const HOSTS: Parameters<typeof computePlan>[0]['hosts'] = [
  {
    hostName: 'node1',
    interfaces: [
      { interfaceName: 'eth1', netAddress: '10.10.1.0/24', hostIP: '10.10.1.1' },
      { interfaceName: 'eth2', netAddress: '10.10.2.0/24', hostIP: '10.10.2.1' },
    ],
  },
  {
    hostName: 'node2',
    interfaces: [
      { interfaceName: 'eth1', netAddress: '10.10.1.0/24', hostIP: '10.10.1.2' },
      { interfaceName: 'eth2', netAddress: '10.10.2.0/24', hostIP: '10.10.2.2' },
    ],
  },
  { hostName: 'node3', interfaces: [{ interfaceName: 'eth1', netAddress: '10.10.1.0/24', hostIP: '10.10.1.3' }] },
];

const plan = computePlan({
  networkName: 'net-a',
  config: { subnet: '192.168.0.0/16', interfaceBlock: 2, hostBlock: 6, masterNets: [], excludeCIDRs: [] },
  hosts: HOSTS,
}).plan;

const desired = desiredRoutes({ network: 'net-a', plans: [plan], hostName: 'node1', table: 1003 });

describe('desiredRoutes', () => {
  it("is cidr-core's routes and rules for the host, all in the network's table", () => {
    expect(desired.routes).toEqual([
      { dst: '192.168.1.0/24', via: '10.10.1.2', dev: 'eth1', table: 1003 },
      { dst: '192.168.2.0/24', via: '10.10.1.3', dev: 'eth1', table: 1003 },
      { dst: '192.168.65.0/24', via: '10.10.2.2', dev: 'eth2', table: 1003 },
    ]);
    expect(desired.rules.map((r) => r.table)).toEqual([1003, 1003]);
    expect(desired.rules.map((r) => r.from)).toEqual(plan.cidr.map((e) => e.vlanCIDR));
  });

  it('on a node where the id is free, the agent programs exactly the plan `multinic plan` shows (one table per network)', () => {
    const tableBase = AgentConfigSchema.parse({ nodeName: 'node1' }).routes.tableBase;
    expect(tableBase).toBe(DEFAULT_ROUTE_TABLE_BASE);
    const table = assignTables({ networks: ['net-a'], previous: {}, used: new Set([254, 255]), base: tableBase })[
      'net-a'
    ];
    const agent = desiredRoutes({ network: 'net-a', plans: [plan], hostName: 'node1', table: table ?? -1 });
    const planned = computePlan({
      networkName: 'net-a',
      config: { subnet: '192.168.0.0/16', interfaceBlock: 2, hostBlock: 6, masterNets: [], excludeCIDRs: [] },
      hosts: HOSTS,
    });
    expect(agent.routes).toEqual(planned.routes['node1']);
    expect(agent.rules).toEqual(planned.rules['node1']);
  });

  it('two networks on the same NICs get two tables (interfaceIndex 0 of each would both be 1000 as base + index)', () => {
    const other = computePlan({
      networkName: 'net-b',
      config: { subnet: '172.16.0.0/16', interfaceBlock: 2, hostBlock: 6, masterNets: [], excludeCIDRs: [] },
      hosts: HOSTS,
    }).plan;
    const tables = assignTables({ networks: ['net-a', 'net-b'], previous: {}, used: new Set(), base: 1000 });
    expect(tables).toEqual({ 'net-a': 1000, 'net-b': 1001 });
    const a = desiredRoutes({ network: 'net-a', plans: [plan], hostName: 'node1', table: tables['net-a'] ?? -1 });
    const b = desiredRoutes({ network: 'net-b', plans: [other], hostName: 'node1', table: tables['net-b'] ?? -1 });
    expect(a.rules.map((r) => `${r.from} ${r.table}`)).toEqual(['192.168.0.0/18 1000', '192.168.64.0/18 1000']);
    expect(b.rules.map((r) => `${r.from} ${r.table}`)).toEqual(['172.16.0.0/18 1001', '172.16.64.0/18 1001']);
    expect(b.routes.every((r) => r.table === 1001 && r.dst.startsWith('172.16.'))).toBe(true);
  });

  it('a host that is not in the plan needs nothing', () => {
    const none = desiredRoutes({ network: 'net-a', plans: [plan], hostName: 'node9', table: 1003 });
    expect([none.routes, none.rules]).toEqual([[], []]);
  });
});

describe('routeBatch', () => {
  const asKernel = (): CurrentState => ({
    routes: desired.routes.map((r): IpRoute => ({ dst: r.dst, gateway: r.via, dev: r.dev, table: '1003' })),
    rules: [
      { priority: 0, src: 'all', table: '255' },
      ...desired.rules.map((r): IpRule => ({
        priority: 1000,
        src: r.from.split('/')[0],
        srclen: Number(r.from.split('/')[1]),
        table: '1003',
      })),
      { priority: 32766, src: 'all', table: '254' },
    ],
  });

  it('from nothing: every route and rule is added', () => {
    const lines = routeBatch(desired, { routes: [], rules: [] }, 1000);
    expect(lines).toEqual([
      ...desired.routes.map((r) => `route replace ${r.dst} via ${r.via} dev ${r.dev} table 1003`),
      ...desired.rules.map((r) => `rule add from ${r.from} lookup 1003 priority 1000`),
    ]);
  });

  it('is idempotent: when the kernel has the plan, nothing is done', () => {
    expect(routeBatch(desired, asKernel(), 1000)).toEqual([]);
  });

  it('replaces a route whose next hop differs, deletes stale routes and rules, leaves other tables alone', () => {
    const k = asKernel();
    const first = desired.routes[0];
    if (first === undefined) throw new Error('no route');
    const current: CurrentState = {
      routes: [
        { ...k.routes[0], dst: first.dst, gateway: '10.10.1.99', dev: 'eth1' },
        ...k.routes.slice(1),
        { dst: '192.168.200.0/26', gateway: '10.10.1.7', dev: 'eth1' },
      ],
      rules: [
        ...k.rules,
        { priority: 1000, src: '172.16.0.0', srclen: 12, table: '1003' },
        { priority: 1000, src: '172.16.0.0', srclen: 12, table: '77' },
      ],
    };
    expect(routeBatch(desired, current, 1000)).toEqual([
      `route replace ${first.dst} via ${first.via} dev ${first.dev} table 1003`,
      'route del 192.168.200.0/26 table 1003',
      'rule del from 172.16.0.0/12 lookup 1003 priority 1000',
    ]);
  });

  it("removalBatch deletes the table's routes and the rules pointing at it only", () => {
    const lines = removalBatch(1003, {
      ...asKernel(),
      rules: [...asKernel().rules, { priority: 5, src: '10.0.0.0', srclen: 8, table: '90' }],
    });
    expect(lines).toHaveLength(desired.routes.length + desired.rules.length);
    expect(lines.every((l) => l.includes('1003'))).toBe(true);
  });
});

describe('tables', () => {
  it('assignTables keeps previous ids and gives new networks the lowest free id, never main/default/local', () => {
    expect(
      assignTables({ networks: ['b', 'a', 'c'], previous: { b: 1000 }, used: new Set([1001, 1003]), base: 1000 }),
    ).toEqual({ b: 1000, a: 1002, c: 1004 });
    expect(assignTables({ networks: ['x'], previous: {}, used: new Set([252]), base: 252 })).toEqual({ x: 256 });
  });

  it('never gives an id that is in use or given twice', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1000, max: 1010 })),
        (networks, used) => {
          const tables = assignTables({ networks, previous: {}, used: new Set(used), base: 1000 });
          const ids = Object.values(tables);
          expect(new Set(ids).size).toBe(ids.length);
          for (const id of ids) expect(used).not.toContain(id);
          expect(Object.keys(tables).sort()).toEqual([...networks].sort());
        },
      ),
    );
  });

  it('tablesInUse reads ids from routes and rules (a route without a table is main)', () => {
    expect(
      [
        ...tablesInUse([{ dst: 'default' }, { dst: '10.0.0.0/8', table: '100' }], [{ priority: 0, table: '255' }]),
      ].sort(),
    ).toEqual([100, 254, 255]);
  });

  it.each([
    { dst: '10.0.0.5', length: undefined, expected: '10.0.0.5/32' },
    { dst: '10.0.0.0', length: 24, expected: '10.0.0.0/24' },
    { dst: 'fd00::1', length: undefined, expected: 'fd00::1/128' },
    { dst: '192.168.1.0/26', length: undefined, expected: '192.168.1.0/26' },
  ])('canonicalPrefix($dst, $length) = $expected', ({ dst, length, expected }) => {
    expect(canonicalPrefix(dst, length)).toBe(expected);
  });

  it('tablesFromNames maps our names file back to networks, ignoring foreign and truncated names', () => {
    const names = new Map([
      [1001, 'mn-net-a'],
      [1002, tableName('b'.repeat(100))],
      [1003, 'other'],
    ]);
    expect(tablesFromNames(names)).toEqual({ 'net-a': 1001 });
  });

  it('tableName is a plain short name', () => {
    expect(tableName('net-a')).toBe('mn-net-a');
    expect(tableName('a'.repeat(100))).toHaveLength(63);
  });
});

/** HOSTS with an IPv6 address beside each IPv4 one (fd10:10:<net>::<host>/64, as on the e2e topology). */
const DUAL_HOSTS: typeof HOSTS = HOSTS.map((h) => ({
  hostName: h.hostName,
  interfaces: h.interfaces.map((nic) => {
    const [, , net, host] = nic.hostIP.split('.');
    return { ...nic, addresses: [`${nic.hostIP}/24`, `fd10:10:${net ?? ''}::${host ?? ''}/64`] };
  }),
}));

describe('dual-stack and IPv6 networks', () => {
  const family = computeFamilyPlans({
    networkName: 'net-ds',
    configs: [
      { subnet: '192.168.0.0/16', interfaceBlock: 2, hostBlock: 6, masterNets: [], excludeCIDRs: [] },
      { subnet: 'fd00:31::/48', interfaceBlock: 8, hostBlock: 8, masterNets: [], excludeCIDRs: [] },
    ],
    hosts: DUAL_HOSTS,
  });
  const [v4, v6] = family.results.map((r) => r.plan);
  if (v4 === undefined || v6 === undefined) throw new Error('no family plans');
  const spec = { ...v4, otherFamily: v6 };
  const ds = desiredRoutes({ network: 'net-ds', plans: familyPlans(spec), hostName: 'node1', table: 1000 });

  it('familyPlans is the first family alone, or both, first family first', () => {
    expect(family.problems).toEqual([]);
    expect(familyPlans(v4)).toEqual([v4]);
    expect(familyPlans(spec)).toEqual([v4, v6]);
  });

  it("one table holds both families' routes: IPv6 pod blocks via the peers' IPv6 addresses on the same NIC network", () => {
    expect(ds.routes).toEqual([...routesForHost(v4, 'node1', 1000), ...routesForHost(v6, 'node1', 1000)]);
    expect(ds.routes.filter((r) => r.dst.includes(':')).map((r) => `${r.dst} via ${r.via} dev ${r.dev}`)).toEqual([
      `${v6.cidr[0]?.hosts.find((h) => h.hostName === 'node2')?.podCIDR ?? '?'} via fd10:10:1::2 dev eth1`,
      `${v6.cidr[0]?.hosts.find((h) => h.hostName === 'node3')?.podCIDR ?? '?'} via fd10:10:1::3 dev eth1`,
      `${v6.cidr[1]?.hosts.find((h) => h.hostName === 'node2')?.podCIDR ?? '?'} via fd10:10:2::2 dev eth2`,
    ]);
    expect(ds.routes.every((r) => r.table === 1000)).toBe(true);
    expect(ds.rules).toEqual([...rulesForHost(v4, 'node1', 1000), ...rulesForHost(v6, 'node1', 1000)]);
    expect(ds.rules.map((r) => r.from)).toEqual([...v4.cidr, ...v6.cidr].map((e) => e.vlanCIDR));
  });

  it('the IPv6 lines go to `ip -6 -batch` (ip rule refuses an IPv6 from without -6), the IPv4 ones to `ip -batch`', () => {
    const lines = routeBatch(ds, { routes: [], rules: [] }, 1000);
    const { v4: four, v6: six } = linesByFamily(lines);
    expect(four).toHaveLength(5);
    expect(six).toEqual([
      ...ds.routes
        .filter((r) => r.dst.includes(':'))
        .map((r) => `route replace ${r.dst} via ${r.via} dev ${r.dev} table 1000`),
      ...v6.cidr.map((e) => `rule add from ${e.vlanCIDR} lookup 1000 priority 1000`),
    ]);
    expect(four.some((l) => l.includes(':')) || six.some((l) => !l.includes(':'))).toBe(false);
  });

  it('is idempotent over both families (gateways compared as addresses, rules read from both `ip rule` and `ip -6 rule`)', () => {
    const current: CurrentState = {
      routes: ds.routes.map((r): IpRoute => ({ dst: r.dst, gateway: r.via.replace('::', ':0:0:0:0:'), dev: r.dev })),
      rules: ds.rules.map((r): IpRule => ({
        priority: 1000,
        src: r.from.split('/')[0],
        srclen: Number(r.from.split('/')[1]),
        table: '1000',
        ...(r.from.includes(':') ? { family: 6 as const } : {}),
      })),
    };
    expect(routeBatch(ds, current, 1000)).toEqual([]);
  });

  it('removal deletes both families, an IPv6 rule from all as from ::/0 (what ip -6 rule del takes)', () => {
    const lines = removalBatch(1000, {
      routes: ds.routes.map((r): IpRoute => ({ dst: r.dst, gateway: r.via, dev: r.dev })),
      rules: [
        { priority: 1000, src: 'fd00:31::', srclen: 56, table: '1000', family: 6 },
        { priority: 1001, src: 'all', table: '1000', family: 6 },
        { priority: 1001, src: 'all', table: '1000' },
      ],
    });
    expect(lines.slice(ds.routes.length)).toEqual([
      'rule del from fd00:31::/56 lookup 1000 priority 1000',
      'rule del from ::/0 lookup 1000 priority 1001',
      'rule del from all lookup 1000 priority 1001',
    ]);
    expect(linesByFamily(lines).v6).toHaveLength(ds.routes.filter((r) => r.dst.includes(':')).length + 2);
  });

  it('an IPv6-only network routes via the IPv6 addresses the plan carries as hostIPs', () => {
    const hosts = DUAL_HOSTS.map((h) => ({
      hostName: h.hostName,
      interfaces: h.interfaces.map((nic) => {
        const six = nic.addresses?.[1] ?? '';
        return {
          interfaceName: nic.interfaceName,
          netAddress: six.replace(/::\d+\//, '::/'),
          hostIP: six.split('/')[0] ?? '',
        };
      }),
    }));
    const only = computePlan({
      networkName: 'net-v6',
      config: { subnet: 'fd00:30::/48', interfaceBlock: 8, hostBlock: 8, masterNets: [], excludeCIDRs: [] },
      hosts,
    });
    expect(only.problems).toEqual([]);
    expect(planIncludesHost([only.plan], 'node3')).toBe(true);
    expect(planIncludesHost([only.plan], 'node9')).toBe(false);
    const d = desiredRoutes({ network: 'net-v6', plans: [only.plan], hostName: 'node3', table: 1001 });
    expect(d.routes.map((r) => `${r.via} dev ${r.dev}`)).toEqual(['fd10:10:1::1 dev eth1', 'fd10:10:1::2 dev eth1']);
    expect(d.rules.map((r) => r.from)).toEqual([only.plan.cidr[0]?.vlanCIDR]);
    expect(linesByFamily(routeBatch(d, { routes: [], rules: [] }, 1000)).v4).toEqual([]);
  });
});
