import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ROUTE_TABLE_BASE, computePlan } from '@multinic/cidr-core';
import { AgentConfigSchema } from '../config.js';
import fc from 'fast-check';
import type { CurrentState, IpRoute, IpRule } from './plan.js';
import {
  assignTables,
  canonicalPrefix,
  desiredRoutes,
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

const desired = desiredRoutes({ network: 'net-a', plan, hostName: 'node1', table: 1003 });

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
    const agent = desiredRoutes({ network: 'net-a', plan, hostName: 'node1', table: table ?? -1 });
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
    const a = desiredRoutes({ network: 'net-a', plan, hostName: 'node1', table: tables['net-a'] ?? -1 });
    const b = desiredRoutes({ network: 'net-b', plan: other, hostName: 'node1', table: tables['net-b'] ?? -1 });
    expect(a.rules.map((r) => `${r.from} ${r.table}`)).toEqual(['192.168.0.0/18 1000', '192.168.64.0/18 1000']);
    expect(b.rules.map((r) => `${r.from} ${r.table}`)).toEqual(['172.16.0.0/18 1001', '172.16.64.0/18 1001']);
    expect(b.routes.every((r) => r.table === 1001 && r.dst.startsWith('172.16.'))).toBe(true);
  });

  it('a host that is not in the plan needs nothing', () => {
    const none = desiredRoutes({ network: 'net-a', plan, hostName: 'node9', table: 1003 });
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
