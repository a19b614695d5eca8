import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import type { PlanProblemCode } from '../codes.js';
import { computePlan, NetworkPlanner } from './planner.js';
import { routeTableName } from './routes.js';
import type { PlanConfig, PlanHost, PlanInput, PlanResult } from './types.js';

const workedConfig: PlanConfig = {
  subnet: '192.168.0.0/16',
  interfaceBlock: 2,
  hostBlock: 6,
  masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
  excludeCIDRs: [],
};

const host1: PlanHost = {
  hostName: 'Host1',
  interfaces: [
    { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1' },
    { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.1' },
  ],
};
const host2: PlanHost = {
  hostName: 'Host2',
  interfaces: [
    { interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.2' },
    { interfaceName: 'eth2', netAddress: '10.0.2.0/24', hostIP: '10.0.2.2' },
  ],
};

/** A host with one NIC per `net:ip` pair, named eth1, eth2, ... */
function host(hostName: string, ...nics: string[]): PlanHost {
  return {
    hostName,
    interfaces: nics.map((nic, i) => {
      const [netAddress = '', hostIP = ''] = nic.split(' ');
      return { interfaceName: `eth${i + 1}`, netAddress, hostIP };
    }),
  };
}

function plan(config: Partial<PlanConfig>, hosts: PlanHost[], extra: Partial<PlanInput> = {}): PlanResult {
  return computePlan({ networkName: 'net', config: { ...workedConfig, ...config }, hosts, ...extra });
}

/** hostName/interfaceName -> podCIDR */
function pods(result: PlanResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of result.plan.cidr)
    for (const h of entry.hosts) out[`${h.hostName}/${h.interfaceName}`] = h.podCIDR;
  return out;
}

function reasons(result: PlanResult): string[] {
  return result.problems.map((p) => p.reason);
}

describe('computePlan: the multi-nic-cni worked example', () => {
  const result = computePlan({ networkName: 'multi-nic-sample', config: workedConfig, hosts: [host2, host1] });

  it('gives the documented vlan and pod blocks', () => {
    expect(result.problems).toEqual([]);
    expect(result.plan).toEqual({
      config: workedConfig,
      cidr: [
        {
          netAddress: '10.0.1.0/24',
          interfaceIndex: 0,
          vlanCIDR: '192.168.0.0/18',
          highWater: 2,
          hosts: [
            {
              hostIndex: 0,
              hostName: 'Host1',
              interfaceName: 'eth1',
              hostIP: '10.0.1.1',
              podCIDR: '192.168.0.0/24',
              ippool: 'multi-nic-sample-192.168.0.0-24',
            },
            {
              hostIndex: 1,
              hostName: 'Host2',
              interfaceName: 'eth1',
              hostIP: '10.0.1.2',
              podCIDR: '192.168.1.0/24',
              ippool: 'multi-nic-sample-192.168.1.0-24',
            },
          ],
        },
        {
          netAddress: '10.0.2.0/24',
          interfaceIndex: 1,
          vlanCIDR: '192.168.64.0/18',
          highWater: 2,
          hosts: [
            {
              hostIndex: 0,
              hostName: 'Host1',
              interfaceName: 'eth2',
              hostIP: '10.0.2.1',
              podCIDR: '192.168.64.0/24',
              ippool: 'multi-nic-sample-192.168.64.0-24',
            },
            {
              hostIndex: 1,
              hostName: 'Host2',
              interfaceName: 'eth2',
              hostIP: '10.0.2.2',
              podCIDR: '192.168.65.0/24',
              ippool: 'multi-nic-sample-192.168.65.0-24',
            },
          ],
        },
      ],
    });
  });

  it('gives the documented routes, one table per network (all its NIC networks), one rule per NIC network', () => {
    expect(result.routes).toEqual({
      Host1: [
        { dst: '192.168.1.0/24', via: '10.0.1.2', dev: 'eth1', table: 1000 },
        { dst: '192.168.65.0/24', via: '10.0.2.2', dev: 'eth2', table: 1000 },
      ],
      Host2: [
        { dst: '192.168.0.0/24', via: '10.0.1.1', dev: 'eth1', table: 1000 },
        { dst: '192.168.64.0/24', via: '10.0.2.1', dev: 'eth2', table: 1000 },
      ],
    });
    expect(result.rules['Host1']).toEqual([
      { from: '192.168.0.0/18', table: 1000 },
      { from: '192.168.64.0/18', table: 1000 },
    ]);
  });

  it('gives one IPPool per host interface', () => {
    expect(result.ippools).toEqual([
      {
        name: 'multi-nic-sample-192.168.0.0-24',
        hostName: 'Host1',
        interfaceName: 'eth1',
        podCIDR: '192.168.0.0/24',
        vlanCIDR: '192.168.0.0/18',
        excludes: [],
      },
      {
        name: 'multi-nic-sample-192.168.1.0-24',
        hostName: 'Host2',
        interfaceName: 'eth1',
        podCIDR: '192.168.1.0/24',
        vlanCIDR: '192.168.0.0/18',
        excludes: [],
      },
      {
        name: 'multi-nic-sample-192.168.64.0-24',
        hostName: 'Host1',
        interfaceName: 'eth2',
        podCIDR: '192.168.64.0/24',
        vlanCIDR: '192.168.64.0/18',
        excludes: [],
      },
      {
        name: 'multi-nic-sample-192.168.65.0-24',
        hostName: 'Host2',
        interfaceName: 'eth2',
        podCIDR: '192.168.65.0/24',
        vlanCIDR: '192.168.64.0/18',
        excludes: [],
      },
    ]);
  });

  it.each([
    { network: 'net-a', name: 'mn-net-a' },
    { network: 'a.b_c', name: 'mn-a.b_c' },
    { network: 'x'.repeat(80), name: `mn-${'x'.repeat(60)}` },
  ])('routeTableName($network) = $name', ({ network, name }) => {
    expect(routeTableName(network)).toBe(name);
  });

  it('puts the routes and rules in the table routeTableBase names', () => {
    const shifted = computePlan({ networkName: 'x', config: workedConfig, hosts: [host1, host2], routeTableBase: 200 });
    expect(shifted.routes['Host1']?.map((r) => r.table)).toEqual([200, 200]);
    expect(shifted.rules['Host1']?.map((r) => r.table)).toEqual([200, 200]);
  });

  it('exposes routes as a read-only record', () => {
    expect(Object.keys(result.routes)).toEqual(['Host1', 'Host2']);
    expect('Host3' in result.routes).toBe(false);
    expect(result.routes['Host3']).toBeUndefined();
    expect(JSON.parse(JSON.stringify(result.routes))).toEqual({ ...result.routes });
    expect(inspect(result.routes, { depth: 3 })).toContain("dst: '192.168.65.0/24'");
    expect(() => {
      (result.routes as Record<string, unknown>)['Host3'] = [];
    }).toThrow(TypeError);
  });
});

describe('computePlan: interface indexes', () => {
  it('takes networks seen on hosts, in address order, only when masterNets is empty', () => {
    const hosts = [host('a', '10.0.2.0/24 10.0.2.1', '10.0.1.0/24 10.0.1.1', '10.0.10.0/24 10.0.10.1')];
    const result = plan({ masterNets: [] }, hosts);
    expect(result.plan.cidr.map((e) => [e.netAddress, e.interfaceIndex])).toEqual([
      ['10.0.1.0/24', 0],
      ['10.0.2.0/24', 1],
      ['10.0.10.0/24', 2],
    ]);
  });

  it('ignores NICs on networks not in masterNets', () => {
    const result = plan({}, [host('a', '10.0.1.0/24 10.0.1.1', '10.9.9.0/24 10.9.9.1')]);
    expect(pods(result)).toEqual({ 'a/eth1': '192.168.0.0/24' });
    expect(result.problems).toEqual([]);
  });

  it('keeps masterNets order on creation, even for a network no host has yet', () => {
    const result = plan({ masterNets: ['10.0.2.0/24', '10.0.1.0/24'] }, [host('a', '10.0.1.0/24 10.0.1.1')]);
    expect(result.plan.cidr.map((e) => [e.netAddress, e.vlanCIDR, e.hosts.length])).toEqual([
      ['10.0.2.0/24', '192.168.0.0/18', 0],
      ['10.0.1.0/24', '192.168.64.0/18', 1],
    ]);
  });

  it('gives a new network the lowest free index later', () => {
    const first = plan({ masterNets: ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'] }, [host1]);
    const later = plan({ masterNets: ['10.0.4.0/24', '10.0.3.0/24', '10.0.2.0/24'] }, [host1], {
      previous: first.plan,
    });
    expect(later.plan.cidr.map((e) => [e.netAddress, e.interfaceIndex])).toEqual([
      ['10.0.4.0/24', 0],
      ['10.0.2.0/24', 1],
      ['10.0.3.0/24', 2],
    ]);
  });
});

describe('computePlan: excludes', () => {
  it.each<{ exclude: string; host1Pod: string; host1Excludes: string[]; vlans: string[] }>`
    exclude               | host1Pod              | host1Excludes           | vlans
    ${'192.168.0.0/18'}   | ${'192.168.64.0/24'}  | ${[]}                   | ${['192.168.64.0/18', '192.168.128.0/18']}
    ${'192.168.0.0/17'}   | ${'192.168.128.0/24'} | ${[]}                   | ${['192.168.128.0/18', '192.168.192.0/18']}
    ${'192.168.0.0/24'}   | ${'192.168.1.0/24'}   | ${[]}                   | ${['192.168.0.0/18', '192.168.64.0/18']}
    ${'192.168.0.0/23'}   | ${'192.168.2.0/24'}   | ${[]}                   | ${['192.168.0.0/18', '192.168.64.0/18']}
    ${'192.168.0.0/28'}   | ${'192.168.0.0/24'}   | ${['192.168.0.0/28']}   | ${['192.168.0.0/18', '192.168.64.0/18']}
    ${'192.168.0.200/32'} | ${'192.168.0.0/24'}   | ${['192.168.0.200/32']} | ${['192.168.0.0/18', '192.168.64.0/18']}
    ${'10.0.0.0/8'}       | ${'192.168.0.0/24'}   | ${[]}                   | ${['192.168.0.0/18', '192.168.64.0/18']}
  `(
    'exclude $exclude: Host1 eth1 gets $host1Pod excluding $host1Excludes',
    ({ exclude, host1Pod, host1Excludes, vlans }) => {
      const result = plan({ excludeCIDRs: [exclude] }, [host1, host2]);
      expect(result.problems).toEqual([]);
      expect(result.plan.cidr.map((e) => e.vlanCIDR)).toEqual(vlans);
      expect(pods(result)['Host1/eth1']).toBe(host1Pod);
      expect(result.ippools.find((p) => p.hostName === 'Host1' && p.interfaceName === 'eth1')?.excludes).toEqual(
        host1Excludes,
      );
    },
  );

  it('reports every network when an exclude covers the whole subnet', () => {
    const result = plan({ excludeCIDRs: ['192.168.0.0/16'] }, [host1]);
    expect(result.plan.cidr).toEqual([]);
    expect(result.problems.map((p) => p.network)).toEqual(['10.0.1.0/24', '10.0.2.0/24']);
    expect(reasons(result)[0]).toContain('4 of them excluded by excludeCIDRs');
  });

  it('moves a host whose block a new exclude covers, and no one else', () => {
    const before = plan({}, [host1, host2]);
    const after = plan({ excludeCIDRs: ['192.168.1.0/24'] }, [host1, host2], { previous: before.plan });
    expect(pods(after)).toEqual({ ...pods(before), 'Host2/eth1': '192.168.2.0/24' });
  });
});

describe('computePlan: host indexes', () => {
  const small = { interfaceBlock: 6, hostBlock: 2, masterNets: ['10.0.1.0/24'] };
  const a = host('a', '10.0.1.0/24 10.0.1.1');
  const b = host('b', '10.0.1.0/24 10.0.1.2');
  const c = host('c', '10.0.1.0/24 10.0.1.3');
  const d = host('d', '10.0.1.0/24 10.0.1.4');
  const e = host('e', '10.0.1.0/24 10.0.1.5');

  it('places new hosts in host-name order and keeps them where they are', () => {
    const first = plan(small, [c, a]);
    expect(pods(first)).toEqual({ 'a/eth1': '192.168.0.0/24', 'c/eth1': '192.168.1.0/24' });
    const second = plan(small, [c, b, a], { previous: first.plan });
    expect(pods(second)).toEqual({
      'a/eth1': '192.168.0.0/24',
      'c/eth1': '192.168.1.0/24',
      'b/eth1': '192.168.2.0/24',
    });
  });

  it('reuses a freed index only when no never-used index is left', () => {
    const abc = plan(small, [a, b, c]);
    const ac = plan(small, [a, c], { previous: abc.plan });
    expect(ac.plan.cidr[0]?.highWater).toBe(3);
    const acd = plan(small, [a, c, d], { previous: ac.plan });
    expect(pods(acd)['d/eth1']).toBe('192.168.3.0/24');
    const acde = plan(small, [a, c, d, e], { previous: acd.plan });
    expect(pods(acde)['e/eth1']).toBe('192.168.1.0/24');
  });

  it('counts max(hostIndex)+1 as the high-water mark of a plan without one', () => {
    const abc = plan(small, [a, b, c]);
    const legacy = { ...abc.plan, cidr: abc.plan.cidr.map(({ highWater: _unused, ...entry }) => entry) };
    const ad = plan(small, [a, d], { previous: legacy });
    expect(pods(ad)['d/eth1']).toBe('192.168.3.0/24');
  });

  it('treats hosts of a corrupt previous plan (bad indexes) as new, and ignores a bad highWater', () => {
    const abc = plan(small, [a, b, c]);
    const [entry] = abc.plan.cidr;
    const corrupt = {
      ...abc.plan,
      cidr: [
        {
          ...entry!,
          highWater: -3,
          hosts: entry!.hosts.map((h) => (h.hostName === 'a' ? { ...h, hostIndex: 1.5 } : h)),
        },
      ],
    };
    const result = plan(small, [a, b, c], { previous: corrupt });
    expect(pods(result)).toEqual({
      'b/eth1': '192.168.1.0/24',
      'c/eth1': '192.168.2.0/24',
      'a/eth1': '192.168.3.0/24',
    });
    expect(result.plan.cidr[0]?.highWater).toBe(4);
  });

  it('gives every NIC of a host on one network its own block', () => {
    const twin: PlanHost = {
      hostName: 'twin',
      interfaces: [
        { interfaceName: 'ib1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.21' },
        { interfaceName: 'ib0', netAddress: '10.0.1.0/24', hostIP: '10.0.1.20' },
      ],
    };
    const result = plan(small, [twin, a]);
    expect(pods(result)).toEqual({
      'a/eth1': '192.168.0.0/24',
      'twin/ib0': '192.168.1.0/24',
      'twin/ib1': '192.168.2.0/24',
    });
    expect(result.routes['a']).toEqual([
      { dst: '192.168.1.0/24', via: '10.0.1.20', dev: 'eth1', table: 1000 },
      { dst: '192.168.2.0/24', via: '10.0.1.21', dev: 'eth1', table: 1000 },
    ]);
    expect(result.routes['twin']).toEqual([{ dst: '192.168.0.0/24', via: '10.0.1.1', dev: 'ib0', table: 1000 }]);
  });
});

describe('computePlan: capacity and input problems', () => {
  it.each<{
    case: string;
    config: Partial<PlanConfig>;
    hosts: PlanHost[];
    expected: { code: PlanProblemCode; host?: string; network?: string; reason: string }[];
  }>`
    case                        | config                                           | hosts                                                                                                                    | expected
    ${'more hosts than 2^H'}    | ${{ hostBlock: 1, masterNets: ['10.0.1.0/24'] }} | ${[host('gpu-1', '10.0.1.0/24 10.0.1.1'), host('gpu-2', '10.0.1.0/24 10.0.1.2'), host('gpu-3', '10.0.1.0/24 10.0.1.3')]} | ${[{ code: 'NO_HOST_INDEX', host: 'gpu-3', network: '10.0.1.0/24', reason: 'host gpu-3 (eth1) has no free host index on 10.0.1.0/24: hostBlock 1 allows 2 hosts and all are in use; raise hostBlock or free a host' }]}
    ${'more networks than 2^I'} | ${{ interfaceBlock: 0 }}                         | ${[host1]}                                                                                                               | ${[{ code: 'NO_INTERFACE_INDEX', network: '10.0.2.0/24', reason: 'network 10.0.2.0/24 has no free interface index: interfaceBlock 0 allows 1 networks and all are in use; raise interfaceBlock or list fewer masterNets' }]}
    ${'hostIP outside its net'} | ${{}}                                            | ${[host('a', '10.0.1.0/24 10.0.2.1')]}                                                                                   | ${[{ code: 'INVALID_NIC', host: 'a', network: '10.0.1.0/24', reason: 'host a interface eth1: hostIP 10.0.2.1 is not in its network 10.0.1.0/24' }]}
    ${'bad hostIP'}             | ${{}}                                            | ${[host('a', '10.0.1.0/24 10.0.1.01')]}                                                                                  | ${[{ code: 'INVALID_NIC', host: 'a', network: '10.0.1.0/24', reason: expect.stringContaining('host a interface eth1: hostIP "10.0.1.01" is not a valid IPv4 address') }]}
    ${'bad netAddress'}         | ${{}}                                            | ${[host('a', '10.0.1.1/24 10.0.1.1')]}                                                                                   | ${[{ code: 'INVALID_NIC', host: 'a', network: '10.0.1.1/24', reason: expect.stringContaining('host bits set') }]}
    ${'empty host name'}        | ${{}}                                            | ${[host('', '10.0.1.0/24 10.0.1.1')]}                                                                                    | ${[{ code: 'EMPTY_HOST_NAME', reason: 'a host has an empty hostName; it was ignored' }]}
  `('$case', ({ config, hosts, expected }) => {
    expect(plan(config, hosts).problems).toEqual(expected);
  });

  it('ignores every copy of an interface listed twice, and says so', () => {
    const twice: PlanHost = {
      hostName: 'a',
      interfaces: [...host('a', '10.0.1.0/24 10.0.1.1').interfaces, ...host('a', '10.0.1.0/24 10.0.1.2').interfaces],
    };
    const result = plan({}, [twice, host2]);
    expect(Object.keys(pods(result))).toEqual(['Host2/eth1', 'Host2/eth2']);
    expect(result.problems).toEqual([
      {
        code: 'DUPLICATE_INTERFACE',
        host: 'a',
        reason: 'host a lists interface eth1 more than once; all of them were ignored (report each NIC once)',
      },
    ]);
  });

  it.each<{ field: string; config: Partial<PlanConfig>; code: PlanProblemCode; mentions: string }>`
    field               | config                                                           | code                    | mentions
    ${'subnet'}         | ${{ subnet: '192.168.0.0/33' }}                                  | ${'INVALID_CIDR'}       | ${'config.subnet: "192.168.0.0/33" has an invalid prefix length'}
    ${'subnet'}         | ${{ subnet: '192.168.1.0/16' }}                                  | ${'INVALID_CIDR'}       | ${'host bits set'}
    ${'hostBlock'}      | ${{ hostBlock: -1 }}                                             | ${'INVALID_BLOCK_BITS'} | ${'config.hostBlock must be an integer from 0 to 52 (got -1)'}
    ${'interfaceBlock'} | ${{ interfaceBlock: 2.5 }}                                       | ${'INVALID_BLOCK_BITS'} | ${'config.interfaceBlock must be an integer'}
    ${'masterNets'}     | ${{ masterNets: ['10.0.1.0/24', 'ten'] }}                        | ${'INVALID_CIDR'}       | ${'config.masterNets[1]'}
    ${'excludeCIDRs'}   | ${{ excludeCIDRs: ['192.168.0.1/24'] }}                          | ${'INVALID_CIDR'}       | ${'config.excludeCIDRs[0]'}
    ${'fit'}            | ${{ subnet: '192.168.0.0/24', interfaceBlock: 3, hostBlock: 4 }} | ${'NO_ROOM_FOR_PODS'}   | ${'gives /31 pod blocks, which leave no address for pods (at most /30)'}
  `('a bad $field plans nothing and says why ($code)', ({ config, code, mentions }) => {
    const result = plan(config, [host1, host2]);
    expect(result.problems.map((p) => p.code)).toEqual([code]);
    expect(result.plan.cidr).toEqual([]);
    expect(result.ippools).toEqual([]);
    expect(reasons(result).join('\n')).toContain(mentions);
    expect(reasons(result).join('\n')).toContain('othing was planned');
  });
});

describe('computePlan: host-subnet mode (empty subnet)', () => {
  const config = { subnet: '', hostBlock: 2, masterNets: ['10.0.1.0/24'] };

  it('carves pod blocks from the NIC subnet, away from host addresses, the network address and the gateway', () => {
    const a = host('a', '10.0.1.0/24 10.0.1.1');
    const b = host('b', '10.0.1.0/24 10.0.1.70');
    const result = plan(config, [a, b]);
    expect(result.plan.cidr[0]?.vlanCIDR).toBe('10.0.1.0/24');
    expect(pods(result)).toEqual({ 'a/eth1': '10.0.1.128/26', 'b/eth1': '10.0.1.192/26' });
    const gateway: PlanHost = {
      hostName: 'b',
      interfaces: [{ interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.70', gateway: '10.0.1.254' }],
    };
    const withGateway = plan(config, [a, gateway]);
    expect(pods(withGateway)).toEqual({ 'a/eth1': '10.0.1.128/26' });
    expect(reasons(withGateway)).toEqual([
      "host b (eth1) has no free host index on 10.0.1.0/24: hostBlock 2 allows 4 hosts, 3 of them unusable (holding the network address, a gateway or a host's address, or excluded), and all are in use; raise hostBlock (at most 6 on this network) or free a host",
    ]);
  });

  it('keeps a block when another host address lands in it later, and excludes that address', () => {
    const a = host('a', '10.0.1.0/24 10.0.1.1');
    const first = plan(config, [a]);
    expect(pods(first)).toEqual({ 'a/eth1': '10.0.1.64/26' });
    const c = host('c', '10.0.1.0/24 10.0.1.100');
    const second = plan(config, [a, c], { previous: first.plan });
    expect(pods(second)).toEqual({ 'a/eth1': '10.0.1.64/26', 'c/eth1': '10.0.1.128/26' });
    expect(second.ippools.map((p) => p.excludes)).toEqual([['10.0.1.100/32'], []]);
  });

  it('moves a block that would contain its own host address', () => {
    const first = plan(config, [host('a', '10.0.1.0/24 10.0.1.1')]);
    const moved = plan(config, [host('a', '10.0.1.0/24 10.0.1.65')], { previous: first.plan });
    expect(pods(moved)).toEqual({ 'a/eth1': '10.0.1.128/26' });
  });

  it('reports a network too small for hostBlock', () => {
    const result = plan({ subnet: '', hostBlock: 7, masterNets: ['10.0.1.0/24'] }, [host('a', '10.0.1.0/24 10.0.1.1')]);
    expect(result.problems.map((p) => p.code)).toEqual(['NETWORK_TOO_SMALL']);
    expect(reasons(result)).toEqual([
      'network 10.0.1.0/24 is too small for hostBlock 7 in host-subnet mode: pod blocks would be /31 (at most /30); lower hostBlock to at most 6, or leave it out for the default',
    ]);
  });
});

describe('computePlan: host-subnet mode without hostBlock (the default from the network size)', () => {
  const hostDevice = { subnet: '', hostBlock: undefined, masterNets: ['10.0.3.0/24'] };
  const nic = (hostIP: string, gateway?: string): PlanHost['interfaces'][number] => ({
    interfaceName: 'eth1',
    netAddress: '10.0.3.0/24',
    hostIP,
    ...(gateway === undefined ? {} : { gateway }),
  });

  it.each`
    network           | hostBlock | podBlock
    ${'10.0.3.0/24'}  | ${4}      | ${'/28'}
    ${'10.0.0.0/16'}  | ${8}      | ${'/24'}
    ${'10.0.0.0/8'}   | ${12}     | ${'/20'}
    ${'10.0.3.0/29'}  | ${1}      | ${'/30'}
    ${'fd10:1::/64'}  | ${16}     | ${'/80'}
    ${'fd10:1::/120'} | ${4}      | ${'/124'}
  `('a $network network gets hostBlock $hostBlock: $podBlock pod blocks', ({ network, hostBlock, podBlock }) => {
    const net = String(network);
    const base = net.split('/')[0] as string;
    const hostIP = base.includes(':') ? base.replace(/::$/, '::1') : base.replace(/\.0$/, '.1');
    const result = plan({ subnet: '', hostBlock: undefined, masterNets: [net] }, [
      { hostName: 'a', interfaces: [{ interfaceName: 'eth1', netAddress: net, hostIP }] },
    ]);
    const defaults = result.plan.cidr[0]?.hosts.map((h) => h.podCIDR.slice(h.podCIDR.indexOf('/')));
    expect([result.problems, defaults]).toEqual([[], [podBlock]]);
    expect(result.plan.config.hostBlock).toBeUndefined();
    expect(hostBlock).toBe(Number(String(podBlock).slice(1)) - Number(net.split('/')[1]));
  });

  it('plans examples/host-device.yaml on one host: the slots of the network address and the gateway are skipped, the pool carries the gateway', () => {
    const result = plan(hostDevice, [{ hostName: 'a', interfaces: [nic('10.0.3.1', '10.0.3.254')] }]);
    expect(result.problems).toEqual([]);
    expect(result.ippools).toEqual([
      {
        name: 'net-10.0.3.16-28',
        hostName: 'a',
        interfaceName: 'eth1',
        podCIDR: '10.0.3.16/28',
        vlanCIDR: '10.0.3.0/24',
        excludes: [],
        gateway: '10.0.3.254',
      },
    ]);
  });

  it('gives each host its own gateway, hands no host a slot holding any gateway, host address or exclude', () => {
    const hosts: PlanHost[] = [
      { hostName: 'a', interfaces: [nic('10.0.3.17', '10.0.3.254')] },
      { hostName: 'b', interfaces: [nic('10.0.3.2', '10.0.3.33')] },
      { hostName: 'c', interfaces: [nic('10.0.3.3')] },
    ];
    const result = plan({ ...hostDevice, excludeCIDRs: ['10.0.3.48/28', '10.0.3.70/32'] }, hosts);
    expect(result.problems).toEqual([]);
    expect(result.ippools.map((p) => [p.hostName, p.podCIDR, p.excludes, p.gateway])).toEqual([
      ['a', '10.0.3.64/28', ['10.0.3.70/32'], '10.0.3.254'],
      ['b', '10.0.3.80/28', [], '10.0.3.33'],
      ['c', '10.0.3.96/28', [], undefined],
    ]);
  });

  it('a kept block that later gains the gateway keeps it and excludes the gateway; a new host never gets that slot', () => {
    const first = plan(hostDevice, [{ hostName: 'a', interfaces: [nic('10.0.3.1')] }]);
    expect(first.ippools.map((p) => p.podCIDR)).toEqual(['10.0.3.16/28']);
    const later = plan(
      hostDevice,
      [
        { hostName: 'a', interfaces: [nic('10.0.3.1', '10.0.3.20')] },
        { hostName: 'b', interfaces: [nic('10.0.3.2', '10.0.3.20')] },
      ],
      { previous: first.plan },
    );
    expect(later.problems).toEqual([]);
    expect(later.ippools.map((p) => [p.hostName, p.podCIDR, p.excludes, p.gateway])).toEqual([
      ['a', '10.0.3.16/28', ['10.0.3.20/32'], '10.0.3.20'],
      ['b', '10.0.3.32/28', [], '10.0.3.20'],
    ]);
  });

  it('pools of a network with a pod subnet carry no gateway', () => {
    const result = plan({}, [
      {
        hostName: 'a',
        interfaces: [{ interfaceName: 'eth1', netAddress: '10.0.1.0/24', hostIP: '10.0.1.1', gateway: '10.0.1.254' }],
      },
    ]);
    expect(result.ippools.map((p) => p.gateway)).toEqual([undefined]);
  });

  it('names the fix when a network is too small for the default', () => {
    const net = '10.0.3.0/30';
    const result = plan({ subnet: '', hostBlock: undefined, masterNets: [net] }, [
      { hostName: 'a', interfaces: [{ interfaceName: 'eth1', netAddress: net, hostIP: '10.0.3.1' }] },
    ]);
    expect(result.problems.map((p) => [p.code, p.network])).toEqual([['NETWORK_TOO_SMALL', net]]);
    expect(reasons(result)).toEqual([
      "network 10.0.3.0/30 is too small for hostBlock 1 in host-subnet mode: pod blocks would be /31 (at most /30); the default hostBlock 1 (half the network's address bits) leaves no room: use a NIC network of at least /29 for host-subnet mode, or set a pod subnet",
    ]);
  });

  it('names the fix when every slot is taken or unusable: hostBlock 0 is one slot, which holds the network address', () => {
    const result = plan({ ...hostDevice, hostBlock: 0 }, [{ hostName: 'a', interfaces: [nic('10.0.3.1')] }]);
    expect(result.problems.map((p) => p.code)).toEqual(['NO_HOST_INDEX']);
    expect(reasons(result)).toEqual([
      "host a (eth1) has no free host index on 10.0.3.0/24: hostBlock 0 allows 1 hosts, 1 of them unusable (holding the network address, a gateway or a host's address, or excluded), and all are in use; raise hostBlock (at most 6 on this network) or free a host",
    ]);
  });

  it('a pod subnet without hostBlock plans nothing and says so', () => {
    const result = plan({ hostBlock: undefined }, [host1]);
    expect(result.problems.map((p) => p.code)).toEqual(['INVALID_BLOCK_BITS']);
    expect(reasons(result)[0]).toMatch(
      /config\.hostBlock must be an integer .* \(got undefined\) \(it may be left out only in host-subnet mode/,
    );
    expect(result.plan.cidr).toEqual([]);
  });
});

describe('computePlan: IPv6', () => {
  it('splits an IPv6 subnet and writes canonical addresses', () => {
    const result = computePlan({
      networkName: 'v6',
      config: {
        subnet: 'fd00::/48',
        interfaceBlock: 2,
        hostBlock: 8,
        masterNets: ['FD10:0:0:1::/64', 'fd10:0:0:2::/64'],
        excludeCIDRs: ['fd00::/58'],
      },
      hosts: [
        {
          hostName: 'b',
          interfaces: [{ interfaceName: 'eth1', netAddress: 'fd10:0:0:1::/64', hostIP: 'FD10:0:0:1:0:0:0:2' }],
        },
        {
          hostName: 'a',
          interfaces: [
            { interfaceName: 'eth1', netAddress: 'fd10:0:0:1::/64', hostIP: 'fd10:0:0:1::1' },
            { interfaceName: 'eth2', netAddress: 'fd10:0:0:2::/64', hostIP: 'fd10:0:0:2::1' },
          ],
        },
      ],
    });
    expect(result.problems).toEqual([]);
    expect(result.plan.cidr.map((e) => [e.netAddress, e.vlanCIDR])).toEqual([
      ['fd10:0:0:1::/64', 'fd00::/50'],
      ['fd10:0:0:2::/64', 'fd00:0:0:4000::/50'],
    ]);
    expect(pods(result)).toEqual({
      'a/eth1': 'fd00:0:0:40::/58',
      'b/eth1': 'fd00:0:0:80::/58',
      'a/eth2': 'fd00:0:0:4000::/58',
    });
    expect(result.ippools[0]?.name).toBe('v6-fd00-0-0-40---58');
    expect(result.routes['a']).toEqual([{ dst: 'fd00:0:0:80::/58', via: 'fd10:0:0:1::2', dev: 'eth1', table: 1000 }]);
  });
});

describe('NetworkPlanner', () => {
  const input: PlanInput = {
    networkName: 'n',
    config: { ...workedConfig, interfaceBlock: 6, hostBlock: 2 },
    hosts: [host1, host2],
  };

  it('recomputes in full when a known host changes, keeping its blocks', () => {
    const planner = new NetworkPlanner(input);
    const moved = planner.setHost(host('Host1', '10.0.1.0/24 10.0.1.9'));
    expect(pods(moved)).toEqual({
      'Host1/eth1': '192.168.0.0/24',
      'Host2/eth1': '192.168.1.0/24',
      'Host2/eth2': '192.168.5.0/24',
    });
    expect(moved.plan.cidr[0]?.hosts[0]?.hostIP).toBe('10.0.1.9');
  });

  it('puts a joining host on a freed index once the never-used ones are gone, exactly like computePlan', () => {
    const config = { ...workedConfig, interfaceBlock: 6, hostBlock: 2, masterNets: ['10.0.1.0/24'] };
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name, i) => host(name, `10.0.1.0/24 10.0.1.${i + 1}`)) as [
      PlanHost,
      PlanHost,
      PlanHost,
      PlanHost,
      PlanHost,
    ];
    const planner = new NetworkPlanner({ networkName: 'n', config, hosts: [a, b, c, d] });
    const left = planner.removeHost('b');
    const joined = planner.setHost(e);
    expect(joined.plan.cidr[0]?.hosts.map((h) => `${h.hostIndex} ${h.hostName}`)).toEqual(['0 a', '1 e', '2 c', '3 d']);
    const full = computePlan({ networkName: 'n', config, hosts: [a, c, d, e], previous: left.plan });
    expect({ ...joined, routes: { ...joined.routes }, rules: { ...joined.rules } }).toEqual({
      ...full,
      routes: { ...full.routes },
      rules: { ...full.rules },
    });
  });

  it('ignores removing a host it does not know', () => {
    const planner = new NetworkPlanner(input);
    expect(planner.removeHost('nobody')).toBe(planner.result);
  });

  it('reports capacity problems exactly like computePlan when a join does not fit', () => {
    const planner = new NetworkPlanner(input);
    for (const name of ['c', 'd', 'e']) planner.setHost(host(name, '10.0.1.0/24 10.0.1.77'));
    expect(reasons(planner.result)).toEqual([
      'host e (eth1) has no free host index on 10.0.1.0/24: hostBlock 2 allows 4 hosts and all are in use; raise hostBlock or free a host',
    ]);
  });
});
