import { describe, expect, it } from '@jest/globals';
import { buildDelegates, parsePlugin } from '@multinic/netconf';
import { delegateArgs } from './delegates.js';
import { batchesOf, ipInNetns, ruleRemovals } from './pod-ip.js';

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

  it('removes exactly the source rules the plan adds', () => {
    expect(ruleRemovals(built.value.routes)).toEqual([
      ['-4', 'rule', 'del', 'from', '192.168.0.9/32', 'lookup', '100', 'priority', '1000'],
      ['-6', 'rule', 'del', 'from', 'fd00:0:0:40::9/128', 'lookup', '101', 'priority', '1001'],
    ]);
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
