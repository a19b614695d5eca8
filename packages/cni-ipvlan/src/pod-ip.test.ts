import { describe, expect, it } from '@jest/globals';
import { buildDelegates, parsePlugin } from '@multinic/netconf';
import { delegateArgs } from './delegates.js';
import { batchesOf, ipInNetns, missingPodRouting, ruleFrom, ruleRemovals } from './pod-ip.js';
import type { KernelRoute, KernelRule } from './pod-ip.js';

const ENV = { PATH: '' };

describe('ipInNetns', () => {
  it.each([
    { netns: '/run/netns/cni-1234', tail: ['-n', 'cni-1234'] },
    { netns: '/var/run/netns/cni-1234', tail: ['-n', 'cni-1234'] },
  ])('a named namespace ($netns) → ip -n <name>', ({ netns, tail }) => {
    const [ip, ...rest] = ipInNetns(netns, ENV);
    expect(ip).toMatch(/\/ip$/);
    expect(rest).toEqual(tail);
  });

  it('any other path → nsenter --net=<path> ip', () => {
    const [nsenter, net, ip] = ipInNetns('/proc/4242/ns/net', ENV);
    expect(nsenter).toMatch(/\/nsenter$/);
    expect(net).toBe('--net=/proc/4242/ns/net');
    expect(ip).toMatch(/\/ip$/);
  });
});

describe('ip batches', () => {
  const plugin = parsePlugin({ cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } });
  if (!plugin.ok) throw new Error(plugin.error);
  const nics = [
    {
      interfaceName: 'eth1',
      podInterface: 'net1-0',
      address: '192.168.0.9/18',
      vlanCIDR: '192.168.0.0/18',
      gateway: '192.168.0.1',
    },
    { interfaceName: 'eth2', podInterface: 'net1-1', address: 'fd00:0:0:40::9/64', vlanCIDR: 'fd00:0:0:40::/64' },
  ];
  const built = buildDelegates({ plugin: plugin.value, nics });
  if (!built.ok) throw new Error(built.error);

  it('groups route commands by family, in order, without the family flag', () => {
    const batches = batchesOf([
      ['-4', 'route', 'replace', '10.0.0.0/8', 'dev', 'net1-0'],
      ['-6', 'rule', 'add', 'from', 'fd00::9/128'],
      ['-4', 'rule', 'add', 'from', '10.0.0.9/32'],
    ]);
    expect([...batches.entries()]).toEqual([
      ['-4', ['route replace 10.0.0.0/8 dev net1-0', 'rule add from 10.0.0.9/32']],
      ['-6', ['rule add from fd00::9/128']],
    ]);
  });

  it('removes the source rules of the pod addresses, whichever table ADD placed them in', () => {
    expect(ruleRemovals(built.value.routes)).toEqual([
      ['-4', 'rule', 'del', 'from', '192.168.0.9/32'],
      ['-6', 'rule', 'del', 'from', 'fd00:0:0:40::9/128'],
    ]);
  });
});

describe('missingPodRouting (CHECK of the rules and routes)', () => {
  const plugin = parsePlugin({ cniVersion: '1.0.0', type: 'macvlan', args: { mode: 'bridge' } });
  if (!plugin.ok) throw new Error(plugin.error);
  const built = buildDelegates({
    plugin: plugin.value,
    nics: [
      {
        interfaceName: 'eth1',
        podInterface: 'a0',
        address: '192.168.0.9/18',
        vlanCIDR: '192.168.0.0/18',
        gateway: '192.168.0.1',
      },
      {
        interfaceName: 'eth2',
        podInterface: 'a1',
        address: '192.168.64.9/18',
        vlanCIDR: '192.168.64.0/18',
        gateway: '192.168.64.1',
      },
    ],
    routes: [{ dst: '10.50.0.0/16' }],
  });
  if (!built.ok) throw new Error(built.error);
  const plan = built.value.routes;
  // As `ip -N -j` prints them after an ADD that placed the tables at 102 and 103 (another attachment holds 100, 101).
  const rules: KernelRule[] = [
    { priority: 1002, src: '192.168.0.9', table: '102' },
    { priority: 1003, src: '192.168.64.9', table: '103' },
    { priority: 32766, table: '254' },
  ];
  const routes: KernelRoute[] = [
    { dst: '192.168.0.0/18', dev: 'a0', table: '102' },
    { dst: '10.50.0.0/16', gateway: '192.168.0.1', dev: 'a0', table: '102' },
    { dst: 'default', gateway: '192.168.0.1', dev: 'a0', table: '102' },
    { dst: '192.168.64.0/18', dev: 'a1', table: '103' },
    { dst: '10.50.0.0/16', gateway: '192.168.64.1', dev: 'a1', table: '103' },
    { dst: 'default', gateway: '192.168.64.1', dev: 'a1', table: '103' },
    {
      dst: '10.50.0.0/16',
      nexthops: [
        { gateway: '192.168.0.1', dev: 'a0' },
        { gateway: '192.168.64.1', dev: 'a1' },
      ],
    },
  ];

  it.each<{ case: string; rules: KernelRule[]; routes: KernelRoute[]; missing: string[] }>`
    case                               | rules                              | routes                                                                                 | missing
    ${'all there'}                     | ${rules}                           | ${routes}                                                                              | ${[]}
    ${'a rule deleted'}                | ${rules.filter((_, i) => i !== 1)} | ${routes}                                                                              | ${['the rule "from 192.168.64.9/32 lookup <table>" is missing']}
    ${"a table's default deleted"}     | ${rules}                           | ${routes.filter((_, i) => i !== 2)}                                                    | ${['the route "0.0.0.0/0 via 192.168.0.1 dev a0 table 102" is missing']}
    ${'a route in the wrong table'}    | ${rules}                           | ${routes.map((r, i) => (i === 5 ? { ...r, table: '100' } : r))}                        | ${['the route "0.0.0.0/0 via 192.168.64.1 dev a1 table 103" is missing']}
    ${'a next hop gone from the ECMP'} | ${rules}                           | ${[...routes.slice(0, 6), { dst: '10.50.0.0/16', gateway: '192.168.0.1', dev: 'a0' }]} | ${['the multipath route 10.50.0.0/16 has no next hop via 192.168.0.1 dev a0, via 192.168.64.1 dev a1']}
  `('$case', ({ rules, routes, missing }) => {
    expect(missingPodRouting(plan, { rules, routes })).toEqual(missing);
  });

  it.each([
    { rule: { src: '10.0.0.5', srclen: 32 }, from: '10.0.0.5/32' },
    { rule: { src: 'fd00::5' }, from: 'fd00::5/128' },
    { rule: { src: 'all' }, from: undefined },
    { rule: {}, from: undefined },
  ])('ruleFrom($rule) = $from', ({ rule, from }) => {
    expect(ruleFrom(rule)).toBe(from);
  });
});

describe('delegateArgs', () => {
  it.each([
    {
      name: 'Multus args',
      args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'web-0', K8S_POD_UID: 'u' },
      expected: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=u',
    },
    {
      name: 'IP, MAC and GATEWAY never reach the static IPAM',
      args: { K8S_POD_NAME: 'web-0', IP: '10.0.0.9/24', MAC: 'aa:bb:cc:dd:ee:ff', GATEWAY: '10.0.0.1' },
      expected: 'IgnoreUnknown=1;K8S_POD_NAME=web-0',
    },
    { name: 'no args', args: {}, expected: 'IgnoreUnknown=1' },
  ])('$name', ({ args, expected }) => {
    expect(delegateArgs(args)).toBe(expected);
  });
});
