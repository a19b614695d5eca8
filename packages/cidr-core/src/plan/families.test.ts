import { describe, expect, it } from '@jest/globals';
import { computeFamilyPlans } from './families.js';
import { computePlan } from './planner.js';
import type { PlanConfig, PlanHost } from './types.js';

const V4: PlanConfig = {
  subnet: '192.168.0.0/16',
  interfaceBlock: 2,
  hostBlock: 6,
  masterNets: ['10.0.1.0/24', '10.0.2.0/24'],
  excludeCIDRs: [],
};
const V6: PlanConfig = {
  subnet: 'fd00:10::/48',
  interfaceBlock: 8,
  hostBlock: 8,
  masterNets: V4.masterNets,
  excludeCIDRs: [],
};

function host(name: string, n: number, v6 = true): PlanHost {
  return {
    hostName: name,
    interfaces: [1, 2].map((net) => ({
      interfaceName: `eth${net}`,
      netAddress: `10.0.${net}.0/24`,
      hostIP: `10.0.${net}.${n}`,
      ...(v6 ? { addresses: [`10.0.${net}.${n}/24`, `fd00:${net}::${n}/64`] } : {}),
    })),
  };
}

describe('computeFamilyPlans', () => {
  it('plans both families over the same NIC networks at the same interface indexes', () => {
    const { results, problems } = computeFamilyPlans({
      networkName: 'ds',
      configs: [V4, V6],
      hosts: [host('h1', 1), host('h2', 2)],
    });
    expect(problems).toEqual([]);
    const [v4, v6] = results;
    expect(v4?.plan.cidr.map((e) => [e.netAddress, e.interfaceIndex, e.vlanCIDR])).toEqual([
      ['10.0.1.0/24', 0, '192.168.0.0/18'],
      ['10.0.2.0/24', 1, '192.168.64.0/18'],
    ]);
    expect(v6?.plan.cidr.map((e) => [e.netAddress, e.interfaceIndex, e.vlanCIDR])).toEqual([
      ['fd00:1::/64', 0, 'fd00:10::/56'],
      ['fd00:2::/64', 1, 'fd00:10:0:100::/56'],
    ]);
    expect(v6?.ippools.map((p) => [p.hostName, p.interfaceName, p.podCIDR, p.name])).toEqual([
      ['h1', 'eth1', 'fd00:10::/64', 'ds-fd00-10---64'],
      ['h2', 'eth1', 'fd00:10:0:1::/64', 'ds-fd00-10-0-1---64'],
      ['h1', 'eth2', 'fd00:10:0:100::/64', 'ds-fd00-10-0-100---64'],
      ['h2', 'eth2', 'fd00:10:0:101::/64', 'ds-fd00-10-0-101---64'],
    ]);
    expect(v6?.plan.cidr[0]?.hosts.map((h) => h.hostIP)).toEqual(['fd00:1::1', 'fd00:1::2']);
    // The recorded config is the one given: masterNets as the user named them.
    expect(v6?.plan.config).toEqual(V6);
  });

  it('gives one config exactly what computePlan gives (a single-family network is unchanged)', () => {
    const hosts = [host('h1', 1, false), host('h2', 2, false)];
    const { results, problems } = computeFamilyPlans({ networkName: 'n', configs: [V4], hosts });
    const plain = computePlan({ networkName: 'n', config: V4, hosts });
    expect(JSON.stringify(results[0]?.plan)).toBe(JSON.stringify(plain.plan));
    expect(results[0]?.ippools).toEqual(plain.ippools);
    expect(problems).toEqual(plain.problems);
  });

  it('names a NIC without an address of a planned family: host, NIC and family', () => {
    const { results, problems } = computeFamilyPlans({
      networkName: 'ds',
      configs: [V4, V6],
      hosts: [host('h1', 1), host('h2', 2, false)],
    });
    expect(problems.map((p) => [p.code, p.host, p.network])).toEqual([
      ['NO_FAMILY_ADDRESS', 'h2', '10.0.1.0/24'],
      ['NO_FAMILY_ADDRESS', 'h2', '10.0.2.0/24'],
    ]);
    expect(problems[0]?.reason).toMatch(/host h2 interface eth1 on 10\.0\.1\.0\/24 has no IPv6 address/);
    expect(results[1]?.ippools.map((p) => p.hostName)).toEqual(['h1', 'h1']);
    expect(results[0]?.ippools.map((p) => p.hostName)).toEqual(['h1', 'h2', 'h1', 'h2']);
  });

  it('an IPv6 master network on hosts without IPv6 is a problem naming the network and the family', () => {
    const { problems } = computeFamilyPlans({
      networkName: 'v6',
      configs: [{ ...V6, masterNets: ['10.0.1.0/24'] }],
      hosts: [host('h1', 1, false)],
    });
    expect(problems.map((p) => [p.code, p.network])).toContainEqual(['NO_FAMILY_ADDRESS', '10.0.1.0/24']);
    expect(problems.find((p) => p.host === undefined)?.reason).toMatch(
      /master network 10\.0\.1\.0\/24: no NIC on it has an IPv6 address/,
    );
  });

  it('masterNets may name a NIC network by its IPv6 prefix; an IPv6-only network plans the NICs by their IPv6 addresses', () => {
    const { results, problems } = computeFamilyPlans({
      networkName: 'v6',
      configs: [{ ...V6, masterNets: ['fd00:2::/64', '10.0.1.0/24'] }],
      hosts: [host('h1', 1)],
    });
    expect(problems).toEqual([]);
    expect(results[0]?.plan.cidr.map((e) => [e.netAddress, e.interfaceIndex])).toEqual([
      ['fd00:2::/64', 0],
      ['fd00:1::/64', 1],
    ]);
    expect(results[0]?.plan.config.masterNets).toEqual(['fd00:2::/64', '10.0.1.0/24']);
  });

  it('keeps host indexes per family and the first plan interface indexes in the later family', () => {
    const first = computeFamilyPlans({ networkName: 'ds', configs: [V4, V6], hosts: [host('h1', 1), host('h2', 2)] });
    const previous = first.results.map((r) => r.plan);
    const again = computeFamilyPlans({
      networkName: 'ds',
      configs: [V4, V6],
      hosts: [host('h2', 2), host('h0', 3)],
      previous,
    });
    const pods = (k: number, name: string) =>
      again.results[k]?.ippools.filter((p) => p.hostName === name).map((p) => p.podCIDR);
    expect(pods(0, 'h2')).toEqual(['192.168.1.0/24', '192.168.65.0/24']);
    expect(pods(1, 'h2')).toEqual(['fd00:10:0:1::/64', 'fd00:10:0:101::/64']);
    // h0 takes a never-used index, not h1's freed one.
    expect(pods(1, 'h0')).toEqual(['fd00:10:0:2::/64', 'fd00:10:0:102::/64']);
  });

  it('reports an interface index the later family cannot keep', () => {
    const { problems } = computeFamilyPlans({
      networkName: 'ds',
      configs: [V4, { ...V6, interfaceBlock: 0 }],
      hosts: [host('h1', 1)],
    });
    expect(problems.map((p) => p.code)).toContain('NO_INTERFACE_INDEX');
    expect(problems.find((p) => p.network === 'fd00:2::/64')?.reason).toMatch(/interfaceBlock 0/);
  });
});
